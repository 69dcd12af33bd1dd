// The ECMP flow hash: CRC32 (SSE4.2 through rte_hash_crc) over the fields the HashConfig selects,
// chained from the configured seed. Unselected fields hash as zero so that the field set, not the
// packet layout, decides the result. Inline: it runs once per forwarded packet.
#pragma once

#include <rte_hash_crc.h>

#include <cstdint>
#include <cstring>

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

inline uint32_t HashAddress(const uint8_t* a, uint8_t len, uint32_t h) {
  uint64_t w[2] = {0, 0};
  std::memcpy(w, a, len);
  h = rte_hash_crc_8byte(w[0], h);
  return len == 16 ? rte_hash_crc_8byte(w[1], h) : h;
}

inline uint32_t FlowHash(const FlowFields& f, uint32_t fields, uint32_t seed) {
  uint32_t h = seed;
  if (fields & kHashSrcIp) h = HashAddress(f.src, f.addr_len, h);
  if (fields & kHashDstIp) h = HashAddress(f.dst, f.addr_len, h);
  uint64_t tail = 0;
  if (fields & kHashIpProto) tail |= f.proto;
  if (fields & kHashSrcPort) tail |= uint64_t(f.src_port) << 8;
  if (fields & kHashDstPort) tail |= uint64_t(f.dst_port) << 24;
  if (fields & kHashFlowLabel) tail |= uint64_t(f.flow_label & 0xfffff) << 40;
  h = rte_hash_crc_8byte(tail, h);
  if (fields & kHashRoceQp) h = rte_hash_crc_4byte(f.roce_qp & 0xffffff, h);
  return FinalizeFlowHash(h);
}

}  // namespace weft::dp
