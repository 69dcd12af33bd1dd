// Vocabulary shared by the traffic-manager pieces: 8 traffic classes (= egress queues = PFC
// priorities on the wire), and the unit conversions every piece needs at a port's shaped rate.
#pragma once

#include <cstdint>

namespace weft::dp::tm {

inline constexpr int kNumTrafficClasses = 8;
inline constexpr uint64_t kNsPerSecond = 1'000'000'000ULL;

// Bytes a link at `rate_bps` carries in `duration_ns`, rounded up (sizes that must cover a time).
constexpr uint64_t BytesInNs(uint64_t rate_bps, uint64_t duration_ns) {
  const unsigned __int128 bits = static_cast<unsigned __int128>(rate_bps) * duration_ns;
  const unsigned __int128 denom = static_cast<unsigned __int128>(8) * kNsPerSecond;
  return static_cast<uint64_t>((bits + denom - 1) / denom);
}

// Nanoseconds to send `bytes` at `rate_bps`, rounded up. rate_bps must be positive.
constexpr uint64_t NsForBytes(uint64_t rate_bps, uint64_t bytes) {
  const unsigned __int128 num = static_cast<unsigned __int128>(bytes) * 8 * kNsPerSecond;
  return static_cast<uint64_t>((num + rate_bps - 1) / rate_bps);
}

// Cheap per-worker PRNG (xorshift64*): a few cycles, no syscalls, never shared between lcores.
class FastRandom {
 public:
  explicit FastRandom(uint64_t seed) : state_(seed ? seed : 0x9E3779B97F4A7C15ULL) {}
  // Uniform over [0, 2^32).
  uint32_t Next32() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return static_cast<uint32_t>((state_ * 0x2545F4914F6CDD1DULL) >> 32);
  }

 private:
  uint64_t state_;
};

}  // namespace weft::dp::tm
