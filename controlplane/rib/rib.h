// weftd's desired routing state with provenance. Each (table, prefix) may be claimed by several
// sources; the most preferred one is selected. Changes accumulate as a dirty set that the
// programmer drains in batches, so a delete followed by an add of the same prefix between two
// drains reaches the data plane as one replace.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "controlplane/common/ip_address.h"

namespace weft::cp {

// Where a route came from, in order of preference (lower wins, like administrative distance).
// kNeighbor: the host route (/32, /128) of a resolved neighbour on a port, so that traffic to a
// directly attached host is forwarded by the data plane instead of gleaning.
enum class RouteSource : uint8_t { kConnected, kLocal, kNeighbor, kStatic, kFpm, kCount };
const char* RouteSourceName(RouteSource s);

struct RouteKey {
  uint32_t table = 0;  // data-plane table id; 0 is the default table
  IpPrefix prefix;
  auto operator<=>(const RouteKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const RouteKey& k) {
    return H::combine(std::move(h), k.table, k.prefix);
  }
};

// A next hop as the data plane names it: a port and a neighbour address of either family.
struct PortNexthop {
  std::string port;
  IpAddress address;
  uint32_t weight = 1;  // 1..255
  auto operator<=>(const PortNexthop&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const PortNexthop& n) {
    return H::combine(std::move(h), n.port, n.address, n.weight);
  }
};

// What a route does. kForward has 1..64 next hops, sorted (canonical, so equal sets compare equal).
struct RouteAction {
  enum class Kind : uint8_t { kForward, kDrop, kPunt };
  Kind kind = Kind::kDrop;
  std::vector<PortNexthop> nexthops;
  auto operator<=>(const RouteAction&) const = default;
  std::string ToString() const;
};

// Sorts and merges duplicate members (weights add up, capped at 255).
RouteAction MakeForward(std::vector<PortNexthop> nexthops);

struct RibEntry {
  std::map<RouteSource, RouteAction> candidates;
  bool programmed = false;  // the selected action is in the data plane (false after a change)
  const std::pair<const RouteSource, RouteAction>* selected() const {
    return candidates.empty() ? nullptr : &*candidates.begin();
  }
};

struct RibChange {
  RouteKey key;
  std::optional<RouteAction> action;  // nullopt: the route is gone
};

class Rib {
 public:
  void Set(RouteSource source, const RouteKey& key, RouteAction action);
  void Remove(RouteSource source, const RouteKey& key);
  const RibEntry* Find(const RouteKey& key) const;
  size_t size() const { return entries_.size(); }
  size_t CountBySource(RouteSource source) const;

  // The selected action of every key whose selection may have changed since the last drain.
  std::vector<RibChange> DrainChanges();
  bool HasChanges() const { return !dirty_.empty(); }
  // Every route's selected action, for a full push after a data-plane restart.
  void ForEachSelected(const std::function<void(const RouteKey&, const RouteAction&)>& f) const;
  void ForEachEntry(const std::function<void(const RouteKey&, const RibEntry&)>& f) const;
  void SetProgrammed(const RouteKey& key, bool programmed);
  // Every distinct (port, address) next hop of the selected routes (unspecified addresses of
  // connected routes excluded): what must stay resolved for the routes to forward.
  void ForEachNexthopInUse(
      const std::function<void(const std::string& port, const IpAddress& address)>& f) const;
  size_t nexthops_in_use() const { return nexthop_refs_.size(); }

  // Confirmations for `source` (FPM's offload notices): from now on every key whose selected
  // source is `source` and whose selection reaches the data plane (SetProgrammed(key, true) after
  // a change; a Set of the same action to an installed key) is kept until DrainConfirmed().
  void TrackConfirmations(RouteSource source) { confirm_source_ = source; }
  std::vector<RouteKey> DrainConfirmed() { return std::exchange(confirmed_, {}); }

 private:
  void CountNexthops(const RouteAction& action, int delta);

  absl::flat_hash_map<RouteKey, RibEntry> entries_;
  absl::flat_hash_set<RouteKey> dirty_;
  // (port, address) -> number of selected routes naming it.
  absl::flat_hash_map<std::pair<std::string, IpAddress>, uint32_t> nexthop_refs_;
  std::optional<RouteSource> confirm_source_;
  std::vector<RouteKey> confirmed_;
};

}  // namespace weft::cp
