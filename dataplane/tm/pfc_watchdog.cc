#include "dataplane/tm/pfc_watchdog.h"

namespace weft::dp::tm {

PfcWatchdog::PfcWatchdog(const Clock& clock, const PfcWatchdogConfig& config)
    : clock_(clock), config_(config) {
  const uint64_t now = clock.NowNs();
  paused_since_ns_.fill(now);
  unpaused_since_ns_.fill(now);
}

PfcWatchdogEvents PfcWatchdog::Poll(uint8_t paused_mask) {
  PfcWatchdogEvents events;
  if (!config_.enabled) return events;
  const uint64_t now = clock_.NowNs();
  for (int p = 0; p < kNumTrafficClasses; ++p) {
    const uint8_t bit = uint8_t(1u << p);
    const bool paused = paused_mask & bit;
    const bool was_paused = was_paused_mask_ & bit;
    // Between polls we cannot see a pause that began and ended: transitions are dated at the poll.
    if (paused && !was_paused) paused_since_ns_[p] = now;
    if (!paused && was_paused) unpaused_since_ns_[p] = now;
    if (!(storm_mask_ & bit)) {
      if (paused && now - paused_since_ns_[p] >= config_.detection_time_ns) {
        storm_mask_ |= bit;
        events.storms_detected |= bit;
        ++counters_[p].storms_detected;
      }
    } else if (!paused && now - unpaused_since_ns_[p] >= config_.restoration_time_ns) {
      storm_mask_ &= uint8_t(~bit);
      events.storms_restored |= bit;
      ++counters_[p].storms_restored;
    }
  }
  was_paused_mask_ = paused_mask;
  return events;
}

void PfcWatchdog::InjectStorm(int priority) {
  const uint8_t bit = uint8_t(1u << priority);
  if (storm_mask_ & bit) return;
  storm_mask_ |= bit;
  ++counters_[priority].storms_detected;
  // Restoration counts from now, as if the injected pause had just ended.
  unpaused_since_ns_[priority] = clock_.NowNs();
}

}  // namespace weft::dp::tm
