#include "dataplane/api/convert.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "dataplane/api/lb_service.h"

namespace weft::dp::api {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

absl::string_view OpName(pb::WriteOp op) {
  static const std::string unknown = "unknown";
  const std::string& name = pb::WriteOp_Name(op);
  return name.empty() ? unknown : name;
}

// DELETE reads only the key, so the rest of the entry is not validated for it.
bool IsDelete(WriteOp op) { return op == WriteOp::kDelete; }

}  // namespace

// IpAddress and IpPrefix both carry the address as bytes in a field named "address".
static absl::StatusOr<IpAddress> AddressFromBytes(const std::string& b, absl::string_view field) {
  IpAddress out;
  if (b.size() == 4) {
    out.family = Family::kIpv4;
  } else if (b.size() == 16) {
    out.family = Family::kIpv6;
  } else {
    return Invalid(absl::StrCat(field, ".address"),
                   absl::StrCat(b.size(), " bytes; an address is 4 (IPv4) or 16 (IPv6) bytes"));
  }
  std::memcpy(out.bytes.data(), b.data(), b.size());
  return out;
}

absl::StatusOr<IpAddress> AddressFromProto(const pb::IpAddress& in, absl::string_view field) {
  return AddressFromBytes(in.address(), field);
}

absl::StatusOr<IpPrefix> PrefixFromProto(const pb::IpPrefix& in, absl::string_view field,
                                         bool allow_host_bits) {
  IpPrefix out;
  auto a = AddressFromBytes(in.address(), field);
  if (!a.ok()) return a.status();
  out.address = *a;
  const uint32_t bits = static_cast<uint32_t>(out.address.bits());
  if (in.length() > bits) {
    return Invalid(absl::StrCat(field, ".length"),
                   absl::StrCat(in.length(), " exceeds ", bits, " for ",
                                out.address.is_v4() ? "IPv4" : "IPv6"));
  }
  out.length = static_cast<uint8_t>(in.length());
  if (!allow_host_bits) {
    for (uint32_t bit = out.length; bit < bits; ++bit) {
      if (out.address.bytes[bit / 8] & (0x80u >> (bit % 8))) {
        return Invalid(
            absl::StrCat(field, ".address"),
            absl::StrCat("host bits set beyond /", out.length, " (", out.address.ToString(), ")"));
      }
    }
  }
  return out;
}

absl::StatusOr<rte_ether_addr> MacFromProto(absl::string_view in, absl::string_view field) {
  rte_ether_addr mac{};
  if (in.size() != RTE_ETHER_ADDR_LEN) {
    return Invalid(field, absl::StrCat(in.size(), " bytes; a MAC address is 6 bytes"));
  }
  std::memcpy(mac.addr_bytes, in.data(), RTE_ETHER_ADDR_LEN);
  if (mac.addr_bytes[0] & 0x01) return Invalid(field, "multicast/broadcast; must be unicast");
  if (std::all_of(std::begin(mac.addr_bytes), std::end(mac.addr_bytes),
                  [](uint8_t b) { return b == 0; })) {
    return Invalid(field, "all-zero MAC address");
  }
  return mac;
}

absl::StatusOr<uint16_t> PortIndexFromName(const PortTable& ports, absl::string_view name,
                                           absl::string_view field) {
  if (name.empty()) return Invalid(field, "port name required");
  const Port* port = ports.FindByName(std::string_view(name.data(), name.size()));
  if (port == nullptr) {
    return absl::NotFoundError(absl::StrCat(field, ": no port named \"", name, "\""));
  }
  return port->index;
}

absl::StatusOr<NexthopKey> NexthopFromProto(const pb::Nexthop& in, const PortTable& ports,
                                            absl::string_view field) {
  NexthopKey out;
  auto port = PortIndexFromName(ports, in.port(), absl::StrCat(field, ".port"));
  if (!port.ok()) return port.status();
  out.port = *port;
  auto address = AddressFromProto(in.address(), absl::StrCat(field, ".address"));
  if (!address.ok()) return address.status();
  out.address = *address;
  return out;
}

