#include "dataplane/tm/pfc_generator.h"

namespace weft::dp::tm {

PfcGenerator::PfcGenerator(const Clock& clock, const PfcGeneratorConfig& config)
    : clock_(clock), config_(config) {
  for (int p = 0; p < kNumTrafficClasses; ++p) {
    const PfcPriorityConfig& c = config.priorities[p];
    if (!c.enabled) continue;
    pause_ns_[p] = PauseQuantaToNs(c.pause_quanta, config.rate_bps);
    refresh_ns_[p] = c.refresh_interval_ns ? c.refresh_interval_ns : pause_ns_[p] / 2;
  }
}

bool PfcGenerator::Poll(const std::array<uint64_t, kNumTrafficClasses>& pg_bytes, PfcFrame* frame) {
  const uint64_t now = clock_.NowNs();
  uint8_t enable = 0;
  for (int p = 0; p < kNumTrafficClasses; ++p) {
    const PfcPriorityConfig& c = config_.priorities[p];
    if (!c.enabled) continue;
    State& s = state_[p];
    const uint64_t bytes = pg_bytes[p];
    if (!s.xoff) {
      if (bytes < c.xoff_bytes) continue;
      s.xoff = true;
    } else if (bytes <= c.xon_bytes) {
      s.xoff = false;
      enable |= uint8_t(1u << p);
      frame->pause_quanta[p] = 0;
      ++counters_[p].xon_frames;
      continue;
    } else if (now - s.last_xoff_ns < refresh_ns_[p]) {
      continue;
    }
    s.last_xoff_ns = now;
    enable |= uint8_t(1u << p);
    frame->pause_quanta[p] = c.pause_quanta;
    ++counters_[p].xoff_frames;
  }
  if (enable == 0) return false;
  for (int p = 0; p < kNumTrafficClasses; ++p)
    if (!(enable >> p & 1)) frame->pause_quanta[p] = 0;
  frame->class_enable = enable;
  ++frames_sent_;
  return true;
}

}  // namespace weft::dp::tm
