#include "dataplane/tm/pfc_frame.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace weft::dp::tm {
namespace {

TEST(PauseQuantaTest, QuantumIs512BitTimesAtTheShapedRate) {
  EXPECT_EQ(PauseQuantaToNs(1, 100'000'000), 5'120u);  // 100 Mb/s: 5.12 us
  EXPECT_EQ(PauseQuantaToNs(0xFFFF, 100'000'000), 335'539'200u);
  EXPECT_EQ(PauseQuantaToNs(1, 100'000'000'000), 6u);  // 100 Gb/s: 5.12 ns, rounded up
  EXPECT_EQ(PauseQuantaToNs(1000, 100'000'000'000), 5'120u);
  EXPECT_EQ(PauseQuantaToNs(0, 100'000'000), 0u);
}

TEST(PauseQuantaTest, NsToQuantaRoundsUpAndSaturates) {
  EXPECT_EQ(NsToPauseQuanta(5'120, 100'000'000), 1u);
  EXPECT_EQ(NsToPauseQuanta(5'121, 100'000'000), 2u);
  EXPECT_EQ(NsToPauseQuanta(10'000'000, 100'000'000), 1954u);  // 10 ms / 5.12 us = 1953.1
  EXPECT_EQ(NsToPauseQuanta(10'000'000'000, 100'000'000), kMaxPauseQuanta);
  for (uint64_t q : {1ULL, 7ULL, 1953ULL, 65535ULL})
    EXPECT_EQ(NsToPauseQuanta(PauseQuantaToNs(q, 25'000'000), 25'000'000), q);
}

TEST(PfcFrameTest, BuildsTheExactWireBytes) {
  PfcFrame frame;
  frame.class_enable = 0b1000'1000;  // priorities 3 and 7
  frame.pause_quanta[3] = 0xFFFF;
  frame.pause_quanta[7] = 0x0102;
  frame.pause_quanta[1] = 0x5555;  // not enabled: must go out as zero
  uint8_t buf[64];
  ASSERT_EQ(BuildPfcFrame(frame, {0x02, 0x11, 0x22, 0x33, 0x44, 0x55}, buf, sizeof buf), 60u);
  std::vector<uint8_t> expected = {
      0x01, 0x80, 0xC2, 0x00, 0x00, 0x01,  // destination
      0x02, 0x11, 0x22, 0x33, 0x44, 0x55,  // source
      0x88, 0x08,                          // MAC control
      0x01, 0x01,                          // PFC opcode
      0x00, 0x88,                          // class-enable vector
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // priorities 0, 1, 2
      0xFF, 0xFF,                          // priority 3
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // priorities 4, 5, 6
      0x01, 0x02,                          // priority 7
  };
  expected.resize(60, 0x00);  // padding to the minimum frame
  EXPECT_EQ(std::vector<uint8_t>(buf, buf + 60), expected);
  EXPECT_EQ(BuildPfcFrame(frame, {}, buf, 59), 0u);
}

TEST(PfcFrameTest, ParseRoundTrips) {
  PfcFrame frame;
  frame.class_enable = 0xFF;
  for (int p = 0; p < 8; ++p) frame.pause_quanta[p] = uint16_t(p * 1000 + 1);
  uint8_t buf[60];
  ASSERT_EQ(BuildPfcFrame(frame, {2, 0, 0, 0, 0, 1}, buf, sizeof buf), 60u);
  PfcFrame parsed;
  ASSERT_EQ(ParsePfcFrame(buf, 60, &parsed), PfcParseResult::kOk);
  EXPECT_EQ(parsed.class_enable, 0xFF);
  EXPECT_EQ(parsed.pause_quanta, frame.pause_quanta);
  // The 34 bytes of header and payload suffice (a peer may send it unpadded on a virtual link).
  EXPECT_EQ(ParsePfcFrame(buf, kPfcPayloadEnd, &parsed), PfcParseResult::kOk);
}

TEST(PfcFrameTest, MalformedFramesAreRefusedPerReason) {
  PfcFrame frame;
  frame.class_enable = 1;
  frame.pause_quanta[0] = 100;
  uint8_t good[60];
  ASSERT_EQ(BuildPfcFrame(frame, {2, 0, 0, 0, 0, 1}, good, sizeof good), 60u);
  PfcFrame out;
  struct Case {
    const char* what;
    size_t offset;
    uint8_t value;
    size_t length;
    PfcParseResult expected;
  };
  const Case cases[] = {
      {"truncated in the pause times", 0, 0x01, 33, PfcParseResult::kTruncated},
      {"truncated before the opcode", 0, 0x01, 15, PfcParseResult::kTruncated},
      {"truncated header", 0, 0x01, 10, PfcParseResult::kTruncated},
      {"IPv4 EtherType", 13, 0x00, 60, PfcParseResult::kNotMacControl},
      {"802.3x PAUSE opcode", 15, 0x00 /* 0x0100 */, 60, PfcParseResult::kUnsupportedOpcode},
      {"unicast destination", 0, 0x02, 60, PfcParseResult::kBadDestination},
      {"reserved vector bits", 16, 0x01, 60, PfcParseResult::kReservedBitsSet},
  };
  for (const Case& c : cases) {
    uint8_t bad[60];
    std::copy(good, good + 60, bad);
    bad[c.offset] = c.value;
    EXPECT_EQ(ParsePfcFrame(bad, c.length, &out), c.expected) << c.what;
  }
  uint8_t pause[60];
  std::copy(good, good + 60, pause);
  pause[14] = 0x00;  // opcode 0x0001: 802.3x PAUSE
  EXPECT_EQ(ParsePfcFrame(pause, 60, &out), PfcParseResult::kUnsupportedOpcode);
  EXPECT_STREQ(PfcParseResultName(PfcParseResult::kUnsupportedOpcode), "pfc_unsupported_opcode");
}

// Random frames of every length up to 80 bytes (exact-size heap copies, so ASan sees any read past
// the end): the parser answers a reason and accepts only well-formed PFC frames.
TEST(PfcFrameTest, RandomFramesNeverReadPastTheEndAndOnlyPfcIsAccepted) {
  FastRandom random(2026);
  int accepted = 0;
  for (int i = 0; i < 200'000; ++i) {
    const size_t length = random.Next32() % 81;
    std::vector<uint8_t> bytes(length);
    for (uint8_t& b : bytes) b = uint8_t(random.Next32());
    // Make half of them nearly valid so the deeper checks run too.
    const uint8_t header[] = {0x01, 0x80, 0xC2, 0x00, 0x00, 0x01};
    if (i % 2 == 0) {
      for (size_t k = 0; k < 6 && k < length; ++k) bytes[k] = header[k];
      if (length > 15) {
        bytes[12] = 0x88, bytes[13] = 0x08, bytes[14] = 0x01, bytes[15] = 0x01;
      }
      if (length > 16 && i % 4 == 0) bytes[16] = 0;
    }
    auto copy = std::make_unique<uint8_t[]>(length ? length : 1);
    std::copy(bytes.begin(), bytes.end(), copy.get());
    PfcFrame frame;
    const PfcParseResult r = ParsePfcFrame(copy.get(), length, &frame);
    ASSERT_LT(static_cast<int>(r), static_cast<int>(PfcParseResult::kCount));
    if (r == PfcParseResult::kOk) {
      ++accepted;
      ASSERT_GE(length, kPfcPayloadEnd);
      ASSERT_EQ(bytes[12] << 8 | bytes[13], kMacControlEtherType);
      ASSERT_EQ(bytes[14] << 8 | bytes[15], kPfcOpcode);
      ASSERT_EQ(bytes[16], 0);
      ASSERT_EQ(frame.class_enable, bytes[17]);
    }
  }
  EXPECT_GT(accepted, 10'000);
}

}  // namespace
}  // namespace weft::dp::tm
