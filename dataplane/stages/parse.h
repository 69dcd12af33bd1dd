// Parse stage: Ethernet, one 802.1Q tag, IPv4 (version, IHL, total length, header checksum),
// IPv6 (version, payload length), TCP/UDP ports. Nothing in a packet is trusted: every malformed
// case ends in a drop with its own reason. Control-plane traffic is marked for punting here
// (ARP, ND/IPv6 multicast, link-local, L2 multicast); MAC-control (PFC) frames are consumed.
#pragma once

#include <rte_ether.h>
#include <rte_ip.h>

#include <algorithm>

#include "dataplane/stages/packet_meta.h"
#include "dataplane/stats/counters.h"

namespace weft::dp {

inline constexpr uint16_t kEtherTypeVlan = 0x8100;
inline constexpr uint16_t kEtherTypeMacControl = 0x8808;
inline constexpr uint16_t kRoceV2Port = 4791;

inline void MarkDrop(PacketMeta& m, DropReason r) {
  m.verdict = Verdict::kDrop;
  m.reason = static_cast<uint8_t>(r);
}
inline void MarkPunt(PacketMeta& m, PuntClass c, uint16_t port) {
  m.verdict = Verdict::kPunt;
  m.reason = static_cast<uint8_t>(c);
  m.out_port = port;
}

// TCP/UDP ports (and the RoCEv2 destination QP). `avail` = L4 bytes present in the first segment
// and within the IP length. Returns false if the L4 header is truncated.
inline bool ParseL4(const uint8_t* l4, uint32_t avail, PacketMeta& m) {
  if (m.l4_proto == IPPROTO_TCP) {
    if (avail < 20 || (l4[12] >> 4) < 5 || uint32_t(l4[12] >> 4) * 4 > avail) return false;
  } else if (m.l4_proto == IPPROTO_UDP) {
    if (avail < 8) return false;
  } else {
    return true;
  }
  m.src_port = LoadBe16(l4);
  m.dst_port = LoadBe16(l4 + 2);
  // RoCEv2: BTH follows UDP; bytes 5..7 of the BTH are the destination QP.
  if (m.l4_proto == IPPROTO_UDP && m.dst_port == kRoceV2Port && avail >= 8 + 12)
    m.roce_qp = LoadBe32(l4 + 8 + 4) & 0xffffff;
  return true;
}

inline void ParseIpv4(uint8_t* l3, uint32_t seg_avail, uint32_t pkt_avail, bool l2_multicast,
                      uint16_t in_port, PacketMeta& m) {
  if (seg_avail < 20) return MarkDrop(m, DropReason::kTruncatedIpv4);
  if ((l3[0] >> 4) != 4) return MarkDrop(m, DropReason::kIpv4BadVersion);
  const uint32_t ihl = uint32_t(l3[0] & 0x0f) * 4;
  if (ihl < 20) return MarkDrop(m, DropReason::kIpv4BadIhl);
  if (ihl > seg_avail) return MarkDrop(m, DropReason::kTruncatedIpv4);
  const uint32_t total = LoadBe16(l3 + 2);
  if (total < ihl || total > pkt_avail) return MarkDrop(m, DropReason::kIpv4BadTotalLength);
  if (rte_raw_cksum(l3, ihl) != 0xffff) return MarkDrop(m, DropReason::kIpv4BadChecksum);
  m.family = 4;
  m.l3 = l3;
  m.l3_len = total;
  m.ttl = l3[8];
  m.l4_proto = l3[9];
  const uint8_t d0 = l3[16], d1 = l3[17];
  if (d0 == 169 && d1 == 254) return MarkPunt(m, PuntClass::kLinkLocal, in_port);
  if ((d0 & 0xf0) == 0xe0 || LoadBe32(l3 + 16) == 0xffffffffu || l2_multicast)
    return MarkPunt(m, PuntClass::kMulticast, in_port);
  const bool first_fragment = (LoadBe16(l3 + 6) & 0x1fff) == 0;
  if (first_fragment) {
    uint32_t avail = std::min(seg_avail, total) - ihl;
    if (!ParseL4(l3 + ihl, avail, m)) return MarkDrop(m, DropReason::kTruncatedL4);
  }
  m.verdict = Verdict::kForward;
}

inline void ParseIpv6(uint8_t* l3, uint32_t seg_avail, uint32_t pkt_avail, bool l2_multicast,
                      uint16_t in_port, PacketMeta& m) {
  if (seg_avail < 40) return MarkDrop(m, DropReason::kTruncatedIpv6);
  if ((l3[0] >> 4) != 6) return MarkDrop(m, DropReason::kIpv6BadVersion);
  const uint32_t total = 40 + uint32_t(LoadBe16(l3 + 4));
  if (total > pkt_avail) return MarkDrop(m, DropReason::kIpv6BadPayloadLength);
  m.family = 6;
  m.l3 = l3;
  m.l3_len = total;
  m.ttl = l3[7];
  m.l4_proto = l3[6];
  const uint8_t* dst = l3 + 24;
  if (dst[0] == 0xff) return MarkPunt(m, PuntClass::kNd, in_port);
  if (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80) return MarkPunt(m, PuntClass::kLinkLocal, in_port);
  const uint32_t avail = std::min(seg_avail, total) - 40;
  if (m.l4_proto == IPPROTO_ICMPV6 && avail >= 1 && l3[40] >= 133 && l3[40] <= 137)
    return MarkPunt(m, PuntClass::kNd, in_port);  // RS/RA/NS/NA/redirect sent to one of us
  if (l2_multicast) return MarkPunt(m, PuntClass::kMulticast, in_port);
  if (!ParseL4(l3 + 40, avail, m)) return MarkDrop(m, DropReason::kTruncatedL4);
  m.verdict = Verdict::kForward;
}

// Parses one frame. `port_mac`: the ingress port's MAC (unicast frames for other MACs drop).
inline void ParsePacket(rte_mbuf* pkt, const rte_ether_addr& port_mac, uint16_t in_port,
                        PacketMeta& m) {
  m = PacketMeta{};
  uint8_t* p = rte_pktmbuf_mtod(pkt, uint8_t*);
  const uint32_t seg_len = rte_pktmbuf_data_len(pkt);
  const uint32_t pkt_len = rte_pktmbuf_pkt_len(pkt);
  if (seg_len < RTE_ETHER_HDR_LEN) return MarkDrop(m, DropReason::kTruncatedEthernet);
  uint16_t type = LoadBe16(p + 12);
  uint32_t off = RTE_ETHER_HDR_LEN;
  if (type == kEtherTypeVlan) {
    if (seg_len < RTE_ETHER_HDR_LEN + 4) return MarkDrop(m, DropReason::kTruncatedVlan);
    m.vlan = 1;
    m.pcp = p[14] >> 5;
    type = LoadBe16(p + 16);
    off += 4;
  }
  if (type == kEtherTypeMacControl) {
    m.verdict = Verdict::kConsumed;
    return;
  }
  if (type == RTE_ETHER_TYPE_ARP) return MarkPunt(m, PuntClass::kArp, in_port);
  const bool l2_multicast = p[0] & 1;
  if (!l2_multicast && std::memcmp(p, port_mac.addr_bytes, RTE_ETHER_ADDR_LEN) != 0)
    return MarkDrop(m, DropReason::kDstMacMismatch);
  if (type == RTE_ETHER_TYPE_IPV4)
    return ParseIpv4(p + off, seg_len - off, pkt_len - off, l2_multicast, in_port, m);
  if (type == RTE_ETHER_TYPE_IPV6)
    return ParseIpv6(p + off, seg_len - off, pkt_len - off, l2_multicast, in_port, m);
  if (l2_multicast) return MarkPunt(m, PuntClass::kMulticast, in_port);  // LLDP, LACP, ...
  MarkDrop(m, DropReason::kUnsupportedEthertype);
}

}  // namespace weft::dp
