#include "dataplane/tables/group_view.h"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <vector>

#include "dataplane/lb/buckets.h"

namespace weft::dp {

void GroupViewDeleter::operator()(NexthopGroupView* v) const {
  v->~NexthopGroupView();
  ::operator delete (v, std::align_val_t{64});
}

GroupViewPtr BuildGroupView(uint32_t group_id, uint32_t slot, std::span<const GroupMember> members,
                            const NeighborResolver& resolve, LbMode mode,
                            std::span<const uint8_t> fixed_buckets) {
  std::vector<uint32_t> weights;
  weights.reserve(members.size());
  for (const GroupMember& m : members) weights.push_back(m.weight);
  const uint32_t nbuckets =
      fixed_buckets.empty() ? GroupBucketCount(weights) : uint32_t(fixed_buckets.size());
  void* mem = ::operator new (sizeof(NexthopGroupView) + nbuckets, std::align_val_t{64});
  GroupViewPtr view(new (mem) NexthopGroupView());
  uint8_t* buckets = reinterpret_cast<uint8_t*>(mem) + sizeof(NexthopGroupView);
  view->group_id = group_id;
  view->slot = slot;
  view->num_members = static_cast<uint16_t>(members.size());
  view->bucket_mask = static_cast<uint16_t>(nbuckets - 1);
  view->buckets = buckets;
  view->mode = mode;
  for (size_t i = 0; i < members.size(); ++i) {
    GroupMemberView& mv = view->members[i];
    mv.port = members[i].nexthop.port;
    mv.weight = static_cast<uint8_t>(members[i].weight);
    if (mv.weight != view->members[0].weight) view->equal_weights = 0;
    const rte_ether_addr* mac = resolve(members[i].nexthop);
    mv.resolved = mac != nullptr;
    if (mac) mv.dst_mac = *mac;
  }
  if (fixed_buckets.empty())
    FillGroupBuckets(weights, std::span<uint8_t>(buckets, nbuckets));
  else
    std::copy(fixed_buckets.begin(), fixed_buckets.end(), buckets);
  return view;
}

}  // namespace weft::dp
