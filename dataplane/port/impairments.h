// PortImpairments: per-port egress impairments of one switch instance, standing for the cable
// (the kernel here has no netem): a packet loss ratio and an added one-way delay. Applied in the
// worker's SendOut just before rte_eth_tx_burst (after the traffic manager's drain, so shaping,
// queues and PFC see what a real lossy or long link would give them). Administrative down is the
// port's admin state (PortStateManager), which also drops the carrier of the port's netdev.
//
// - Loss: each packet is dropped with probability loss_ratio (xorshift PRNG per worker).
// - Delay: a fixed-size delay line per (worker, port) of delay_line_size packets (default 8192), FIFO, each with
//   its release time; the worker releases due packets once per poll loop (ReleaseDue). A packet
//   that finds the line full is dropped and counted (delay_overflow). No allocation after
//   construction: lines are sized at start for every port and worker.
// - Settings are relaxed atomics: a change applies from the next burst; packets already in a
//   delay line keep their release time.
#pragma once

#include <rte_mbuf.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "dataplane/port/port.h"

namespace weft::dp {

struct ImpairmentCounterValues {
  uint64_t lost = 0, delayed = 0, delay_overflow = 0;
};

class PortImpairments {
 public:
  static constexpr uint32_t kDefaultDelayLine = 8192;  // packets per (worker, port)
  static constexpr uint32_t kMaxDelayUs = 1'000'000;

  PortImpairments(uint16_t num_ports, uint32_t num_workers,
                  uint32_t delay_line_size = kDefaultDelayLine);
  uint32_t delay_line_size() const { return line_size_; }
  ~PortImpairments();
  PortImpairments(const PortImpairments&) = delete;
  PortImpairments& operator=(const PortImpairments&) = delete;

  // INVALID_ARGUMENT naming loss_ratio or delay_us when out of range; NOT_FOUND for a bad port.
  absl::Status Set(uint16_t port, double loss_ratio, uint32_t delay_us);
  double loss_ratio(uint16_t port) const;
  uint32_t delay_us(uint16_t port) const;
  ImpairmentCounterValues ReadCounters(uint16_t port) const;

  // --- worker side (worker `w` only) ---
  bool Active(uint16_t port) const {
    return (active_.load(std::memory_order_relaxed) >> port) & 1;
  }
  // Per-port delay in ns, for the adaptive modes' arrival estimate.
  const std::atomic<uint64_t>* delay_ns() const { return delay_ns_; }
  // Applies loss and delay to a burst about to leave `port`: lost packets are freed, delayed ones
  // kept. Returns how many of pkts[0..n) (compacted to the front) leave now.
  uint16_t Apply(uint32_t w, uint16_t port, rte_mbuf** pkts, uint16_t n, uint64_t now_ns);
  // Ports with packets waiting in worker w's delay lines (bit p).
  uint64_t Pending(uint32_t w) const { return line_mask_[w % num_workers_]; }
  // Takes up to `max` due packets of (w, port) into `out`; returns how many.
  uint16_t ReleaseDue(uint32_t w, uint16_t port, uint64_t now_ns, rte_mbuf** out, uint16_t max);

 private:
  struct DelayLine {
    uint32_t head = 0, tail = 0;  // head: next to release; tail: next free (mod size)
    rte_mbuf** pkts = nullptr;
    uint64_t* release_ns = nullptr;
  };
  struct alignas(64) WorkerPort {
    uint64_t lost = 0, delayed = 0, delay_overflow = 0;  // written by the worker, read relaxed
    DelayLine line;
  };
  WorkerPort& wp(uint32_t w, uint16_t port) {
    return slots_[size_t(w % num_workers_) * num_ports_ + port];
  }

  const uint16_t num_ports_;
  const uint32_t num_workers_;
  const uint32_t line_size_;
  std::atomic<uint64_t> active_{0};
  std::atomic<uint32_t> loss_threshold_[kMaxPorts];  // drop if rand32 < threshold
  std::atomic<bool> loss_all_[kMaxPorts];            // loss_ratio 1
  std::atomic<uint64_t> delay_ns_[kMaxPorts];
  std::unique_ptr<WorkerPort[]> slots_;
  std::vector<uint64_t> rng_;        // per worker
  std::vector<uint64_t> line_mask_;  // per worker
  std::vector<rte_mbuf*> pkt_store_;
  std::vector<uint64_t> time_store_;
};

}  // namespace weft::dp
