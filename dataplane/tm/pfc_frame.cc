#include "dataplane/tm/pfc_frame.h"

#include <cstring>

namespace weft::dp::tm {
namespace {

void PutBe16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}
uint16_t GetBe16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

}  // namespace

size_t BuildPfcFrame(const PfcFrame& frame, const std::array<uint8_t, 6>& src_mac, uint8_t* buf,
                     size_t capacity) {
  if (capacity < kPfcFrameBytes) return 0;
  std::memset(buf, 0, kPfcFrameBytes);
  std::memcpy(buf, kPfcDestinationMac.data(), 6);
  std::memcpy(buf + 6, src_mac.data(), 6);
  PutBe16(buf + 12, kMacControlEtherType);
  PutBe16(buf + 14, kPfcOpcode);
  PutBe16(buf + 16, frame.class_enable);
  for (int p = 0; p < kNumTrafficClasses; ++p) {
    // Times of priorities not enabled are sent as zero (802.1Qbb: ignored by the receiver).
    const uint16_t quanta = (frame.class_enable >> p & 1) ? frame.pause_quanta[p] : 0;
    PutBe16(buf + 18 + 2 * p, quanta);
  }
  return kPfcFrameBytes;
}

PfcParseResult ParsePfcFrame(const uint8_t* data, size_t length, PfcFrame* frame) {
  if (length < 14) return PfcParseResult::kTruncated;
  if (GetBe16(data + 12) != kMacControlEtherType) return PfcParseResult::kNotMacControl;
  if (length < 16) return PfcParseResult::kTruncated;
  if (GetBe16(data + 14) != kPfcOpcode) return PfcParseResult::kUnsupportedOpcode;
  if (length < kPfcPayloadEnd) return PfcParseResult::kTruncated;
  if (std::memcmp(data, kPfcDestinationMac.data(), 6) != 0) return PfcParseResult::kBadDestination;
  const uint16_t vector = GetBe16(data + 16);
  if (vector > 0xFF) return PfcParseResult::kReservedBitsSet;
  frame->class_enable = uint8_t(vector);
  for (int p = 0; p < kNumTrafficClasses; ++p) frame->pause_quanta[p] = GetBe16(data + 18 + 2 * p);
  return PfcParseResult::kOk;
}

const char* PfcParseResultName(PfcParseResult result) {
  switch (result) {
    case PfcParseResult::kOk:
      return "ok";
    case PfcParseResult::kTruncated:
      return "pfc_truncated";
    case PfcParseResult::kNotMacControl:
      return "pfc_not_mac_control";
    case PfcParseResult::kUnsupportedOpcode:
      return "pfc_unsupported_opcode";
    case PfcParseResult::kBadDestination:
      return "pfc_bad_destination";
    case PfcParseResult::kReservedBitsSet:
      return "pfc_reserved_bits_set";
    case PfcParseResult::kCount:
      break;
  }
  return "unknown";
}

}  // namespace weft::dp::tm
