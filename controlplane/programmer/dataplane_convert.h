// RIB actions <-> Dataplane API messages.
#pragma once

#include <optional>

#include "controlplane/programmer/dataplane_client.h"
#include "controlplane/rib/nexthop_group_table.h"
#include "controlplane/rib/rib.h"

namespace weft::cp {

// What the data plane holds for one route of weftd's: a special action, one next hop, or a
// group (by its members, so that equality does not depend on the id weftd chose).
struct DataplaneRoute {
  RouteAction::Kind kind = RouteAction::Kind::kDrop;
  GroupMembers nexthops;  // 1 member: a single next hop; more: a group
  bool is_group() const { return nexthops.size() > 1; }
  auto operator<=>(const DataplaneRoute&) const = default;
};

DataplaneRoute ToDataplaneRoute(const RouteAction& action);

void ToProto(const IpAddress& a, dpv1::IpAddress& out);
dpv1::Route ToProtoRoute(const RouteKey& key, const DataplaneRoute& route, uint32_t group_id);
// `mode`: HASH is left unset (the data plane's default), so default writes stay as they were.
dpv1::NexthopGroup ToProtoGroup(uint32_t id, const GroupMembers& members,
                                dpv1::LoadBalanceMode mode = dpv1::LOAD_BALANCE_MODE_HASH);

std::optional<IpAddress> FromProto(const dpv1::IpAddress& a);
std::optional<RouteKey> KeyFromProto(const dpv1::Route& r);
// Members of a listed group in canonical order; nullopt if an address is malformed.
std::optional<GroupMembers> MembersFromProto(const dpv1::NexthopGroup& g);
// The listed route, with a group resolved through `groups`; nullopt if it cannot be understood.
std::optional<DataplaneRoute> RouteFromProto(const dpv1::Route& r, const NexthopGroupTable& groups);

}  // namespace weft::cp
