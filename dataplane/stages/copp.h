// Control-plane policing: one token bucket per punt class, so a flood of one kind (ARP storm,
// TTL-expiring traceroute, glean for an unresolvable next hop) cannot starve the others or the
// kernel. Refilled from the injected clock once per burst that punts.
#pragma once

#include <algorithm>
#include <cstdint>

#include "dataplane/stats/counters.h"

namespace weft::dp {

struct CoppConfig {
  // Packets per second per class (order of PuntClass): arp, nd, link_local, local, ttl_expired,
  // glean, multicast. 0 blocks the class.
  uint32_t pps[kNumPuntClasses] = {2000, 2000, 2000, 5000, 1000, 1000, 1000};
  // Bucket depth in packets: how many may pass at once after a quiet period.
  uint32_t burst[kNumPuntClasses] = {200, 200, 200, 500, 100, 100, 100};
};

class CoppPolicer {
 public:
  explicit CoppPolicer(const CoppConfig& config = CoppConfig()) : config_(config) {
    for (size_t c = 0; c < kNumPuntClasses; ++c) tokens_[c] = uint64_t(config_.burst[c]) * kScale;
  }

  // Once per burst, before Admit.
  void Refill(uint64_t now_ns) {
    if (last_ns_ == 0) last_ns_ = now_ns;
    const uint64_t elapsed =
        std::min<uint64_t>(now_ns - last_ns_, kScale);  // cap: 1 s fills any bucket
    last_ns_ = now_ns;
    for (size_t c = 0; c < kNumPuntClasses; ++c)
      tokens_[c] =
          std::min(tokens_[c] + elapsed * config_.pps[c], uint64_t(config_.burst[c]) * kScale);
  }

  bool Admit(PuntClass c) {
    uint64_t& t = tokens_[static_cast<size_t>(c)];
    if (t < kScale) return false;
    t -= kScale;
    return true;
  }

 private:
  static constexpr uint64_t kScale = 1'000'000'000;  // tokens in packet-nanoseconds per second
  CoppConfig config_;
  uint64_t tokens_[kNumPuntClasses] = {};
  uint64_t last_ns_ = 0;
};

}  // namespace weft::dp
