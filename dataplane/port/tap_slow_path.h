// The TAP slow path of one switch: an ordinary thread (not an lcore worker) that moves punted
// packets to the kernel and what the kernel sends back to the ports.
//   port.punt_ring  --write()-->  TAP fd           (ARP/ND, local, TTL expiry, glean)
//   TAP fd readable --read()-->   mbuf -> port.inject_ring (a worker sends it out the port)
// Ports without a TAP twin have their punted packets freed (and counted) here.
#pragma once

#include <atomic>
#include <thread>

#include "absl/status/status.h"
#include "dataplane/port/port_table.h"

namespace weft::dp {

struct TapSlowPathStats {
  std::atomic<uint64_t> to_kernel{0};        // frames written to a TAP
  std::atomic<uint64_t> to_kernel_drops{0};  // write failed (TAP queue full, TAP down) or no TAP
  std::atomic<uint64_t> from_kernel{0};      // frames read from a TAP and queued for injection
  std::atomic<uint64_t> from_kernel_drops{0};  // no mbuf, inject ring full, or frame too large
};

class TapSlowPath {
 public:
  // Waiting for work: the punt rings have no fd, so the thread wakes up at least this often; it
  // stays at the short period while punts keep coming and backs off to the long one when idle.
  static constexpr int kBusyWaitMs = 1;
  static constexpr int kIdleWaitMs = 20;

  TapSlowPath(PortTable& ports, const PortSet& port_set) : ports_(ports), port_set_(port_set) {
    for (int& fd : tap_fds_) fd = -1;
  }
  ~TapSlowPath() { Stop(); }

  // `fd` is not owned. Set before Start().
  void SetTapFd(uint16_t port, int fd) { tap_fds_[port] = fd; }
  absl::Status Start();
  void Stop();
  const TapSlowPathStats& stats() const { return stats_; }

  // One pass over every port (exposed for tests); returns frames moved either way.
  uint32_t PollOnce();

 private:
  uint32_t DrainPunts(uint16_t port);
  uint32_t ReadTap(uint16_t port);
  void Run();

  PortTable& ports_;
  const PortSet& port_set_;
  int tap_fds_[kMaxPorts];
  int epoll_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  TapSlowPathStats stats_;
};

}  // namespace weft::dp
