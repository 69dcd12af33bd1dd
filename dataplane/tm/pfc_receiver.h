// PfcReceiver: obeys PFC frames received on a port. Each frame sets, per enabled priority, the time
// until which that priority's egress queue on this port must not transmit: now + quanta x 512
// bit-times at the port's shaped rate (zero quanta resumes at once). Counts frames received, per
// parse failure reason, and the time each priority spent paused.
//
// Contract: one receiver per port, owned by the worker that polls the port; each call reads the
// clock once; no allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "dataplane/common/clock.h"
#include "dataplane/tm/pfc_frame.h"
#include "dataplane/tm/tm_types.h"

namespace weft::dp::tm {

struct PfcPriorityRxCounters {
  uint64_t frames = 0;        // frames whose class-enable vector named this priority
  uint64_t pause_frames = 0;  // of which with a non-zero pause time
};

class PfcReceiver {
 public:
  // rate_bps: shaped rate of the port (> 0). enabled_mask: priorities that obey PFC; frames for
  // other priorities are counted but not obeyed.
  PfcReceiver(const Clock& clock, uint64_t rate_bps, uint8_t enabled_mask);

  // Parses and applies a received frame (Ethernet header first). Not-OK results are counted.
  PfcParseResult OnFrame(const uint8_t* data, size_t length);

  // Priorities paused right now (bit p): the egress queues' transmit gate.
  uint8_t PausedMask() const;
  // Time priority p has spent paused since construction, including a pause in progress.
  uint64_t PausedNs(int priority) const;

  uint64_t frames_received() const { return frames_received_; }
  uint64_t parse_errors(PfcParseResult reason) const { return parse_errors_[size_t(reason)]; }
  const PfcPriorityRxCounters& counters(int priority) const { return counters_[priority]; }

 private:
  const Clock& clock_;
  uint64_t rate_bps_;
  uint8_t enabled_mask_;
  std::array<uint64_t, kNumTrafficClasses> paused_until_ns_{};
  std::array<uint64_t, kNumTrafficClasses> pause_started_ns_{};
  std::array<uint64_t, kNumTrafficClasses> paused_total_ns_{};  // finished pauses only
  std::array<PfcPriorityRxCounters, kNumTrafficClasses> counters_{};
  std::array<uint64_t, size_t(PfcParseResult::kCount)> parse_errors_{};
  uint64_t frames_received_ = 0;
};

}  // namespace weft::dp::tm
