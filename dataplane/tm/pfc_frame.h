// IEEE 802.1Qbb priority flow control frames: building and parsing the real wire bytes, and the
// pause-quanta arithmetic at a port's shaped rate (one quantum = 512 bit-times).
//
// Frame layout (untagged, padded to the 60-byte minimum, FCS added by the port):
//   dst 01-80-C2-00-00-01 | src MAC | EtherType 0x8808 | opcode 0x0101 |
//   class-enable vector (16 bits, bit p = priority p) | 8 x pause time (16 bits, quanta) | padding
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "dataplane/tm/tm_types.h"

namespace weft::dp::tm {

inline constexpr uint16_t kMacControlEtherType = 0x8808;
inline constexpr uint16_t kPfcOpcode = 0x0101;
inline constexpr std::array<uint8_t, 6> kPfcDestinationMac = {0x01, 0x80, 0xC2, 0x00, 0x00, 0x01};
inline constexpr size_t kPfcPayloadEnd = 34;  // last byte of the 8th pause time
inline constexpr size_t kPfcFrameBytes = 60;  // minimum Ethernet frame without FCS
inline constexpr uint64_t kBitTimesPerQuantum = 512;
inline constexpr uint16_t kMaxPauseQuanta = 0xFFFF;

// Duration of `quanta` pause quanta at `rate_bps` (> 0), rounded up to whole nanoseconds.
constexpr uint64_t PauseQuantaToNs(uint64_t quanta, uint64_t rate_bps) {
  const unsigned __int128 num =
      static_cast<unsigned __int128>(quanta) * kBitTimesPerQuantum * kNsPerSecond;
  return static_cast<uint64_t>((num + rate_bps - 1) / rate_bps);
}

// Fewest quanta covering `duration_ns` at `rate_bps`, capped at the 16-bit field's maximum.
constexpr uint16_t NsToPauseQuanta(uint64_t duration_ns, uint64_t rate_bps) {
  const unsigned __int128 bit_times = static_cast<unsigned __int128>(duration_ns) * rate_bps;
  const unsigned __int128 per_quantum =
      static_cast<unsigned __int128>(kBitTimesPerQuantum) * kNsPerSecond;
  const unsigned __int128 quanta = (bit_times + per_quantum - 1) / per_quantum;
  return quanta > kMaxPauseQuanta ? kMaxPauseQuanta : static_cast<uint16_t>(quanta);
}

struct PfcFrame {
  uint8_t class_enable = 0;                                 // bit p: pause_quanta[p] is valid
  std::array<uint16_t, kNumTrafficClasses> pause_quanta{};  // 0 = resume now
};

// Writes the 60-byte frame into `buf`. Returns the length, or 0 if `capacity` is too small.
size_t BuildPfcFrame(const PfcFrame& frame, const std::array<uint8_t, 6>& src_mac, uint8_t* buf,
                     size_t capacity);

enum class PfcParseResult : uint8_t {
  kOk,
  kTruncated,          // shorter than the PFC payload
  kNotMacControl,      // EtherType is not 0x8808
  kUnsupportedOpcode,  // MAC control, but not PFC (e.g. 802.3x PAUSE, opcode 0x0001)
  kBadDestination,     // not 01-80-C2-00-00-01
  kReservedBitsSet,    // class-enable vector uses bits 8-15
  kCount
};
const char* PfcParseResultName(PfcParseResult result);

// Parses a received frame (starting at the Ethernet header). Pure: no state, no allocation.
PfcParseResult ParsePfcFrame(const uint8_t* data, size_t length, PfcFrame* frame);

}  // namespace weft::dp::tm
