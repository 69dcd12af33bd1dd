// Config parsing, defaults and validation: every bad field is refused with a message naming it.
#include "dataplane/runtime/config.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "dataplane/runtime/eal.h"

namespace weft::dp {
namespace {

// A valid config; each case below breaks exactly one field of it.
std::string Json(const std::string& eal_extra = "", const std::string& switch_extra = "",
                 const std::string& port1_extra = "") {
  return R"({"eal": {"file_prefix": "wt-cfg")" + eal_extra + R"(},
    "switches": [{"name": "leaf1", "run_dir": "/tmp/wt-leaf1")" + switch_extra + R"(,
      "ports": [{"name": "Ethernet0", "vdev": "net_af_packet,iface=eth1", "mtu": 9100},
                {"name": "Ethernet4", "vdev": "net_null")" + port1_extra + R"(}]}]})";
}

TEST(ConfigTest, DefaultMemoryFollowsTheTableSizes) {
  auto small = ParseConfig(
      Json("", R"(, "fib_max_ipv4_routes": 10000, "fib_max_ipv6_routes": 1000)"));
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_GE(small->eal().memory_mb(), 512u);
  EXPECT_LE(small->eal().memory_mb(), 640u);
  auto set = ParseConfig(Json(R"(, "memory_mb": 700)"));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->eal().memory_mb(), 700u);  // an explicit figure is kept
}

TEST(ConfigTest, DefaultMemoryHoldsLargePoolsAndTbl8Groups) {
  const std::string small = R"(, "fib_max_ipv4_routes": 10000, "fib_max_ipv6_routes": 1000)";
  auto base = ParseConfig(Json("", small));
  ASSERT_TRUE(base.ok()) << base.status();
  // 131,072 packets of a pcap with infinite_rx: ~1.2 GB of 9.5 KB mbufs on that port.
  auto pool = ParseConfig(Json("", small, R"(, "mbuf_pool_size": 135167)"));
  ASSERT_TRUE(pool.ok()) << pool.status();
  EXPECT_EQ(pool->switches(0).ports(1).mbuf_pool_size(), 135167u);
  EXPECT_EQ(pool->switches(0).ports(0).mbuf_pool_size(), 0u);  // 0: sized for the descriptors
  EXPECT_GE(pool->eal().memory_mb(), base->eal().memory_mb() + 1200);
  // 262,144 more IPv6 tbl8 groups of 1 KB, in two FIB copies: 512 MB more.
  auto tbl8 = ParseConfig(Json("", small + R"(, "fib_ipv6_tbl8_groups": 294912)"));
  ASSERT_TRUE(tbl8.ok()) << tbl8.status();
  EXPECT_GE(tbl8->eal().memory_mb(), base->eal().memory_mb() + 500);
}

