// Rewrite stage: neighbour and port MACs, TTL / hop-limit decrement with an incremental IPv4
// header checksum (RFC 1624), and removal of an ingress 802.1Q tag (routed ports are untagged).
#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane/stages/packet_meta.h"
#include "dataplane/tables/snapshot.h"

namespace weft::dp {

// TTL is the high byte of the (TTL, protocol) word: decrementing it lowers the word by 0x0100,
// so the one's-complement checksum rises by 0x0100 with end-around carry.
inline void DecrementIpv4Ttl(uint8_t* l3) {
  l3[8] = static_cast<uint8_t>(l3[8] - 1);
  uint32_t sum = uint32_t(LoadBe16(l3 + 10)) + 0x0100;
  sum = (sum & 0xffff) + (sum >> 16);
  l3[10] = static_cast<uint8_t>(sum >> 8);
  l3[11] = static_cast<uint8_t>(sum);
}

inline void RewritePacket(rte_mbuf* pkt, const PacketMeta& m, const rte_ether_addr& dst_mac,
                          const rte_ether_addr& src_mac) {
  if (m.family == 4)
    DecrementIpv4Ttl(m.l3);
  else
    m.l3[7] = static_cast<uint8_t>(m.l3[7] - 1);
  uint8_t* eth = rte_pktmbuf_mtod(pkt, uint8_t*);
  if (m.vlan) {
    eth = reinterpret_cast<uint8_t*>(rte_pktmbuf_adj(pkt, 4));  // the tag's 4 bytes go away
  }
  std::memcpy(eth, dst_mac.addr_bytes, RTE_ETHER_ADDR_LEN);
  std::memcpy(eth + RTE_ETHER_ADDR_LEN, src_mac.addr_bytes, RTE_ETHER_ADDR_LEN);
  // After the adj the EtherType slot (eth + 12) is the inner EtherType that followed the tag.
}

}  // namespace weft::dp
