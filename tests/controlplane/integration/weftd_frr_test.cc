// weftd with real parts: weft-dataplane (net_ring ports with TAP twins), weftd, and Debian's
// zebra + staticd (-M dplane_fpm_nl) in a network namespace made by the test. Checks that
// static routes reach the data plane through FPM (both encodings), that an update and a delete
// follow, and that `kill -9 weftd` + restart changes nothing in the data plane (its own churn
// counters stay still). Needs root; skipped otherwise.
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "controlplane/programmer/dataplane_convert.h"
#include "controlplane/programmer/grpc_dataplane_client.h"
#include "tests/controlplane/integration/netns_lab.h"
#include "weft/dataplane/v1/dataplane.grpc.pb.h"

namespace weft::cp {
namespace {

using namespace std::chrono_literals;
using testing::NetnsLab;

// Binaries from this build; an environment variable of the same name overrides.
std::string Bin(const char* env, const char* built) {
  const char* v = getenv(env);
  return v != nullptr && *v != 0 ? v : built;
}

// "prefix" -> "action" as text, for readable expectations.
std::map<std::string, std::string> DataplaneRoutes(GrpcDataplaneClient& client) {
  std::map<std::string, std::string> out;
  auto groups = client.ListNexthopGroups("weftd");
  auto routes = client.ListRoutes("weftd");
  if (!groups.ok() || !routes.ok()) return out;
  NexthopGroupTable table;
  for (const auto& g : *groups) {
    if (auto m = MembersFromProto(g)) table.Adopt(g.id(), *m);
  }
  for (const auto& r : *routes) {
    auto key = KeyFromProto(r);
    auto route = RouteFromProto(r, table);
    if (!key || !route) continue;
    RouteAction a{route->kind, route->nexthops};
    out[key->prefix.ToString()] = a.ToString();
  }
  return out;
}

dpv1::TableCounters Churn(const std::string& target) {
  auto stub = dpv1::CounterService::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 5s);
  dpv1::GetCountersResponse response;
  EXPECT_TRUE(stub->GetCounters(&ctx, dpv1::GetCountersRequest(), &response).ok());
  return response.tables();
}

class WeftdFrrTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
    if (access("/usr/lib/frr/zebra", X_OK) != 0) GTEST_SKIP() << "FRR not installed";
    lab_ = std::make_unique<NetnsLab>("weftd-frr");
    ASSERT_TRUE(lab_->ok());
    const std::string d = lab_->dir();
    fpm_port_ = 20000 + getpid() % 20000;
    std::ofstream(d + "/dp.json") << R"({"eal": {"file_prefix": "wt-weftd-)" << getpid()
        << R"(", "no_huge": true, "memory_mb": 512}, "switches": [{"name": "s1", "run_dir": ")"
        << d << R"(/run", "create_taps": true, "fib_max_ipv4_routes": 10000,
        "fib_max_ipv6_routes": 1000, "ports": [{"name": "Ethernet0", "vdev": "net_ring"},
        {"name": "Ethernet4", "vdev": "net_ring"}]}]})";
    lab_->Start({Bin("WEFT_DATAPLANE_BIN", WEFT_DATAPLANE_BIN), "--config", d + "/dp.json"}, "dp.log");
    dp_target_ = "unix:" + d + "/run/dataplane.sock";
    ASSERT_TRUE(NetnsLab::WaitFor([&] { return access((d + "/run/dataplane.sock").c_str(), F_OK) == 0; }, 20s))
        << lab_->Log("dp.log");
    ASSERT_TRUE(NetnsLab::WaitFor([&] { return lab_->InNs("ip link show Ethernet4 >/dev/null 2>&1") == 0; }, 10s));
    ASSERT_EQ(lab_->InNs("ip addr add 10.0.0.1/24 dev Ethernet0"), 0);
    ASSERT_EQ(lab_->InNs("ip addr add 10.0.1.1/24 dev Ethernet4"), 0);
    ASSERT_EQ(lab_->InNs("ip addr add 2001:db8:0:1::1/64 dev Ethernet0 nodad"), 0);
    std::ofstream(d + "/weftd.textproto")
        << "dataplane_address: \"" << dp_target_ << "\"\n"
        << "management_address: \"unix:" << d << "/weftd.sock\"\n"
        << "fpm { port: " << fpm_port_ << " stale_hold { seconds: 3 } }\n"
        << "startup_hold { seconds: 3 }\n";
    StartWeftd();
    std::ofstream(d + "/zebra.conf") << "fpm address 127.0.0.1 port " << fpm_port_ << "\n"
                                     << (GetParam() ? "" : "no fpm use-next-hop-groups\n");
    std::ofstream(d + "/staticd.conf") << "ip route 198.51.100.0/24 10.0.0.2\n"
                                          "ip route 203.0.113.0/24 10.0.0.2\n"
                                          "ip route 203.0.113.0/24 10.0.1.2\n"
                                          "ip route 192.0.2.0/24 blackhole\n"
                                          "ipv6 route 2001:db8:100::/48 2001:db8:0:1::2\n";
    StartFrr();
    client_ = std::make_unique<GrpcDataplaneClient>(dp_target_, 5s);
  }

  void StartFrr() {
    const std::string d = lab_->dir();
    frr_pids_.clear();
    for (const char* daemon : {"zebra", "staticd"}) {
      const std::string pidfile = d + "/" + daemon + ".pid";
      lab_->TrackPidFile(pidfile);
      std::vector<std::string> argv = {std::string("/usr/lib/frr/") + daemon};
      if (std::string(daemon) == "zebra") argv.insert(argv.end(), {"-M", "dplane_fpm_nl"});
      argv.insert(argv.end(), {"-f", d + "/" + daemon + ".conf", "-i", pidfile, "-u", "frr", "-g",
                               "frr", "--vty_socket", d, "-z", d + "/zserv.api"});
      // Foreground: the lab kills it by pid.
      frr_pids_.push_back(lab_->Start(argv, std::string(daemon) + ".log"));
      std::this_thread::sleep_for(1s);
    }
  }

  int WeftdConnections() {
    const std::string log = lab_->Log("weftd.log");
    int n = 0;
    for (size_t at = log.find("zebra connected"); at != std::string::npos;
         at = log.find("zebra connected", at + 1)) {
      ++n;
    }
    return n;
  }

  void StartWeftd() {
    weftd_ = lab_->Start({Bin("WEFTD_BIN", WEFTD_BIN), "--config", lab_->dir() + "/weftd.textproto"}, "weftd.log");
  }

  bool WaitForRoutes(const std::map<std::string, std::string>& want) {
    return NetnsLab::WaitFor([&] { return DataplaneRoutes(*client_) == want; }, 20s);
  }

  std::unique_ptr<NetnsLab> lab_;
  std::unique_ptr<GrpcDataplaneClient> client_;
  std::string dp_target_;
  int fpm_port_ = 0;
  pid_t weftd_ = 0;
  std::vector<pid_t> frr_pids_;
};

