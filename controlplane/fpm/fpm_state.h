// What zebra told weftd over FPM, and its translation into the RIB (source kFpm).
//
// - Every RTM_NEWROUTE is the complete new state of its prefix; a DELROUTE immediately followed
//   by a NEWROUTE of the same prefix in one frame is applied as one replace.
// - A route or group naming a next-hop id not received yet waits: the RIB keeps the prefix's
//   previous state until every id it needs has arrived.
// - Connected routes (protocol kernel) are recognised and counted but not added: rtnetlink is
//   their one source of truth.
// - On reconnect everything is marked stale; what zebra replays is refreshed; SweepStale() (after
//   the hold time) removes the rest.
// OIFs are ifindexes of zebra's namespace, mapped to port names by `port_of_ifindex` (TAP names).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "controlplane/fpm/fpm_messages.h"
#include "controlplane/rib/rib.h"

namespace weft::cp::fpm {

using PortOfIfindex = std::function<std::optional<std::string>(uint32_t ifindex)>;

struct FpmStateCounters {
  uint64_t routes_added = 0;      // NEWROUTE for a prefix not held before
  uint64_t routes_replaced = 0;   // NEWROUTE for a held prefix (incl. DEL+NEW pairs)
  uint64_t routes_deleted = 0;
  uint64_t nexthops_received = 0;
  uint64_t nexthops_deleted = 0;
  uint64_t connected_recognized = 0;  // protocol-kernel routes left to rtnetlink
  uint64_t unsupported_routes = 0;    // route types the switch does not route (local, ...)
  uint64_t unresolved_interfaces = 0; // next hops whose ifindex maps to no port
  uint64_t stale_swept = 0;           // routes and next hops removed by sweeps
};

class FpmState {
 public:
  FpmState(Rib& rib, PortOfIfindex port_of_ifindex);

  void Apply(const FpmFrame& frame);
  // zebra reconnected: everything known is stale until replayed.
  void MarkAllStale();
  // Removes what is still stale. Returns how many routes went away.
  size_t SweepStale();

  // Offload notices (fpm_encoder.h): from now on, routes the programmer confirms in the data plane
  // are collected; TakeOffloadNotices appends one frame per such route that zebra still holds as
  // sent (a route replaced or deleted meanwhile gets its notice when its new state is confirmed).
  void EnableOffloadNotices();
  size_t TakeOffloadNotices(std::vector<uint8_t>& out);

  size_t routes() const { return routes_.size(); }
  size_t nexthops() const { return nexthops_.size(); }
  size_t pending_routes() const;  // routes waiting for a next-hop id
  size_t stale_routes() const;
  const FpmStateCounters& counters() const { return counters_; }

 private:
  struct RouteRecord {
    RouteMessage message;
    bool stale = false;
    bool pending = false;  // waiting for a next-hop id
  };
  struct NexthopRecord {
    NexthopMessage message;
    bool stale = false;
  };

  // A next hop before its ifindex is mapped to a port.
  struct KernelNexthop {
    uint32_t ifindex = 0;
    IpAddress gateway;
    uint32_t weight = 1;
  };

  void ApplyRoute(const RouteMessage& m);
  void ApplyNexthop(const NexthopMessage& m);
  // Recomputes the RIB entry of one route from its message and the known next hops.
  void Resolve(const RouteKey& key, RouteRecord& record);
  // Appends the ports/addresses of next-hop id `id`; false if it (or a member) is unknown.
  bool ExpandNexthopId(uint32_t id, uint32_t weight, std::vector<KernelNexthop>& out,
                       bool& blackhole, int depth) const;
  std::optional<PortNexthop> ToPortNexthop(const IpAddress& gateway, uint32_t ifindex,
                                           uint32_t weight, bool& punt);
  void ResolveUsersOf(uint32_t id);

  Rib& rib_;
  PortOfIfindex port_of_ifindex_;
  absl::flat_hash_map<RouteKey, RouteRecord> routes_;
  absl::flat_hash_map<uint32_t, NexthopRecord> nexthops_;
  // Next-hop id -> routes naming it directly, and -> groups listing it as a member.
  absl::flat_hash_map<uint32_t, absl::flat_hash_set<RouteKey>> route_users_;
  absl::flat_hash_map<uint32_t, absl::flat_hash_set<uint32_t>> group_users_;
  FpmStateCounters counters_;
};

// Zebra's main table (254) is the data plane's default table 0; other tables keep their number.
uint32_t DataplaneTableOf(uint32_t kernel_table);

}  // namespace weft::cp::fpm
