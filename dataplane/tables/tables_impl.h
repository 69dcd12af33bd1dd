// The ForwardingTables implementation (private to dataplane/tables). Writer state lives in hash
// maps under mu_; readers see only TablesSnapshot. Split over forwarding_tables.cc (creation, FIB
// publication, routes), groups.cc (groups, neighbours, local addresses) and validate.cc.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <mutex>
#include <queue>
#include <string>
#include <vector>

#include "dataplane/port/port.h"
#include "dataplane/stats/counters.h"
#include "dataplane/tables/forwarding_tables.h"
#include "dataplane/tables/group_view.h"
#include "dataplane/tables/snapshot.h"

namespace weft::dp {

struct NexthopKeyHash {
  size_t operator()(const NexthopKey& k) const { return IpAddressHash()(k.address) * 31 + k.port; }
};

// One FIB change, applied to the standby copy, then replayed on the other.
struct FibOp {
  bool v6 = false;
  uint8_t length = 0;
  std::array<uint8_t, 16> address{};
  uint64_t value = kFibNoRoute;      // new value; kFibNoRoute deletes
  // What the prefix had before the batch: a write of the same value is skipped, and a write over
  // a present value is a delete and an add (FibApply).
  uint64_t old_value = kFibNoRoute;
  uint32_t write_index = 0;          // the batch entry it came from, for error messages
};

class ForwardingTablesImpl final : public ForwardingTables {
 public:
  ForwardingTablesImpl(const TablesOptions& options, uint16_t num_ports);
  ~ForwardingTablesImpl() override;
  absl::Status Init();

  absl::Status WriteRoutes(const std::string& owner, std::span<const RouteWrite> writes,
                           std::vector<absl::Status>* results) override;
  absl::Status WriteGroups(const std::string& owner, std::span<const GroupWrite> writes,
                           std::vector<absl::Status>* results) override;
  absl::Status WriteNeighbors(const std::string& owner, std::span<const NeighborWrite> writes,
                              std::vector<absl::Status>* results) override;
  absl::Status WriteLocalAddresses(const std::string& owner,
                                   std::span<const LocalAddressWrite> writes,
                                   std::vector<absl::Status>* results) override;
  absl::Status SetHashConfig(const HashConfig& config) override;
  void SetPortUp(uint16_t port, bool up) override;

  void ListRoutes(const std::function<bool(const RouteEntry&)>& visit) const override;
  std::optional<RouteEntry> LookupRoute(uint32_t table_id, const IpAddress& a) const override;
  std::vector<GroupEntry> ListGroups() const override;
  std::vector<NeighborEntry> ListNeighbors() const override;
  std::vector<LocalAddressEntry> ListLocalAddresses() const override;
  TableStats Stats() const override;

  rte_rcu_qsbr* qsbr() override { return qsbr_; }
  const TablesSnapshot* snapshot() const override {
    return active_.load(std::memory_order_acquire);
  }

 private:
  struct RouteRec {
    RouteAction action;
    uint16_t owner = 0;
  };
  struct GroupRec {
    std::vector<GroupMember> members;
    uint16_t owner = 0;
    uint32_t slot = 0;
    uint32_t refs = 0;  // routes pointing at it
    GroupPolicy policy;
    std::vector<uint8_t> buckets;  // resilient groups: their fixed table; empty otherwise
  };
  struct ImplicitRec {
    uint32_t slot = 0;
    uint32_t refs = 0;
  };
  struct NeighborRec {
    rte_ether_addr mac{};
    uint16_t owner = 0;
  };
  struct LocalRec {
    uint8_t length = 0;
    uint16_t owner = 0;
  };
  using V4Map = absl::flat_hash_map<uint64_t, RouteRec>;  // key: address << 8 | length
  using V6Map = absl::flat_hash_map<IpPrefix, RouteRec, IpPrefixHash>;

  static uint64_t V4Key(const IpPrefix& p) { return uint64_t(p.address.v4_host()) << 8 | p.length; }
  static IpPrefix V4Prefix(uint64_t key);
  uint16_t OwnerId(const std::string& owner);
  const RouteRec* FindRoute(const IpPrefix& p) const;