absl::StatusOr<WriteOp> WriteOpFromProto(pb::WriteOp in, absl::string_view field) {
  switch (in) {
    case pb::WRITE_OP_ADD:
      return WriteOp::kAdd;
    case pb::WRITE_OP_REPLACE:
      return WriteOp::kReplace;
    case pb::WRITE_OP_DELETE:
      return WriteOp::kDelete;
    default:
      return Invalid(field, absl::StrCat(OpName(in), " (", static_cast<int>(in),
                                         "); want ADD, REPLACE or DELETE"));
  }
}

absl::StatusOr<RouteWrite> RouteWriteFromProto(const pb::RouteWrite& in, const PortTable& ports,
                                               absl::string_view field) {
  RouteWrite out;
  auto op = WriteOpFromProto(in.op(), absl::StrCat(field, ".op"));
  if (!op.ok()) return op.status();
  out.op = *op;
  const std::string path = absl::StrCat(field, ".route");
  if (!in.has_route()) return Invalid(path, "required");
  const pb::Route& r = in.route();
  out.route.table_id = r.table_id();
  auto prefix = PrefixFromProto(r.prefix(), absl::StrCat(path, ".prefix"));
  if (!prefix.ok()) return prefix.status();
  out.route.prefix = *prefix;
  if (IsDelete(out.op)) return out;
  RouteAction& action = out.route.action;
  switch (r.action_case()) {
    case pb::Route::kNexthopGroupId:
      if (r.nexthop_group_id() == 0) {
        return Invalid(absl::StrCat(path, ".nexthop_group_id"), "0 is not a valid group id");
      }
      action.kind = RouteKind::kGroup;
      action.group_id = r.nexthop_group_id();
      break;
    case pb::Route::kNexthop: {
      auto nh = NexthopFromProto(r.nexthop(), ports, absl::StrCat(path, ".nexthop"));
      if (!nh.ok()) return nh.status();
      action.kind = RouteKind::kNexthop;
      action.nexthop = *nh;
      break;
    }
    case pb::Route::kSpecial:
      if (r.special() == pb::ROUTE_SPECIAL_DROP) {
        action.kind = RouteKind::kDrop;
      } else if (r.special() == pb::ROUTE_SPECIAL_PUNT) {
        action.kind = RouteKind::kPunt;
      } else {
        return Invalid(absl::StrCat(path, ".special"),
                       absl::StrCat(static_cast<int>(r.special()), "; want DROP or PUNT"));
      }
      break;
    case pb::Route::ACTION_NOT_SET:
      return Invalid(absl::StrCat(path, ".action"),
                     "not set; one of nexthop_group_id, nexthop, special is required");
  }
  return out;
}

absl::StatusOr<GroupWrite> GroupWriteFromProto(const pb::NexthopGroupWrite& in,
                                               const PortTable& ports, absl::string_view field) {
  GroupWrite out;
  auto op = WriteOpFromProto(in.op(), absl::StrCat(field, ".op"));
  if (!op.ok()) return op.status();
  out.op = *op;
  const std::string path = absl::StrCat(field, ".group");
  if (!in.has_group()) return Invalid(path, "required");
  const pb::NexthopGroup& g = in.group();
  if (g.id() == 0) return Invalid(absl::StrCat(path, ".id"), "0 is not a valid group id");
  out.group.id = g.id();
  if (IsDelete(out.op)) return out;
  if (g.members_size() < 1 || static_cast<uint32_t>(g.members_size()) > kMaxGroupMembers) {
    return Invalid(absl::StrCat(path, ".members"),
                   absl::StrCat(g.members_size(), " members; want 1..", kMaxGroupMembers));
  }
  out.group.members.reserve(g.members_size());
  for (int i = 0; i < g.members_size(); ++i) {
    const pb::NexthopGroupMember& m = g.members(i);
    const std::string member = absl::StrCat(path, ".members[", i, "]");
    auto nh = NexthopFromProto(m.nexthop(), ports, absl::StrCat(member, ".nexthop"));
    if (!nh.ok()) return nh.status();
    if (m.weight() > 255) {
      return Invalid(absl::StrCat(member, ".weight"), absl::StrCat(m.weight(), " exceeds 255"));
    }
    GroupMember dm;
    dm.nexthop = *nh;
    dm.weight = m.weight() == 0 ? 1 : m.weight();
    for (int j = 0; j < i; ++j) {
      if (out.group.members[j].nexthop == dm.nexthop) {
        return Invalid(absl::StrCat(member, ".nexthop"),
                       absl::StrCat("duplicates members[", j, "]; give one member a weight"));
      }
    }
    out.group.members.push_back(dm);
  }
  absl::StatusOr<int> mode =
      LbModeFromProto(g.load_balance_mode(), int(LbMode::kHash), path + ".load_balance_mode");
  if (!mode.ok()) return mode.status();
  out.group.policy.mode = LbMode(*mode);
  out.group.policy.resilient = g.resilient();
  return out;
}

