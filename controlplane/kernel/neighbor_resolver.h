// Keeps the next hops of weftd's routes resolved in the kernel of the switch's namespace. Each
// (port, address) a selected route names is made a managed neighbour (NTF_EXT_MANAGED, Linux
// >= 5.16): the kernel resolves it at once, without waiting for a packet to glean, and keeps
// re-probing it while it exists, so it stays REACHABLE although forwarded traffic bypasses the
// kernel (which would otherwise let it go stale and garbage-collect it). Answers come back as
// ordinary neighbour events (KernelMonitor -> NeighborTable -> programmer). Next hops still
// unresolved are asked again every `retry`; operator-configured (permanent) neighbours are left
// alone.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "controlplane/kernel/neighbor_table.h"
#include "controlplane/rib/rib.h"

namespace weft::cp {

class NeighborResolver {
 public:
  using Clock = std::chrono::steady_clock;
  using IfindexOfPort = std::function<uint32_t(const std::string& port)>;  // 0: no such port
  // `rib` and `neighbors` are guarded by `mutex`.
  NeighborResolver(const Rib& rib, const NeighborTable& neighbors, std::mutex& mutex,
                   IfindexOfPort ifindex_of_port,
                   std::chrono::milliseconds retry = std::chrono::seconds(1));
  ~NeighborResolver();
  NeighborResolver(const NeighborResolver&) = delete;
  NeighborResolver& operator=(const NeighborResolver&) = delete;

  absl::Status Open();  // the rtnetlink socket requests go out on
  // The next hops to ask the kernel about at `now` (the caller holds the mutex): those never
  // asked while in use, and unresolved ones last asked `retry` ago. Forgets next hops no route
  // uses any more.
  std::vector<NeighborKey> Due(Clock::time_point now);
  // Due() under the lock (at most every 100 ms), then one RTM_NEWNEIGH (managed) per next hop.
  void Tick();
  uint64_t requests() const { return requests_; }
  uint64_t refused() const { return refused_; }

 private:
  const Rib& rib_;
  const NeighborTable& neighbors_;
  std::mutex& mutex_;
  IfindexOfPort ifindex_of_port_;
  std::chrono::milliseconds retry_;
  absl::flat_hash_map<NeighborKey, Clock::time_point> asked_;
  Clock::time_point last_tick_{};
  int fd_ = -1;
  uint32_t seq_ = 1;
  uint64_t requests_ = 0;
  uint64_t refused_ = 0;
};

}  // namespace weft::cp