  // validate.cc
  absl::Status ValidateRoutes(uint16_t owner, std::span<const RouteWrite> writes,
                              std::vector<absl::Status>* results) const;
  absl::Status ValidateGroups(uint16_t owner, std::span<const GroupWrite> writes,
                              std::vector<absl::Status>* results) const;
  absl::Status ValidateNeighbors(uint16_t owner, std::span<const NeighborWrite> writes,
                                 std::vector<absl::Status>* results) const;
  absl::Status ValidateLocals(uint16_t owner, std::span<const LocalAddressWrite> writes,
                              std::vector<absl::Status>* results) const;
  absl::Status ValidatePrefix(const IpPrefix& p, const std::string& field) const;
  absl::Status ValidatePort(uint16_t port, const std::string& field) const;

  // FIB publication (forwarding_tables.cc): standby copy, pointer store, grace period, replay.
  absl::Status ApplyFibOps(std::vector<FibOp>& ops, size_t* failed_op);
  int FibApply(int copy, const FibOp& op);
  // Creates FIB copy `copy` empty (rte_fib/rte_fib6 with the configured sizes).
  absl::Status CreateFibCopy(int copy);
  // Replaces FIB copy `copy` (one no worker reads) by a fresh one holding the writer's maps with
  // `ops` applied on top (a batch not yet committed to the maps). Returns the failed rte_fib(6)
  // result (< 0) if that content does not fit, else 0; *failed_op: the op refused, when it was one
  // of `ops` (else left alone).
  int RebuildFibCopy(int copy, const std::vector<FibOp>& ops, size_t* failed_op = nullptr);
  uint64_t RouteValue(const RouteAction& a) const;
  uint64_t EffectiveValue(const IpPrefix& p) const;  // local host punt wins over routes
  void Synchronize();

  // groups.cc
  absl::StatusOr<uint32_t> AllocSlot();
  void PublishSlot(uint32_t slot, GroupViewPtr view, std::vector<GroupViewPtr>* retired);
  void RetireSlot(uint32_t slot, std::vector<GroupViewPtr>* retired);
  // Waits for a grace period if anything was retired, then frees it and recycles its slots.
  void FinishRetire(std::vector<GroupViewPtr>* retired);
  GroupViewPtr BuildView(uint32_t group_id, uint32_t slot, std::span<const GroupMember> members);
  GroupViewPtr BuildView(uint32_t group_id, const GroupRec& rec);
  // Fills rec->buckets for the new member list of a resilient group (from its old table).
  static void UpdateResilientBuckets(GroupRec* rec, std::span<const GroupMember> new_members);
  absl::StatusOr<uint32_t> AcquireImplicit(const NexthopKey& key);  // returns the slot
  void ReleaseImplicit(const NexthopKey& key, std::vector<GroupViewPtr>* retired);
  void ReleaseRouteRef(const RouteAction& a, std::vector<GroupViewPtr>* retired);
  void AddRouteRef(const RouteAction& a);

  const TablesOptions options_;
  const uint16_t num_ports_;
  SwitchCounters* counters_ = nullptr;
  mutable std::mutex mu_;

  rte_rcu_qsbr* qsbr_ = nullptr;
  rte_fib* fib4_[2] = {nullptr, nullptr};
  rte_fib6* fib6_[2] = {nullptr, nullptr};
  bool standby_stale_ = false;  // the standby copy does not hold what the active one does
  TablesSnapshot snaps_[2];
  std::atomic<const TablesSnapshot*> active_{nullptr};
  int active_index_ = 0;

  uint32_t num_slots_ = 0;
  std::unique_ptr<std::atomic<const NexthopGroupView*>[]> slots_;
  std::vector<GroupViewPtr> slot_views_;  // owner of what slots_ points to
  std::priority_queue<uint32_t, std::vector<uint32_t>, std::greater<>> free_slots_;
  std::vector<uint32_t> retired_slots_;  // free again after the next grace period
  std::atomic<uint64_t> port_up_{~uint64_t{0}};
  std::atomic<uint64_t> hash_config_{PackHashConfig(HashConfig{})};

  std::vector<std::string> owners_;
  absl::flat_hash_map<std::string, uint16_t> owner_ids_;
  V4Map routes4_;
  V6Map routes6_;
  absl::flat_hash_map<uint32_t, GroupRec> groups_;
  absl::flat_hash_map<NexthopKey, ImplicitRec, NexthopKeyHash> implicit_;
  absl::flat_hash_map<NexthopKey, NeighborRec, NexthopKeyHash> neighbors_;
  absl::flat_hash_map<NexthopKey, LocalRec, NexthopKeyHash> locals_;     // (port, address)
  absl::flat_hash_map<IpAddress, uint32_t, IpAddressHash> local_hosts_;  // address -> refs
  TableStats stats_;
};

}  // namespace weft::dp