TEST(ConfigTest, ValidConfigGetsTheProtoDefaults) {
  auto config = ParseConfig(Json());
  ASSERT_TRUE(config.ok()) << config.status();
  // Default tables (2M IPv4 + 200k IPv6 routes, two FIB copies) need about 2 GB: 1 GB failed.
  EXPECT_GE(config->eal().memory_mb(), 2048u);
  const auto& sw = config->switches(0);
  EXPECT_EQ(sw.run_dir(), "/tmp/wt-leaf1");
  EXPECT_EQ(sw.api_socket(), "unix:/tmp/wt-leaf1/dataplane.sock");
  EXPECT_EQ(sw.burst_size(), 32u);
  EXPECT_EQ(sw.fib_max_ipv4_routes(), 2'000'000u);
  EXPECT_EQ(sw.fib_max_ipv6_routes(), 200'000u);
  EXPECT_EQ(sw.max_nexthop_groups(), 65'536u);
  EXPECT_EQ(sw.fib_ipv4_tbl8_groups(), 16'384u);
  EXPECT_EQ(sw.fib_ipv6_tbl8_groups(), 32'768u);
  EXPECT_FALSE(sw.create_taps());
  EXPECT_EQ(sw.ports(0).mtu(), 9100u);
  EXPECT_EQ(sw.ports(1).mtu(), 1500u);
  EXPECT_EQ(sw.ports(1).rx_queues(), 1u);
  // af_packet's link is its netdev's carrier; net_null has no netdev.
  EXPECT_EQ(sw.ports(0).link_netdev(), "eth1");
  EXPECT_EQ(sw.ports(1).link_netdev(), "");
}

TEST(ConfigTest, RunDirAndSocketDefaultFromTheName) {
  auto config = ParseConfig(
      R"({"eal": {"file_prefix": "p"}, "switches": [{"name": "spine2",
          "ports": [{"name": "Ethernet8", "vdev": "net_ring"}]}]})");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->switches(0).run_dir(), "/run/weft/spine2");
  EXPECT_EQ(config->switches(0).api_socket(), "unix:/run/weft/spine2/dataplane.sock");
}

struct BadCase {
  const char* what;
  std::string json;
  const char* field;    // must appear in the message
  const char* detail;   // and so must this
};

class BadConfigTest : public testing::TestWithParam<BadCase> {};

TEST_P(BadConfigTest, IsRefusedNamingTheField) {
  const BadCase& c = GetParam();
  auto config = ParseConfig(c.json);
  ASSERT_FALSE(config.ok()) << c.what;
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(config.status().message());
  EXPECT_NE(message.find(c.field), std::string::npos) << c.what << ": " << message;
  EXPECT_NE(message.find(c.detail), std::string::npos) << c.what << ": " << message;
}

INSTANTIATE_TEST_SUITE_P(
    Fields, BadConfigTest,
    testing::Values(
        BadCase{"mtu too big", Json("", "", R"(, "mtu": 9300)"), "switches[0].ports[1].mtu",
                "9300 exceeds 9216"},
        BadCase{"mtu too small", Json("", "", R"(, "mtu": 60)"), "switches[0].ports[1].mtu",
                "60 is below 68"},
        BadCase{"not a SONiC name", Json("", "", R"(, "name": "eth0")"),
                "switches[0].ports[1].name", "Ethernet<N>"},
        BadCase{"leading zero", Json("", "", R"(, "name": "Ethernet04")"),
                "switches[0].ports[1].name", "Ethernet<N>"},
        BadCase{"duplicate name", Json("", "", R"(, "name": "Ethernet0")"),
                "switches[0].ports[1].name", "used twice"},
        BadCase{"no vdev", Json("", "", R"(, "vdev": "")"), "switches[0].ports[1].vdev", "missing"},
        BadCase{"not a net driver", Json("", "", R"(, "vdev": "crypto_null")"),
                "switches[0].ports[1].vdev", "not a DPDK net driver"},
        BadCase{"bad vdev argument", Json("", "", R"(, "vdev": "net_pcap,rx_pcap")"),
                "switches[0].ports[1].vdev", "not key=value"},
        BadCase{"af_packet without iface", Json("", "", R"(, "vdev": "net_af_packet,qpairs=1")"),
                "switches[0].ports[1].vdev", "iface"},
        BadCase{"mac length", Json("", "", R"(, "mac": "AQIDBA==")"), "switches[0].ports[1].mac",
                "4 bytes, expected 6"},
        BadCase{"multicast mac", Json("", "", R"(, "mac": "AQIDBAUG")"),
                "switches[0].ports[1].mac", "multicast"},
        BadCase{"zero mac", Json("", "", R"(, "mac": "AAAAAAAA")"), "switches[0].ports[1].mac",
                "all zeros"},
        BadCase{"too many rx queues", Json("", "", R"(, "rx_queues": 99)"),
                "switches[0].ports[1].rx_queues", "outside 1..16"},
        BadCase{"pool below the default", Json("", "", R"(, "mbuf_pool_size": 100)"),
                "switches[0].ports[1].mbuf_pool_size", "100 is outside 2047..4194304"},
        BadCase{"pool too large", Json("", "", R"(, "mbuf_pool_size": 5000000)"),
                "switches[0].ports[1].mbuf_pool_size", "outside"},
        BadCase{"ipv4 tbl8 groups", Json("", R"(, "fib_ipv4_tbl8_groups": 2000000)"),
                "switches[0].fib_ipv4_tbl8_groups", "outside 1..1048576"},
        BadCase{"ipv6 tbl8 groups", Json("", R"(, "fib_ipv6_tbl8_groups": 4000000)"),
                "switches[0].fib_ipv6_tbl8_groups", "outside 1..1048576"},
        BadCase{"shared link_netdev", Json("", "", R"(, "link_netdev": "eth1")"),
                "switches[0].ports[1].link_netdev", "used by two ports"},
        BadCase{"bad link_netdev", Json("", "", R"(, "link_netdev": "a/b")"),
                "switches[0].ports[1].link_netdev", "not a netdev name"},
        BadCase{"burst", Json("", R"(, "burst_size": 65)"), "switches[0].burst_size",
                "outside 1..64"},
        BadCase{"relative run_dir", Json("", R"(, "run_dir": "run")"), "switches[0].run_dir",
                "absolute"},
        BadCase{"fib size", Json("", R"(, "fib_max_ipv4_routes": 20000000)"),
                "switches[0].fib_max_ipv4_routes", "exceeds"},
        BadCase{"no file prefix", R"({"switches": [{"name": "s",
                  "ports": [{"name": "Ethernet0", "vdev": "net_null"}]}]})",
                "eal.file_prefix", "missing"},
        BadCase{"bad file prefix", Json(R"(, "file_prefix": "a b")"), "eal.file_prefix", "must be"},
        BadCase{"memory", Json(R"(, "memory_mb": 16)"), "eal.memory_mb", "outside"},
        BadCase{"lcore twice", Json(R"(, "worker_lcores": [0, 0])"), "eal.worker_lcores[1]",
                "listed twice"},
        BadCase{"lcore not a cpu", Json(R"(, "worker_lcores": [4000])"), "eal.worker_lcores[0]",
                "not a CPU"},
        BadCase{"extra arg owned by config", Json(R"(, "extra_args": ["--no-huge"])"),
                "eal.extra_args[0]", "set from the config"},
        BadCase{"no switches", R"({"eal": {"file_prefix": "p"}})", "switches", "no switch"},
        BadCase{"no ports", R"({"eal": {"file_prefix": "p"}, "switches": [{"name": "s"}]})",
                "switches[0].ports", "no ports"},
        BadCase{"switch name", R"({"eal": {"file_prefix": "p"}, "switches": [{"name": "a b",
                  "ports": [{"name": "Ethernet0", "vdev": "net_null"}]}]})",
                "switches[0].name", "must be"},
        BadCase{"duplicate switch", R"({"eal": {"file_prefix": "p"}, "switches": [
                  {"name": "s", "ports": [{"name": "Ethernet0", "vdev": "net_null"}]},
                  {"name": "s", "ports": [{"name": "Ethernet0", "vdev": "net_null"}]}]})",
                "switches[1].name", "used twice"},
        BadCase{"TAP names clash", R"({"eal": {"file_prefix": "p"}, "switches": [
                  {"name": "a", "create_taps": true, "ports": [{"name": "Ethernet0", "vdev": "net_null"}]},
                  {"name": "b", "create_taps": true, "ports": [{"name": "Ethernet0", "vdev": "net_null"}]}]})",
                "switches[1].ports[0].name", "clashes"},
        BadCase{"long run_dir", Json("", R"(, "run_dir": "/)" + std::string(100, 'r') + R"(")"),
                "switches[0].run_dir", "longer than 90"},
        BadCase{"wrong type", R"({"switches": [{"name": "s", "ports": [{"mtu": "big"}]}]})", "mtu",
                "not a valid DataplaneConfig"},
        BadCase{"unknown field", Json(R"(, "hugepages": true)"), "hugepages",
                "not a valid DataplaneConfig"},
        BadCase{"not json", "{", "", "not a valid DataplaneConfig"}));

