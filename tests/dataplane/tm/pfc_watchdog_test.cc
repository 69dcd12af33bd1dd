#include "dataplane/tm/pfc_watchdog.h"

#include <gtest/gtest.h>

namespace weft::dp::tm {
namespace {

constexpr uint64_t kMs = 1'000'000;

// Polls every `poll_ns` with `paused` until an event bit for `priority` shows; returns the time it
// took, or UINT64_MAX after `limit_ns`.
template <typename Field>
uint64_t PollUntil(FakeClock& clock, PfcWatchdog& dog, uint8_t paused, int priority,
                   uint64_t poll_ns, uint64_t limit_ns, Field field) {
  const uint64_t start = clock.NowNs();
  while (clock.NowNs() - start <= limit_ns) {
    clock.Advance(poll_ns);
    const PfcWatchdogEvents e = dog.Poll(paused);
    if ((e.*field) >> priority & 1) return clock.NowNs() - start;
  }
  return UINT64_MAX;
}

class PfcWatchdogTimingTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(PfcWatchdogTimingTest, DetectsWithinDetectionTimePlusPollAndRestores) {
  const uint64_t poll_ns = GetParam();
  FakeClock clock;
  PfcWatchdog dog(clock, {});  // defaults: 200 ms / 200 ms, drop
  dog.Poll(0);
  // The queue is paused from the next poll on (a pause that started just after this poll).
  const uint64_t detected =
      PollUntil(clock, dog, 1u << 3, 3, poll_ns, 1000 * kMs, &PfcWatchdogEvents::storms_detected);
  // The pause began just after the poll at 0: detected within detection time + one poll interval.
  EXPECT_GE(detected, 200 * kMs);
  EXPECT_LE(detected, 200 * kMs + poll_ns);
  EXPECT_EQ(dog.storm_mask(), 1u << 3);
  EXPECT_EQ(dog.counters(3).storms_detected, 1u);
  // Drop action: the pause no longer gates the queue, and its packets are dropped.
  EXPECT_EQ(dog.EffectivePausedMask(1u << 3), 0u);
  EXPECT_EQ(dog.drop_mask(), 1u << 3);
  // Still paused: no restoration however long it lasts.
  EXPECT_EQ(
      PollUntil(clock, dog, 1u << 3, 3, poll_ns, 500 * kMs, &PfcWatchdogEvents::storms_restored),
      UINT64_MAX);
  const uint64_t restored =
      PollUntil(clock, dog, 0, 3, poll_ns, 1000 * kMs, &PfcWatchdogEvents::storms_restored);
  EXPECT_GE(restored, 200 * kMs);
  EXPECT_LE(restored, 200 * kMs + poll_ns);
  EXPECT_EQ(dog.storm_mask(), 0u);
  EXPECT_EQ(dog.drop_mask(), 0u);
  EXPECT_EQ(dog.counters(3).storms_restored, 1u);
}

INSTANTIATE_TEST_SUITE_P(PollIntervals, PfcWatchdogTimingTest,
                         ::testing::Values(1 * kMs, 10 * kMs, 50 * kMs));

TEST(PfcWatchdogTest, ShortPausesNeverTrigger) {
  FakeClock clock;
  PfcWatchdog dog(clock, {});
  // Paused 150 ms, free 10 ms, repeatedly: normal PFC, never a storm.
  for (int cycle = 0; cycle < 20; ++cycle) {
    for (int i = 0; i < 15; ++i) {
      clock.Advance(10 * kMs);
      EXPECT_EQ(dog.Poll(1u << 2).storms_detected, 0u);
    }
    clock.Advance(10 * kMs);
    dog.Poll(0);
  }
  EXPECT_EQ(dog.storm_mask(), 0u);
}

TEST(PfcWatchdogTest, PauseDuringRestorationRestartsIt) {
  FakeClock clock;
  PfcWatchdog dog(clock, {.enabled = true,
                          .detection_time_ns = 100 * kMs,
                          .restoration_time_ns = 100 * kMs,
                          .action = PfcStormAction::kForward});
  dog.InjectStorm(5);
  EXPECT_EQ(dog.storm_mask(), 1u << 5);
  EXPECT_EQ(dog.drop_mask(), 0u);                                // forward: nothing dropped
  EXPECT_EQ(dog.EffectivePausedMask(0xFF), 0xFFu & ~(1u << 5));  // and the pause is ignored
  clock.Advance(90 * kMs);
  EXPECT_EQ(dog.Poll(0).storms_restored, 0u);
  clock.Advance(5 * kMs);
  dog.Poll(1u << 5);  // a pause again: restoration starts over
  clock.Advance(5 * kMs);
  dog.Poll(0);
  clock.Advance(90 * kMs);
  EXPECT_EQ(dog.Poll(0).storms_restored, 0u);
  clock.Advance(10 * kMs);
  EXPECT_EQ(dog.Poll(0).storms_restored, 1u << 5);
}

TEST(PfcWatchdogTest, AlertOnlyReportsAndDisabledNeverFires) {
  FakeClock clock;
  PfcWatchdog alert(clock, {.action = PfcStormAction::kAlert});
  alert.InjectStorm(1);
  EXPECT_EQ(alert.EffectivePausedMask(1u << 1), 1u << 1);
  EXPECT_EQ(alert.drop_mask(), 0u);
  PfcWatchdog off(clock, {.enabled = false});
  off.Poll(0xFF);
  clock.Advance(10'000 * kMs);
  EXPECT_EQ(off.Poll(0xFF).storms_detected, 0u);
  EXPECT_EQ(off.storm_mask(), 0u);
}

}  // namespace
}  // namespace weft::dp::tm
