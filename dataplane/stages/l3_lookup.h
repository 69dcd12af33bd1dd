// L3 lookup stage: the burst's IPv4 destinations in one rte_fib_lookup_bulk and its IPv6
// destinations in one rte_fib6_lookup_bulk, against the snapshot's active FIB copy.
#pragma once

#include <rte_fib.h>
#include <rte_fib6.h>

#include "dataplane/stages/packet_meta.h"
#include "dataplane/tables/snapshot.h"

namespace weft::dp {

inline void LookupBurst(const TablesSnapshot& snap, PacketMeta* meta, uint16_t n) {
  uint32_t v4[kBurstSize];
  uint8_t v6[kBurstSize][RTE_FIB6_IPV6_ADDR_SIZE];
  uint64_t r4[kBurstSize], r6[kBurstSize];
  uint8_t i4[kBurstSize], i6[kBurstSize];
  int n4 = 0, n6 = 0;
  for (uint16_t i = 0; i < n; ++i) {
    PacketMeta& m = meta[i];
    if (m.verdict != Verdict::kForward) continue;
    if (m.family == 4) {
      i4[n4] = static_cast<uint8_t>(i);
      v4[n4++] = LoadBe32(m.l3 + 16);
    } else {
      i6[n6] = static_cast<uint8_t>(i);
      std::memcpy(v6[n6++], m.l3 + 24, RTE_FIB6_IPV6_ADDR_SIZE);
    }
  }
  if (n4) rte_fib_lookup_bulk(snap.fib4, v4, r4, n4);
  if (n6) rte_fib6_lookup_bulk(snap.fib6, v6, r6, n6);
  for (int k = 0; k < n4; ++k) meta[i4[k]].fib_value = r4[k];
  for (int k = 0; k < n6; ++k) meta[i6[k]].fib_value = r6[k];
}

}  // namespace weft::dp
