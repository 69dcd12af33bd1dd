// The reader-side view of ForwardingTables: what workers read between two RCU quiescent reports.
// Everything here is immutable once published, or an atomic the writer stores with release order.
#pragma once

#include <rte_ether.h>
#include <rte_fib.h>
#include <rte_fib6.h>

#include <atomic>
#include <cstdint>

#include "dataplane/tables/forwarding_tables.h"

namespace weft::dp {

// FIB next-hop values. The FIB stores an internal index, never a pointer: groups are replaced in
// their slot without touching the (large, slow to rewrite) FIB.
inline constexpr uint64_t kFibNoRoute = 0;  // the FIBs' default_nh
inline constexpr uint64_t kFibDrop = 1;
inline constexpr uint64_t kFibPunt = 2;        // local address or punt route: to the ingress TAP
inline constexpr uint64_t kFibGroupBase = 16;  // value = kFibGroupBase + group slot

struct GroupMemberView {
  uint16_t port = 0;
  uint8_t resolved = 0;  // 0: no neighbour MAC yet, packets glean to `port`'s TAP
  uint8_t weight = 1;    // 1..255 (adaptive modes weigh member load by it)
  rte_ether_addr dst_mac{};
};
static_assert(sizeof(GroupMemberView) == 10);

// An immutable next-hop group; replaced as a whole (new object, pointer store, free after grace).
struct NexthopGroupView {
  uint32_t group_id = 0;  // client id; 0 for the implicit group of a single next-hop route
  uint32_t slot = 0;
  uint16_t num_members = 0;
  uint16_t bucket_mask = 0;          // bucket count - 1 (power of two)
  LbMode mode = LbMode::kHash;       // the group's own mode (a traffic class may override it)
  uint8_t equal_weights = 1;         // every member has the same weight
  const uint8_t* buckets = nullptr;  // member index per bucket; stored right after this object
  GroupMemberView members[kMaxGroupMembers];
};

// Hash configuration packed in one word so a reader never sees fields and seed torn apart.
inline uint64_t PackHashConfig(const HashConfig& c) { return uint64_t(c.fields) << 32 | c.seed; }
inline HashConfig UnpackHashConfig(uint64_t v) {
  HashConfig c;
  c.fields = uint32_t(v >> 32);
  c.seed = uint32_t(v);
  return c;
}

struct TablesSnapshot {
  rte_fib* fib4 = nullptr;
  rte_fib6* fib6 = nullptr;
  const std::atomic<const NexthopGroupView*>* groups = nullptr;  // slot array
  uint32_t num_slots = 0;
  const std::atomic<uint64_t>* port_up_mask = nullptr;  // bit p: port p usable for forwarding
  const std::atomic<uint64_t>* hash_config = nullptr;   // PackHashConfig

  // nullptr for non-group values or a slot being torn down.
  const NexthopGroupView* GroupFor(uint64_t fib_value) const {
    uint64_t slot = fib_value - kFibGroupBase;
    if (fib_value < kFibGroupBase || slot >= num_slots) return nullptr;
    return groups[slot].load(std::memory_order_acquire);
  }
};

}  // namespace weft::dp
