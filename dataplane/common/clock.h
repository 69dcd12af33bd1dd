// The one clock every timed behaviour reads (shaper, PFC, watchdog, flowlets, rates), so tests can
// inject time. The per-packet path reads it through a devirtualised pointer once per burst.
#pragma once

#include <atomic>
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

// One read of a base clock per loop, shared by many readers: the owner thread calls Tick() at the
// top of each loop, and every NowNs() until the next Tick returns that time (the traffic manager's
// ports, PFC generators and watchdogs would otherwise each read the clock on every loop). Readers
// on other threads get the owner's last tick; before the first tick, the base clock.
class LoopClock final : public Clock {
 public:
  explicit LoopClock(const Clock& base) : base_(base) {}
  uint64_t NowNs() const override {
    const uint64_t t = now_.load(std::memory_order_relaxed);
    return t ? t : base_.NowNs();
  }
  uint64_t Tick() {
    const uint64_t t = base_.NowNs();
    now_.store(t, std::memory_order_relaxed);
    return t;
  }

 private:
  const Clock& base_;
  std::atomic<uint64_t> now_{0};
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
