#include "controlplane/fpm/fpm_state.h"

#include <linux/rtnetlink.h>

#include "controlplane/fpm/fpm_encoder.h"

namespace weft::cp::fpm {

uint32_t DataplaneTableOf(uint32_t kernel_table) {
  return kernel_table == RT_TABLE_MAIN ? 0 : kernel_table;
}

FpmState::FpmState(Rib& rib, PortOfIfindex port_of_ifindex)
    : rib_(rib), port_of_ifindex_(std::move(port_of_ifindex)) {}

void FpmState::Apply(const FpmFrame& frame) {
  for (size_t i = 0; i < frame.messages.size(); ++i) {
    if (const auto* nh = std::get_if<NexthopMessage>(&frame.messages[i])) {
      ApplyNexthop(*nh);
      continue;
    }
    const auto& route = std::get<RouteMessage>(frame.messages[i]);
    // FRR 8.4 sends an update as DELROUTE + NEWROUTE in one frame: skip the delete, the NEWROUTE
    // that follows is the complete new state and replaces in place.
    if (route.is_delete && i + 1 < frame.messages.size()) {
      const auto* next = std::get_if<RouteMessage>(&frame.messages[i + 1]);
      if (next && !next->is_delete && next->prefix == route.prefix &&
          next->table == route.table) {
        continue;
      }
    }
    ApplyRoute(route);
  }
}

void FpmState::ApplyRoute(const RouteMessage& m) {
  const RouteKey key{DataplaneTableOf(m.table), m.prefix};
  auto it = routes_.find(key);
  if (m.is_delete) {
    if (it == routes_.end()) return;
    if (it->second.message.nexthop_id != 0) route_users_[it->second.message.nexthop_id].erase(key);
    routes_.erase(it);
    rib_.Remove(RouteSource::kFpm, key);
    ++counters_.routes_deleted;
    return;
  }
  if (m.protocol == kProtoKernel) {
    ++counters_.connected_recognized;
    return;
  }
  if (it == routes_.end()) {
    it = routes_.emplace(key, RouteRecord{}).first;
    ++counters_.routes_added;
  } else {
    ++counters_.routes_replaced;
    if (it->second.message.nexthop_id != 0) route_users_[it->second.message.nexthop_id].erase(key);
  }
  it->second.message = m;
  it->second.stale = false;
  if (m.nexthop_id != 0) route_users_[m.nexthop_id].insert(key);
  Resolve(key, it->second);
}

void FpmState::ApplyNexthop(const NexthopMessage& m) {
  auto it = nexthops_.find(m.id);
  if (it != nexthops_.end()) {
    for (const auto& member : it->second.message.group) group_users_[member.id].erase(m.id);
  }
  if (m.is_delete) {
    // zebra deletes an id only once no route uses it; routes still naming it keep their state.
    if (it == nexthops_.end()) return;
    nexthops_.erase(it);
    ++counters_.nexthops_deleted;
    return;
  }
  ++counters_.nexthops_received;
  nexthops_[m.id] = NexthopRecord{m, false};
  for (const auto& member : m.group) group_users_[member.id].insert(m.id);
  ResolveUsersOf(m.id);
}

void FpmState::ResolveUsersOf(uint32_t id) {
  if (auto r = route_users_.find(id); r != route_users_.end()) {
    for (const RouteKey& key : r->second) Resolve(key, routes_.at(key));
  }
  if (auto g = group_users_.find(id); g != group_users_.end()) {
    // Groups are one level deep in the kernel's model; a group never contains a group.
    for (uint32_t group : g->second) {
      if (auto r = route_users_.find(group); r != route_users_.end()) {
        for (const RouteKey& key : r->second) Resolve(key, routes_.at(key));
      }
    }
  }
}

std::optional<PortNexthop> FpmState::ToPortNexthop(const IpAddress& gateway, uint32_t ifindex,
                                                   uint32_t weight, bool& punt) {
  if (gateway.empty()) {
    // An interface route: the destination is on the link, the kernel resolves it (glean).
    punt = true;
    return std::nullopt;
  }
  std::optional<std::string> port = ifindex != 0 ? port_of_ifindex_(ifindex) : std::nullopt;
  if (!port) {
    ++counters_.unresolved_interfaces;
    return std::nullopt;
  }
  return PortNexthop{*port, gateway, weight};
}

bool FpmState::ExpandNexthopId(uint32_t id, uint32_t weight, std::vector<KernelNexthop>& out,
                               bool& blackhole, int depth) const {
  auto it = nexthops_.find(id);
  if (it == nexthops_.end() || depth > 1) return false;
  const NexthopMessage& nh = it->second.message;
  if (nh.group.empty()) {
    if (nh.blackhole) {
      blackhole = true;
    } else {
      out.push_back(KernelNexthop{nh.ifindex, nh.gateway, weight});
    }
    return true;
  }
  for (const auto& member : nh.group) {
    if (!ExpandNexthopId(member.id, member.weight, out, blackhole, depth + 1)) return false;
  }
  return true;
}

void FpmState::Resolve(const RouteKey& key, RouteRecord& record) {
  const RouteMessage& m = record.message;
  record.pending = false;
  switch (m.type) {
    case RouteType::kBlackhole:
    case RouteType::kUnreachable:
    case RouteType::kProhibit:
      rib_.Set(RouteSource::kFpm, key, RouteAction{RouteAction::Kind::kDrop, {}});
      return;
    case RouteType::kUnicast: break;
    default:
      ++counters_.unsupported_routes;
      rib_.Remove(RouteSource::kFpm, key);
      return;
  }
  // Collect (ifindex, gateway, weight) triples from the group or the inline next hops.
  std::vector<KernelNexthop> raw;
  bool blackhole = false;
  if (m.nexthop_id != 0) {
    if (!ExpandNexthopId(m.nexthop_id, 1, raw, blackhole, 0)) {
      record.pending = true;  // keep what the RIB had until the id arrives
      return;
    }
  } else {
    for (const auto& nh : m.nexthops) {
      raw.push_back(KernelNexthop{nh.ifindex, nh.gateway, nh.weight});
    }
  }
  if (blackhole && raw.empty()) {
    rib_.Set(RouteSource::kFpm, key, RouteAction{RouteAction::Kind::kDrop, {}});
    return;
  }
  std::vector<PortNexthop> resolved;
  bool punt = false;
  for (const auto& r : raw) {
    auto nh = ToPortNexthop(r.gateway, r.ifindex, r.weight, punt);
    if (nh) resolved.push_back(std::move(*nh));
  }
  if (!resolved.empty()) {
    rib_.Set(RouteSource::kFpm, key, MakeForward(std::move(resolved)));
  } else if (punt) {
    rib_.Set(RouteSource::kFpm, key, RouteAction{RouteAction::Kind::kPunt, {}});
  } else {
    rib_.Remove(RouteSource::kFpm, key);  // no next hop on a port of this switch
  }
}

void FpmState::EnableOffloadNotices() { rib_.TrackConfirmations(RouteSource::kFpm); }

size_t FpmState::TakeOffloadNotices(std::vector<uint8_t>& out) {
  size_t n = 0;
  for (const RouteKey& key : rib_.DrainConfirmed()) {
    auto it = routes_.find(key);
    if (it == routes_.end() || it->second.pending || it->second.message.is_delete) continue;
    AppendOffloadNotice(it->second.message, out);
    ++n;
  }
  return n;
}

void FpmState::MarkAllStale() {
  for (auto& [key, r] : routes_) r.stale = true;
  for (auto& [id, n] : nexthops_) n.stale = true;
}

size_t FpmState::SweepStale() {
  std::vector<RouteKey> gone;
  for (const auto& [key, r] : routes_) {
    if (r.stale) gone.push_back(key);
  }
  for (const RouteKey& key : gone) {
    const uint32_t id = routes_.at(key).message.nexthop_id;
    if (id != 0) route_users_[id].erase(key);
    routes_.erase(key);
    rib_.Remove(RouteSource::kFpm, key);
  }
  std::vector<uint32_t> gone_ids;
  for (const auto& [id, n] : nexthops_) {
    if (n.stale) gone_ids.push_back(id);
  }
  for (uint32_t id : gone_ids) {
    for (const auto& member : nexthops_.at(id).message.group) group_users_[member.id].erase(id);
    nexthops_.erase(id);
  }
  counters_.stale_swept += gone.size() + gone_ids.size();
  return gone.size();
}

size_t FpmState::pending_routes() const {
  size_t n = 0;
  for (const auto& [key, r] : routes_) n += r.pending;
  return n;
}

size_t FpmState::stale_routes() const {
  size_t n = 0;
  for (const auto& [key, r] : routes_) n += r.stale;
  return n;
}

}  // namespace weft::cp::fpm
