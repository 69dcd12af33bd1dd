// The FIB programmer: RIB -> Dataplane API, as owner "weftd".
//
// Keeps a mirror of what the data plane holds for weftd (routes and the groups they use) and
// writes only differences, in batches of at most the data plane's max_batch_entries:
// - groups a batch needs are added first, routes are replaced/deleted, then unused groups go;
// - the first Sync (weftd just started) lists what the data plane holds and adopts it: replayed
//   routes identical to what is installed cause no write at all, and owned entries the RIB does
//   not claim are deleted only after AllowDeletesOfUnclaimed() (the startup hold), so a weftd
//   restart under traffic changes nothing that is already right;
// - a new boot epoch means the data plane restarted empty: everything is pushed again;
// - a transport error (data plane unreachable) makes the next Sync list and diff again.
// A rejected batch changed nothing; it is split in halves until the refused entries are isolated,
// so one bad entry (say a port the data plane does not know) does not block the others; refused
// entries stay unprogrammed in the RIB.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "controlplane/kernel/address_table.h"
#include "controlplane/kernel/neighbor_table.h"
#include "controlplane/programmer/dataplane_client.h"
#include "controlplane/programmer/dataplane_convert.h"
#include "controlplane/rib/nexthop_group_table.h"
#include "controlplane/rib/rib.h"

namespace weft::cp {

struct ProgrammerCounters {
  uint64_t syncs = 0;
  uint64_t batches = 0;            // write RPCs
  uint64_t route_writes = 0;       // routes added or replaced
  uint64_t route_deletes = 0;
  uint64_t route_unchanged = 0;    // RIB changes that matched what was installed: no write
  uint64_t group_adds = 0;
  uint64_t group_deletes = 0;
  uint64_t failed_entries = 0;     // entries the data plane refused
  uint64_t full_pushes = 0;        // new boot epoch
  uint64_t adoptions = 0;          // listed the data plane and diffed
  uint64_t neighbor_writes = 0;
  uint64_t neighbor_deletes = 0;
  uint64_t local_address_writes = 0;
  uint64_t local_address_deletes = 0;
  std::string last_error;
};

class Programmer {
 public:
  // `neighbors` (optional) is guarded by `rib_mutex` too; neighbours are pushed before routes.
  Programmer(Rib& rib, std::mutex& rib_mutex, DataplaneClient& client,
             std::string owner = "weftd", NeighborTable* neighbors = nullptr,
             AddressTable* addresses = nullptr);

  // Pushes what changed since the last call (see the header comment for restarts). Returns the
  // transport error when the data plane could not be reached.
  absl::Status Sync();
  // The startup hold is over: the next Sync deletes owned entries the RIB does not claim.
  void AllowDeletesOfUnclaimed();
  // The load-balancing mode of every group weftd writes (before the first Sync). Groups adopted
  // from the data plane in another mode are rewritten in this one (same id and members), with no
  // route touched.
  void SetGroupMode(dpv1::LoadBalanceMode mode) { group_mode_ = mode; }

  const ProgrammerCounters& counters() const { return counters_; }
  std::optional<uint64_t> boot_epoch() const { return epoch_; }
  size_t installed_routes() const { return installed_.size(); }
  size_t installed_groups() const { return groups_.size(); }

 private:
  struct Installed {
    DataplaneRoute route;
    uint32_t group_id = 0;
  };
  struct PendingWrite {
    RouteKey key;
    std::optional<DataplaneRoute> route;  // nullopt: delete
    uint32_t group_id = 0;                // group the new route uses (acquired)
    uint32_t old_group_id = 0;            // group the installed route used
  };

  absl::Status Adopt();
  absl::Status Push(const std::vector<RibChange>& changes, bool delete_unclaimed);
  absl::Status PushNeighbors(const std::vector<NeighborChange>& changes, bool delete_unclaimed);
  absl::Status PushLocalAddresses(const std::vector<LocalAddressChange>& changes,
                                  bool delete_unclaimed);
  // Runs writes in chunks; per write true if it is in the data plane afterwards.
  absl::StatusOr<std::vector<bool>> WriteGroups(const std::vector<dpv1::NexthopGroupWrite>& w);
  absl::StatusOr<std::vector<bool>> WriteRoutes(const std::vector<dpv1::RouteWrite>& w);

  Rib& rib_;
  std::mutex& rib_mutex_;
  DataplaneClient& client_;
  std::string owner_;
  std::optional<uint64_t> epoch_;
  bool relist_ = true;            // adopt what the data plane holds on the next Sync
  bool deletes_allowed_ = false;  // owned entries the RIB does not claim may be deleted
  dpv1::LoadBalanceMode group_mode_ = dpv1::LOAD_BALANCE_MODE_HASH;
  std::vector<uint32_t> mode_fixups_;  // adopted groups in another mode, to rewrite
  bool full_diff_ = false;        // next Sync compares the whole RIB, not only changes
  size_t max_batch_ = 65536;
  absl::flat_hash_map<RouteKey, Installed> installed_;
  NexthopGroupTable groups_;
  NeighborTable* neighbors_;
  absl::flat_hash_map<NeighborKey, MacAddress> installed_neighbors_;
  AddressTable* addresses_;
  absl::flat_hash_set<LocalAddressKey> installed_locals_;
  ProgrammerCounters counters_;
};

}  // namespace weft::cp
