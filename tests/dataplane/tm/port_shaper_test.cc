#include "dataplane/tm/port_shaper.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace weft::dp::tm {
namespace {

// Drives a shaper the way a worker would: every poll, send packets of cycling mixed sizes while
// budget remains, as long as the backlog holds packets; returns bytes sent over `duration_ns`.
uint64_t DriveBacklogged(FakeClock& clock, PortShaper& shaper, uint64_t duration_ns,
                         uint64_t poll_ns) {
  static constexpr uint32_t kSizes[] = {64, 1500, 9000, 128, 512, 4096, 66, 1024};
  size_t next = 0;
  uint64_t sent = 0;
  for (uint64_t t = 0; t < duration_ns; t += poll_ns) {
    clock.Advance(poll_ns);
    const uint64_t budget = shaper.BytesAllowedNow();
    uint64_t burst = 0;
    for (int n = 0; n < 32 && burst < budget; ++n) burst += kSizes[next++ % 8];
    shaper.Consume(burst);
    sent += burst;
  }
  return sent;
}

struct RateCase {
  uint64_t rate_bps;
  uint64_t burst_bytes;
  uint64_t poll_ns;
};

class PortShaperRateTest : public ::testing::TestWithParam<RateCase> {};

TEST_P(PortShaperRateTest, RateWithinTwoPercentOverOneSecond) {
  const RateCase c = GetParam();
  FakeClock clock;
  PortShaper shaper(clock, {.shaped = true, .rate_bps = c.rate_bps, .burst_bytes = c.burst_bytes});
  // Empty the initial bucket first so that it does not count toward the second.
  shaper.Consume(shaper.BytesAllowedNow());
  const uint64_t sent = DriveBacklogged(clock, shaper, 1'000'000'000, c.poll_ns);
  const double expected = double(c.rate_bps) / 8;
  EXPECT_NEAR(double(sent), expected, expected * 0.02)
      << "rate " << c.rate_bps << " b/s, poll every " << c.poll_ns << " ns";
}

INSTANTIATE_TEST_SUITE_P(
    Rates, PortShaperRateTest,
    ::testing::Values(RateCase{100'000'000, 16'384, 10'000},     // 100 Mb/s, 10 us polls
                      RateCase{100'000'000, 4'000, 100'000},     // burst below a jumbo frame
                      RateCase{1'000'000'000, 65'536, 50'000},   // 1 Gb/s
                      RateCase{10'000'000, 9'216, 3'000'000}));  // 10 Mb/s, slow polls

// The traffic manager's components read a LoopClock that its owner ticks once per loop: time
// stands still between ticks, reads before the first tick see the base clock, and a shaper on it
// keeps its rate.
TEST(PortShaperTest, LoopClockHoldsTimeBetweenTicksAndKeepsTheRate) {
  FakeClock base;
  LoopClock loop(base);
  EXPECT_EQ(loop.NowNs(), base.NowNs()) << "before the first tick: the base clock";
  EXPECT_EQ(loop.Tick(), base.NowNs());
  const uint64_t ticked = loop.NowNs();
  base.Advance(5'000);
  EXPECT_EQ(loop.NowNs(), ticked) << "no tick, no time";
  loop.Tick();
  EXPECT_EQ(loop.NowNs(), ticked + 5'000);

  PortShaper shaper(loop, {.shaped = true, .rate_bps = 100'000'000, .burst_bytes = 16'384});
  shaper.Consume(shaper.BytesAllowedNow());
  uint64_t sent = 0;
  for (int poll = 0; poll < 100'000; ++poll) {  // 1 s of 10 us loops
    base.Advance(10'000);
    loop.Tick();
    const uint64_t allowed = shaper.BytesAllowedNow();
    shaper.Consume(allowed);
    sent += allowed;
    EXPECT_EQ(shaper.BytesAllowedNow(), 0u) << "poll " << poll << ": no more within one loop";
  }
  EXPECT_NEAR(double(sent), 100e6 / 8, 100e6 / 8 * 0.02);
}

TEST(PortShaperTest, IdleFillsBucketOnlyToBurst) {
  FakeClock clock;
  PortShaper shaper(clock, {.shaped = true, .rate_bps = 100'000'000, .burst_bytes = 20'000});
  EXPECT_EQ(shaper.BytesAllowedNow(), 20'000u);
  shaper.Consume(20'000);
  EXPECT_EQ(shaper.BytesAllowedNow(), 0u);
  clock.Advance(800'000);  // 0.8 ms at 100 Mb/s = 10,000 bytes
  EXPECT_EQ(shaper.BytesAllowedNow(), 10'000u);
  clock.Advance(10'000'000'000);  // 10 s idle: capped at the burst
  EXPECT_EQ(shaper.BytesAllowedNow(), 20'000u);
}

TEST(PortShaperTest, OvershootIsPaidBackAsDebt) {
  FakeClock clock;
  PortShaper shaper(clock, {.shaped = true, .rate_bps = 8'000'000, .burst_bytes = 1'000});
  ASSERT_EQ(shaper.BytesAllowedNow(), 1'000u);
  shaper.Consume(9'000);  // a jumbo frame leaves on a 1,000-byte budget
  // 8 Mb/s is one byte per microsecond: 8,000 bytes of debt take 8 ms to repay.
  clock.Advance(7'999'000);
  EXPECT_EQ(shaper.BytesAllowedNow(), 0u);
  clock.Advance(2'000);
  EXPECT_EQ(shaper.BytesAllowedNow(), 1u);
}

TEST(PortShaperTest, FractionalBytesAccumulateWithoutDrift) {
  FakeClock clock;
  // 1 b/s... 3 bytes/s: each 1 ns refill adds far less than a byte; nothing may be lost to
  // rounding.
  PortShaper shaper(clock, {.shaped = true, .rate_bps = 24, .burst_bytes = 100});
  shaper.Consume(100);
  uint64_t total = 0;
  for (int i = 0; i < 1000; ++i) {
    clock.Advance(1'000'000);  // 1 ms steps for 1 s
    const uint64_t b = shaper.BytesAllowedNow();
    if (b >= 1) {
      shaper.Consume(1);
      ++total;
    }
  }
  EXPECT_EQ(total, 3u);
}

TEST(PortShaperTest, UnshapedPortIsUnlimited) {
  FakeClock clock;
  PortShaper shaper(clock, {.shaped = false});
  EXPECT_EQ(shaper.BytesAllowedNow(), UINT64_MAX);
  shaper.Consume(1'000'000);
  EXPECT_EQ(shaper.BytesAllowedNow(), UINT64_MAX);
}

}  // namespace
}  // namespace weft::dp::tm
