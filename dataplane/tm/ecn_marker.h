// EcnMarker: WRED/ECN on the instantaneous depth of an egress queue, the way DCQCN switches mark.
// Per queue a profile (Kmin, Kmax, Pmax): probability 0 up to Kmin, rising linearly to Pmax at
// Kmax, 1 above Kmax. ECT packets get CE with that probability; non-ECT packets are dropped by the
// same curve, or left to the buffer's tail drop, as configured.
//
// Hot-path contract: Decide() does integer arithmetic and one PRNG draw; no allocation, no clock.
// One marker per worker (it owns the PRNG state).
#pragma once

#include <array>
#include <cstdint>

#include "dataplane/tm/tm_types.h"

struct rte_ipv4_hdr;
struct rte_ipv6_hdr;

namespace weft::dp::tm {

// The two ECN bits of the IP header (RFC 3168).
enum class EcnCodepoint : uint8_t { kNotEct = 0, kEct1 = 1, kEct0 = 2, kCe = 3 };

enum class NonEctAction : uint8_t {
  kDropByCurve,  // drop with the marking probability (WRED drop)
  kTailDrop,     // never dropped here; only the buffer limit drops it
};

struct WredProfile {
  bool enabled = false;     // false: nothing marked or dropped here
  uint64_t kmin_bytes = 0;  // depth where marking starts
  uint64_t kmax_bytes = 0;  // depth where probability reaches pmax; above it, every packet
  double pmax = 0;          // probability at kmax, in [0, 1]
  NonEctAction non_ect = NonEctAction::kTailDrop;
};

enum class EcnVerdict : uint8_t { kPass, kMarkCe, kDrop };

class EcnMarker {
 public:
  // profiles must have passed ValidateWredProfile.
  EcnMarker(const std::array<WredProfile, kNumTrafficClasses>& profiles, uint64_t seed);

  // Probability (scaled to 2^32) of acting on a packet of queue `tc` at this depth.
  uint64_t Probability32(int tc, uint64_t depth_bytes) const {
    const Curve& c = curves_[tc];
    if (depth_bytes <= c.kmin_bytes) return 0;
    if (depth_bytes > c.kmax_bytes) return kOne;
    // kmin < depth <= kmax, so kmax > kmin here.
    const unsigned __int128 num =
        static_cast<unsigned __int128>(c.pmax32) * (depth_bytes - c.kmin_bytes);
    return static_cast<uint64_t>(num / (c.kmax_bytes - c.kmin_bytes));
  }

  // What to do with a packet about to join queue `tc` whose depth is `depth_bytes` (before it).
  EcnVerdict Decide(int tc, uint64_t depth_bytes, EcnCodepoint ecn) {
    const Curve& c = curves_[tc];
    if (!c.enabled) return EcnVerdict::kPass;
    if (ecn == EcnCodepoint::kNotEct && c.non_ect == NonEctAction::kTailDrop)
      return EcnVerdict::kPass;
    const uint64_t p = Probability32(tc, depth_bytes);
    if (p == 0 || random_.Next32() >= p) return EcnVerdict::kPass;
    if (ecn == EcnCodepoint::kNotEct) return EcnVerdict::kDrop;
    return EcnVerdict::kMarkCe;  // already-CE packets stay CE: counted as marked
  }

  static constexpr uint64_t kOne = 1ULL << 32;

 private:
  struct Curve {
    bool enabled;
    NonEctAction non_ect;
    uint64_t kmin_bytes;
    uint64_t kmax_bytes;
    uint64_t pmax32;  // pmax x 2^32
  };
  std::array<Curve, kNumTrafficClasses> curves_{};
  FastRandom random_;
};

// ECN field helpers. The header pointers are to the IP header inside the packet.
EcnCodepoint Ipv4Ecn(const rte_ipv4_hdr* ip);
EcnCodepoint Ipv6Ecn(const rte_ipv6_hdr* ip);
// Sets CE on an ECT (or CE) packet, updating the IPv4 header checksum incrementally (RFC 1624).
// Returns false and leaves a not-ECT packet untouched.
bool SetIpv4Ce(rte_ipv4_hdr* ip);
bool SetIpv6Ce(rte_ipv6_hdr* ip);

}  // namespace weft::dp::tm
