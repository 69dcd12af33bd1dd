#include "dataplane/tm/pfc_generator.h"

#include <gtest/gtest.h>

namespace weft::dp::tm {
namespace {

constexpr uint64_t kRate = 100'000'000;  // 100 Mb/s: one quantum is 5.12 us

PfcGeneratorConfig Config() {
  PfcGeneratorConfig c;
  c.rate_bps = kRate;
  c.priorities[3] = {.enabled = true,
                     .xoff_bytes = 40'000,
                     .xon_bytes = 20'000,
                     .pause_quanta = 2'000,
                     .refresh_interval_ns = 0};  // pause 10.24 ms
  c.priorities[4] = {.enabled = true,
                     .xoff_bytes = 10'000,
                     .xon_bytes = 5'000,
                     .pause_quanta = 0xFFFF,
                     .refresh_interval_ns = 1'000'000};
  return c;
}

using Bytes = std::array<uint64_t, kNumTrafficClasses>;

TEST(PfcGeneratorTest, PauseTimeAndDefaultRefreshFromQuanta) {
  FakeClock clock;
  PfcGenerator gen(clock, Config());
  EXPECT_EQ(gen.pause_ns(3), 10'240'000u);
  EXPECT_EQ(gen.refresh_interval_ns(3), 5'120'000u);  // half the pause: well before expiry
  EXPECT_EQ(gen.refresh_interval_ns(4), 1'000'000u);
}

TEST(PfcGeneratorTest, XoffXonHysteresis) {
  FakeClock clock;
  PfcGenerator gen(clock, Config());
  PfcFrame frame;
  Bytes b{};
  b[3] = 39'999;  // just below XOFF
  EXPECT_FALSE(gen.Poll(b, &frame));
  b[3] = 40'000;
  ASSERT_TRUE(gen.Poll(b, &frame));
  EXPECT_EQ(frame.class_enable, 1u << 3);
  EXPECT_EQ(frame.pause_quanta[3], 2'000u);
  EXPECT_TRUE(gen.xoff(3));
  // Between XON and XOFF, before the refresh time: nothing.
  for (uint64_t bytes : {50'000ULL, 30'000ULL, 20'001ULL}) {
    b[3] = bytes;
    clock.Advance(100'000);
    EXPECT_FALSE(gen.Poll(b, &frame)) << bytes;
  }
  b[3] = 20'000;  // XON
  ASSERT_TRUE(gen.Poll(b, &frame));
  EXPECT_EQ(frame.class_enable, 1u << 3);
  EXPECT_EQ(frame.pause_quanta[3], 0u);
  EXPECT_FALSE(gen.xoff(3));
  // Back above XON but below XOFF: no new XOFF.
  b[3] = 39'000;
  EXPECT_FALSE(gen.Poll(b, &frame));
  EXPECT_EQ(gen.counters(3).xoff_frames, 1u);
  EXPECT_EQ(gen.counters(3).xon_frames, 1u);
  EXPECT_EQ(gen.frames_sent(), 2u);
}

TEST(PfcGeneratorTest, RefreshesBeforeThePeerPauseExpires) {
  FakeClock clock;
  PfcGenerator gen(clock, Config());
  PfcFrame frame;
  Bytes b{};
  b[3] = 45'000;
  ASSERT_TRUE(gen.Poll(b, &frame));
  uint64_t last_sent = clock.NowNs();
  // Poll every 100 us for 100 ms while congested: each refresh comes 5.12 ms (+ < 1 poll) after
  // the previous frame, always before the 10.24 ms pause would expire at the peer.
  int refreshes = 0;
  for (int i = 0; i < 1000; ++i) {
    clock.Advance(100'000);
    if (gen.Poll(b, &frame)) {
      ++refreshes;
      const uint64_t gap = clock.NowNs() - last_sent;
      EXPECT_GE(gap, gen.refresh_interval_ns(3));
      EXPECT_LT(gap, gen.refresh_interval_ns(3) + 100'000);
      EXPECT_LT(gap, gen.pause_ns(3));
      EXPECT_EQ(frame.class_enable, 1u << 3);
      EXPECT_EQ(frame.pause_quanta[3], 2'000u);
      last_sent = clock.NowNs();
    }
  }
  EXPECT_EQ(refreshes, 19);  // 100 ms / 5.2 ms (5.12 ms rounded up to the 100 us polls)
}

TEST(PfcGeneratorTest, OneFrameCarriesEveryPriorityThatNeedsOne) {
  FakeClock clock;
  PfcGenerator gen(clock, Config());
  PfcFrame frame;
  Bytes b{};
  b[3] = 40'000;
  b[4] = 10'000;
  b[5] = 1'000'000;  // PFC not enabled on priority 5: never paused
  ASSERT_TRUE(gen.Poll(b, &frame));
  EXPECT_EQ(frame.class_enable, (1u << 3) | (1u << 4));
  EXPECT_EQ(frame.pause_quanta[4], 0xFFFFu);
  EXPECT_EQ(frame.pause_quanta[5], 0u);
  // Priority 4 drains to XON while 3 stays congested: one frame with XON for 4 only.
  b[4] = 0;
  clock.Advance(10);
  ASSERT_TRUE(gen.Poll(b, &frame));
  EXPECT_EQ(frame.class_enable, 1u << 4);
  EXPECT_EQ(frame.pause_quanta[4], 0u);
  EXPECT_EQ(frame.pause_quanta[3], 0u);
}

}  // namespace
}  // namespace weft::dp::tm
