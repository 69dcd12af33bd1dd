// Next-hop groups, neighbours and local addresses: the writer side of the group slot array.
// A group is an immutable NexthopGroupView; a change builds a new view, stores it in the group's
// slot (one pointer store) and frees the old one after an RCU grace period.
#include "absl/strings/str_cat.h"
#include "dataplane/lb/buckets.h"
#include "dataplane/tables/tables_impl.h"

namespace weft::dp {

absl::StatusOr<uint32_t> ForwardingTablesImpl::AllocSlot() {
  if (free_slots_.empty())
    return absl::ResourceExhaustedError(
        absl::StrCat("all ", num_slots_, " next-hop group slots in use"));
  uint32_t slot = free_slots_.top();
  free_slots_.pop();
  return slot;
}

GroupViewPtr ForwardingTablesImpl::BuildView(uint32_t group_id, uint32_t slot,
                                             std::span<const GroupMember> members) {
  return BuildGroupView(group_id, slot, members,
                        [this](const NexthopKey& k) -> const rte_ether_addr* {
                          auto it = neighbors_.find(k);
                          return it == neighbors_.end() ? nullptr : &it->second.mac;
                        });
}

GroupViewPtr ForwardingTablesImpl::BuildView(uint32_t group_id, const GroupRec& rec) {
  return BuildGroupView(group_id, rec.slot, rec.members,
                        [this](const NexthopKey& k) -> const rte_ether_addr* {
                          auto it = neighbors_.find(k);
                          return it == neighbors_.end() ? nullptr : &it->second.mac;
                        },
                        rec.policy.mode, rec.buckets);
}

void ForwardingTablesImpl::UpdateResilientBuckets(GroupRec* rec,
                                                  std::span<const GroupMember> new_members) {
  if (!rec->policy.resilient) {
    rec->buckets.clear();
    return;
  }
  std::vector<int> old_to_new(rec->members.size(), -1);
  for (size_t i = 0; i < rec->members.size(); ++i)
    for (size_t j = 0; j < new_members.size(); ++j)
      if (rec->members[i].nexthop == new_members[j].nexthop) old_to_new[i] = int(j);
  std::vector<uint32_t> weights;
  for (const GroupMember& m : new_members) weights.push_back(m.weight);
  std::vector<uint8_t> out(kResilientBuckets);
  RefillResilientBuckets(old_to_new, rec->buckets, weights, out);
  rec->buckets = std::move(out);
}

void ForwardingTablesImpl::PublishSlot(uint32_t slot, GroupViewPtr view,
                                       std::vector<GroupViewPtr>* retired) {
  slots_[slot].store(view.get(), std::memory_order_release);
  if (slot_views_[slot]) retired->push_back(std::move(slot_views_[slot]));
  slot_views_[slot] = std::move(view);
}

void ForwardingTablesImpl::RetireSlot(uint32_t slot, std::vector<GroupViewPtr>* retired) {
  slots_[slot].store(nullptr, std::memory_order_release);
  if (slot_views_[slot]) retired->push_back(std::move(slot_views_[slot]));
  retired_slots_.push_back(slot);
}

void ForwardingTablesImpl::FinishRetire(std::vector<GroupViewPtr>* retired) {
  if (retired->empty() && retired_slots_.empty()) return;
  Synchronize();
  retired->clear();
  for (uint32_t s : retired_slots_) free_slots_.push(s);
  retired_slots_.clear();
}

absl::StatusOr<uint32_t> ForwardingTablesImpl::AcquireImplicit(const NexthopKey& key) {
  auto it = implicit_.find(key);
  if (it != implicit_.end()) {
    ++it->second.refs;
    return it->second.slot;
  }
  absl::StatusOr<uint32_t> slot = AllocSlot();
  if (!slot.ok()) return slot.status();
  std::vector<GroupViewPtr> none;
  GroupMember m{key, 1};
  PublishSlot(*slot, BuildView(0, *slot, std::span<const GroupMember>(&m, 1)), &none);
  implicit_[key] = ImplicitRec{*slot, 1};
  return *slot;
}

void ForwardingTablesImpl::ReleaseImplicit(const NexthopKey& key,
                                           std::vector<GroupViewPtr>* retired) {
  auto it = implicit_.find(key);
  if (it == implicit_.end()) return;
  if (--it->second.refs > 0) return;
  RetireSlot(it->second.slot, retired);
  implicit_.erase(it);
}

void ForwardingTablesImpl::AddRouteRef(const RouteAction& a) {
  if (a.kind == RouteKind::kGroup) ++groups_.at(a.group_id).refs;
}

void ForwardingTablesImpl::ReleaseRouteRef(const RouteAction& a,
                                           std::vector<GroupViewPtr>* retired) {
  if (a.kind == RouteKind::kGroup) {
    auto it = groups_.find(a.group_id);
    if (it != groups_.end() && it->second.refs > 0) --it->second.refs;
  } else if (a.kind == RouteKind::kNexthop) {
    ReleaseImplicit(a.nexthop, retired);
  }
}

absl::Status ForwardingTablesImpl::WriteGroups(const std::string& owner_name,
                                               std::span<const GroupWrite> writes,
                                               std::vector<absl::Status>* results) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint16_t owner = OwnerId(owner_name);
  absl::Status valid = ValidateGroups(owner, writes, results);
  if (!valid.ok()) return valid;
  std::vector<GroupViewPtr> retired;
  for (const GroupWrite& w : writes) {
    const uint32_t id = w.group.id;
    auto it = groups_.find(id);
    if (w.op == WriteOp::kDelete) {
      if (counters_) counters_->UnbindGroupSlot(it->second.slot);
      RetireSlot(it->second.slot, &retired);
      groups_.erase(it);
      ++stats_.group_deletes;
      continue;
    }
    if (it != groups_.end()) {
      GroupRec& rec = it->second;
      if (rec.members == w.group.members && rec.policy == w.group.policy) {
        ++stats_.group_unchanged;
        continue;
      }
      if (rec.policy.resilient != w.group.policy.resilient) rec.buckets.clear();
      rec.policy = w.group.policy;
      UpdateResilientBuckets(&rec, w.group.members);
      rec.members = w.group.members;
      PublishSlot(rec.slot, BuildView(id, rec), &retired);
      if (counters_)
        counters_->BindGroupSlot(it->second.slot, id, uint32_t(w.group.members.size()));
      ++stats_.group_replaces;
      continue;
    }
    uint32_t slot = *AllocSlot();  // capacity was validated
    GroupRec rec{{}, owner, slot, 0, w.group.policy, {}};
    UpdateResilientBuckets(&rec, w.group.members);
    rec.members = w.group.members;
    PublishSlot(slot, BuildView(id, rec), &retired);
    groups_[id] = std::move(rec);
    if (counters_) counters_->BindGroupSlot(slot, id, uint32_t(w.group.members.size()));
    ++stats_.group_adds;
  }
  FinishRetire(&retired);
  return absl::OkStatus();
}

