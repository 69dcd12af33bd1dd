#include "controlplane/programmer/programmer.h"

#include <cstring>

#include "absl/container/flat_hash_set.h"

namespace weft::cp {
namespace {

// Sends writes[begin, end) as one batch. A batch the data plane rejects changed nothing; it is
// split in halves until the refused entries are isolated (a few bad entries among 64k cost
// O(bad * log n) calls, not one call per entry). Deleting an absent entry counts as done.
template <typename Request, typename Write, typename Send>
absl::Status SendRange(const std::vector<Write>& writes, size_t begin, size_t end,
                       const std::string& owner, Send& send, ProgrammerCounters& counters,
                       std::vector<bool>& done) {
  Request request;
  request.set_owner(owner);
  for (size_t i = begin; i < end; ++i) *request.add_writes() = writes[i];
  ++counters.batches;
  absl::Status s = send(request);
  if (s.ok()) {
    std::fill(done.begin() + static_cast<ptrdiff_t>(begin),
              done.begin() + static_cast<ptrdiff_t>(end), true);
    return absl::OkStatus();
  }
  if (IsTransportError(s)) return s;
  if (end - begin == 1) {
    done[begin] = writes[begin].op() == dpv1::WRITE_OP_DELETE &&
                  s.code() == absl::StatusCode::kNotFound;
    if (!done[begin]) {
      ++counters.failed_entries;
      counters.last_error = std::string(s.message());
    }
    return absl::OkStatus();
  }
  const size_t mid = begin + (end - begin) / 2;
  absl::Status left = SendRange<Request>(writes, begin, mid, owner, send, counters, done);
  if (!left.ok()) return left;
  return SendRange<Request>(writes, mid, end, owner, send, counters, done);
}

// Sends `writes` in chunks of `max_batch`; per write true if it is in the data plane afterwards.
template <typename Request, typename Write, typename Send>
absl::StatusOr<std::vector<bool>> RunBatches(const std::vector<Write>& writes, size_t max_batch,
                                             const std::string& owner, Send&& send,
                                             ProgrammerCounters& counters) {
  std::vector<bool> done(writes.size(), false);
  for (size_t start = 0; start < writes.size(); start += max_batch) {
    const size_t end = std::min(writes.size(), start + max_batch);
    absl::Status s = SendRange<Request>(writes, start, end, owner, send, counters, done);
    if (!s.ok()) return s;
  }
  return done;
}

}  // namespace

Programmer::Programmer(Rib& rib, std::mutex& rib_mutex, DataplaneClient& client,
                       std::string owner, NeighborTable* neighbors, AddressTable* addresses)
    : rib_(rib),
      rib_mutex_(rib_mutex),
      client_(client),
      owner_(std::move(owner)),
      neighbors_(neighbors),
      addresses_(addresses) {}

void Programmer::AllowDeletesOfUnclaimed() {
  deletes_allowed_ = true;
  full_diff_ = true;
}

absl::Status Programmer::Sync() {
  ++counters_.syncs;
  absl::StatusOr<dpv1::GetInfoResponse> info = client_.GetInfo();
  if (!info.ok()) {
    relist_ = true;
    return info.status();
  }
  if (info->max_batch_entries() > 0) max_batch_ = info->max_batch_entries();
  bool full = full_diff_;
  if (!epoch_ || relist_) {
    absl::Status s = Adopt();
    if (!s.ok()) return s;
    relist_ = false;
    full = true;
  } else if (*epoch_ != info->boot_epoch()) {
    // The data plane restarted and holds nothing of ours.
    installed_.clear();
    groups_.Clear();
    ++counters_.full_pushes;
    full = true;
  }
  epoch_ = info->boot_epoch();
  full_diff_ = false;
  std::vector<RibChange> changes;
  std::vector<NeighborChange> neighbor_changes;
  std::vector<LocalAddressChange> local_changes;
  {
    std::lock_guard lock(rib_mutex_);
    if (addresses_ != nullptr) {
      local_changes = addresses_->DrainChanges();
      if (full) local_changes = addresses_->Snapshot();
    }
    if (neighbors_ != nullptr) {
      neighbor_changes = neighbors_->DrainChanges();
      if (full) neighbor_changes = neighbors_->Snapshot();
    }
    if (full) {
      rib_.DrainChanges();
      rib_.ForEachSelected([&](const RouteKey& key, const RouteAction& action) {
        changes.push_back({key, action});
      });
    } else {
      changes = rib_.DrainChanges();
    }
  }
  // Neighbours first: a route's next hop then forwards as soon as the route lands.
  absl::Status s = PushLocalAddresses(local_changes, full && deletes_allowed_);
  if (s.ok()) s = PushNeighbors(neighbor_changes, full && deletes_allowed_);
  if (s.ok()) s = Push(changes, full && deletes_allowed_);
  if (!s.ok()) relist_ = true;  // what the data plane holds is uncertain now
  return s;
}

absl::Status Programmer::Adopt() {
  absl::StatusOr<std::vector<dpv1::NexthopGroup>> groups = client_.ListNexthopGroups(owner_);
  if (!groups.ok()) return groups.status();
  absl::StatusOr<std::vector<dpv1::Route>> routes = client_.ListRoutes(owner_);
  if (!routes.ok()) return routes.status();
  if (neighbors_ != nullptr) {
    absl::StatusOr<std::vector<dpv1::Neighbor>> neighbors = client_.ListNeighbors(owner_);
    if (!neighbors.ok()) return neighbors.status();
    installed_neighbors_.clear();
    for (const auto& n : *neighbors) {
      auto addr = FromProto(n.address());
      if (!addr || n.mac().size() != 6) continue;
      MacAddress mac;
      std::memcpy(mac.data(), n.mac().data(), 6);
      installed_neighbors_[NeighborKey{n.port(), *addr}] = mac;
    }
  }
  if (addresses_ != nullptr) {
    absl::StatusOr<std::vector<dpv1::LocalAddress>> locals = client_.ListLocalAddresses(owner_);
    if (!locals.ok()) return locals.status();
    installed_locals_.clear();
    for (const auto& a : *locals) {
      dpv1::IpAddress addr;
      addr.set_address(a.prefix().address());
      auto parsed = FromProto(addr);
      if (!parsed || a.prefix().length() > static_cast<uint32_t>(parsed->bits())) continue;
      installed_locals_.insert(
          LocalAddressKey{a.port(), IpPrefix{*parsed, static_cast<uint8_t>(a.prefix().length())}});
    }
  }
  ++counters_.adoptions;
  installed_.clear();
  groups_.Clear();
  mode_fixups_.clear();
  for (const auto& g : *groups) {
    auto members = MembersFromProto(g);
    if (!members || !groups_.Adopt(g.id(), *members)) continue;
    const dpv1::LoadBalanceMode mode = g.load_balance_mode() == dpv1::LOAD_BALANCE_MODE_UNSPECIFIED
                                           ? dpv1::LOAD_BALANCE_MODE_HASH
                                           : g.load_balance_mode();
    if (mode != group_mode_) mode_fixups_.push_back(g.id());
  }
  for (const auto& r : *routes) {
    auto key = KeyFromProto(r);
    if (!key) continue;  // cannot be named, so weftd can neither keep nor delete it
    auto route = RouteFromProto(r, groups_);
    // A route weftd cannot understand is given an impossible content: it will be rewritten.
    Installed inst{route.value_or(DataplaneRoute{RouteAction::Kind::kForward, {}}), 0};
    if (route && route->is_group()) {
      inst.group_id = r.nexthop_group_id();
      groups_.AddRef(inst.group_id);
    }
    installed_[*key] = std::move(inst);
  }
  return absl::OkStatus();
}

absl::Status Programmer::PushNeighbors(const std::vector<NeighborChange>& in,
                                       bool delete_unclaimed) {
  std::vector<NeighborChange> changes = in;
  if (delete_unclaimed) {
    absl::flat_hash_set<NeighborKey> claimed;
    for (const auto& c : in) {
      if (c.mac) claimed.insert(c.key);
    }
    for (const auto& [key, mac] : installed_neighbors_) {
      if (!claimed.contains(key)) changes.push_back({key, std::nullopt});
    }
  }
  std::vector<dpv1::NeighborWrite> writes;
  std::vector<const NeighborChange*> of_write;
  for (const auto& c : changes) {
    auto it = installed_neighbors_.find(c.key);
    if (c.mac ? (it != installed_neighbors_.end() && it->second == *c.mac)
              : it == installed_neighbors_.end()) {
      continue;  // already right
    }
    dpv1::NeighborWrite w;
    w.set_op(c.mac ? dpv1::WRITE_OP_REPLACE : dpv1::WRITE_OP_DELETE);
    w.mutable_neighbor()->set_port(c.key.port);
    ToProto(c.key.address, *w.mutable_neighbor()->mutable_address());
    if (c.mac) w.mutable_neighbor()->set_mac(reinterpret_cast<const char*>(c.mac->data()), 6);
    writes.push_back(std::move(w));
    of_write.push_back(&c);
  }
  auto done = RunBatches<dpv1::WriteNeighborsRequest>(
      writes, max_batch_, owner_, [&](const auto& r) { return client_.WriteNeighbors(r); },
      counters_);
  if (!done.ok()) return done.status();
  for (size_t i = 0; i < writes.size(); ++i) {
    if (!(*done)[i]) continue;
    const NeighborChange& c = *of_write[i];
    if (c.mac) {
      installed_neighbors_[c.key] = *c.mac;
      ++counters_.neighbor_writes;
    } else {
      installed_neighbors_.erase(c.key);
      ++counters_.neighbor_deletes;
    }
  }
  return absl::OkStatus();
}

absl::Status Programmer::PushLocalAddresses(const std::vector<LocalAddressChange>& in,
                                            bool delete_unclaimed) {
  std::vector<LocalAddressChange> changes = in;
  if (delete_unclaimed) {
    absl::flat_hash_set<LocalAddressKey> claimed;
    for (const auto& c : in) {
      if (c.present) claimed.insert(c.key);
    }
    for (const auto& key : installed_locals_) {
      if (!claimed.contains(key)) changes.push_back({key, false});
    }
  }
  std::vector<dpv1::LocalAddressWrite> writes;
  std::vector<const LocalAddressChange*> of_write;
  for (const auto& c : changes) {
    if (c.present == installed_locals_.contains(c.key)) continue;  // already right
    dpv1::LocalAddressWrite w;
    w.set_op(c.present ? dpv1::WRITE_OP_REPLACE : dpv1::WRITE_OP_DELETE);
    auto* la = w.mutable_local_address();
    la->set_port(c.key.port);
    la->mutable_prefix()->set_address(
        reinterpret_cast<const char*>(c.key.prefix.address.bytes.data()),
        c.key.prefix.address.byte_len());
    la->mutable_prefix()->set_length(c.key.prefix.length);
    writes.push_back(std::move(w));
    of_write.push_back(&c);
  }
  auto done = RunBatches<dpv1::WriteLocalAddressesRequest>(
      writes, max_batch_, owner_, [&](const auto& r) { return client_.WriteLocalAddresses(r); },
      counters_);
  if (!done.ok()) return done.status();
  for (size_t i = 0; i < writes.size(); ++i) {
    if (!(*done)[i]) continue;
    if (of_write[i]->present) {
      installed_locals_.insert(of_write[i]->key);
      ++counters_.local_address_writes;
    } else {
      installed_locals_.erase(of_write[i]->key);
      ++counters_.local_address_deletes;
    }
  }
  return absl::OkStatus();
}

absl::Status Programmer::Push(const std::vector<RibChange>& in, bool delete_unclaimed) {
  std::vector<RibChange> changes = in;
  if (delete_unclaimed) {
    absl::flat_hash_set<RouteKey> claimed;
    for (const auto& c : in) {
      if (c.action) claimed.insert(c.key);
    }
    for (const auto& [key, inst] : installed_) {
      if (!claimed.contains(key)) changes.push_back({key, std::nullopt});
    }
  }
  std::vector<PendingWrite> pending;
  std::vector<dpv1::NexthopGroupWrite> group_adds;
  std::vector<std::pair<RouteKey, bool>> programmed;
  // Adopted groups in another mode than configured: rewritten in place, routes untouched.
  for (uint32_t id : mode_fixups_) {
    const GroupMembers* members = groups_.Members(id);
    if (members == nullptr) continue;
    dpv1::NexthopGroupWrite w;
    w.set_op(dpv1::WRITE_OP_REPLACE);
    *w.mutable_group() = ToProtoGroup(id, *members, group_mode_);
    group_adds.push_back(std::move(w));
  }
  const size_t num_fixups = group_adds.size();
  mode_fixups_.clear();
  for (const auto& c : changes) {
    auto it = installed_.find(c.key);
    const uint32_t old_group = it == installed_.end() ? 0 : it->second.group_id;
    if (!c.action) {
      if (it != installed_.end()) pending.push_back({c.key, std::nullopt, 0, old_group});
      continue;
    }
    DataplaneRoute want = ToDataplaneRoute(*c.action);
    if (it != installed_.end() && it->second.route == want) {
      ++counters_.route_unchanged;
      programmed.push_back({c.key, true});
      continue;
    }
    uint32_t group_id = 0;
    if (want.is_group()) {
      auto acquired = groups_.Acquire(want.nexthops);
      group_id = acquired.id;
      if (acquired.created) {
        dpv1::NexthopGroupWrite w;
        w.set_op(dpv1::WRITE_OP_REPLACE);
        *w.mutable_group() = ToProtoGroup(group_id, want.nexthops, group_mode_);
        group_adds.push_back(std::move(w));
      }
    }
    pending.push_back({c.key, std::move(want), group_id, old_group});
  }

  // Groups first, so that routes never name a group the data plane does not have yet.
  auto groups_done = RunBatches<dpv1::WriteNexthopGroupsRequest>(
      group_adds, max_batch_, owner_,
      [&](const auto& r) { return client_.WriteNexthopGroups(r); }, counters_);
  if (!groups_done.ok()) return groups_done.status();
  absl::flat_hash_set<uint32_t> failed_groups;
  for (size_t i = 0; i < group_adds.size(); ++i) {
    if ((*groups_done)[i]) {
      ++counters_.group_adds;
    } else if (i < num_fixups) {
      mode_fixups_.push_back(group_adds[i].group().id());  // the group is still there: retry
    } else {
      failed_groups.insert(group_adds[i].group().id());
    }
  }

  std::vector<dpv1::RouteWrite> writes;
  std::vector<size_t> write_of_pending(pending.size(), SIZE_MAX);
  for (size_t i = 0; i < pending.size(); ++i) {
    const PendingWrite& p = pending[i];
    if (p.route && p.group_id != 0 && failed_groups.contains(p.group_id)) continue;
    dpv1::RouteWrite w;
    if (p.route) {
      w.set_op(dpv1::WRITE_OP_REPLACE);
      *w.mutable_route() = ToProtoRoute(p.key, *p.route, p.group_id);
    } else {
      w.set_op(dpv1::WRITE_OP_DELETE);
      *w.mutable_route() = ToProtoRoute(p.key, DataplaneRoute{}, 0);
    }
    write_of_pending[i] = writes.size();
    writes.push_back(std::move(w));
  }
  auto routes_done = RunBatches<dpv1::WriteRoutesRequest>(
      writes, max_batch_, owner_, [&](const auto& r) { return client_.WriteRoutes(r); },
      counters_);
  if (!routes_done.ok()) return routes_done.status();
  for (size_t i = 0; i < pending.size(); ++i) {
    PendingWrite& p = pending[i];
    const bool ok = write_of_pending[i] != SIZE_MAX && (*routes_done)[write_of_pending[i]];
    if (!ok) {
      if (p.route && p.group_id != 0) groups_.Release(p.group_id);
      if (p.route) programmed.push_back({p.key, false});
      continue;
    }
    if (p.route) {
      installed_[p.key] = Installed{std::move(*p.route), p.group_id};
      ++counters_.route_writes;
    } else {
      installed_.erase(p.key);
      ++counters_.route_deletes;
    }
    if (p.old_group_id != 0) groups_.Release(p.old_group_id);
    programmed.push_back({p.key, p.route.has_value()});
  }

  // Groups no route uses any more go last.
  std::vector<dpv1::NexthopGroupWrite> group_deletes;
  for (uint32_t id : groups_.DrainUnused()) {
    dpv1::NexthopGroupWrite w;
    w.set_op(dpv1::WRITE_OP_DELETE);
    w.mutable_group()->set_id(id);
    group_deletes.push_back(std::move(w));
  }
  auto deletes_done = RunBatches<dpv1::WriteNexthopGroupsRequest>(
      group_deletes, max_batch_, owner_,
      [&](const auto& r) { return client_.WriteNexthopGroups(r); }, counters_);
  if (!deletes_done.ok()) return deletes_done.status();
  for (bool d : *deletes_done) counters_.group_deletes += d;

  std::lock_guard lock(rib_mutex_);
  for (const auto& [key, on] : programmed) rib_.SetProgrammed(key, on);
  return absl::OkStatus();
}

}  // namespace weft::cp