TEST(ConfigTest, SwitchesWithoutTapsMayReusePortNames) {
  auto config = ParseConfig(R"({"eal": {"file_prefix": "p"}, "switches": [
      {"name": "a", "create_taps": true, "ports": [{"name": "Ethernet0", "vdev": "net_null"}]},
      {"name": "b", "ports": [{"name": "Ethernet0", "vdev": "net_null"}]}]})");
  EXPECT_TRUE(config.ok()) << config.status();
}

TEST(ConfigTest, MissingFileIsNamed) {
  auto config = LoadConfigFile("/nonexistent/weft.json");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(std::string(config.status().message()).find("/nonexistent/weft.json"), std::string::npos);
}

TEST(ConfigTest, VdevHelpers) {
  EXPECT_EQ(VdevDriver("net_af_packet,iface=eth1,qpairs=2"), "net_af_packet");
  EXPECT_EQ(VdevDriver("net_null"), "net_null");
  EXPECT_EQ(VdevArg("net_af_packet,iface=eth1,qpairs=2", "qpairs"), "2");
  EXPECT_EQ(VdevArg("net_af_packet,iface=eth1", "framesz"), "");
}

TEST(EalPlanTest, ArgsComeFromTheConfig) {
  pb::EalConfig eal;
  eal.set_file_prefix("wt-x");
  eal.set_memory_mb(256);
  eal.add_extra_args("--vdev=net_null9");
  EalPlan plan = PlanEal(eal, /*hugepages_available=*/true, "error");
  const auto& a = plan.args;
  auto after = [&](const std::string& flag) {
    for (size_t i = 0; i + 1 < a.size(); ++i)
      if (a[i] == flag) return a[i + 1];
    return std::string("<absent>");
  };
  EXPECT_EQ(after("--file-prefix"), "wt-x");
  EXPECT_EQ(after("-m"), "256");
  EXPECT_EQ(after("--log-level"), "error");
  EXPECT_EQ(after("--main-lcore"), "0");
  EXPECT_EQ(after("--lcores").rfind("0@(", 0), 0u) << after("--lcores");
  EXPECT_EQ(std::count(a.begin(), a.end(), "--no-huge"), 0);
  EXPECT_EQ(std::count(a.begin(), a.end(), "--no-pci"), 1);
  EXPECT_EQ(a.back(), "--vdev=net_null9");
  EXPECT_FALSE(plan.no_huge);
  EXPECT_TRUE(plan.worker_lcores.empty());
}

