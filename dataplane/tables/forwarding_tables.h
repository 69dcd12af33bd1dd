// ForwardingTables: the routes, next-hop groups, neighbours and local addresses of one switch
// instance. Writer side (API threads, serialised by the caller-facing mutex inside) and the
// RCU-published snapshot that workers read without locks.
//
// Contract:
// - Every Write* call validates the whole batch first. If any entry is invalid it returns that
//   entry's status (message names the entry index and field), fills `results` with one status per
//   entry, and changes nothing. Otherwise it applies the batch so that no worker ever observes a
//   half-applied batch or a freed table (DESIGN.md "Tables under traffic"), and returns OK.
// - Entries carry the owner that wrote them; replacing or deleting another owner's entry is
//   FAILED_PRECONDITION.
// - A REPLACE whose content equals what is installed is counted as unchanged and touches nothing.
// - Only table_id 0 exists in this version; others are INVALID_ARGUMENT.
#pragma once

#include <rte_ether.h>
#include <rte_rcu_qsbr.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dataplane/common/clock.h"
#include "dataplane/common/ip.h"

namespace weft::dp {

class SwitchCounters;  // dataplane/stats/counters.h

inline constexpr uint32_t kMaxBatchEntries = 65536;
inline constexpr uint32_t kMaxGroupMembers = 64;

enum class WriteOp : uint8_t { kAdd, kReplace, kDelete };

struct NexthopKey {
  uint16_t port = 0;  // switch-local port index
  IpAddress address;
  auto operator<=>(const NexthopKey&) const = default;
};

enum class RouteKind : uint8_t { kGroup, kNexthop, kDrop, kPunt };

struct RouteAction {
  RouteKind kind = RouteKind::kDrop;
  uint32_t group_id = 0;  // kGroup
  NexthopKey nexthop;     // kNexthop; an unspecified address (connected route) always gleans
  bool operator==(const RouteAction&) const = default;
};

struct RouteEntry {
  uint32_t table_id = 0;
  IpPrefix prefix;
  RouteAction action;
  std::string owner;  // filled on reads
};

struct RouteWrite {
  WriteOp op = WriteOp::kReplace;
  RouteEntry route;
};

struct GroupMember {
  NexthopKey nexthop;
  uint32_t weight = 1;  // 1..255
  bool operator==(const GroupMember&) const = default;
};

// How a group spreads traffic over its members (dataplane/lb). A traffic class may override it
// switch-wide (LoadBalancer::Config::class_modes).
enum class LbMode : uint8_t {
  kHash,              // static: flow hash -> bucket -> member
  kFlowlet,           // flowlet adaptive routing: least-loaded member at each flowlet boundary
  kSprayLeastLoaded,  // per packet: the least-loaded member
  kSprayRoundRobin,   // per packet: the next member in turn
};
inline constexpr int kNumLbModes = 4;

struct GroupPolicy {
  LbMode mode = LbMode::kHash;
  // Resilient bucket table: one fixed table (kResilientBuckets) for the group's life; a member
  // change moves only the buckets it must (lb/buckets.h RefillResilientBuckets).
  bool resilient = false;
  bool operator==(const GroupPolicy&) const = default;
};

struct GroupEntry {
  GroupEntry() = default;
  // Brace lists of {id, members, owner} (most writers) leave the policy at its default.
  GroupEntry(uint32_t id_in, std::vector<GroupMember> members_in, std::string owner_in = {},
             GroupPolicy policy_in = {})
      : id(id_in),
        members(std::move(members_in)),
        owner(std::move(owner_in)),
        policy(policy_in) {}
  uint32_t id = 0;  // client-assigned, non-zero
  std::vector<GroupMember> members;
  std::string owner;  // filled on reads
  GroupPolicy policy;
};

struct GroupWrite {
  WriteOp op = WriteOp::kReplace;
  GroupEntry group;
};

struct NeighborEntry {
  uint16_t port = 0;
  IpAddress address;
  rte_ether_addr mac{};
  std::string owner;  // filled on reads
};

struct NeighborWrite {
  WriteOp op = WriteOp::kReplace;
  NeighborEntry neighbor;
};

struct LocalAddressEntry {
  uint16_t port = 0;
  IpPrefix prefix;  // the address and its subnet length
  std::string owner;
};

struct LocalAddressWrite {
  WriteOp op = WriteOp::kReplace;
  LocalAddressEntry local;
};

enum HashFieldBit : uint32_t {
  kHashSrcIp = 1u << 0,
  kHashDstIp = 1u << 1,
  kHashIpProto = 1u << 2,
  kHashSrcPort = 1u << 3,
  kHashDstPort = 1u << 4,
  kHashFlowLabel = 1u << 5,
  kHashRoceQp = 1u << 6,
  // Not a field: hash the unordered pair of addresses and of ports, so that both directions of a
  // flow take the same hash. Needs source and destination selected together (address and port).
  kHashSymmetric = 1u << 7,
};

struct HashConfig {
  uint32_t fields = kHashSrcIp | kHashDstIp | kHashIpProto | kHashSrcPort | kHashDstPort;
  uint32_t seed = 0;
};

struct TableStats {
  uint64_t ipv4_routes = 0, ipv6_routes = 0, groups = 0, neighbors = 0;
  uint64_t route_adds = 0, route_replaces = 0, route_deletes = 0, route_unchanged = 0;
  uint64_t group_adds = 0, group_replaces = 0, group_deletes = 0, group_unchanged = 0;
  uint64_t neighbor_adds = 0, neighbor_replaces = 0, neighbor_deletes = 0, neighbor_unchanged = 0;
  uint64_t fib_rebuilds = 0;  // FIB copies rebuilt from the tables (see ApplyFibOps)
};

struct TablesOptions {
  uint32_t max_ipv4_routes = 2'000'000;
  uint32_t max_ipv6_routes = 200'000;
  uint32_t max_groups = 65'536;
  uint32_t max_readers = 8;  // worker threads that will register with the QSBR variable
  int socket_id = 0;
  // FIB sizing. tbl8 groups hold prefixes longer than /24 (IPv4) or each trie level (IPv6).
  uint32_t ipv4_tbl8_groups = 1u << 14;
  uint32_t ipv6_tbl8_groups = 1u << 15;
  // Where per-member packet counters are kept (optional): the tables bind group slots to client
  // group ids in it as groups come and go.
  SwitchCounters* counters = nullptr;
};

struct TablesSnapshot;  // the reader-side view; defined in tables/snapshot.h, used by workers only

class ForwardingTables {
 public:
  static absl::StatusOr<std::unique_ptr<ForwardingTables>> Create(const TablesOptions& options,
                                                                  uint16_t num_ports);
  virtual ~ForwardingTables() = default;