TEST_P(WeftdFrrTest, ZebraRoutesReachTheDataplaneAndSurviveWeftdKill) {
  const std::map<std::string, std::string> want = {
      {"198.51.100.0/24", "10.0.0.2@Ethernet0"},
      {"203.0.113.0/24", "10.0.0.2@Ethernet0, 10.0.1.2@Ethernet4"},
      {"192.0.2.0/24", "drop"},
      {"2001:db8:100::/48", "2001:db8:0:1::2@Ethernet0"},
  };
  ASSERT_TRUE(WaitForRoutes(want)) << ::testing::PrintToString(DataplaneRoutes(*client_)) << "\n"
                                   << lab_->Log("weftd.log");

  // A kernel neighbour on a TAP becomes a data-plane neighbour (rtnetlink -> weftd -> API).
  ASSERT_EQ(lab_->InNs("ip neigh replace 10.0.0.2 lladdr 02:00:00:00:00:02 dev Ethernet0 nud "
                       "permanent"),
            0);
  EXPECT_TRUE(NetnsLab::WaitFor(
      [&] {
        auto n = client_->ListNeighbors("weftd");
        if (!n.ok()) return false;
        for (const auto& e : *n) {
          if (e.port() == "Ethernet0" && FromProto(e.address()) == IpAddress::Parse("10.0.0.2") &&
              e.mac() == std::string("\x02\0\0\0\0\x02", 6)) {
            return true;
          }
        }
        return false;
      },
      10s))
      << lab_->Log("weftd.log");

  // The TAPs' addresses are the switch's local addresses (and connected subnets).
  EXPECT_TRUE(NetnsLab::WaitFor(
      [&] {
        auto locals = client_->ListLocalAddresses("weftd");
        if (!locals.ok()) return false;
        std::set<std::string> have;
        for (const auto& l : *locals) {
          dpv1::IpAddress a;
          a.set_address(l.prefix().address());
          have.insert(l.port() + " " + FromProto(a)->ToString() + "/" +
                      std::to_string(l.prefix().length()));
        }
        return have == std::set<std::string>{"Ethernet0 10.0.0.1/24", "Ethernet4 10.0.1.1/24",
                                             "Ethernet0 2001:db8:0:1::1/64"};
      },
      10s));

  // An update (DEL+NEW in one frame) and a delete.
  ASSERT_EQ(lab_->InNs("vtysh --vty_socket " + lab_->dir() +
                       " -d staticd -c 'configure terminal' -c 'ip route 198.51.100.0/24 "
                       "10.0.1.2' -c 'no ip route 192.0.2.0/24 blackhole' >/dev/null"),
            0);
  auto updated = want;
  updated["10.0.0.2/32"] = "10.0.0.2@Ethernet0";  // the neighbour's host route
  updated["198.51.100.0/24"] = "10.0.0.2@Ethernet0, 10.0.1.2@Ethernet4";
  updated.erase("192.0.2.0/24");
  ASSERT_TRUE(WaitForRoutes(updated)) << ::testing::PrintToString(DataplaneRoutes(*client_));

  // kill -9 weftd and restart it: zebra reconnects and replays, weftd adopts what the data plane
  // holds, and the data plane sees no write of any kind.
  const dpv1::TableCounters before = Churn(dp_target_);
  EXPECT_GT(before.route_adds() + before.route_replaces(), 0u);  // the counters do count
  lab_->Kill(weftd_, SIGKILL);
  StartWeftd();
  ASSERT_TRUE(NetnsLab::WaitFor(
      [&] { return lab_->Log("weftd.log").find("zebra connected") != std::string::npos &&
                   lab_->Log("weftd.log").rfind("zebra connected") >
                       lab_->Log("weftd.log").rfind("weftd: instance"); },
      15s));
  std::this_thread::sleep_for(5s);  // past the startup hold (3 s) and the stale hold (3 s)
  EXPECT_EQ(DataplaneRoutes(*client_), updated);
  const dpv1::TableCounters after = Churn(dp_target_);
  EXPECT_EQ(after.route_adds(), before.route_adds());
  EXPECT_EQ(after.route_replaces(), before.route_replaces());
  EXPECT_EQ(after.route_deletes(), before.route_deletes());
  EXPECT_EQ(after.group_adds(), before.group_adds());
  EXPECT_EQ(after.group_deletes(), before.group_deletes());
  EXPECT_EQ(after.group_replaces(), before.group_replaces());
  EXPECT_EQ(after.neighbor_adds(), before.neighbor_adds());
  EXPECT_EQ(after.neighbor_replaces(), before.neighbor_replaces());
  EXPECT_EQ(after.neighbor_deletes(), before.neighbor_deletes());
}