TEST(EalPlanTest, NoHugeWhenAskedOrWhenThereAreNoHugepages) {
  pb::EalConfig eal;
  eal.set_file_prefix("p");
  eal.set_memory_mb(512);
  EXPECT_TRUE(PlanEal(eal, false, "notice").no_huge);
  eal.set_no_huge(true);
  EalPlan plan = PlanEal(eal, true, "notice");
  EXPECT_TRUE(plan.no_huge);
  EXPECT_EQ(std::count(plan.args.begin(), plan.args.end(), "--no-huge"), 1);
}

TEST(EalPlanTest, WorkersArePinnedAndTheMainLcoreIsAnotherId) {
  pb::EalConfig eal;
  eal.set_file_prefix("p");
  eal.set_memory_mb(512);
  eal.add_worker_lcores(0);
  eal.add_worker_lcores(1);
  EalPlan plan = PlanEal(eal, true, "notice");
  EXPECT_EQ(plan.main_lcore, 2u);
  ASSERT_EQ(plan.worker_lcores, (std::vector<uint32_t>{0, 1}));
  std::string lcores;
  for (size_t i = 0; i + 1 < plan.args.size(); ++i)
    if (plan.args[i] == "--lcores") lcores = plan.args[i + 1];
  EXPECT_NE(lcores.find(",0@0"), std::string::npos) << lcores;
  EXPECT_NE(lcores.find(",1@1"), std::string::npos) << lcores;
  EXPECT_EQ(lcores.rfind("2@(", 0), 0u) << lcores;
}

}  // namespace
}  // namespace weft::dp
