// Plain structs the FPM decoder produces: zebra's netlink route and next-hop messages, already
// checked and normalised (prefixes masked, weights as 1-based values), with no netlink left in them.
#pragma once

#include <array>
#include <cstdint>
#include <variant>
#include <vector>

#include "controlplane/common/ip_address.h"

namespace weft::cp::fpm {

// rtm_type of a route. kOther covers local/broadcast/multicast/... that the switch does not route.
enum class RouteType : uint8_t { kUnspecified, kUnicast, kBlackhole, kUnreachable, kProhibit, kOther };

// Route protocols zebra uses that weftd cares about (rtm_protocol).
inline constexpr uint8_t kProtoKernel = 2;   // connected routes (RTPROT_KERNEL)
inline constexpr uint8_t kProtoStatic = 196; // zebra's static routes (RTPROT_ZSTATIC)

// One path of a route carried inline (RTA_GATEWAY/RTA_OIF or one RTA_MULTIPATH entry).
struct RouteNexthop {
  IpAddress gateway;     // empty for an interface (connected) next hop
  uint32_t ifindex = 0;  // kernel ifindex in zebra's namespace, 0 if absent
  uint32_t weight = 1;   // rtnh_hops + 1
  bool onlink = false;   // RTNH_F_ONLINK: gateway reachable without a connected subnet (unnumbered)
  auto operator<=>(const RouteNexthop&) const = default;
};

struct RouteMessage {
  bool is_delete = false;    // RTM_DELROUTE (carries only prefix, metric and protocol)
  uint16_t nlmsg_flags = 0;  // NLM_F_REPLACE etc. as sent; informational
  IpPrefix prefix;           // host bits masked
  uint32_t table = 0;        // RTA_TABLE, or rtm_table when absent
  uint8_t protocol = 0;      // rtm_protocol
  RouteType type = RouteType::kUnspecified;
  uint32_t priority = 0;     // RTA_PRIORITY (metric), 0 if absent
  uint32_t nexthop_id = 0;   // RTA_NH_ID, 0 if the next hops are inline
  std::vector<RouteNexthop> nexthops;  // inline next hops (RTA_GATEWAY/RTA_OIF or RTA_MULTIPATH)
};

struct NexthopGroupMember {
  uint32_t id = 0;
  uint32_t weight = 1;  // nexthop_grp.weight + 1
  auto operator<=>(const NexthopGroupMember&) const = default;
};

// RTM_NEWNEXTHOP / RTM_DELNEXTHOP: either a single next hop (gateway/oif/blackhole) or a group.
struct NexthopMessage {
  bool is_delete = false;
  uint32_t id = 0;         // NHA_ID, never 0
  uint8_t protocol = 0;
  bool blackhole = false;  // NHA_BLACKHOLE
  IpAddress gateway;       // NHA_GATEWAY, empty if absent
  uint32_t ifindex = 0;    // NHA_OIF, 0 if absent
  bool onlink = false;     // RTNH_F_ONLINK in nh_flags
  std::vector<NexthopGroupMember> group;  // NHA_GROUP, empty for a single next hop
};

using FpmMessage = std::variant<RouteMessage, NexthopMessage>;

// Why a well-formed message was skipped rather than decoded. Counted, never a reason to close.
enum class SkipReason : uint8_t {
  kNeighbor,           // RTM_NEWNEIGH/RTM_DELNEIGH (EVPN)
  kMplsRoute,          // AF_MPLS routes
  kOtherFamily,        // routes/next hops of a family other than IPv4/IPv6 (and not a group)
  kSourceRoute,        // source-specific routes (rtm_src_len != 0)
  kUnknownType,        // any other nlmsg_type
  kCount,
};
const char* SkipReasonName(SkipReason r);

// What one FPM frame carried.
struct FpmFrame {
  std::vector<FpmMessage> messages;  // in wire order
  std::array<uint32_t, static_cast<size_t>(SkipReason::kCount)> skipped{};
  void Clear() {
    messages.clear();
    skipped.fill(0);
  }
};

}  // namespace weft::cp::fpm
