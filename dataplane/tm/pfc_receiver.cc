#include "dataplane/tm/pfc_receiver.h"

#include <algorithm>

namespace weft::dp::tm {

PfcReceiver::PfcReceiver(const Clock& clock, uint64_t rate_bps, uint8_t enabled_mask)
    : clock_(clock), rate_bps_(rate_bps), enabled_mask_(enabled_mask) {}

PfcParseResult PfcReceiver::OnFrame(const uint8_t* data, size_t length) {
  PfcFrame frame;
  const PfcParseResult result = ParsePfcFrame(data, length, &frame);
  if (result != PfcParseResult::kOk) {
    ++parse_errors_[size_t(result)];
    return result;
  }
  ++frames_received_;
  const uint64_t now = clock_.NowNs();
  for (int p = 0; p < kNumTrafficClasses; ++p) {
    if (!(frame.class_enable >> p & 1)) continue;
    ++counters_[p].frames;
    const uint16_t quanta = frame.pause_quanta[p];
    if (quanta) ++counters_[p].pause_frames;
    if (!(enabled_mask_ >> p & 1)) continue;
    if (now >= paused_until_ns_[p]) {
      // Not paused: close the books on the previous pause and start a new one (if any).
      paused_total_ns_[p] += paused_until_ns_[p] - pause_started_ns_[p];
      pause_started_ns_[p] = now;
    }
    // A new frame replaces the remaining time (802.1Qbb), whether longer, shorter or zero.
    paused_until_ns_[p] = now + PauseQuantaToNs(quanta, rate_bps_);
  }
  return PfcParseResult::kOk;
}

uint8_t PfcReceiver::PausedMask() const {
  const uint64_t now = clock_.NowNs();
  uint8_t mask = 0;
  for (int p = 0; p < kNumTrafficClasses; ++p)
    if (now < paused_until_ns_[p]) mask |= uint8_t(1u << p);
  return mask;
}

uint64_t PfcReceiver::PausedNs(int priority) const {
  const uint64_t now = clock_.NowNs();
  const uint64_t end = std::min(now, paused_until_ns_[priority]);
  return paused_total_ns_[priority] + (end - pause_started_ns_[priority]);
}

}  // namespace weft::dp::tm
