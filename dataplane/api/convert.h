// Conversion between the Dataplane API's protos and the data plane's own types, with validation.
// Every error is INVALID_ARGUMENT (NOT_FOUND for an unknown port name) and its message starts with
// the field path it was given, e.g. "writes[3].route.prefix.length: 33 exceeds 32 for IPv4".
// Pure functions: usable by every service and testable without a server.
#pragma once

#include <rte_ether.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "dataplane/common/ip.h"
#include "dataplane/port/port.h"
#include "dataplane/tables/forwarding_tables.h"
#include "weft/dataplane/v1/dataplane.pb.h"

namespace weft::dp::api {

namespace pb = ::weft::dataplane::v1;

// ---- proto -> data plane (validating) ----------------------------------------------------------
// 4 bytes: IPv4, 16 bytes: IPv6; anything else is refused.
absl::StatusOr<IpAddress> AddressFromProto(const pb::IpAddress& in, absl::string_view field);
// Prefix length within the family's bits; host bits beyond the length must be zero unless
// `allow_host_bits` (a local address is "10.0.1.1/24": address plus subnet length).
absl::StatusOr<IpPrefix> PrefixFromProto(const pb::IpPrefix& in, absl::string_view field,
                                         bool allow_host_bits = false);
// 6 bytes, unicast (group bit clear) and not all-zero.
absl::StatusOr<rte_ether_addr> MacFromProto(absl::string_view in, absl::string_view field);
// Port name -> switch-local index; NOT_FOUND naming the field and the name.
absl::StatusOr<uint16_t> PortIndexFromName(const PortTable& ports, absl::string_view name,
                                           absl::string_view field);
absl::StatusOr<NexthopKey> NexthopFromProto(const pb::Nexthop& in, const PortTable& ports,
                                            absl::string_view field);
absl::StatusOr<WriteOp> WriteOpFromProto(pb::WriteOp in, absl::string_view field);

// One batch entry each; `field` is the entry's path, e.g. "writes[3]".
absl::StatusOr<RouteWrite> RouteWriteFromProto(const pb::RouteWrite& in, const PortTable& ports,
                                               absl::string_view field);
absl::StatusOr<GroupWrite> GroupWriteFromProto(const pb::NexthopGroupWrite& in,
                                               const PortTable& ports, absl::string_view field);
absl::StatusOr<NeighborWrite> NeighborWriteFromProto(const pb::NeighborWrite& in,
                                                     const PortTable& ports,
                                                     absl::string_view field);
absl::StatusOr<LocalAddressWrite> LocalAddressWriteFromProto(const pb::LocalAddressWrite& in,
                                                             const PortTable& ports,
                                                             absl::string_view field);
// At least one field, no duplicates, no UNSPECIFIED.
absl::StatusOr<HashConfig> HashConfigFromProto(const pb::SetHashConfigRequest& in);

// ---- data plane -> proto -----------------------------------------------------------------------
void AddressToProto(const IpAddress& in, pb::IpAddress* out);
void PrefixToProto(const IpPrefix& in, pb::IpPrefix* out);
std::string MacToBytes(const rte_ether_addr& mac);
// Port indexes the table does not know come out as "port<N>" rather than failing a listing.
std::string PortName(const PortTable& ports, uint16_t index);
void NexthopToProto(const NexthopKey& in, const PortTable& ports, pb::Nexthop* out);
void RouteToProto(const RouteEntry& in, const PortTable& ports, pb::Route* out);
void GroupToProto(const GroupEntry& in, const PortTable& ports, pb::NexthopGroup* out);
void NeighborToProto(const NeighborEntry& in, const PortTable& ports, pb::Neighbor* out);
void LocalAddressToProto(const LocalAddressEntry& in, const PortTable& ports,
                         pb::LocalAddress* out);
void PortToProto(const Port& in, pb::PortStatus* out);

}  // namespace weft::dp::api