absl::StatusOr<NeighborWrite> NeighborWriteFromProto(const pb::NeighborWrite& in,
                                                     const PortTable& ports,
                                                     absl::string_view field) {
  NeighborWrite out;
  auto op = WriteOpFromProto(in.op(), absl::StrCat(field, ".op"));
  if (!op.ok()) return op.status();
  out.op = *op;
  const std::string path = absl::StrCat(field, ".neighbor");
  if (!in.has_neighbor()) return Invalid(path, "required");
  const pb::Neighbor& n = in.neighbor();
  auto port = PortIndexFromName(ports, n.port(), absl::StrCat(path, ".port"));
  if (!port.ok()) return port.status();
  out.neighbor.port = *port;
  auto address = AddressFromProto(n.address(), absl::StrCat(path, ".address"));
  if (!address.ok()) return address.status();
  out.neighbor.address = *address;
  if (IsDelete(out.op)) return out;
  auto mac = MacFromProto(n.mac(), absl::StrCat(path, ".mac"));
  if (!mac.ok()) return mac.status();
  out.neighbor.mac = *mac;
  return out;
}

absl::StatusOr<LocalAddressWrite> LocalAddressWriteFromProto(const pb::LocalAddressWrite& in,
                                                             const PortTable& ports,
                                                             absl::string_view field) {
  LocalAddressWrite out;
  auto op = WriteOpFromProto(in.op(), absl::StrCat(field, ".op"));
  if (!op.ok()) return op.status();
  out.op = *op;
  const std::string path = absl::StrCat(field, ".local_address");
  if (!in.has_local_address()) return Invalid(path, "required");
  const pb::LocalAddress& l = in.local_address();
  auto port = PortIndexFromName(ports, l.port(), absl::StrCat(path, ".port"));
  if (!port.ok()) return port.status();
  out.local.port = *port;
  auto prefix = PrefixFromProto(l.prefix(), absl::StrCat(path, ".prefix"),
                                /*allow_host_bits=*/true);
  if (!prefix.ok()) return prefix.status();
  out.local.prefix = *prefix;
  return out;
}

absl::StatusOr<HashConfig> HashConfigFromProto(const pb::SetHashConfigRequest& in) {
  HashConfig out;
  out.seed = in.seed();
  out.fields = 0;
  if (in.fields_size() == 0) return Invalid("fields", "at least one hash field is required");
  for (int i = 0; i < in.fields_size(); ++i) {
    uint32_t bit = 0;
    switch (in.fields(i)) {
      case pb::HASH_FIELD_SRC_IP:
        bit = kHashSrcIp;
        break;
      case pb::HASH_FIELD_DST_IP:
        bit = kHashDstIp;
        break;
      case pb::HASH_FIELD_IP_PROTO:
        bit = kHashIpProto;
        break;
      case pb::HASH_FIELD_SRC_PORT:
        bit = kHashSrcPort;
        break;
      case pb::HASH_FIELD_DST_PORT:
        bit = kHashDstPort;
        break;
      case pb::HASH_FIELD_IPV6_FLOW_LABEL:
        bit = kHashFlowLabel;
        break;
      case pb::HASH_FIELD_ROCE_DEST_QP:
        bit = kHashRoceQp;
        break;
      default:
        return Invalid(absl::StrCat("fields[", i, "]"),
                       absl::StrCat(static_cast<int>(in.fields(i)), " is not a hash field"));
    }
    if (out.fields & bit) {
      return Invalid(absl::StrCat("fields[", i, "]"),
                     absl::StrCat(pb::HashField_Name(in.fields(i)), " listed twice"));
    }
    out.fields |= bit;
  }
  if (in.symmetric()) out.fields |= kHashSymmetric;  // pairs checked by the tables
  return out;
}

