// PfcWatchdog: detects PFC storms on one port. A priority paused without a break for the detection
// time (default 200 ms) is declared in a storm and the configured action applies until it has seen
// no pause for the restoration time (default 200 ms):
//   kDrop    - ignore the pause and drop that queue's packets (the fabric keeps moving; lossy now);
//   kForward - ignore the pause and transmit;
//   kAlert   - only report.
// Polled (from the worker's housekeeping, or a timer): a storm is detected within detection time +
// the poll interval. Tests can inject a storm as the Dataplane API will.
//
// Contract: single owner; Poll() reads the clock once; no allocation.
#pragma once

#include <array>
#include <cstdint>

#include "dataplane/common/clock.h"
#include "dataplane/tm/tm_types.h"

namespace weft::dp::tm {

enum class PfcStormAction : uint8_t { kDrop, kForward, kAlert };

struct PfcWatchdogConfig {
  bool enabled = true;
  uint64_t detection_time_ns = 200'000'000;
  uint64_t restoration_time_ns = 200'000'000;
  PfcStormAction action = PfcStormAction::kDrop;
};

// What changed in one Poll(): bit p set when priority p's storm started / ended.
struct PfcWatchdogEvents {
  uint8_t storms_detected = 0;
  uint8_t storms_restored = 0;
};

struct PfcWatchdogCounters {
  uint64_t storms_detected = 0;
  uint64_t storms_restored = 0;
};

class PfcWatchdog {
 public:
  PfcWatchdog(const Clock& clock, const PfcWatchdogConfig& config);

  // paused_mask: the priorities the port's PfcReceiver has paused right now.
  PfcWatchdogEvents Poll(uint8_t paused_mask);
  // Declares a storm on `priority` now, as if detected (for tests through the API).
  void InjectStorm(int priority);

  uint8_t storm_mask() const { return storm_mask_; }
  // Pause bits the queues must still obey: storms under kDrop/kForward no longer pause.
  uint8_t EffectivePausedMask(uint8_t paused_mask) const {
    return config_.action == PfcStormAction::kAlert ? paused_mask
                                                    : uint8_t(paused_mask & ~storm_mask_);
  }
  // Queues whose packets must be dropped (storms under kDrop).
  uint8_t drop_mask() const { return config_.action == PfcStormAction::kDrop ? storm_mask_ : 0; }
  const PfcWatchdogCounters& counters(int priority) const { return counters_[priority]; }

 private:
  const Clock& clock_;
  PfcWatchdogConfig config_;
  uint8_t storm_mask_ = 0;
  uint8_t was_paused_mask_ = 0;
  std::array<uint64_t, kNumTrafficClasses> paused_since_ns_{};  // start of the current pause
  std::array<uint64_t, kNumTrafficClasses>
      unpaused_since_ns_{};  // start of the current pause-free run
  std::array<PfcWatchdogCounters, kNumTrafficClasses> counters_{};
};

}  // namespace weft::dp::tm
