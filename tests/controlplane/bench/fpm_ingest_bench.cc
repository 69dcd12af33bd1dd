// FPM ingest benchmark driver (run by bench/fpm/run.sh, inside the switch's namespace).
//
//   fpm_ingest_bench routes --ipv4 N --ipv6 M --encoding nhg|inline --fpm-port P
//                     --dataplane TARGET --oif-a IFINDEX --oif-b IFINDEX
//     replays an Internet-like table as zebra would (one message per frame) to weftd's FPM port
//     and prints the time until the data plane's FIB holds all of it (polling GetCounters).
//   fpm_ingest_bench direct --ipv4 N --ipv6 M --dataplane TARGET
//     writes the same table straight through the Dataplane API in 64k batches (the ceiling of
//     what any controller can reach through the API).
//   fpm_ingest_bench pipeline --ipv4 N --ipv6 M --encoding nhg|inline
//     weftd's own path in one process: stream decoder -> FpmState -> RIB -> Programmer building
//     the Dataplane API batches, against a data plane that accepts everything at once.
//   fpm_ingest_bench ip-batch --ipv4 N --ipv6 M --dev-a DEV --dev-b DEV > FILE
//     the same table as `ip -batch` input, for the kernel peer.
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <grpcpp/create_channel.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "controlplane/fpm/fpm_decoder.h"
#include "controlplane/fpm/fpm_state.h"
#include "controlplane/programmer/dataplane_convert.h"
#include "controlplane/programmer/programmer.h"
#include "controlplane/programmer/grpc_dataplane_client.h"
#include "tests/controlplane/fpm/fpm_frame_builder.h"
#include "weft/dataplane/v1/dataplane.grpc.pb.h"

