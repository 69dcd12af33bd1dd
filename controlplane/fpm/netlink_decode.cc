// Decoding of one netlink message (route or next hop) into fpm_messages.h structs. Every read is
// bounds-checked against the message; nothing trusts a length field it has not compared.
#include <linux/netlink.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

#include "absl/strings/str_format.h"
#include "controlplane/fpm/fpm_decoder.h"

namespace weft::cp::fpm {
namespace {

using Bytes = std::span<const uint8_t>;

uint32_t ReadU32(Bytes b) {
  uint32_t v;
  std::memcpy(&v, b.data(), sizeof(v));
  return v;
}
uint16_t ReadU16(Bytes b) {
  uint16_t v;
  std::memcpy(&v, b.data(), sizeof(v));
  return v;
}

absl::Status Invalid(const char* what, const std::string& detail) {
  return absl::InvalidArgumentError(absl::StrFormat("%s: %s", what, detail));
}

// Calls f(type, payload, offset) for each attribute in `area`; an attribute whose length is
// shorter than its header or runs past the area is a framing error. `base` is the area's offset in
// the message, for error messages.
template <typename F>
absl::Status ForEachAttr(Bytes area, size_t base, const char* what, F&& f) {
  size_t offset = 0;
  while (offset < area.size()) {
    const size_t left = area.size() - offset;
    if (left < sizeof(rtattr)) {
      return Invalid(what, absl::StrFormat("truncated attribute header at offset %d (%d bytes left)",
                                           base + offset, left));
    }
    const uint16_t len = ReadU16(area.subspan(offset));
    const uint16_t type = ReadU16(area.subspan(offset + 2)) & NLA_TYPE_MASK;
    if (len < sizeof(rtattr) || len > left) {
      return Invalid(what, absl::StrFormat(
          "attribute type %d at offset %d has length %d (%d bytes left)", type, base + offset,
          len, left));
    }
    Bytes payload = area.subspan(offset + sizeof(rtattr), len - sizeof(rtattr));
    absl::Status s = f(type, payload, base + offset);
    if (!s.ok()) return s;
    offset += std::min<size_t>(RTA_ALIGN(len), left);
  }
  return absl::OkStatus();
}

size_t FamilyBytes(int family) {
  return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

absl::Status ReadAddress(const char* what, const char* attr, int family, Bytes payload,
                         IpAddress& out) {
  const size_t want = FamilyBytes(family);
  if (want == 0 || payload.size() != want) {
    return Invalid(what, absl::StrFormat("%s of %d bytes does not fit address family %d", attr,
                                         payload.size(), family));
  }
  out.family = family == AF_INET ? Family::kIpv4 : Family::kIpv6;
  std::memcpy(out.bytes.data(), payload.data(), want);
  return absl::OkStatus();
}

absl::Status ReadU32Attr(const char* what, const char* attr, Bytes payload, uint32_t& out) {
  if (payload.size() != 4) {
    return Invalid(what, absl::StrFormat("%s of %d bytes, expected 4", attr, payload.size()));
  }
  out = ReadU32(payload);
  return absl::OkStatus();
}

// RTA_VIA: struct rtvia { u16 family; u8 addr[]; } — IPv4 routes over IPv6 next hops.
absl::Status ReadVia(const char* what, Bytes payload, IpAddress& out) {
  if (payload.size() < 2) return Invalid(what, "RTA_VIA shorter than its family field");
  return ReadAddress(what, "RTA_VIA address", ReadU16(payload), payload.subspan(2), out);
}

RouteType MapRouteType(uint8_t t) {
  switch (t) {
    case RTN_UNSPEC: return RouteType::kUnspecified;
    case RTN_UNICAST: return RouteType::kUnicast;
    case RTN_BLACKHOLE: return RouteType::kBlackhole;
    case RTN_UNREACHABLE: return RouteType::kUnreachable;
    case RTN_PROHIBIT: return RouteType::kProhibit;
    default: return RouteType::kOther;
  }
}

// RTA_MULTIPATH: a sequence of struct rtnexthop, each followed by its own attributes.
absl::Status DecodeMultipath(const char* what, int family, Bytes area, size_t base,
                             std::vector<RouteNexthop>& out) {
  size_t offset = 0;
  while (offset < area.size()) {
    const size_t left = area.size() - offset;
    if (left < sizeof(rtnexthop)) {
      return Invalid(what, absl::StrFormat("truncated rtnexthop at offset %d", base + offset));
    }
    rtnexthop nh;
    std::memcpy(&nh, area.data() + offset, sizeof(nh));
    if (nh.rtnh_len < sizeof(rtnexthop) || nh.rtnh_len > left) {
      return Invalid(what, absl::StrFormat("rtnexthop at offset %d has rtnh_len %d (%d bytes left)",
                                           base + offset, nh.rtnh_len, left));
    }
    RouteNexthop path;
    path.ifindex = static_cast<uint32_t>(nh.rtnh_ifindex);
    path.weight = static_cast<uint32_t>(nh.rtnh_hops) + 1;
    path.onlink = (nh.rtnh_flags & RTNH_F_ONLINK) != 0;
    Bytes attrs = area.subspan(offset + sizeof(rtnexthop), nh.rtnh_len - sizeof(rtnexthop));
    absl::Status s = ForEachAttr(attrs, base + offset + sizeof(rtnexthop), what,
                                 [&](uint16_t type, Bytes p, size_t) -> absl::Status {
      if (type == RTA_GATEWAY) return ReadAddress(what, "RTA_GATEWAY", family, p, path.gateway);
      if (type == RTA_VIA) return ReadVia(what, p, path.gateway);
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
    out.push_back(path);
    offset += std::min<size_t>(RTNH_ALIGN(nh.rtnh_len), left);
  }
  return absl::OkStatus();
}

absl::Status DecodeRoute(const nlmsghdr& hdr, Bytes body, FpmFrame& out) {
  const bool is_delete = hdr.nlmsg_type == RTM_DELROUTE;
  const char* what = is_delete ? "RTM_DELROUTE" : "RTM_NEWROUTE";
  if (body.size() < sizeof(rtmsg)) {
    return Invalid(what, absl::StrFormat("body of %d bytes is shorter than struct rtmsg (%d)",
                                         body.size(), sizeof(rtmsg)));
  }
  rtmsg rtm;
  std::memcpy(&rtm, body.data(), sizeof(rtm));
  if (rtm.rtm_family == AF_MPLS) {
    ++out.skipped[static_cast<size_t>(SkipReason::kMplsRoute)];
    return absl::OkStatus();
  }
  if (rtm.rtm_family != AF_INET && rtm.rtm_family != AF_INET6) {
    ++out.skipped[static_cast<size_t>(SkipReason::kOtherFamily)];
    return absl::OkStatus();
  }
  if (rtm.rtm_src_len != 0) {
    ++out.skipped[static_cast<size_t>(SkipReason::kSourceRoute)];
    return absl::OkStatus();
  }
  const unsigned max_len = rtm.rtm_family == AF_INET ? 32 : 128;
  if (rtm.rtm_dst_len > max_len) {
    return Invalid(what, absl::StrFormat("rtm_dst_len %d exceeds %d", rtm.rtm_dst_len, max_len));
  }
  RouteMessage route;
  route.is_delete = is_delete;
  route.nlmsg_flags = hdr.nlmsg_flags;
  route.prefix.address.family = rtm.rtm_family == AF_INET ? Family::kIpv4 : Family::kIpv6;
  route.prefix.length = rtm.rtm_dst_len;
  route.table = rtm.rtm_table;
  route.protocol = rtm.rtm_protocol;
  route.type = MapRouteType(rtm.rtm_type);
  RouteNexthop single;
  single.onlink = (rtm.rtm_flags & RTNH_F_ONLINK) != 0;
  bool has_dst = false, has_single = false;
  const size_t attrs_base = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(rtmsg));
  Bytes attrs = body.subspan(std::min(body.size(), NLMSG_ALIGN(sizeof(rtmsg))));
  absl::Status s = ForEachAttr(attrs, attrs_base, what,
                               [&](uint16_t type, Bytes p, size_t at) -> absl::Status {
    switch (type) {
      case RTA_DST:
        has_dst = true;
        return ReadAddress(what, "RTA_DST", rtm.rtm_family, p, route.prefix.address);
      case RTA_TABLE: return ReadU32Attr(what, "RTA_TABLE", p, route.table);
      case RTA_PRIORITY: return ReadU32Attr(what, "RTA_PRIORITY", p, route.priority);
      case RTA_NH_ID: return ReadU32Attr(what, "RTA_NH_ID", p, route.nexthop_id);
      case RTA_OIF:
        has_single = true;
        return ReadU32Attr(what, "RTA_OIF", p, single.ifindex);
      case RTA_GATEWAY:
        has_single = true;
        return ReadAddress(what, "RTA_GATEWAY", rtm.rtm_family, p, single.gateway);
      case RTA_VIA:
        has_single = true;
        return ReadVia(what, p, single.gateway);
      case RTA_MULTIPATH:
        return DecodeMultipath(what, rtm.rtm_family, p, at + sizeof(rtattr), route.nexthops);
      default: return absl::OkStatus();
    }
  });
  if (!s.ok()) return s;
  if (!has_dst && route.prefix.length != 0) {
    return Invalid(what, absl::StrFormat("rtm_dst_len %d without RTA_DST", route.prefix.length));
  }
  MaskHostBits(route.prefix.address, route.prefix.length);
  if (has_single && route.nexthops.empty()) route.nexthops.push_back(single);
  out.messages.emplace_back(std::move(route));
  return absl::OkStatus();
}

absl::Status DecodeNexthop(const nlmsghdr& hdr, Bytes body, FpmFrame& out) {
  const bool is_delete = hdr.nlmsg_type == RTM_DELNEXTHOP;
  const char* what = is_delete ? "RTM_DELNEXTHOP" : "RTM_NEWNEXTHOP";
  if (body.size() < sizeof(nhmsg)) {
    return Invalid(what, absl::StrFormat("body of %d bytes is shorter than struct nhmsg (%d)",
                                         body.size(), sizeof(nhmsg)));
  }
  nhmsg nhm;
  std::memcpy(&nhm, body.data(), sizeof(nhm));
  NexthopMessage nh;
  nh.is_delete = is_delete;
  nh.protocol = nhm.nh_protocol;
  nh.onlink = (nhm.nh_flags & RTNH_F_ONLINK) != 0;
  const size_t attrs_base = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nhmsg));
  Bytes attrs = body.subspan(std::min(body.size(), NLMSG_ALIGN(sizeof(nhmsg))));
  absl::Status s = ForEachAttr(attrs, attrs_base, what,
                               [&](uint16_t type, Bytes p, size_t) -> absl::Status {
    switch (type) {
      case NHA_ID: return ReadU32Attr(what, "NHA_ID", p, nh.id);
      case NHA_OIF: return ReadU32Attr(what, "NHA_OIF", p, nh.ifindex);
      case NHA_BLACKHOLE:
        nh.blackhole = true;
        return absl::OkStatus();
      case NHA_GATEWAY: return ReadAddress(what, "NHA_GATEWAY", nhm.nh_family, p, nh.gateway);
      case NHA_GROUP: {
        if (p.size() % sizeof(nexthop_grp) != 0) {
          return Invalid(what, absl::StrFormat("NHA_GROUP of %d bytes is not a multiple of %d",
                                               p.size(), sizeof(nexthop_grp)));
        }
        for (size_t i = 0; i < p.size(); i += sizeof(nexthop_grp)) {
          nexthop_grp g;
          std::memcpy(&g, p.data() + i, sizeof(g));
          if (g.id == 0) return Invalid(what, "NHA_GROUP member with id 0");
          nh.group.push_back({g.id, static_cast<uint32_t>(g.weight) + 1});
        }
        if (nh.group.empty()) return Invalid(what, "empty NHA_GROUP");
        return absl::OkStatus();
      }
      default: return absl::OkStatus();
    }
  });
  if (!s.ok()) return s;
  if (nh.id == 0) return Invalid(what, "missing or zero NHA_ID");
  // A single next hop must be usable: a gateway, an interface or a blackhole (deletes carry only
  // the id). Family other than IPv4/IPv6 without a group is something the switch cannot forward.
  if (!is_delete && nh.group.empty() && nhm.nh_family != AF_INET && nhm.nh_family != AF_INET6 &&
      !nh.blackhole) {
    ++out.skipped[static_cast<size_t>(SkipReason::kOtherFamily)];
    return absl::OkStatus();
  }
  out.messages.emplace_back(std::move(nh));
  return absl::OkStatus();
}

}  // namespace

absl::Status DecodeNetlinkMessage(std::span<const uint8_t> message, FpmFrame& out) {
  if (message.size() < sizeof(nlmsghdr)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("message of %d bytes is shorter than nlmsghdr", message.size()));
  }
  nlmsghdr hdr;
  std::memcpy(&hdr, message.data(), sizeof(hdr));
  if (hdr.nlmsg_len < NLMSG_HDRLEN || hdr.nlmsg_len > message.size()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "nlmsg_len %d outside [%d, %d]", hdr.nlmsg_len, NLMSG_HDRLEN, message.size()));
  }
  Bytes body = message.subspan(NLMSG_HDRLEN, hdr.nlmsg_len - NLMSG_HDRLEN);
  switch (hdr.nlmsg_type) {
    case RTM_NEWROUTE:
    case RTM_DELROUTE: return DecodeRoute(hdr, body, out);
    case RTM_NEWNEXTHOP:
    case RTM_DELNEXTHOP: return DecodeNexthop(hdr, body, out);
    case RTM_NEWNEIGH:
    case RTM_DELNEIGH: ++out.skipped[static_cast<size_t>(SkipReason::kNeighbor)]; break;
    default: ++out.skipped[static_cast<size_t>(SkipReason::kUnknownType)]; break;
  }
  return absl::OkStatus();
}

}  // namespace weft::cp::fpm
