#include "controlplane/programmer/dataplane_convert.h"

#include <cstring>

namespace weft::cp {

DataplaneRoute ToDataplaneRoute(const RouteAction& action) {
  DataplaneRoute r;
  r.kind = action.kind;
  if (action.kind == RouteAction::Kind::kForward) {
    r.nexthops = action.nexthops;
    // A single next hop has no weight in the data plane.
    if (r.nexthops.size() == 1) r.nexthops[0].weight = 1;
  }
  return r;
}

void ToProto(const IpAddress& a, dpv1::IpAddress& out) {
  out.set_address(reinterpret_cast<const char*>(a.bytes.data()), a.byte_len());
}

dpv1::Route ToProtoRoute(const RouteKey& key, const DataplaneRoute& route, uint32_t group_id) {
  dpv1::Route r;
  r.set_table_id(key.table);
  r.mutable_prefix()->set_address(reinterpret_cast<const char*>(key.prefix.address.bytes.data()),
                                  key.prefix.address.byte_len());
  r.mutable_prefix()->set_length(key.prefix.length);
  switch (route.kind) {
    case RouteAction::Kind::kDrop: r.set_special(dpv1::ROUTE_SPECIAL_DROP); break;
    case RouteAction::Kind::kPunt: r.set_special(dpv1::ROUTE_SPECIAL_PUNT); break;
    case RouteAction::Kind::kForward:
      if (route.is_group()) {
        r.set_nexthop_group_id(group_id);
      } else {
        r.mutable_nexthop()->set_port(route.nexthops.at(0).port);
        ToProto(route.nexthops.at(0).address, *r.mutable_nexthop()->mutable_address());
      }
      break;
  }
  return r;
}

dpv1::NexthopGroup ToProtoGroup(uint32_t id, const GroupMembers& members,
                                dpv1::LoadBalanceMode mode) {
  dpv1::NexthopGroup g;
  g.set_id(id);
  if (mode != dpv1::LOAD_BALANCE_MODE_HASH) g.set_load_balance_mode(mode);
  for (const auto& m : members) {
    auto* pm = g.add_members();
    pm->set_weight(m.weight);
    pm->mutable_nexthop()->set_port(m.port);
    ToProto(m.address, *pm->mutable_nexthop()->mutable_address());
  }
  return g;
}

std::optional<IpAddress> FromProto(const dpv1::IpAddress& a) {
  IpAddress out;
  if (a.address().size() == 4) {
    out.family = Family::kIpv4;
  } else if (a.address().size() == 16) {
    out.family = Family::kIpv6;
  } else {
    return std::nullopt;
  }
  std::memcpy(out.bytes.data(), a.address().data(), a.address().size());
  return out;
}

std::optional<RouteKey> KeyFromProto(const dpv1::Route& r) {
  dpv1::IpAddress a;
  a.set_address(r.prefix().address());
  auto addr = FromProto(a);
  if (!addr || r.prefix().length() > static_cast<uint32_t>(addr->bits())) return std::nullopt;
  return RouteKey{r.table_id(), IpPrefix{*addr, static_cast<uint8_t>(r.prefix().length())}};
}

std::optional<GroupMembers> MembersFromProto(const dpv1::NexthopGroup& g) {
  std::vector<PortNexthop> members;
  for (const auto& m : g.members()) {
    auto addr = FromProto(m.nexthop().address());
    if (!addr) return std::nullopt;
    members.push_back({m.nexthop().port(), *addr, m.weight() == 0 ? 1 : m.weight()});
  }
  return MakeForward(std::move(members)).nexthops;
}

std::optional<DataplaneRoute> RouteFromProto(const dpv1::Route& r,
                                             const NexthopGroupTable& groups) {
  DataplaneRoute out;
  switch (r.action_case()) {
    case dpv1::Route::kSpecial:
      out.kind = r.special() == dpv1::ROUTE_SPECIAL_PUNT ? RouteAction::Kind::kPunt
                                                         : RouteAction::Kind::kDrop;
      return out;
    case dpv1::Route::kNexthop: {
      auto addr = FromProto(r.nexthop().address());
      if (!addr) return std::nullopt;
      out.kind = RouteAction::Kind::kForward;
      out.nexthops = {PortNexthop{r.nexthop().port(), *addr, 1}};
      return out;
    }
    case dpv1::Route::kNexthopGroupId: {
      const GroupMembers* members = groups.Members(r.nexthop_group_id());
      if (members == nullptr) return std::nullopt;
      out.kind = RouteAction::Kind::kForward;
      out.nexthops = *members;
      return out;
    }
    default: return std::nullopt;
  }
}

}  // namespace weft::cp
