// Follows the kernel state of weftd's namespace over rtnetlink: neighbours (ARP/ND answers on the
// TAP twins) into a NeighborTable and interface addresses into an AddressTable. Dumps at start
// and after an overrun (one dump at a time, as netlink requires), then RTNLGRP events.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "controlplane/kernel/address_table.h"
#include "controlplane/kernel/neighbor_table.h"
#include "controlplane/rib/rib.h"

namespace weft::cp {

class KernelMonitor {
 public:
  using PortOfIfindex = std::function<std::optional<std::string>(uint32_t ifindex)>;
  // The tables are guarded by `mutex`; `on_change` is called (without the lock) after changes.
  KernelMonitor(NeighborTable& neighbors, AddressTable& addresses, std::mutex& mutex,
                PortOfIfindex port_of_ifindex, std::function<void()> on_change);
  ~KernelMonitor();
  KernelMonitor(const KernelMonitor&) = delete;
  KernelMonitor& operator=(const KernelMonitor&) = delete;

  // Before Start: every usable neighbour on a port also becomes a host route (/32, /128) in
  // `rib` (source kNeighbor, guarded by the same mutex), so that the data plane forwards to
  // directly attached hosts instead of gleaning; link-local neighbours are left out (punted).
  void SetHostRoutes(Rib* rib) { rib_ = rib; }
  // Before Start: called from Run's thread at least every 200 ms, after the events read so far
  // were applied (without the lock).
  void SetTick(std::function<void()> tick) { tick_ = std::move(tick); }

  absl::Status Start();
  void Run();
  void Stop();
  uint64_t decode_errors() const { return decode_errors_; }

 private:
  void QueueFullDump();
  bool SendNextDump();
  // Applies one message; true if it was a neighbour or address.
  bool Handle(std::span<const uint8_t> message);
  void UpdateHostRoute(const std::string& port, const IpAddress& address);

  NeighborTable& neighbors_;
  AddressTable& addresses_;
  std::mutex& mutex_;
  PortOfIfindex port_of_ifindex_;
  std::function<void()> on_change_;
  Rib* rib_ = nullptr;
  std::function<void()> tick_;
  int fd_ = -1;
  int stop_fd_ = -1;
  uint32_t seq_ = 1;
  std::deque<uint16_t> dumps_;  // RTM_GET* still to request
  bool dump_running_ = false;
  uint64_t decode_errors_ = 0;
};

}  // namespace weft::cp
