// Follows the kernel's neighbour table of weftd's namespace over rtnetlink (a dump at start and
// after an overrun, then RTNLGRP_NEIGH events) into a NeighborTable, so that ARP/ND answers on the
// TAP twins become data-plane neighbours.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "controlplane/kernel/neighbor_table.h"

namespace weft::cp {

class NeighborMonitor {
 public:
  using PortOfIfindex = std::function<std::optional<std::string>(uint32_t ifindex)>;
  // `table` is guarded by `mutex`; `on_change` is called (without the lock) after changes.
  NeighborMonitor(NeighborTable& table, std::mutex& mutex, PortOfIfindex port_of_ifindex,
                  std::function<void()> on_change);
  ~NeighborMonitor();
  NeighborMonitor(const NeighborMonitor&) = delete;
  NeighborMonitor& operator=(const NeighborMonitor&) = delete;

  absl::Status Start();
  void Run();
  void Stop();
  uint64_t decode_errors() const { return decode_errors_; }

 private:
  bool RequestDump();

  NeighborTable& table_;
  std::mutex& mutex_;
  PortOfIfindex port_of_ifindex_;
  std::function<void()> on_change_;
  int fd_ = -1;
  int stop_fd_ = -1;
  uint32_t seq_ = 1;
  uint64_t decode_errors_ = 0;
};

}  // namespace weft::cp
