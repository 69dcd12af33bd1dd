// Building and freeing NexthopGroupView objects (writer side only).
#pragma once

#include <functional>
#include <memory>
#include <span>

#include "dataplane/tables/snapshot.h"

namespace weft::dp {

struct GroupViewDeleter {
  void operator()(NexthopGroupView* v) const;
};
using GroupViewPtr = std::unique_ptr<NexthopGroupView, GroupViewDeleter>;

// Neighbour MAC of a next hop, or nullptr if unresolved.
using NeighborResolver = std::function<const rte_ether_addr*(const NexthopKey&)>;

// One allocation: the view followed by its bucket array. members: 1..kMaxGroupMembers.
// `buckets`: the bucket table to copy (resilient groups keep theirs); empty: filled from the
// members' weights (FillGroupBuckets).
GroupViewPtr BuildGroupView(uint32_t group_id, uint32_t slot, std::span<const GroupMember> members,
                            const NeighborResolver& resolve, LbMode mode = LbMode::kHash,
                            std::span<const uint8_t> buckets = {});

}  // namespace weft::dp
