#include "dataplane/tm/ecn_marker.h"

#include <rte_byteorder.h>
#include <rte_ip.h>

#include <cmath>

namespace weft::dp::tm {

EcnMarker::EcnMarker(const std::array<WredProfile, kNumTrafficClasses>& profiles, uint64_t seed)
    : random_(seed) {
  for (int tc = 0; tc < kNumTrafficClasses; ++tc) {
    const WredProfile& p = profiles[tc];
    curves_[tc] = Curve{p.enabled, p.non_ect, p.kmin_bytes, p.kmax_bytes,
                        static_cast<uint64_t>(std::llround(p.pmax * double(kOne)))};
  }
}

EcnCodepoint Ipv4Ecn(const rte_ipv4_hdr* ip) {
  return static_cast<EcnCodepoint>(ip->type_of_service & 3);
}

EcnCodepoint Ipv6Ecn(const rte_ipv6_hdr* ip) {
  // vtc_flow: version(4) traffic class(8) flow label(20); ECN is the low 2 bits of the class.
  return static_cast<EcnCodepoint>(rte_be_to_cpu_32(ip->vtc_flow) >> 20 & 3);
}

bool SetIpv4Ce(rte_ipv4_hdr* ip) {
  const uint8_t tos = ip->type_of_service;
  if ((tos & 3) == 0) return false;
  // RFC 1624 eqn 3 on the 16-bit word holding version/IHL and TOS: HC' = ~(~HC + ~m + m').
  const uint16_t old_word = uint16_t(ip->version_ihl) << 8 | tos;
  const uint16_t new_word = uint16_t(old_word | 3);
  uint32_t sum = uint16_t(~rte_be_to_cpu_16(ip->hdr_checksum));
  sum += uint16_t(~old_word);
  sum += new_word;
  sum = (sum & 0xFFFF) + (sum >> 16);
  sum = (sum & 0xFFFF) + (sum >> 16);
  ip->type_of_service = uint8_t(tos | 3);
  ip->hdr_checksum = rte_cpu_to_be_16(uint16_t(~sum));
  return true;
}

bool SetIpv6Ce(rte_ipv6_hdr* ip) {
  const uint32_t vtc = rte_be_to_cpu_32(ip->vtc_flow);
  if ((vtc >> 20 & 3) == 0) return false;
  ip->vtc_flow = rte_cpu_to_be_32(vtc | 3u << 20);
  return true;
}

}  // namespace weft::dp::tm