absl::Status ForwardingTablesImpl::WriteNeighbors(const std::string& owner_name,
                                                  std::span<const NeighborWrite> writes,
                                                  std::vector<absl::Status>* results) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint16_t owner = OwnerId(owner_name);
  absl::Status valid = ValidateNeighbors(owner, writes, results);
  if (!valid.ok()) return valid;
  absl::flat_hash_map<NexthopKey, bool, NexthopKeyHash> changed;
  for (const NeighborWrite& w : writes) {
    NexthopKey key{w.neighbor.port, w.neighbor.address};
    auto it = neighbors_.find(key);
    if (w.op == WriteOp::kDelete) {
      neighbors_.erase(it);
      ++stats_.neighbor_deletes;
    } else if (it == neighbors_.end()) {
      neighbors_[key] = NeighborRec{w.neighbor.mac, owner};
      ++stats_.neighbor_adds;
    } else if (rte_is_same_ether_addr(&it->second.mac, &w.neighbor.mac)) {
      ++stats_.neighbor_unchanged;
      continue;
    } else {
      it->second.mac = w.neighbor.mac;
      ++stats_.neighbor_replaces;
    }
    changed[key] = true;
  }
  if (changed.empty()) return absl::OkStatus();
  // Republish every group with a member behind a changed neighbour (glean <-> resolved, new MAC).
  std::vector<GroupViewPtr> retired;
  for (auto& [id, rec] : groups_) {
    bool uses = false;
    for (const GroupMember& m : rec.members) uses = uses || changed.contains(m.nexthop);
    if (uses) PublishSlot(rec.slot, BuildView(id, rec), &retired);
  }
  for (auto& [key, rec] : implicit_) {
    if (!changed.contains(key)) continue;
    GroupMember m{key, 1};
    PublishSlot(rec.slot, BuildView(0, rec.slot, std::span<const GroupMember>(&m, 1)), &retired);
  }
  FinishRetire(&retired);
  return absl::OkStatus();
}

