// PfcGenerator: decides when an ingress port must send PFC frames, per priority, from the bytes
// buffered for that (ingress port, priority group) (BufferAccounting::PriorityGroupBytes).
//   - occupancy reaches xoff_bytes  -> XOFF: pause_quanta on that priority;
//   - while still above xon_bytes   -> the XOFF is refreshed every refresh_interval_ns, before the
//                                      peer's pause expires;
//   - occupancy falls to xon_bytes  -> XON: a zero-time frame so the peer resumes at once.
// Between xon and xoff nothing changes (hysteresis). One frame carries every priority that needs
// one at that moment.
//
// Contract: one generator per ingress port, owned by one worker; Poll() reads the clock once and
// allocates nothing. The caller builds the frame with BuildPfcFrame and sends it out the port.
#pragma once

#include <array>
#include <cstdint>

#include "dataplane/common/clock.h"
#include "dataplane/tm/pfc_frame.h"
#include "dataplane/tm/tm_types.h"

namespace weft::dp::tm {

struct PfcPriorityConfig {
  bool enabled = false;
  uint64_t xoff_bytes = 0;                  // send XOFF when the priority group holds this much
  uint64_t xon_bytes = 0;                   // send XON when it drains to this (< xoff_bytes)
  uint16_t pause_quanta = kMaxPauseQuanta;  // pause time carried by XOFF frames
  uint64_t refresh_interval_ns = 0;  // 0: half the pause time; must be shorter than the pause time
};

struct PfcGeneratorConfig {
  uint64_t rate_bps = 0;  // shaped rate of the port: quanta are 512 bit-times at this rate
  std::array<PfcPriorityConfig, kNumTrafficClasses> priorities{};
};

struct PfcPriorityTxCounters {
  uint64_t xoff_frames = 0;  // frames that paused this priority (first XOFF and refreshes)
  uint64_t xon_frames = 0;
};

class PfcGenerator {
 public:
  // config must have passed ValidatePfcGeneratorConfig.
  PfcGenerator(const Clock& clock, const PfcGeneratorConfig& config);

  // Given each priority group's buffered bytes, returns true and fills *frame if a frame must be
  // sent now; the generator then assumes it was sent.
  bool Poll(const std::array<uint64_t, kNumTrafficClasses>& pg_bytes, PfcFrame* frame);

  bool xoff(int priority) const { return state_[priority].xoff; }
  uint64_t pause_ns(int priority) const { return pause_ns_[priority]; }
  uint64_t refresh_interval_ns(int priority) const { return refresh_ns_[priority]; }
  uint64_t frames_sent() const { return frames_sent_; }
  const PfcPriorityTxCounters& counters(int priority) const { return counters_[priority]; }

 private:
  struct State {
    bool xoff = false;
    uint64_t last_xoff_ns = 0;
  };
  const Clock& clock_;
  PfcGeneratorConfig config_;
  std::array<uint64_t, kNumTrafficClasses> pause_ns_{};
  std::array<uint64_t, kNumTrafficClasses> refresh_ns_{};
  std::array<State, kNumTrafficClasses> state_{};
  std::array<PfcPriorityTxCounters, kNumTrafficClasses> counters_{};
  uint64_t frames_sent_ = 0;
};

}  // namespace weft::dp::tm
