#include "controlplane/fpm/fpm_encoder.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

#include "controlplane/fpm/fpm_decoder.h"

namespace weft::cp::fpm {
namespace {

// Appends `len` bytes and pads to the netlink alignment.
void Put(std::vector<uint8_t>& out, const void* data, size_t len) {
  const auto* p = static_cast<const uint8_t*>(data);
  out.insert(out.end(), p, p + len);
  out.resize(NLMSG_ALIGN(out.size()), 0);
}

// Starts an attribute at the end of `out`; EndAttr fixes its length once its payload is in.
size_t BeginAttr(std::vector<uint8_t>& out, uint16_t type) {
  const size_t at = out.size();
  rtattr a{};
  a.rta_type = type;
  Put(out, &a, sizeof(a));
  return at;
}

void EndAttr(std::vector<uint8_t>& out, size_t at) {
  const uint16_t len = static_cast<uint16_t>(out.size() - at);
  std::memcpy(out.data() + at + offsetof(rtattr, rta_len), &len, sizeof(len));
}

void Attr(std::vector<uint8_t>& out, uint16_t type, const void* data, size_t len) {
  const size_t at = out.size();
  rtattr a{};
  a.rta_type = type;
  a.rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
  out.insert(out.end(), reinterpret_cast<const uint8_t*>(&a),
             reinterpret_cast<const uint8_t*>(&a) + sizeof(a));
  out.insert(out.end(), static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + len);
  out.resize(at + RTA_SPACE(len), 0);
}

void U32(std::vector<uint8_t>& out, uint16_t type, uint32_t v) { Attr(out, type, &v, sizeof(v)); }

// A gateway of the route's own family is RTA_GATEWAY; an IPv6 one under an IPv4 route is RTA_VIA
// (BGP unnumbered), as zebra sends them.
void Gateway(std::vector<uint8_t>& out, Family route_family, const IpAddress& gw) {
  if (gw.empty()) return;
  if (gw.family == route_family) {
    Attr(out, RTA_GATEWAY, gw.bytes.data(), gw.byte_len());
    return;
  }
  uint8_t via[2 + 16];
  const uint16_t family = gw.is_v4() ? AF_INET : AF_INET6;
  std::memcpy(via, &family, sizeof(family));
  std::memcpy(via + 2, gw.bytes.data(), gw.byte_len());
  Attr(out, RTA_VIA, via, 2 + gw.byte_len());
}

uint8_t RtmType(RouteType t) {
  switch (t) {
    case RouteType::kUnicast: return RTN_UNICAST;
    case RouteType::kBlackhole: return RTN_BLACKHOLE;
    case RouteType::kUnreachable: return RTN_UNREACHABLE;
    case RouteType::kProhibit: return RTN_PROHIBIT;
    case RouteType::kUnspecified:
    case RouteType::kOther: break;
  }
  return RTN_UNSPEC;
}

}  // namespace

size_t AppendOffloadNotice(const RouteMessage& route, std::vector<uint8_t>& out) {
  const size_t frame_at = out.size();
  out.resize(frame_at + kFpmHeaderSize, 0);
  const size_t msg_at = out.size();
  nlmsghdr h{};
  h.nlmsg_type = RTM_NEWROUTE;
  h.nlmsg_flags = NLM_F_REQUEST;
  Put(out, &h, sizeof(h));
  rtmsg r{};
  r.rtm_family = route.prefix.address.is_v4() ? AF_INET : AF_INET6;
  r.rtm_dst_len = route.prefix.length;
  r.rtm_table = static_cast<uint8_t>(route.table < 256 ? route.table : uint32_t{RT_TABLE_UNSPEC});
  r.rtm_protocol = route.protocol;
  r.rtm_scope = RT_SCOPE_UNIVERSE;
  r.rtm_type = RtmType(route.type);
  r.rtm_flags = RTM_F_OFFLOAD;
  if (route.nexthop_id == 0 && route.nexthops.size() == 1 && route.nexthops[0].onlink)
    r.rtm_flags |= RTNH_F_ONLINK;
  Put(out, &r, sizeof(r));
  const Family family = route.prefix.address.family;
  if (route.prefix.length != 0 || !route.prefix.address.empty())
    Attr(out, RTA_DST, route.prefix.address.bytes.data(), route.prefix.address.byte_len());
  if (route.table >= 256) U32(out, RTA_TABLE, route.table);
  if (route.priority != 0) U32(out, RTA_PRIORITY, route.priority);
  if (route.nexthop_id != 0) {
    U32(out, RTA_NH_ID, route.nexthop_id);
  } else if (route.nexthops.size() == 1 && route.nexthops[0].weight == 1) {
    Gateway(out, family, route.nexthops[0].gateway);
    if (route.nexthops[0].ifindex != 0) U32(out, RTA_OIF, route.nexthops[0].ifindex);
  } else if (!route.nexthops.empty()) {
    const size_t mp = BeginAttr(out, RTA_MULTIPATH);
    for (const RouteNexthop& nh : route.nexthops) {
      const size_t at = out.size();
      rtnexthop rtnh{};
      rtnh.rtnh_hops = static_cast<uint8_t>(nh.weight - 1);
      rtnh.rtnh_ifindex = static_cast<int>(nh.ifindex);
      rtnh.rtnh_flags = nh.onlink ? RTNH_F_ONLINK : 0;
      Put(out, &rtnh, sizeof(rtnh));
      Gateway(out, family, nh.gateway);
      const uint16_t len = static_cast<uint16_t>(out.size() - at);
      std::memcpy(out.data() + at + offsetof(rtnexthop, rtnh_len), &len, sizeof(len));
    }
    EndAttr(out, mp);
  }
  const uint32_t nl_len = static_cast<uint32_t>(out.size() - msg_at);
  std::memcpy(out.data() + msg_at + offsetof(nlmsghdr, nlmsg_len), &nl_len, sizeof(nl_len));
  const uint16_t frame_len = static_cast<uint16_t>(out.size() - frame_at);
  out[frame_at] = kFpmVersion;
  out[frame_at + 1] = kFpmTypeNetlink;
  out[frame_at + 2] = static_cast<uint8_t>(frame_len >> 8);
  out[frame_at + 3] = static_cast<uint8_t>(frame_len);
  return out.size() - frame_at;
}

}  // namespace weft::cp::fpm