// ---- data plane -> proto -----------------------------------------------------------------------

void AddressToProto(const IpAddress& in, pb::IpAddress* out) {
  out->set_address(reinterpret_cast<const char*>(in.bytes.data()), in.is_v4() ? 4 : 16);
}

void PrefixToProto(const IpPrefix& in, pb::IpPrefix* out) {
  out->set_address(reinterpret_cast<const char*>(in.address.bytes.data()),
                   in.address.is_v4() ? 4 : 16);
  out->set_length(in.length);
}

std::string MacToBytes(const rte_ether_addr& mac) {
  return std::string(reinterpret_cast<const char*>(mac.addr_bytes), RTE_ETHER_ADDR_LEN);
}

std::string PortName(const PortTable& ports, uint16_t index) {
  if (index < ports.size()) return ports.at(index).name;
  return absl::StrCat("port", index);
}

void NexthopToProto(const NexthopKey& in, const PortTable& ports, pb::Nexthop* out) {
  out->set_port(PortName(ports, in.port));
  AddressToProto(in.address, out->mutable_address());
}

void RouteToProto(const RouteEntry& in, const PortTable& ports, pb::Route* out) {
  out->set_table_id(in.table_id);
  PrefixToProto(in.prefix, out->mutable_prefix());
  switch (in.action.kind) {
    case RouteKind::kGroup:
      out->set_nexthop_group_id(in.action.group_id);
      break;
    case RouteKind::kNexthop:
      NexthopToProto(in.action.nexthop, ports, out->mutable_nexthop());
      break;
    case RouteKind::kDrop:
      out->set_special(pb::ROUTE_SPECIAL_DROP);
      break;
    case RouteKind::kPunt:
      out->set_special(pb::ROUTE_SPECIAL_PUNT);
      break;
  }
  out->set_owner(in.owner);
}

void GroupToProto(const GroupEntry& in, const PortTable& ports, pb::NexthopGroup* out) {
  out->set_id(in.id);
  for (const GroupMember& m : in.members) {
    pb::NexthopGroupMember* pm = out->add_members();
    NexthopToProto(m.nexthop, ports, pm->mutable_nexthop());
    pm->set_weight(m.weight);
  }
  out->set_owner(in.owner);
  out->set_load_balance_mode(LbModeToProto(in.policy.mode));
  out->set_resilient(in.policy.resilient);
}

void NeighborToProto(const NeighborEntry& in, const PortTable& ports, pb::Neighbor* out) {
  out->set_port(PortName(ports, in.port));
  AddressToProto(in.address, out->mutable_address());
  out->set_mac(MacToBytes(in.mac));
  out->set_owner(in.owner);
}

void LocalAddressToProto(const LocalAddressEntry& in, const PortTable& ports,
                         pb::LocalAddress* out) {
  out->set_port(PortName(ports, in.port));
  PrefixToProto(in.prefix, out->mutable_prefix());
  out->set_owner(in.owner);
}

void PortToProto(const Port& in, pb::PortStatus* out) {
  out->set_name(in.name);
  out->set_index(in.index);
  out->set_driver(in.driver);
  out->set_device(in.device);
  out->set_admin_up(in.admin_up.load(std::memory_order_relaxed));
  out->set_oper_up(in.oper_up.load(std::memory_order_relaxed));
  out->set_mtu(in.mtu);
  out->set_mac(MacToBytes(in.mac));
  out->set_tap(in.tap_name);
}

}  // namespace weft::dp::api
