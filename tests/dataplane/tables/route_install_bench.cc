// Benchmark program (not a test): installs ~1M IPv4 routes with an Internet-like prefix-length mix
// through ForwardingTables in batches of kMaxBatchEntries and prints the time, the rate and the
// lookup result of a sample. Usage: dataplane_route_install_bench [routes] [next_hops]
#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "dataplane/tables/forwarding_tables.h"
#include "dataplane/tables/snapshot.h"

using namespace weft::dp;

namespace {

// Approximate shares of the public IPv4 BGP table (DESIGN.md).
int DrawLength(std::mt19937& rng) {
  const double u = std::uniform_real_distribution<double>(0, 1)(rng);
  struct Share {
    double p;
    int len;
  };
  static const Share kShares[] = {{0.60, 24},  {0.12, 23},  {0.115, 22}, {0.05, 21},  {0.04, 20},
                                  {0.025, 19}, {0.012, 16}, {0.006, 18}, {0.006, 17}, {0.004, 15},
                                  {0.003, 14}, {0.003, 25}, {0.002, 13}, {0.002, 12}, {0.002, 26},
                                  {0.002, 32}, {0.001, 11}, {0.001, 10}, {0.001, 28}, {0.001, 30}};
  double acc = 0;
  for (const Share& s : kShares) {
    acc += s.p;
    if (u < acc) return s.len;
  }
  return 24;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t num_routes = argc > 1 ? std::stoul(argv[1]) : 1'000'000;
  const int num_nexthops = argc > 2 ? std::stoi(argv[2]) : 16;
  std::string prefix = "weft_route_bench_" + std::to_string(getpid());
  std::vector<std::string> args = {
      "bench", "--no-huge",         "-m", "2048", "--no-pci", "--no-telemetry", "--file-prefix",
      prefix,  "--log-level=error", "-l", "0"};
  std::vector<char*> eal_argv;
  for (auto& a : args) eal_argv.push_back(a.data());
  if (rte_eal_init(int(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
    return 1;
  }
  TablesOptions opt;
  opt.max_ipv4_routes = uint32_t(num_routes + 1000);
  opt.max_ipv6_routes = 1024;
  opt.max_groups = 4096;
  opt.ipv4_tbl8_groups = 1 << 14;
  opt.ipv6_tbl8_groups = 1 << 8;
  auto created = ForwardingTables::Create(opt, 4);
  if (!created.ok()) {
    std::fprintf(stderr, "tables: %s\n", std::string(created.status().message()).c_str());
    return 1;
  }
  ForwardingTables& t = **created;
  std::vector<NeighborWrite> neighbors;
  for (int n = 0; n < num_nexthops; ++n)
    neighbors.push_back(
        {WriteOp::kAdd,
         {uint16_t(n % 4), IpAddress::V4(0x0aff0001 + n), {{2, 0, 0, 0, 1, uint8_t(n)}}, ""}});
  if (!t.WriteNeighbors("bench", neighbors, nullptr).ok()) return 1;

  std::mt19937 rng(7);
  absl::flat_hash_set<uint64_t> seen;
  std::vector<RouteWrite> routes;
  routes.reserve(num_routes);
  while (routes.size() < num_routes) {
    const int len = DrawLength(rng);
    const uint32_t mask = len == 0 ? 0 : ~uint32_t(0) << (32 - len);
    const uint32_t addr = (uint32_t(rng()) & mask);
    if ((addr >> 24) == 0 || (addr >> 24) >= 224 || (addr >> 24) == 10) continue;
    if (!seen.insert(uint64_t(addr) << 8 | len).second) continue;
    RouteWrite w;
    w.op = WriteOp::kAdd;
    w.route.prefix = {IpAddress::V4(addr), uint8_t(len)};
    w.route.action.kind = RouteKind::kNexthop;
    const int n = int(routes.size() % num_nexthops);
    w.route.action.nexthop = {uint16_t(n % 4), IpAddress::V4(0x0aff0001 + n)};
    routes.push_back(w);
  }
  auto cpu_now = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + ts.tv_nsec / 1e9;
  };
  const double cpu0 = cpu_now();
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t off = 0; off < routes.size(); off += kMaxBatchEntries) {
    const size_t n = std::min<size_t>(kMaxBatchEntries, routes.size() - off);
    absl::Status s =
        t.WriteRoutes("bench", std::span<const RouteWrite>(routes.data() + off, n), nullptr);
    if (!s.ok()) {
      std::fprintf(stderr, "batch at %zu: %s\n", off, std::string(s.message()).c_str());
      return 1;
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu_secs = cpu_now() - cpu0;
  // Check a sample through the published snapshot.
  size_t ok = 0, sample = 0;
  for (size_t i = 0; i < routes.size(); i += 997, ++sample) {
    const RouteWrite& w = routes[i];
    uint32_t ip = w.route.prefix.address.v4_host();
    uint64_t v = 0;
    rte_fib_lookup_bulk(t.snapshot()->fib4, &ip, &v, 1);
    ok += t.snapshot()->GroupFor(v) != nullptr;
  }
  std::printf(
      "route install: %zu IPv4 routes in %.2f s wall, %.2f s CPU (%.0f routes/s wall, %.2f us "
      "CPU/route "
      "incl. both FIB copies); sample lookups %zu/%zu found\n",
      routes.size(), secs, cpu_secs, routes.size() / secs, cpu_secs * 1e6 / routes.size(), ok,
      sample);
  created->reset();
  rte_eal_cleanup();
  return ok == sample ? 0 : 1;
}
