// Next-hop group dedup: routes with the same set of (port, address, weight) members share one
// data-plane group. weftd assigns the ids (the Dataplane API lets the client choose), counts the
// routes using each group, and after a restart adopts the ids the data plane already holds so that
// unchanged routes keep their group and nothing is rewritten.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "controlplane/rib/rib.h"

namespace weft::cp {

using GroupMembers = std::vector<PortNexthop>;  // canonical: sorted as MakeForward leaves them

class NexthopGroupTable {
 public:
  struct Acquired {
    uint32_t id;
    bool created;  // a new group: it must be written before routes use it
  };
  // One more route uses `members`.
  Acquired Acquire(const GroupMembers& members);
  // One more route uses the (adopted) group `id`.
  void AddRef(uint32_t id);
  // One route fewer uses group `id`.
  void Release(uint32_t id);
  // Registers a group the data plane already holds (restart); false if the id is taken or the
  // same members already have an id (the duplicate is then left for DrainUnused()).
  bool Adopt(uint32_t id, const GroupMembers& members);
  // Groups no route uses any more; they are forgotten here and must be deleted from the data plane.
  std::vector<uint32_t> DrainUnused();
  // Forgets a group whose write failed.
  void Forget(uint32_t id);
  void Clear();

  const GroupMembers* Members(uint32_t id) const;
  std::optional<uint32_t> Find(const GroupMembers& members) const;
  size_t size() const { return by_id_.size(); }
  uint32_t refs(uint32_t id) const;

 private:
  struct Entry {
    GroupMembers members;
    uint32_t refs = 0;
  };
  uint32_t NextFreeId();

  std::map<uint32_t, Entry> by_id_;
  std::map<GroupMembers, uint32_t> by_members_;
  std::vector<uint32_t> unused_candidates_;
  uint32_t next_id_ = 1;
};

}  // namespace weft::cp
