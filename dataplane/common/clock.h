// The one clock every timed behaviour reads (shaper, PFC, watchdog, flowlets, rates), so tests can
// inject time. The per-packet path reads it through a devirtualised pointer once per burst.
#pragma once

#include <cstdint>

namespace weft::dp {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic nanoseconds.
  virtual uint64_t NowNs() const = 0;
};

// CLOCK_MONOTONIC through the vDSO (about 20 ns): cheap enough for once per burst.
class MonotonicClock final : public Clock {
 public:
  uint64_t NowNs() const override;
};

// For tests: time moves only when told to.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(uint64_t start_ns = 1'000'000'000) : now_(start_ns) {}
  uint64_t NowNs() const override { return now_; }
  void Advance(uint64_t ns) { now_ += ns; }
  void Set(uint64_t ns) { now_ = ns; }

 private:
  uint64_t now_;
};

}  // namespace weft::dp
