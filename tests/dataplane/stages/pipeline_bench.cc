// Benchmark program (not a test): ProcessBurst alone, no ethdev, one core. Prebuilt packets of
// `flows` UDP flows to `routes` IPv4 prefixes (mostly /24), single next hops or `ways`-way ECMP
// groups. Prints Mpps and cycles per packet. Usage:
//   dataplane_pipeline_bench [routes=1000] [flows=4096] [ways=1] [seconds=2] [mode=hash]
// mode (groups, ways > 1): hash, flowlet, spray-rr or spray-ll. The adaptive modes run on the
// real monotonic clock, so flowlet gaps pass as they would in weft-dataplane.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "dataplane/lb/load_balancer.h"
#include "dataplane/lb/port_load.h"
#include "dataplane/stages/pipeline.h"
#include "tests/dataplane/stages/test_support.h"

using namespace weft::dp;

int main(int argc, char** argv) {
  const uint32_t routes = argc > 1 ? std::stoul(argv[1]) : 1000;
  const uint32_t flows = argc > 2 ? std::stoul(argv[2]) : 4096;
  const uint32_t ways = argc > 3 ? std::stoul(argv[3]) : 1;
  const double seconds = argc > 4 ? std::stod(argv[4]) : 2;
  const std::string mode_name = argc > 5 ? argv[5] : "hash";
  LbMode mode = LbMode::kHash;
  if (mode_name == "flowlet")
    mode = LbMode::kFlowlet;
  else if (mode_name == "spray-rr")
    mode = LbMode::kSprayRoundRobin;
  else if (mode_name == "spray-ll")
    mode = LbMode::kSprayLeastLoaded;
  else if (mode_name != "hash") {
    std::fprintf(stderr, "mode: '%s' is not hash, flowlet, spray-rr or spray-ll\n",
                 mode_name.c_str());
    return 2;
  }
  std::string prefix = "weft_pipeline_bench_" + std::to_string(getpid());
  std::vector<std::string> args = {
      "bench", "--no-huge",         "-m", "2048", "--no-pci", "--no-telemetry", "--file-prefix",
      prefix,  "--log-level=error", "-l", "0"};
  std::vector<char*> eal_argv;
  for (auto& a : args) eal_argv.push_back(a.data());
  if (rte_eal_init(int(eal_argv.size()), eal_argv.data()) < 0) return 1;

  SwitchInstance sw;
  MonotonicClock clock;
  sw.clock = &clock;
  for (int i = 0; i < 4; ++i) {
    Port& p = sw.ports.Append();
    p.mac = testing::Mac(0xa0);  // one MAC everywhere: forwarded frames stay addressed to "us"
    p.up = true;
    p.mtu = 9000;
  }
  sw.counters = std::make_unique<SwitchCounters>(4, 1);
  TablesOptions o;
  o.max_ipv4_routes = routes + 16;
  o.max_ipv6_routes = 1024;
  o.max_groups = 1024;
  o.ipv6_tbl8_groups = 256;
  o.counters = sw.counters.get();
  auto t = ForwardingTables::Create(o, 4);
  if (!t.ok()) {
    std::fprintf(stderr, "%s\n", std::string(t.status().message()).c_str());
    return 1;
  }
  sw.tables = *std::move(t);
  std::vector<NeighborWrite> nb;
  for (int i = 0; i < 4; ++i)
    nb.push_back(
        {WriteOp::kAdd, {uint16_t(i), IpAddress::V4(0x0aff0001 + i), testing::Mac(0xa0), ""}});
  if (!sw.tables->WriteNeighbors("b", nb, nullptr).ok()) return 1;
  sw.load = std::make_unique<PortLoadTable>(1);
  sw.lb = std::make_unique<LoadBalancer>(1, sw.tables->qsbr());
  GroupEntry g{1, {}, ""};
  g.policy.mode = mode;
  for (uint32_t w = 0; w < ways; ++w)
    g.members.push_back({{uint16_t(w % 4), IpAddress::V4(0x0aff0001 + w % 4)}, 1});
  if (ways > 1 &&
      !sw.tables->WriteGroups("b", std::vector<GroupWrite>{{WriteOp::kAdd, g}}, nullptr).ok())
    return 1;
  std::vector<RouteWrite> rw;
  std::vector<uint32_t> dsts;
  for (uint32_t r = 0; r < routes; ++r) {
    const uint32_t net = 0x01000000u + r * 256;  // 1.0.0.0/24, 1.0.1.0/24, ...
    RouteWrite w;
    w.op = WriteOp::kAdd;
    w.route.prefix = {IpAddress::V4(net), 24};
    if (ways > 1) {
      w.route.action.kind = RouteKind::kGroup;
      w.route.action.group_id = 1;
    } else {
      w.route.action.kind = RouteKind::kNexthop;
      w.route.action.nexthop = {uint16_t(r % 4), IpAddress::V4(0x0aff0001 + r % 4)};
    }
    rw.push_back(w);
    dsts.push_back(net | 7);
  }
  for (size_t off = 0; off < rw.size(); off += kMaxBatchEntries) {
    auto s = sw.tables->WriteRoutes(
        "b",
        std::span<const RouteWrite>(rw.data() + off,
                                    std::min<size_t>(kMaxBatchEntries, rw.size() - off)),
        nullptr);
    if (!s.ok()) return 1;
  }
  // Templates: one packet per flow, TTL 255 (restored before it runs out).
  std::vector<std::vector<uint8_t>> templates;
  std::mt19937 rng(3);
  for (uint32_t f = 0; f < flows; ++f) {
    testing::PacketSpec s;
    s.dst = IpAddress::V4(dsts[rng() % dsts.size()]).ToString();
    s.src_port = uint16_t(rng());
    s.ttl = 255;
    templates.push_back(testing::BuildPacket(s));
  }
  rte_mempool* pool =
      rte_pktmbuf_pool_create("bench_pool", flows + 1024, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
  std::vector<rte_mbuf*> pkts(flows);
  auto refill = [&] {
    for (uint32_t f = 0; f < flows; ++f) {
      rte_pktmbuf_reset(pkts[f]);
      memcpy(rte_pktmbuf_append(pkts[f], uint16_t(templates[f].size())), templates[f].data(),
             templates[f].size());
    }
  };
  for (auto& m : pkts) m = rte_pktmbuf_alloc(pool);
  refill();
  WorkerState ws(0, sw.counters->worker(0));
  auto tx = std::make_unique<TxBuffers>();
  uint64_t done = 0, forwarded = 0, cycles = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  uint32_t passes = 0;
  auto thread_cpu = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + ts.tv_nsec / 1e9;
  };
  double cpu = 0;
  while (std::chrono::steady_clock::now() < end) {
    if (++passes % 200 == 0) refill();  // TTL 255 lasts 254 passes
    const double cpu0 = thread_cpu();
    const uint64_t c0 = rte_rdtsc();
    for (uint32_t off = 0; off + kBurstSize <= flows; off += kBurstSize) {
      forwarded += ProcessBurst(sw, ws, 0, &pkts[off], kBurstSize, *tx);
      tx->Clear();  // the packets stay in `pkts` and run again
    }
    cycles += rte_rdtsc() - c0;
    cpu += thread_cpu() - cpu0;
    done += flows / kBurstSize * kBurstSize;
  }
  // CPU time, not wall time: on a shared machine the thread is descheduled part of the time.
  std::printf(
      "pipeline: routes %u, flows %u, %u-way %s: %.2f Mpps per CPU-second (%.1f ns CPU/packet; "
      "%.1f wall TSC cycles/packet), %.1f%% forwarded\n",
      routes, flows, ways, mode_name.c_str(), done / cpu / 1e6, cpu * 1e9 / done, double(cycles) / done,
      100.0 * forwarded / done);
  return 0;
}
