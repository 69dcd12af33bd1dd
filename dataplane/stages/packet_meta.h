// Per-packet metadata of one burst, kept in an array on the worker's stack (never in the heap),
// and the burst loop every stage uses: groups of four with the next packets prefetched, then a
// scalar tail (the shape of DPDK's lib/fib/dir24_8.h and l3fwd).
#pragma once

#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <cstdint>
#include <cstring>

namespace weft::dp {

inline constexpr uint16_t kBurstSize = 32;

enum class Verdict : uint8_t { kForward, kPunt, kDrop, kConsumed };

struct PacketMeta {
  uint8_t* l3 = nullptr;  // IPv4/IPv6 header in the first segment
  uint32_t l3_len = 0;    // IPv4 total length, or 40 + IPv6 payload length
  Verdict verdict = Verdict::kDrop;
  uint8_t reason = 0;         // DropReason (kDrop) or PuntClass (kPunt)
  uint8_t family = 0;         // 4, 6, or 0 for non-IP
  uint8_t vlan = 0;           // 1 if one 802.1Q tag precedes the L3 header
  uint8_t traffic_class = 0;  // 0..7, from DSCP (or PCP for non-IP); for the traffic manager
  uint8_t pg = 0;             // priority group 0..7 (ingress buffer accounting and PFC)
  uint8_t ecn = 0;            // the IP header's two ECN bits as received (RFC 3168)
  uint8_t l4_proto = 0;
  uint8_t ttl = 0;  // TTL or hop limit as received
  uint8_t pcp = 0;
  uint16_t src_port = 0, dst_port = 0;  // host order; 0 when not TCP/UDP or a non-first fragment
  uint16_t out_port = 0;  // egress port (kForward) or the port whose TAP gets it (kPunt)
  uint32_t roce_qp = 0;   // RoCEv2 BTH destination QP
  uint64_t fib_value = 0;
  uint32_t flow_hash = 0;  // valid when hash_ready (computed ahead for adaptive groups)
  uint8_t hash_ready = 0;
};

// Network-order loads that are safe at any alignment.
inline uint16_t LoadBe16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t LoadBe32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

// Calls f(i) for i in [0, n): four at a time with the following packets' data prefetched.
template <typename F>
inline void ForEachPacket(rte_mbuf* const* pkts, uint16_t n, F&& f) {
  for (uint16_t k = 0; k < n && k < 4; ++k) rte_prefetch0(rte_pktmbuf_mtod(pkts[k], void*));
  uint16_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (uint16_t k = i + 4; k < n && k < i + 8; ++k)
      rte_prefetch0(rte_pktmbuf_mtod(pkts[k], void*));
    f(i);
    f(i + 1);
    f(i + 2);
    f(i + 3);
  }
  for (; i < n; ++i) f(i);
}

}  // namespace weft::dp
