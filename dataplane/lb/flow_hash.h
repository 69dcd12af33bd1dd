// The ECMP flow hash: CRC32C (SSE4.2) over the fields the HashConfig selects,
// chained from the configured seed. Unselected fields hash as zero so that the field set, not the
// packet layout, decides the result. Inline: it runs once per forwarded packet.
#pragma once

#include <nmmintrin.h>

#include <cstdint>
#include <cstring>
#include <utility>

#include "dataplane/tables/forwarding_tables.h"

namespace weft::dp {

// The fields of one packet the hash may use (host byte order for ports, raw bytes for addresses).
struct FlowFields {
  const uint8_t* src = nullptr;  // 4 or 16 bytes, in the packet
  const uint8_t* dst = nullptr;
  uint8_t addr_len = 4;  // 4 (IPv4) or 16 (IPv6)
  uint8_t proto = 0;
  uint16_t src_port = 0, dst_port = 0;
  uint32_t flow_label = 0;  // IPv6 only, 20 bits
  uint32_t roce_qp = 0;     // RoCEv2 BTH destination QP, 24 bits (0 if not RoCE)
};

// Spread the CRC's entropy into the low bits the bucket mask keeps.
inline uint32_t FinalizeFlowHash(uint32_t h) {
  h ^= h >> 15;
  h *= 0x2c1b3c6dU;
  h ^= h >> 12;
  return h;
}

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Symmetric hashing: the (source, destination) pairs in a fixed order, so that the reverse
// direction of a flow hashes alike. Only the order of each pair changes, never which fields count.
// `f` by reference and the pairs in locals: a by-value FlowFields built field by field and then
// copied whole costs a store-forwarding stall per packet.
[[gnu::always_inline]] inline uint32_t FlowHash(const FlowFields& f, uint32_t fields,
                                                uint32_t seed) {
  const uint8_t* src = f.src;
  const uint8_t* dst = f.dst;
  uint16_t src_port = f.src_port, dst_port = f.dst_port;
  if (fields & kHashSymmetric) {
    if (std::memcmp(src, dst, f.addr_len) > 0) std::swap(src, dst);
    if (src_port > dst_port) std::swap(src_port, dst_port);
  }
  // The crc32 instruction directly (SSE4.2 is part of the build's -march): DPDK's rte_hash_crc_*
  // wrappers re-check a global algorithm selector on every call.
  uint64_t h = seed;
  if (f.addr_len == 4) {
    const uint64_t s = (fields & kHashSrcIp) ? Load32(src) : 0;
    const uint64_t d = (fields & kHashDstIp) ? Load32(dst) : 0;
    h = _mm_crc32_u64(h, s << 32 | d);
  } else {
    if (fields & kHashSrcIp) h = _mm_crc32_u64(_mm_crc32_u64(h, Load64(src)), Load64(src + 8));
    if (fields & kHashDstIp) h = _mm_crc32_u64(_mm_crc32_u64(h, Load64(dst)), Load64(dst + 8));
  }
  uint64_t tail = 0;
  if (fields & kHashIpProto) tail |= f.proto;
  if (fields & kHashSrcPort) tail |= uint64_t(src_port) << 8;
  if (fields & kHashDstPort) tail |= uint64_t(dst_port) << 24;
  if (fields & kHashFlowLabel) tail |= uint64_t(f.flow_label & 0xfffff) << 40;
  h = _mm_crc32_u64(h, tail);
  if (fields & kHashRoceQp) h = _mm_crc32_u32(uint32_t(h), f.roce_qp & 0xffffff);
  return FinalizeFlowHash(uint32_t(h));
}

}  // namespace weft::dp
