// LoadBalancer: the switch-wide load-balancing settings of one switch instance (flowlet table size
// and inactivity gap, per-traffic-class mode overrides) and the per-worker flowlet tables and
// counters the adaptive modes use (dataplane/lb/adaptive.h).
//
// Contract:
// - Set() validates first (INVALID_ARGUMENT naming the field; nothing changes on error), then
//   builds new tables aside, publishes them with one pointer store and frees the old ones after an
//   RCU grace period of the switch's tables (workers report quiescent states on that variable), so
//   a worker never touches freed memory and never pauses. Flowlet state starts afresh on a change.
// - state() is for workers, between two quiescent reports. Worker w uses only its own table
//   (FlowletsOf(w)) and counters (counters(w)), so there is no sharing on the packet path.
#pragma once

#include <rte_rcu_qsbr.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "absl/status/status.h"
#include "dataplane/lb/adaptive.h"
#include "dataplane/tables/forwarding_tables.h"

namespace weft::dp {

struct LbConfig {
  uint32_t flowlet_table_size = 4096;  // entries per worker, power of two
  uint32_t flowlet_gap_us = 100;
  // Per traffic class: the mode that overrides the group's, or -1 for none.
  std::array<int8_t, 8> class_modes = {-1, -1, -1, -1, -1, -1, -1, -1};
  bool operator==(const LbConfig&) const = default;
};

inline constexpr uint32_t kMinFlowletTable = 256;
inline constexpr uint32_t kMaxFlowletTable = 1u << 20;
inline constexpr uint32_t kMaxFlowletGapUs = 1'000'000;

// Checks a configuration; the message names the field (e.g. "flowlet_table_size: ...").
absl::Status ValidateLbConfig(const LbConfig& config);

// What workers read (immutable but for the flowlet entries, each written by its worker only).
struct LbState {
  uint32_t flowlet_mask = 0;
  uint64_t gap_ns = 0;
  std::array<int8_t, 8> class_modes{};
  bool any_class_mode = false;
  FlowletEntry* flowlets = nullptr;  // num_workers tables of flowlet_mask + 1 entries
  FlowletEntry* FlowletsOf(uint32_t worker) const {
    return flowlets + size_t(worker) * (flowlet_mask + 1);
  }
};

struct LbCounterValues {
  uint64_t flowlets_started = 0, flowlet_path_changes = 0, sprayed_packets = 0, out_of_order = 0;
};

class LoadBalancer {
 public:
  // `qsbr`: the RCU variable the workers of this switch report on (ForwardingTables::qsbr()).
  LoadBalancer(uint32_t num_workers, rte_rcu_qsbr* qsbr);
  ~LoadBalancer();
  LoadBalancer(const LoadBalancer&) = delete;
  LoadBalancer& operator=(const LoadBalancer&) = delete;

  absl::Status Set(const LbConfig& config);
  LbConfig config() const;

  const LbState* state() const { return state_.load(std::memory_order_acquire); }
  uint32_t num_workers() const { return num_workers_; }
  LbWorkerCounters* counters(uint32_t worker) { return &counters_[worker % num_workers_]; }
  LbCounterValues ReadCounters() const;

 private:
  static LbState* Build(const LbConfig& config, uint32_t num_workers);
  static void Free(LbState* s);

  const uint32_t num_workers_;
  rte_rcu_qsbr* qsbr_;
  mutable std::mutex mu_;
  LbConfig config_;
  std::atomic<LbState*> state_{nullptr};
  std::unique_ptr<LbWorkerCounters[]> counters_;
};

}  // namespace weft::dp
