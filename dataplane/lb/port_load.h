// PortLoad: the load of each egress port of one switch instance, as next-hop selection (adaptive
// routing, least-loaded spraying; issue 5) reads it. The seam between the traffic manager and the
// worker's egress (writers) and dataplane/lb (reader).
//
// Layout: one slot per (worker, port). A slot has exactly one writer, the worker whose index it
// carries, so writers use relaxed load+store and never share a cache line; a reader sums the slots
// of a port over the workers (at most kMaxWorkerSlots loads of hot lines per port).
//   - tx rate: every worker that transmits on a port folds its bytes into its slot's moving average
//     (OnTransmit, from the worker's SendOut: what really left, TM on or off). A slot not updated
//     for kStaleNs counts 0, so a worker that stopped sending (e.g. the TM moved the port's egress
//     to its owner worker) does not keep stale load.
//   - queued bytes: bytes waiting in the port's egress queues (all 8 traffic classes). Written by
//     the worker that owns the port's traffic manager (SetQueuedBytes after its enqueues and its
//     drain); 0 while the port has no traffic manager (no queue builds in software then).
//
// Egress impairments (issue 5: delay, loss) belong after the traffic manager's drain, in the
// worker's SendOut (worker.cc), just before rte_eth_tx_burst: they stand for the cable, so the
// shaped rate, queues and PFC see the same as they would with a real long or lossy link.
//
// No allocation, lock or clock read here: writers pass the time they already read.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>

#include "dataplane/port/port.h"

namespace weft::dp {

class PortLoadTable {
 public:
  static constexpr uint32_t kMaxWorkerSlots = 8;
  // Moving average: each window of kWindowNs contributes with weight 1/2^kEwmaShift.
  static constexpr uint64_t kWindowNs = 100'000;   // 100 us
  static constexpr int kEwmaShift = 3;             // ~ the last 8 windows (0.8 ms)
  static constexpr uint64_t kStaleNs = 2'000'000;  // slot ignored after 2 ms without an update

  explicit PortLoadTable(uint32_t num_workers)
      : num_workers_(num_workers < kMaxWorkerSlots ? (num_workers ? num_workers : 1)
                                                   : kMaxWorkerSlots),
        slots_(new Slot[size_t(kMaxWorkerSlots) * kMaxPorts]) {}

  uint32_t num_workers() const { return num_workers_; }

  // --- writers (worker `worker` only) ---

  // `bytes` left `port` at `now_ns` through worker `worker`'s tx queue.
  void OnTransmit(uint32_t worker, uint16_t port, uint64_t bytes, uint64_t now_ns) {
    Slot& s = slot(worker, port);
    s.window_bytes += bytes;
    if (now_ns - s.window_start_ns < kWindowNs) return;
    Fold(s, now_ns);
  }
  // Bytes queued on `port`'s egress queues now (the traffic manager's owner worker only).
  void SetQueuedBytes(uint32_t worker, uint16_t port, uint64_t bytes) {
    slot(worker, port).queued_bytes.store(bytes, std::memory_order_relaxed);
  }

  // --- readers (any thread) ---

  // Bytes in the port's egress queues, over all workers.
  uint64_t QueuedBytes(uint16_t port) const {
    uint64_t sum = 0;
    for (uint32_t w = 0; w < num_workers_; ++w)
      sum += slot(w, port).queued_bytes.load(std::memory_order_relaxed);
    return sum;
  }
  // Moving average of what left the port, bits per second, over all workers. `now_ns`: the reader's
  // clock (the same Clock the writers use), to ignore stale slots.
  uint64_t TxRateBps(uint16_t port, uint64_t now_ns) const {
    uint64_t sum = 0;
    for (uint32_t w = 0; w < num_workers_; ++w) {
      const Slot& s = slot(w, port);
      const uint64_t updated = s.updated_ns.load(std::memory_order_relaxed);
      if (now_ns > updated && now_ns - updated > kStaleNs) continue;
      sum += s.rate_bps.load(std::memory_order_relaxed);
    }
    return sum;
  }

 private:
  struct alignas(64) Slot {
    std::atomic<uint64_t> queued_bytes{0};
    std::atomic<uint64_t> rate_bps{0};
    std::atomic<uint64_t> updated_ns{0};
    uint64_t window_start_ns = 0;  // writer-private below
    uint64_t window_bytes = 0;
  };

  static void Fold(Slot& s, uint64_t now_ns) {
    const uint64_t elapsed = now_ns - s.window_start_ns;
    uint64_t rate = s.rate_bps.load(std::memory_order_relaxed);
    if (elapsed > kStaleNs) {
      rate = 0;  // idle for long (or the first window): start over from this window alone
    }
    const uint64_t sample = elapsed ? s.window_bytes * 8 * 1'000'000'000ULL / elapsed : 0;
    rate = rate == 0 ? sample : rate - (rate >> kEwmaShift) + (sample >> kEwmaShift);
    s.rate_bps.store(rate, std::memory_order_relaxed);
    s.updated_ns.store(now_ns, std::memory_order_relaxed);
    s.window_start_ns = now_ns;
    s.window_bytes = 0;
  }

  Slot& slot(uint32_t worker, uint16_t port) {
    return slots_[size_t(worker % kMaxWorkerSlots) * kMaxPorts + port];
  }
  const Slot& slot(uint32_t worker, uint16_t port) const {
    return slots_[size_t(worker % kMaxWorkerSlots) * kMaxPorts + port];
  }

  uint32_t num_workers_;
  std::unique_ptr<Slot[]> slots_;
};

}  // namespace weft::dp
