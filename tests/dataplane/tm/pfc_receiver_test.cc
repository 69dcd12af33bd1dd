#include "dataplane/tm/pfc_receiver.h"

#include <gtest/gtest.h>

namespace weft::dp::tm {
namespace {

constexpr uint64_t kRate = 100'000'000;  // 5.12 us per quantum

size_t Frame(uint8_t enable, std::array<uint16_t, 8> quanta, uint8_t* buf) {
  PfcFrame f;
  f.class_enable = enable;
  f.pause_quanta = quanta;
  return BuildPfcFrame(f, {2, 0, 0, 0, 0, 9}, buf, 60);
}

TEST(PfcReceiverTest, PausesForTheQuantaThenResumes) {
  FakeClock clock;
  PfcReceiver rx(clock, kRate, 0xFF);
  uint8_t buf[60];
  const size_t len = Frame(1u << 3, {0, 0, 0, 1000, 0, 0, 0, 0}, buf);  // 5.12 ms
  ASSERT_EQ(rx.OnFrame(buf, len), PfcParseResult::kOk);
  EXPECT_EQ(rx.PausedMask(), 1u << 3);
  clock.Advance(5'119'999);
  EXPECT_EQ(rx.PausedMask(), 1u << 3);
  clock.Advance(1);
  EXPECT_EQ(rx.PausedMask(), 0u);
  EXPECT_EQ(rx.PausedNs(3), 5'120'000u);
  clock.Advance(1'000'000);
  EXPECT_EQ(rx.PausedNs(3), 5'120'000u);  // not paused: no longer grows
  EXPECT_EQ(rx.counters(3).frames, 1u);
  EXPECT_EQ(rx.counters(3).pause_frames, 1u);
  EXPECT_EQ(rx.frames_received(), 1u);
}

TEST(PfcReceiverTest, RefreshExtendsAndZeroTimeResumesAtOnce) {
  FakeClock clock;
  PfcReceiver rx(clock, kRate, 0xFF);
  uint8_t buf[60];
  size_t len = Frame(1u << 2, {0, 0, 2000, 0, 0, 0, 0, 0}, buf);  // 10.24 ms
  ASSERT_EQ(rx.OnFrame(buf, len), PfcParseResult::kOk);
  clock.Advance(5'000'000);
  ASSERT_EQ(rx.OnFrame(buf, len), PfcParseResult::kOk);  // refresh: until now + 10.24 ms
  clock.Advance(10'000'000);
  EXPECT_EQ(rx.PausedMask(), 1u << 2);
  EXPECT_EQ(rx.PausedNs(2), 15'000'000u);
  len = Frame(1u << 2, {}, buf);  // XON
  ASSERT_EQ(rx.OnFrame(buf, len), PfcParseResult::kOk);
  EXPECT_EQ(rx.PausedMask(), 0u);
  clock.Advance(3'000'000);
  EXPECT_EQ(rx.PausedNs(2), 15'000'000u);
  EXPECT_EQ(rx.counters(2).frames, 3u);
  EXPECT_EQ(rx.counters(2).pause_frames, 2u);
  // A second pause adds to the total.
  len = Frame(1u << 2, {0, 0, 100, 0, 0, 0, 0, 0}, buf);
  ASSERT_EQ(rx.OnFrame(buf, len), PfcParseResult::kOk);
  clock.Advance(1'000'000);
  EXPECT_EQ(rx.PausedNs(2), 15'000'000u + 512'000u);
}

TEST(PfcReceiverTest, OnlyEnabledPrioritiesAreObeyedButAllAreCounted) {
  FakeClock clock;
  PfcReceiver rx(clock, kRate, 1u << 3);
  uint8_t buf[60];
  const size_t len = Frame((1u << 3) | (1u << 5), {0, 0, 0, 500, 0, 500, 0, 0}, buf);
  ASSERT_EQ(rx.OnFrame(buf, len), PfcParseResult::kOk);
  EXPECT_EQ(rx.PausedMask(), 1u << 3);
  EXPECT_EQ(rx.counters(5).frames, 1u);
  EXPECT_EQ(rx.PausedNs(5), 0u);
}

TEST(PfcReceiverTest, MalformedFramesChangeNothingAndAreCounted) {
  FakeClock clock;
  PfcReceiver rx(clock, kRate, 0xFF);
  uint8_t buf[60];
  const size_t len = Frame(0xFF, {9, 9, 9, 9, 9, 9, 9, 9}, buf);
  EXPECT_EQ(rx.OnFrame(buf, 20), PfcParseResult::kTruncated);
  buf[15] = 0x01;
  buf[14] = 0x00;  // opcode 0x0001
  EXPECT_EQ(rx.OnFrame(buf, len), PfcParseResult::kUnsupportedOpcode);
  EXPECT_EQ(rx.PausedMask(), 0u);
  EXPECT_EQ(rx.frames_received(), 0u);
  EXPECT_EQ(rx.parse_errors(PfcParseResult::kTruncated), 1u);
  EXPECT_EQ(rx.parse_errors(PfcParseResult::kUnsupportedOpcode), 1u);
}

}  // namespace
}  // namespace weft::dp::tm
