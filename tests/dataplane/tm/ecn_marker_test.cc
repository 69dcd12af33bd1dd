#include "dataplane/tm/ecn_marker.h"

#include <gtest/gtest.h>
#include <rte_byteorder.h>
#include <rte_ip.h>

#include <cstring>

namespace weft::dp::tm {
namespace {

std::array<WredProfile, kNumTrafficClasses> Profiles() {
  std::array<WredProfile, kNumTrafficClasses> p{};
  p[3] = {.enabled = true,
          .kmin_bytes = 10'000,
          .kmax_bytes = 50'000,
          .pmax = 0.2,
          .non_ect = NonEctAction::kDropByCurve};
  p[4] = {.enabled = true,
          .kmin_bytes = 5'000,
          .kmax_bytes = 100'000,
          .pmax = 1.0,
          .non_ect = NonEctAction::kTailDrop};
  p[5] = {.enabled = true,
          .kmin_bytes = 20'000,
          .kmax_bytes = 20'000,
          .pmax = 1.0,
          .non_ect = NonEctAction::kDropByCurve};  // step marking, DCTCP style
  return p;
}

// The configured curve, independently of the implementation.
double Curve(const WredProfile& p, uint64_t depth) {
  if (depth <= p.kmin_bytes) return 0;
  if (depth > p.kmax_bytes) return 1;
  return p.pmax * double(depth - p.kmin_bytes) / double(p.kmax_bytes - p.kmin_bytes);
}

// Marking probability measured over many packets at each depth is within +-2 percentage points.
TEST(EcnMarkerTest, MeasuredMarkingFollowsTheCurve) {
  const auto profiles = Profiles();
  EcnMarker marker(profiles, 12345);
  constexpr int kPackets = 40'000;
  for (int tc : {3, 4, 5}) {
    for (uint64_t depth : {0ULL, 5'000ULL, 10'000ULL, 15'000ULL, 20'000ULL, 20'001ULL, 30'000ULL,
                           45'000ULL, 50'000ULL, 50'001ULL, 75'000ULL, 100'000ULL, 200'000ULL}) {
      int marked = 0;
      for (int i = 0; i < kPackets; ++i) {
        const EcnVerdict v = marker.Decide(tc, depth, EcnCodepoint::kEct0);
        ASSERT_NE(v, EcnVerdict::kDrop);
        marked += v == EcnVerdict::kMarkCe;
      }
      EXPECT_NEAR(double(marked) / kPackets, Curve(profiles[tc], depth), 0.02)
          << "queue " << tc << " depth " << depth;
    }
  }
}

TEST(EcnMarkerTest, NonEctDroppedByCurveOrLeftToTailDrop) {
  const auto profiles = Profiles();
  EcnMarker marker(profiles, 99);
  constexpr int kPackets = 40'000;
  int dropped = 0;
  for (int i = 0; i < kPackets; ++i)
    dropped += marker.Decide(3, 30'000, EcnCodepoint::kNotEct) == EcnVerdict::kDrop;
  EXPECT_NEAR(double(dropped) / kPackets, Curve(profiles[3], 30'000), 0.02);
  for (int i = 0; i < kPackets; ++i)
    ASSERT_EQ(marker.Decide(4, 1'000'000, EcnCodepoint::kNotEct), EcnVerdict::kPass);
  // ECT(1) and CE are marked like ECT(0).
  EXPECT_EQ(marker.Decide(4, 1'000'000, EcnCodepoint::kEct1), EcnVerdict::kMarkCe);
  EXPECT_EQ(marker.Decide(4, 1'000'000, EcnCodepoint::kCe), EcnVerdict::kMarkCe);
  // A queue without a profile never acts.
  EXPECT_EQ(marker.Decide(0, 1'000'000, EcnCodepoint::kNotEct), EcnVerdict::kPass);
}

TEST(EcnMarkerTest, ProbabilityIsExactAtTheCorners) {
  EcnMarker marker(Profiles(), 1);
  EXPECT_EQ(marker.Probability32(3, 10'000), 0u);
  // Integer arithmetic: within one unit of 2^-32 of the exact curve.
  EXPECT_NEAR(double(marker.Probability32(3, 30'000)), 0.1 * double(EcnMarker::kOne), 1.0);
  EXPECT_NEAR(double(marker.Probability32(3, 50'000)), 0.2 * double(EcnMarker::kOne), 1.0);
  EXPECT_EQ(marker.Probability32(3, 50'001), EcnMarker::kOne);
}

rte_ipv4_hdr Ipv4Header(uint8_t tos, uint16_t id) {
  rte_ipv4_hdr h;
  std::memset(&h, 0, sizeof h);
  h.version_ihl = 0x45;
  h.type_of_service = tos;
  h.total_length = rte_cpu_to_be_16(1500);
  h.packet_id = rte_cpu_to_be_16(id);
  h.time_to_live = 64;
  h.next_proto_id = 17;
  h.src_addr = rte_cpu_to_be_32(0x0A000001 + id);
  h.dst_addr = rte_cpu_to_be_32(0xC0A80001 * 7 + id);
  h.hdr_checksum = rte_ipv4_cksum(&h);
  return h;
}

TEST(EcnCodepointTest, SetIpv4CeUpdatesChecksumIncrementally) {
  for (uint16_t id = 0; id < 2000; ++id) {
    for (uint8_t ecn : {1, 2, 3}) {
      const uint8_t tos = uint8_t((id % 64) << 2 | ecn);
      rte_ipv4_hdr h = Ipv4Header(tos, uint16_t(id * 37));
      ASSERT_EQ(Ipv4Ecn(&h), static_cast<EcnCodepoint>(ecn));
      ASSERT_TRUE(SetIpv4Ce(&h));
      EXPECT_EQ(h.type_of_service, uint8_t(tos | 3));
      EXPECT_EQ(Ipv4Ecn(&h), EcnCodepoint::kCe);
      const uint16_t incremental = h.hdr_checksum;
      h.hdr_checksum = 0;
      ASSERT_EQ(incremental, rte_ipv4_cksum(&h)) << "id " << id << " tos " << int(tos);
    }
  }
}

TEST(EcnCodepointTest, NotEctIsLeftAlone) {
  rte_ipv4_hdr h = Ipv4Header(0xB8, 7);  // DSCP 46, not ECT
  const rte_ipv4_hdr before = h;
  EXPECT_FALSE(SetIpv4Ce(&h));
  EXPECT_EQ(std::memcmp(&h, &before, sizeof h), 0);
  rte_ipv6_hdr h6;
  std::memset(&h6, 0, sizeof h6);
  h6.vtc_flow = rte_cpu_to_be_32(6u << 28 | 0xB8u << 20 | 0x12345);
  EXPECT_FALSE(SetIpv6Ce(&h6));
  EXPECT_EQ(Ipv6Ecn(&h6), EcnCodepoint::kNotEct);
}

TEST(EcnCodepointTest, SetIpv6CeTouchesOnlyTheEcnBits) {
  rte_ipv6_hdr h;
  std::memset(&h, 0, sizeof h);
  // Version 6, DSCP 26 with ECT(0), flow label 0xABCDE.
  h.vtc_flow = rte_cpu_to_be_32(6u << 28 | (26u << 2 | 2u) << 20 | 0xABCDE);
  ASSERT_EQ(Ipv6Ecn(&h), EcnCodepoint::kEct0);
  ASSERT_TRUE(SetIpv6Ce(&h));
  EXPECT_EQ(rte_be_to_cpu_32(h.vtc_flow), 6u << 28 | (26u << 2 | 3u) << 20 | 0xABCDE);
  EXPECT_EQ(Ipv6Ecn(&h), EcnCodepoint::kCe);
}

}  // namespace
}  // namespace weft::dp::tm
