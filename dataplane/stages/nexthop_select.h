// Next-hop selection stage: flow hash of the configured fields -> bucket -> member. A member on a
// down port is skipped at once (local repair): the flow moves to the next up member from a
// hash-chosen start, so the down member's flows spread over the survivors.
#pragma once

#include "dataplane/lb/flow_hash.h"
#include "dataplane/stages/packet_meta.h"
#include "dataplane/tables/snapshot.h"

namespace weft::dp {

inline uint32_t PacketFlowHash(const PacketMeta& m, const HashConfig& cfg) {
  FlowFields f;
  if (m.family == 4) {
    f.src = m.l3 + 12;
    f.dst = m.l3 + 16;
    f.addr_len = 4;
  } else {
    f.src = m.l3 + 8;
    f.dst = m.l3 + 24;
    f.addr_len = 16;
    f.flow_label = LoadBe32(m.l3) & 0xfffff;
  }
  f.proto = m.l4_proto;
  f.src_port = m.src_port;
  f.dst_port = m.dst_port;
  f.roce_qp = m.roce_qp;
  return FlowHash(f, cfg.fields, cfg.seed);
}

// Member index, or -1 when every member's port is down.
inline int SelectMember(const NexthopGroupView& g, uint32_t hash, uint64_t port_up_mask) {
  const uint8_t first = g.buckets[hash & g.bucket_mask];
  if ((port_up_mask >> g.members[first].port) & 1) return first;
  const uint32_t n = g.num_members;
  const uint32_t start = (hash >> 16) % n;
  for (uint32_t k = 0; k < n; ++k) {
    const uint32_t idx = (start + k) % n;
    if ((port_up_mask >> g.members[idx].port) & 1) return static_cast<int>(idx);
  }
  return -1;
}

}  // namespace weft::dp
