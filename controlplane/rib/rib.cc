#include "controlplane/rib/rib.h"

#include <algorithm>
#include <utility>

namespace weft::cp {

const char* RouteSourceName(RouteSource s) {
  switch (s) {
    case RouteSource::kConnected: return "connected";
    case RouteSource::kLocal: return "local";
    case RouteSource::kNeighbor: return "neighbor";
    case RouteSource::kStatic: return "static";
    case RouteSource::kFpm: return "fpm";
    case RouteSource::kCount: break;
  }
  return "?";
}

std::string RouteAction::ToString() const {
  switch (kind) {
    case Kind::kDrop: return "drop";
    case Kind::kPunt: return "punt";
    case Kind::kForward: break;
  }
  std::string out;
  for (const auto& nh : nexthops) {
    if (!out.empty()) out += ", ";
    out += nh.address.ToString() + "@" + nh.port;
    if (nh.weight != 1) {
      // Two appends: GCC 12 at -O3 reports a bogus -Wrestrict on `"*" + std::to_string(...)`.
      out += '*';
      out += std::to_string(nh.weight);
    }
  }
  return out;
}

RouteAction MakeForward(std::vector<PortNexthop> nexthops) {
  auto by_place = [](const PortNexthop& a, const PortNexthop& b) {
    return std::tie(a.port, a.address) < std::tie(b.port, b.address);
  };
  std::sort(nexthops.begin(), nexthops.end(), by_place);
  RouteAction action{RouteAction::Kind::kForward, {}};
  for (auto& nh : nexthops) {
    nh.weight = std::clamp<uint32_t>(nh.weight, 1, 255);
    if (!action.nexthops.empty() && action.nexthops.back().port == nh.port &&
        action.nexthops.back().address == nh.address) {
      action.nexthops.back().weight = std::min<uint32_t>(action.nexthops.back().weight + nh.weight,
                                                         255);
    } else {
      action.nexthops.push_back(std::move(nh));
    }
  }
  return action;
}

void Rib::Set(RouteSource source, const RouteKey& key, RouteAction action) {
  RibEntry& e = entries_[key];
  auto it = e.candidates.find(source);
  if (it != e.candidates.end() && it->second == action) {
    // Told again what is already in the data plane (zebra's replay): confirmed at once.
    if (e.programmed && confirm_source_ == source && e.candidates.begin() == it)
      confirmed_.push_back(key);
    return;
  }
  const bool affects_selection = e.candidates.empty() || source <= e.candidates.begin()->first;
  if (affects_selection) {
    if (!e.candidates.empty()) CountNexthops(e.candidates.begin()->second, -1);
    CountNexthops(action, 1);
    e.programmed = false;  // until the programmer has written the new selection
  }
  e.candidates[source] = std::move(action);
  if (affects_selection) dirty_.insert(key);
}

void Rib::Remove(RouteSource source, const RouteKey& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  RibEntry& e = it->second;
  auto c = e.candidates.find(source);
  if (c == e.candidates.end()) return;
  const bool was_selected = c == e.candidates.begin();
  if (was_selected) CountNexthops(c->second, -1);
  e.candidates.erase(c);
  if (was_selected) {
    if (!e.candidates.empty()) CountNexthops(e.candidates.begin()->second, 1);
    dirty_.insert(key);
    e.programmed = false;
  }
  if (e.candidates.empty()) entries_.erase(it);
}

const RibEntry* Rib::Find(const RouteKey& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

size_t Rib::CountBySource(RouteSource source) const {
  size_t n = 0;
  for (const auto& [key, e] : entries_) n += e.candidates.count(source);
  return n;
}

std::vector<RibChange> Rib::DrainChanges() {
  std::vector<RibChange> out;
  out.reserve(dirty_.size());
  for (const RouteKey& key : dirty_) {
    const RibEntry* e = Find(key);
    if (e == nullptr) {
      out.push_back({key, std::nullopt});
    } else {
      out.push_back({key, e->selected()->second});
    }
  }
  dirty_.clear();
  // Deterministic order: deletes and adds in prefix order make batches reproducible in tests.
  std::sort(out.begin(), out.end(), [](const RibChange& a, const RibChange& b) {
    return a.key < b.key;
  });
  return out;
}

void Rib::ForEachSelected(
    const std::function<void(const RouteKey&, const RouteAction&)>& f) const {
  for (const auto& [key, e] : entries_) f(key, e.selected()->second);
}

void Rib::ForEachEntry(const std::function<void(const RouteKey&, const RibEntry&)>& f) const {
  for (const auto& [key, e] : entries_) f(key, e);
}

void Rib::CountNexthops(const RouteAction& action, int delta) {
  if (action.kind != RouteAction::Kind::kForward) return;
  for (const PortNexthop& nh : action.nexthops) {
    if (nh.address == IpAddress{nh.address.family, {}}) continue;  // connected: glean
    auto key = std::make_pair(nh.port, nh.address);
    if (delta > 0) {
      ++nexthop_refs_[key];
    } else if (auto it = nexthop_refs_.find(key); it != nexthop_refs_.end() && --it->second == 0) {
      nexthop_refs_.erase(it);
    }
  }
}

void Rib::ForEachNexthopInUse(
    const std::function<void(const std::string&, const IpAddress&)>& f) const {
  for (const auto& [key, refs] : nexthop_refs_) f(key.first, key.second);
}

void Rib::SetProgrammed(const RouteKey& key, bool programmed) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  const bool was = std::exchange(it->second.programmed, programmed);
  // Only a selection that just reached the data plane: a full diff re-confirming what is already
  // installed says nothing new.
  if (programmed && !was && confirm_source_ && it->second.selected()->first == *confirm_source_)
    confirmed_.push_back(key);
}

}  // namespace weft::cp
