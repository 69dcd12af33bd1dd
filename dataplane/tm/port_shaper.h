// PortShaper: the token bucket that makes an egress port leave at its emulated line rate (e.g.
// 100 Mb/s standing in for 100 Gb/s), so that queues build where a real switch's would.
//
// Contract: one worker owns a shaper. Each BytesAllowedNow() reads the clock once, refills, and
// returns the budget; the worker sends packets while budget remains (the last one may overshoot)
// and reports what it sent with Consume(). The overshoot is carried as debt, so the long-run rate
// is exact even with jumbo frames and a burst smaller than the MTU. Integer arithmetic only: credit
// is kept in bytes x 8e9 so that a refill of elapsed_ns x rate_bps is exact and never drifts.
#pragma once

#include <cstdint>

#include "dataplane/common/clock.h"
#include "dataplane/tm/tm_types.h"

namespace weft::dp::tm {

struct PortShaperConfig {
  bool shaped = true;        // false: the port leaves at whatever rate the PMD takes
  uint64_t rate_bps = 0;     // emulated line rate, bits per second
  uint64_t burst_bytes = 0;  // bucket depth: bytes that may leave back to back after idle.
                             // Must cover rate x the worker's longest poll gap (sleep back-off
                             // included), or the port runs below its rate.
};

class PortShaper {
 public:
  // Credit unit: one byte is this many units (bits x ns/s), so elapsed_ns x rate_bps adds exactly.
  static constexpr int64_t kUnitsPerByte = 8 * static_cast<int64_t>(kNsPerSecond);

  // config must have passed ValidatePortShaperConfig. The bucket starts full.
  PortShaper(const Clock& clock, const PortShaperConfig& config)
      : clock_(clock),
        config_(config),
        cap_units_(static_cast<int64_t>(config.burst_bytes) * kUnitsPerByte),
        credit_units_(cap_units_),
        last_refill_ns_(clock.NowNs()) {}

  // Bytes that may start leaving now. UINT64_MAX when the port is not shaped.
  uint64_t BytesAllowedNow() {
    if (!config_.shaped) return UINT64_MAX;
    const uint64_t now = clock_.NowNs();
    uint64_t elapsed = now > last_refill_ns_ ? now - last_refill_ns_ : 0;
    last_refill_ns_ = now;
    // Past the time to refill from the current credit (debt included) the bucket is full anyway;
    // capping elapsed keeps elapsed x rate_bps far from overflow after a long idle period.
    const uint64_t to_full_ns =
        static_cast<uint64_t>(cap_units_ - credit_units_) / config_.rate_bps + 1;
    if (elapsed > to_full_ns) elapsed = to_full_ns;
    credit_units_ += static_cast<int64_t>(elapsed * config_.rate_bps);
    if (credit_units_ > cap_units_) credit_units_ = cap_units_;
    return credit_units_ > 0 ? static_cast<uint64_t>(credit_units_) / kUnitsPerByte +
                                   (static_cast<uint64_t>(credit_units_) % kUnitsPerByte != 0)
                             : 0;
  }

  // Bytes that left (may exceed the last budget by less than one packet: carried as debt).
  void Consume(uint64_t bytes) {
    if (config_.shaped) credit_units_ -= static_cast<int64_t>(bytes) * kUnitsPerByte;
  }

  const PortShaperConfig& config() const { return config_; }

 private:
  const Clock& clock_;
  PortShaperConfig config_;
  int64_t cap_units_;
  int64_t credit_units_;
  uint64_t last_refill_ns_;
};

}  // namespace weft::dp::tm
