// Cost of the traffic manager per packet on one core: Enqueue (storm check, WRED/ECN with a PRNG
// draw, buffer admission, ring) + Drain (shaper, pause gating, DWRR, release) for bursts of 32,
// every queue configured and WRED on, port unshaped (as in issue 4's `scripts/bench tm` setting).
// A program, not a test: prints ns/packet and the packet rate that leaves for the rest of a worker.
//   build-tm/tests/dataplane/tm/tm_port_traffic_manager_bench [packets]
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "dataplane/common/clock.h"
#include "dataplane/tm/port_traffic_manager.h"
#include "dataplane/tm/tm_validation.h"

using namespace weft::dp;
using namespace weft::dp::tm;

int main(int argc, char** argv) {
  const uint64_t packets = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 20'000'000;
  std::string prefix = "weft-tm-bench-" + std::to_string(getpid());
  std::vector<std::string> args = {"tm_bench", "--no-huge",     "-m",   "256",
                                   "--no-pci", "--file-prefix", prefix, "--log-level=error"};
  std::vector<char*> eal_argv;
  for (auto& a : args) eal_argv.push_back(a.data());
  if (rte_eal_init(int(eal_argv.size()), eal_argv.data()) < 0) return 1;
  rte_mempool* pool = rte_pktmbuf_pool_create("tm_bench", 4095, 256, 0, 2048, SOCKET_ID_ANY);
  if (pool == nullptr) return 1;

  MonotonicClock clock;
  PortTrafficManagerConfig config;
  config.shaper.shaped = false;
  config.queues.queue_capacity_packets = 1024;
  for (int tc = 0; tc < kNumTrafficClasses; ++tc) {
    config.queues.queues[tc].dwrr_weight = uint32_t(tc + 1);
    config.wred[tc] = {.enabled = true,
                       .kmin_bytes = 1'000'000,
                       .kmax_bytes = 2'000'000,
                       .pmax = 0.1,
                       .non_ect = NonEctAction::kDropByCurve};
  }
  config.queues.queues[7].scheduling = QueueScheduling::kStrictPriority;
  config.pfc_rx_enabled_mask = 1u << 3;
  config.unshaped_rate_bps = 100'000'000'000;
  if (!ValidatePortTrafficManagerConfig(config, "tm").ok()) return 1;
  BufferConfig buffer_config;
  buffer_config.pool_bytes = 64ULL << 20;
  buffer_config.num_ports = 2;
  buffer_config.priority_groups[3].lossless = true;
  for (auto& q : buffer_config.queues) q.reserve_bytes = 16'384;
  HeadroomInputs headroom;
  headroom.rate_bps = 100'000'000'000;
  if (!ValidateBufferConfig(buffer_config, DefaultHeadroomBytes(headroom), "buffer").ok()) return 1;
  BufferAccounting buffer(buffer_config, DefaultHeadroomBytes(headroom));
  PortTrafficManager tm(clock, 0, config, &buffer, 42);

  constexpr uint32_t kBurst = 32;
  rte_mbuf* burst[kBurst];
  if (rte_pktmbuf_alloc_bulk(pool, burst, kBurst) != 0) return 1;
  for (uint32_t i = 0; i < kBurst; ++i) rte_pktmbuf_append(burst[i], 64);
  rte_mbuf* out[kBurst];
  uint64_t left = 0, dropped = 0;
  const auto start = std::chrono::steady_clock::now();
  timespec cpu_start, cpu_end;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_start);
  for (uint64_t done = 0; done < packets; done += kBurst) {
    for (uint32_t i = 0; i < kBurst; ++i) {
      const TmPacket p{burst[i], 64, uint8_t((done / kBurst + i) & 7), 3, 1, EcnCodepoint::kEct0};
      const TmVerdict v = tm.Enqueue(p);
      if (v != TmVerdict::kQueued && v != TmVerdict::kQueuedMarkCe) ++dropped;
    }
    const uint32_t n = tm.Drain(out, kBurst);
    if (n != kBurst) break;  // unshaped, nothing paused: a whole burst must leave
    for (uint32_t i = 0; i < n; ++i) burst[i] = out[i];  // the same mbufs go round again
    left += n;
  }
  const double ns = double(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count());
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_end);
  // The CPU is shared with other work: thread CPU time is the figure to trust, wall time shows
  // load.
  const double cpu_ns =
      double(cpu_end.tv_sec - cpu_start.tv_sec) * 1e9 + double(cpu_end.tv_nsec - cpu_start.tv_nsec);
  std::printf("packets %llu, left %llu, dropped %llu\n", (unsigned long long)packets,
              (unsigned long long)left, (unsigned long long)dropped);
  std::printf("wall time %.1f ns/packet\n", ns / double(packets));
  std::printf("traffic manager enqueue+drain: %.1f ns/packet of CPU (%.1f Mpps on one core)\n",
              cpu_ns / double(packets), double(packets) / cpu_ns * 1e3);
  rte_pktmbuf_free_bulk(burst, kBurst);
  rte_mempool_free(pool);
  rte_eal_cleanup();
  return left + dropped == packets ? 0 : 1;
}
