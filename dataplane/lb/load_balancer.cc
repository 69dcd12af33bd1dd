#include "dataplane/lb/load_balancer.h"

#include <cstring>
#include <new>

#include "absl/strings/str_cat.h"

namespace weft::dp {

absl::Status ValidateLbConfig(const LbConfig& c) {
  const uint32_t n = c.flowlet_table_size;
  if (n < kMinFlowletTable || n > kMaxFlowletTable || (n & (n - 1)) != 0)
    return absl::InvalidArgumentError(absl::StrCat("flowlet_table_size: ", n,
                                                   " is not a power of two in ", kMinFlowletTable,
                                                   "..", kMaxFlowletTable));
  if (c.flowlet_gap_us < 1 || c.flowlet_gap_us > kMaxFlowletGapUs)
    return absl::InvalidArgumentError(
        absl::StrCat("flowlet_gap_us: ", c.flowlet_gap_us, " not in 1..", kMaxFlowletGapUs));
  for (size_t tc = 0; tc < c.class_modes.size(); ++tc)
    if (c.class_modes[tc] < -1 || c.class_modes[tc] >= kNumLbModes)
      return absl::InvalidArgumentError(absl::StrCat("traffic_class_modes[", tc,
                                                     "]: unknown mode ", c.class_modes[tc]));
  return absl::OkStatus();
}

LoadBalancer::LoadBalancer(uint32_t num_workers, rte_rcu_qsbr* qsbr)
    : num_workers_(num_workers ? num_workers : 1),
      qsbr_(qsbr),
      counters_(new LbWorkerCounters[num_workers ? num_workers : 1]) {
  state_.store(Build(config_, num_workers_), std::memory_order_release);
}

LoadBalancer::~LoadBalancer() { Free(state_.load()); }

LbState* LoadBalancer::Build(const LbConfig& c, uint32_t num_workers) {
  auto* s = new LbState();
  s->flowlet_mask = c.flowlet_table_size - 1;
  s->gap_ns = uint64_t(c.flowlet_gap_us) * 1000;
  s->class_modes = c.class_modes;
  for (int8_t m : c.class_modes) s->any_class_mode = s->any_class_mode || m >= 0;
  const size_t entries = size_t(num_workers) * c.flowlet_table_size;
  void* mem = ::operator new[](entries * sizeof(FlowletEntry), std::align_val_t{64});
  std::memset(mem, 0, entries * sizeof(FlowletEntry));  // all empty (slot 0)
  s->flowlets = static_cast<FlowletEntry*>(mem);
  return s;
}

void LoadBalancer::Free(LbState* s) {
  if (s == nullptr) return;
  ::operator delete[](s->flowlets, std::align_val_t{64});
  delete s;
}

absl::Status LoadBalancer::Set(const LbConfig& config) {
  if (absl::Status s = ValidateLbConfig(config); !s.ok()) return s;
  std::lock_guard lock(mu_);
  if (config == config_) return absl::OkStatus();
  LbState* fresh = Build(config, num_workers_);
  LbState* old = state_.exchange(fresh, std::memory_order_acq_rel);
  if (qsbr_) rte_rcu_qsbr_synchronize(qsbr_, RTE_QSBR_THRID_INVALID);
  Free(old);
  config_ = config;
  return absl::OkStatus();
}

LbConfig LoadBalancer::config() const {
  std::lock_guard lock(mu_);
  return config_;
}

LbCounterValues LoadBalancer::ReadCounters() const {
  LbCounterValues v;
  for (uint32_t w = 0; w < num_workers_; ++w) {
    const LbWorkerCounters& c = counters_[w];
    v.flowlets_started += __atomic_load_n(&c.flowlets_started, __ATOMIC_RELAXED);
    v.flowlet_path_changes += __atomic_load_n(&c.flowlet_path_changes, __ATOMIC_RELAXED);
    v.sprayed_packets += __atomic_load_n(&c.sprayed_packets, __ATOMIC_RELAXED);
    v.out_of_order += __atomic_load_n(&c.out_of_order, __ATOMIC_RELAXED);
  }
  return v;
}

}  // namespace weft::dp