TEST_P(WeftdFrrTest, ZebraRestartSweepsOnlyWhatWasWithdrawn) {
  std::map<std::string, std::string> want = {
      {"198.51.100.0/24", "10.0.0.2@Ethernet0"},
      {"203.0.113.0/24", "10.0.0.2@Ethernet0, 10.0.1.2@Ethernet4"},
      {"192.0.2.0/24", "drop"},
      {"2001:db8:100::/48", "2001:db8:0:1::2@Ethernet0"},
  };
  ASSERT_TRUE(WaitForRoutes(want)) << ::testing::PrintToString(DataplaneRoutes(*client_));
  const dpv1::TableCounters before = Churn(dp_target_);
  // zebra and staticd die; while they are down the IPv6 route is removed from the config.
  for (pid_t p : frr_pids_) lab_->Kill(p, SIGKILL);
  std::ofstream(lab_->dir() + "/staticd.conf") << "ip route 198.51.100.0/24 10.0.0.2\n"
                                                  "ip route 203.0.113.0/24 10.0.0.2\n"
                                                  "ip route 203.0.113.0/24 10.0.1.2\n"
                                                  "ip route 192.0.2.0/24 blackhole\n";
  const int connections = WeftdConnections();
  StartFrr();
  ASSERT_TRUE(NetnsLab::WaitFor([&] { return WeftdConnections() > connections; }, 15s));
  // After the stale hold (3 s) only the withdrawn route is gone; nothing else was rewritten.
  want.erase("2001:db8:100::/48");
  ASSERT_TRUE(WaitForRoutes(want)) << ::testing::PrintToString(DataplaneRoutes(*client_));
  const dpv1::TableCounters after = Churn(dp_target_);
  EXPECT_EQ(after.route_deletes(), before.route_deletes() + 1);
  EXPECT_EQ(after.route_adds(), before.route_adds());
  EXPECT_EQ(after.route_replaces(), before.route_replaces());
  EXPECT_EQ(after.group_adds(), before.group_adds());
  EXPECT_EQ(after.group_deletes(), before.group_deletes());
  EXPECT_NE(lab_->Log("weftd.log").find("swept 1 stale routes"), std::string::npos)
      << lab_->Log("weftd.log");
}

INSTANTIATE_TEST_SUITE_P(Encodings, WeftdFrrTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "NextHopGroups" : "Inline"; });

}  // namespace
}  // namespace weft::cp