  virtual absl::Status WriteRoutes(const std::string& owner, std::span<const RouteWrite> writes,
                                   std::vector<absl::Status>* results) = 0;
  virtual absl::Status WriteGroups(const std::string& owner, std::span<const GroupWrite> writes,
                                   std::vector<absl::Status>* results) = 0;
  virtual absl::Status WriteNeighbors(const std::string& owner,
                                      std::span<const NeighborWrite> writes,
                                      std::vector<absl::Status>* results) = 0;
  virtual absl::Status WriteLocalAddresses(const std::string& owner,
                                           std::span<const LocalAddressWrite> writes,
                                           std::vector<absl::Status>* results) = 0;
  virtual absl::Status SetHashConfig(const HashConfig& config) = 0;
  // Port oper/admin state as the data plane should use it: members on a down port are skipped.
  virtual void SetPortUp(uint16_t port, bool up) = 0;

  // Reads (control side; may take the writer lock).
  virtual void ListRoutes(const std::function<bool(const RouteEntry&)>& visit) const = 0;
  virtual std::optional<RouteEntry> LookupRoute(uint32_t table_id, const IpAddress& a) const = 0;
  virtual std::vector<GroupEntry> ListGroups() const = 0;
  virtual std::vector<NeighborEntry> ListNeighbors() const = 0;
  virtual std::vector<LocalAddressEntry> ListLocalAddresses() const = 0;
  virtual TableStats Stats() const = 0;

  // Reader side. Workers register with qsbr() (thread id = worker index) and report quiescent
  // states once per poll loop; snapshot() is valid between two quiescent reports.
  virtual rte_rcu_qsbr* qsbr() = 0;
  virtual const TablesSnapshot* snapshot() const = 0;
};

}  // namespace weft::dp
