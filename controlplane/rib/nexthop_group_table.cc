#include "controlplane/rib/nexthop_group_table.h"

namespace weft::cp {

uint32_t NexthopGroupTable::NextFreeId() {
  while (next_id_ == 0 || by_id_.count(next_id_)) ++next_id_;
  return next_id_++;
}

NexthopGroupTable::Acquired NexthopGroupTable::Acquire(const GroupMembers& members) {
  if (auto it = by_members_.find(members); it != by_members_.end()) {
    ++by_id_.at(it->second).refs;
    return {it->second, false};
  }
  const uint32_t id = NextFreeId();
  by_id_[id] = Entry{members, 1};
  by_members_[members] = id;
  return {id, true};
}

void NexthopGroupTable::AddRef(uint32_t id) {
  if (auto it = by_id_.find(id); it != by_id_.end()) ++it->second.refs;
}

void NexthopGroupTable::Release(uint32_t id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end() || it->second.refs == 0) return;
  if (--it->second.refs == 0) unused_candidates_.push_back(id);
}

bool NexthopGroupTable::Adopt(uint32_t id, const GroupMembers& members) {
  if (id == 0 || by_id_.count(id)) return false;
  by_id_[id] = Entry{members, 0};
  unused_candidates_.push_back(id);
  if (by_members_.count(members)) return false;
  by_members_[members] = id;
  return true;
}

std::vector<uint32_t> NexthopGroupTable::DrainUnused() {
  std::vector<uint32_t> out;
  for (uint32_t id : unused_candidates_) {
    auto it = by_id_.find(id);
    if (it == by_id_.end() || it->second.refs != 0) continue;
    if (auto m = by_members_.find(it->second.members); m != by_members_.end() && m->second == id) {
      by_members_.erase(m);
    }
    by_id_.erase(it);
    out.push_back(id);
  }
  unused_candidates_.clear();
  return out;
}

void NexthopGroupTable::Forget(uint32_t id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  if (auto m = by_members_.find(it->second.members); m != by_members_.end() && m->second == id) {
    by_members_.erase(m);
  }
  by_id_.erase(it);
}

void NexthopGroupTable::Clear() {
  by_id_.clear();
  by_members_.clear();
  unused_candidates_.clear();
  next_id_ = 1;
}

const GroupMembers* NexthopGroupTable::Members(uint32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second.members;
}

std::optional<uint32_t> NexthopGroupTable::Find(const GroupMembers& members) const {
  auto it = by_members_.find(members);
  if (it == by_members_.end()) return std::nullopt;
  return it->second;
}

uint32_t NexthopGroupTable::refs(uint32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? 0 : it->second.refs;
}

}  // namespace weft::cp