absl::Status ForwardingTablesImpl::WriteLocalAddresses(const std::string& owner_name,
                                                       std::span<const LocalAddressWrite> writes,
                                                       std::vector<absl::Status>* results) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint16_t owner = OwnerId(owner_name);
  absl::Status valid = ValidateLocals(owner, writes, results);
  if (!valid.ok()) return valid;
  // Work on copies (a handful of entries) so that a FIB failure leaves everything as it was.
  auto locals = locals_;
  auto hosts = local_hosts_;
  std::vector<IpAddress> flipped;  // addresses that became or stopped being local
  for (const LocalAddressWrite& w : writes) {
    NexthopKey key{w.local.port, w.local.prefix.address};
    auto it = locals.find(key);
    const IpAddress& a = w.local.prefix.address;
    if (w.op == WriteOp::kDelete) {
      locals.erase(it);
      if (--hosts[a] == 0) {
        hosts.erase(a);
        flipped.push_back(a);
      }
    } else if (it != locals.end()) {
      it->second.length = w.local.prefix.length;
    } else {
      locals[key] = LocalRec{w.local.prefix.length, owner};
      if (++hosts[a] == 1) flipped.push_back(a);
    }
  }
  std::vector<FibOp> ops;
  for (const IpAddress& a : flipped) {
    IpPrefix host{a, static_cast<uint8_t>(a.bits())};
    const RouteRec* r = FindRoute(host);
    const uint64_t route_value = r ? RouteValue(r->action) : kFibNoRoute;
    FibOp op;
    op.v6 = !a.is_v4();
    op.length = host.length;
    op.address = a.bytes;
    const bool now_local = hosts.contains(a);
    op.value = now_local ? kFibPunt : route_value;
    op.old_value = now_local ? route_value : kFibPunt;
    ops.push_back(op);
  }
  size_t failed = 0;
  absl::Status applied = ApplyFibOps(ops, &failed);
  if (!applied.ok()) {
    if (results)
      for (auto& r : *results) r = applied;
    return applied;
  }
  locals_ = std::move(locals);
  local_hosts_ = std::move(hosts);
  return absl::OkStatus();
}

std::vector<GroupEntry> ForwardingTablesImpl::ListGroups() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<GroupEntry> out;
  out.reserve(groups_.size());
  for (const auto& [id, rec] : groups_)
    out.push_back(GroupEntry{id, rec.members, owners_[rec.owner], rec.policy});
  return out;
}

std::vector<NeighborEntry> ForwardingTablesImpl::ListNeighbors() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<NeighborEntry> out;
  out.reserve(neighbors_.size());
  for (const auto& [key, rec] : neighbors_)
    out.push_back(NeighborEntry{key.port, key.address, rec.mac, owners_[rec.owner]});
  return out;
}

std::vector<LocalAddressEntry> ForwardingTablesImpl::ListLocalAddresses() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<LocalAddressEntry> out;
  for (const auto& [key, rec] : locals_)
    out.push_back(
        LocalAddressEntry{key.port, IpPrefix{key.address, rec.length}, owners_[rec.owner]});
  return out;
}

}  // namespace weft::dp