namespace weft::cp::bench {
namespace {

using namespace weft::cp::fpm::testing;
using Clock = std::chrono::steady_clock;

// Prefix lengths of the public IPv4 table, roughly (DESIGN.md "Tests and measurement").
int Ipv4Length(std::mt19937_64& rng) {
  const double x = std::uniform_real_distribution<double>(0, 100)(rng);
  if (x < 60) return 24;
  if (x < 72) return 23;
  if (x < 83) return 22;
  if (x < 88) return 21;
  if (x < 92) return 20;
  if (x < 94.5) return 19;
  if (x < 95.7) return 16;
  if (x < 98.5) return std::uniform_int_distribution<int>(8, 18)(rng);
  return std::uniform_int_distribution<int>(25, 32)(rng);
}
int Ipv6Length(std::mt19937_64& rng) {
  const double x = std::uniform_real_distribution<double>(0, 100)(rng);
  return x < 70 ? 48 : x < 82 ? 32 : x < 90 ? 40 : x < 96 ? 44 : 36;
}

std::vector<IpPrefix> MakeTable(size_t n4, size_t n6) {
  std::mt19937_64 rng(42);
  absl::flat_hash_set<IpPrefix> seen;
  std::vector<IpPrefix> out;
  auto add = [&](IpPrefix p) {
    MaskHostBits(p.address, p.length);
    if (seen.insert(p).second) out.push_back(p);
  };
  while (out.size() < n4) {
    IpPrefix p;
    p.address.family = Family::kIpv4;
    uint32_t a = static_cast<uint32_t>(rng());
    a = (a % (223u << 24)) + (1u << 24);  // 1.0.0.0 .. 223.255.255.255
    for (int i = 0; i < 4; ++i) p.address.bytes[i] = static_cast<uint8_t>(a >> (24 - 8 * i));
    p.length = static_cast<uint8_t>(Ipv4Length(rng));
    add(p);
  }
  // IPv6 prefixes cluster under a few thousand registry allocations, as in the real table (and
  // so share the FIB's tbl8 groups the way real ones do).
  std::vector<uint64_t> allocations(4096);
  for (auto& a : allocations) a = (rng() & ~(7ull << 61) & ~0xffffffffull) | (1ull << 61);
  while (out.size() < n4 + n6) {
    IpPrefix p;
    p.address.family = Family::kIpv6;
    const uint64_t parent = allocations[rng() % allocations.size()];
    const uint64_t hi = parent | (rng() & 0xffff0000ull);  // the /48 under its /32
    for (int i = 0; i < 8; ++i) p.address.bytes[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
    p.length = static_cast<uint8_t>(Ipv6Length(rng));
    add(p);
  }
  return out;
}

void AppendFrame(Bytes& stream, const Bytes& message) {
  const size_t len = message.size() + 4;
  stream.insert(stream.end(), {1, 1, static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)});
  stream.insert(stream.end(), message.begin(), message.end());
}

// Routes cycle over three next hops per family: gateway A, gateway B, and A+B as ECMP.
Bytes ZebraStream(const std::vector<IpPrefix>& table, bool nhg, uint32_t oif_a, uint32_t oif_b) {
  Bytes stream;
  const char* gw[2][2] = {{"10.0.0.2", "10.0.1.2"}, {"2001:db8:0:1::2", "2001:db8:0:2::2"}};
  if (nhg) {
    for (int f = 0; f < 2; ++f) {
      const uint8_t family = f == 0 ? AF_INET : AF_INET6;
      AppendFrame(stream, NexthopBuilder(false, family, 1 + 3 * f).Addr(NHA_GATEWAY, gw[f][0])
                              .U32(NHA_OIF, oif_a).Finish());
      AppendFrame(stream, NexthopBuilder(false, family, 2 + 3 * f).Addr(NHA_GATEWAY, gw[f][1])
                              .U32(NHA_OIF, oif_b).Finish());
      nexthop_grp members[2] = {{1u + 3 * f, 0, 0, 0}, {2u + 3 * f, 0, 0, 0}};
      AppendFrame(stream, NexthopBuilder(false, AF_UNSPEC, 3 + 3 * f)
                              .Attr(NHA_GROUP, members, sizeof(members)).Finish());
    }
  }
  Bytes mp[2];
  for (int f = 0; f < 2; ++f) {
    mp[f] = Concat({MultipathEntry(oif_a, 0, gw[f][0]), MultipathEntry(oif_b, 0, gw[f][1])});
  }
  for (size_t i = 0; i < table.size(); ++i) {
    const IpPrefix& p = table[i];
    const int f = p.address.is_v4() ? 0 : 1;
    auto b = RouteBuilder(false, f == 0 ? AF_INET : AF_INET6, p.length);
    b.Attr(RTA_DST, p.address.bytes.data(), p.address.byte_len()).U32(RTA_PRIORITY, 20);
    const int which = static_cast<int>(i % 3);
    if (nhg) {
      b.U32(RTA_NH_ID, static_cast<uint32_t>(which + 1 + 3 * f));
    } else if (which < 2) {
      b.Addr(RTA_GATEWAY, gw[f][which]).U32(RTA_OIF, which == 0 ? oif_a : oif_b);
    } else {
      b.Attr(RTA_MULTIPATH, mp[f].data(), mp[f].size());
    }
    AppendFrame(stream, b.Finish());
  }
  return stream;
}

uint64_t FibRoutes(dpv1::CounterService::Stub& stub) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  dpv1::GetCountersResponse r;
  if (!stub.GetCounters(&ctx, dpv1::GetCountersRequest(), &r).ok()) return 0;
  return r.tables().ipv4_routes() + r.tables().ipv6_routes();
}

int Routes(const std::map<std::string, std::string>& args, const std::vector<IpPrefix>& table) {
  const bool nhg = args.at("encoding") == "nhg";
  Bytes stream = ZebraStream(table, nhg, std::stoul(args.at("oif-a")), std::stoul(args.at("oif-b")));
  auto stub = dpv1::CounterService::NewStub(
      grpc::CreateChannel(args.at("dataplane"), grpc::InsecureChannelCredentials()));
  const uint64_t base = FibRoutes(*stub);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(std::stoi(args.at("fpm-port"))));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    perror("connect to weftd's FPM port");
    return 1;
  }
  // weftd's offload notices (RTM_NEWROUTE with RTM_F_OFFLOAD), read as zebra would.
  std::atomic<size_t> offloaded{0};
  std::thread reader([fd, &offloaded] {
    fpm::FpmFrameReader frames;
    std::vector<uint8_t> buf(1 << 16);
    while (true) {
      const ssize_t r = recv(fd, buf.data(), buf.size(), 0);
      if (r <= 0) return;
      frames.Append(std::span<const uint8_t>(buf.data(), static_cast<size_t>(r)));
      while (true) {
        auto next = frames.Next();
        if (!next.ok() || !next->has_value()) break;
        rtmsg rtm;
        if ((*next)->size() < NLMSG_HDRLEN + sizeof(rtm)) continue;
        std::memcpy(&rtm, (*next)->data() + NLMSG_HDRLEN, sizeof(rtm));
        if (rtm.rtm_flags & RTM_F_OFFLOAD) offloaded.fetch_add(1, std::memory_order_relaxed);
      }
    }
  });
  auto fail = [&](const char* what) {
    if (what) perror(what);
    shutdown(fd, SHUT_RDWR);
    reader.join();
    close(fd);
    return 1;
  };
  const auto start = Clock::now();
  for (size_t off = 0; off < stream.size();) {
    ssize_t n = send(fd, stream.data() + off, stream.size() - off, 0);
    if (n <= 0) return fail("send");
    off += static_cast<size_t>(n);
  }
  const double sent_s = std::chrono::duration<double>(Clock::now() - start).count();
  uint64_t have = 0;
  while ((have = FibRoutes(*stub)) < base + table.size()) {
    if (Clock::now() - start > std::chrono::minutes(5)) {
      fprintf(stderr, "timeout: %lu of %zu routes in the FIB\n", have - base, table.size());
      return fail(nullptr);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  const auto offload_deadline = Clock::now() + std::chrono::seconds(30);
  while (offloaded.load() < table.size() && Clock::now() < offload_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const double offload_s = std::chrono::duration<double>(Clock::now() - start).count();
  shutdown(fd, SHUT_RDWR);
  reader.join();
  close(fd);
  printf("fpm %s: offload notices (RTM_F_OFFLOAD) read back: %zu of %zu, the last after %.3f s\n",
         nhg ? "next-hop groups" : "inline", offloaded.load(), table.size(), offload_s);
  printf("fpm %s: %zu routes in the data plane in %.3f s (stream of %zu bytes sent in %.3f s): "
         "%.0f routes/s\n", nhg ? "next-hop groups" : "inline", table.size(), s, stream.size(),
         sent_s, table.size() / s);
  return 0;
}

int Direct(const std::map<std::string, std::string>& args, const std::vector<IpPrefix>& table) {
  GrpcDataplaneClient client(args.at("dataplane"), std::chrono::minutes(2));
  const auto start = Clock::now();
  dpv1::WriteRoutesRequest req;
  req.set_owner("bench-direct");
  const char* gw[2] = {"10.0.0.2", "2001:db8:0:1::2"};
  for (size_t i = 0; i <= table.size(); ++i) {
    if (i == table.size() || req.writes_size() == 65536) {
      absl::Status s = client.WriteRoutes(req);
      if (!s.ok()) {
        fprintf(stderr, "direct write failed: %s\n", std::string(s.message()).c_str());
        return 1;
      }
      req.clear_writes();
      if (i == table.size()) break;
    }
    auto* w = req.add_writes();
    w->set_op(dpv1::WRITE_OP_REPLACE);
    RouteKey key{0, table[i]};
    DataplaneRoute r{RouteAction::Kind::kForward,
                     {{"Ethernet0", *IpAddress::Parse(gw[table[i].address.is_v4() ? 0 : 1]), 1}}};
    *w->mutable_route() = ToProtoRoute(key, r, 0);
  }
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  printf("dataplane API direct: %zu routes in %.3f s: %.0f routes/s\n", table.size(), s,
         table.size() / s);
  return 0;
}

// Accepts every write at once: what is left is weftd's own cost (and protobuf serialisation).
class AcceptingDataplane : public DataplaneClient {
 public:
  size_t routes = 0;
  absl::StatusOr<dpv1::GetInfoResponse> GetInfo() override {
    dpv1::GetInfoResponse r;
    r.set_boot_epoch(1);
    r.set_max_batch_entries(65536);
    return r;
  }
  absl::Status WriteRoutes(const dpv1::WriteRoutesRequest& req) override {
    routes += req.writes_size();
    bytes += req.ByteSizeLong();  // what gRPC would serialise
    return absl::OkStatus();
  }
  absl::Status WriteNexthopGroups(const dpv1::WriteNexthopGroupsRequest&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<dpv1::Route>> ListRoutes(const std::string&) override {
    return std::vector<dpv1::Route>();
  }
  absl::StatusOr<std::vector<dpv1::NexthopGroup>> ListNexthopGroups(const std::string&) override {
    return std::vector<dpv1::NexthopGroup>();
  }
  absl::Status WriteNeighbors(const dpv1::WriteNeighborsRequest&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<dpv1::Neighbor>> ListNeighbors(const std::string&) override {
    return std::vector<dpv1::Neighbor>();
  }
  absl::Status WriteLocalAddresses(const dpv1::WriteLocalAddressesRequest&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<dpv1::LocalAddress>> ListLocalAddresses(const std::string&) override {
    return std::vector<dpv1::LocalAddress>();
  }
  size_t bytes = 0;
};

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

int Pipeline(const std::map<std::string, std::string>& args, const std::vector<IpPrefix>& table) {
  const bool nhg = args.at("encoding") == "nhg";
  Bytes stream = ZebraStream(table, nhg, 5, 6);
  std::mutex mutex;
  Rib rib;
  fpm::FpmState state(rib, [](uint32_t i) -> std::optional<std::string> {
    return i == 5 ? "Ethernet0" : "Ethernet4";
  });
  AcceptingDataplane dp;
  Programmer programmer(rib, mutex, dp);
  const auto start = Clock::now();
  const double cpu_start = CpuSeconds();
  fpm::FpmFrameReader reader;
  fpm::FpmFrame frame;
  // 64 KB reads, as the FPM server does; a programmer sync every 16 MB, as a busy loop would.
  for (size_t off = 0; off < stream.size(); off += 65536) {
    reader.Append(std::span(stream).subspan(off, std::min<size_t>(65536, stream.size() - off)));
    while (true) {
      auto next = reader.Next();
      if (!next.ok() || !next->has_value()) break;
      if (!fpm::DecodeFpmFrame(**next, frame).ok()) return 1;
      std::lock_guard lock(mutex);
      state.Apply(frame);
    }
    if (off % (16 << 20) == 0) (void)programmer.Sync();
  }
  const auto decoded = Clock::now();
  (void)programmer.Sync();
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = CpuSeconds() - cpu_start;
  // CPU time as well as wall time: on a shared machine the wall clock includes other jobs.
  printf("weftd pipeline %s (no data plane): %zu routes in %.3f s wall (decode+RIB %.3f s), "
         "%.3f s CPU: %.0f routes per CPU second, %zu routes written, %.1f MB of API requests\n",
         nhg ? "next-hop groups" : "inline", table.size(), s,
         std::chrono::duration<double>(decoded - start).count(), cpu, table.size() / cpu,
         dp.routes, dp.bytes / 1e6);
  return dp.routes == table.size() ? 0 : 1;
}

int IpBatch(const std::map<std::string, std::string>& args, const std::vector<IpPrefix>& table) {
  const char* gw[2][2] = {{"10.0.0.2", "10.0.1.2"}, {"2001:db8:0:1::2", "2001:db8:0:2::2"}};
  const std::string dev[2] = {args.at("dev-a"), args.at("dev-b")};
  for (size_t i = 0; i < table.size(); ++i) {
    const int f = table[i].address.is_v4() ? 0 : 1;
    const int which = static_cast<int>(i % 3);
    printf("route add %s ", table[i].ToString().c_str());  // ip infers the family
    if (which < 2) {
      printf("via %s dev %s\n", gw[f][which], dev[which].c_str());
    } else {
      printf("nexthop via %s dev %s nexthop via %s dev %s\n", gw[f][0], dev[0].c_str(), gw[f][1],
             dev[1].c_str());
    }
  }
  return 0;
}

}  // namespace
}  // namespace weft::cp::bench

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: fpm_ingest_bench routes|direct|ip-batch --key value ...\n");
    return 2;
  }
  std::map<std::string, std::string> args = {{"ipv4", "1000000"}, {"ipv6", "100000"},
                                             {"encoding", "nhg"}};
  for (int i = 2; i + 1 < argc; i += 2) args[std::string(argv[i]).substr(2)] = argv[i + 1];
  auto table = weft::cp::bench::MakeTable(std::stoul(args["ipv4"]), std::stoul(args["ipv6"]));
  const std::string mode = argv[1];
  try {
    if (mode == "routes") return weft::cp::bench::Routes(args, table);
    if (mode == "direct") return weft::cp::bench::Direct(args, table);
    if (mode == "pipeline") return weft::cp::bench::Pipeline(args, table);
    if (mode == "ip-batch") return weft::cp::bench::IpBatch(args, table);
  } catch (const std::out_of_range&) {
    fprintf(stderr, "fpm_ingest_bench %s: a required --option is missing\n", mode.c_str());
    return 2;
  }
  fprintf(stderr, "unknown mode %s\n", mode.c_str());
  return 2;
}
