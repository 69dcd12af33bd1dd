// LinkMonitor: learns each port's link state. net_af_packet/net_af_xdp report link up forever in
// DPDK 22.11, so ports with a link_netdev follow that netdev's IFF_UP && IFF_LOWER_UP over
// rtnetlink (RTMGRP_LINK, libmnl); other ports follow the PMD's link status, polled.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

#include "absl/status/status.h"
#include "dataplane/port/port.h"

struct mnl_socket;

namespace weft::dp {

class LinkMonitor {
 public:
  // Called from the monitor's thread (and from Start) when a port's link state differs from
  // port.oper_up.
  using OnChange = std::function<void(uint16_t port, bool oper_up)>;
  static constexpr int kPmdPollMs = 250;

  LinkMonitor(PortTable& ports, OnChange on_change) : ports_(ports), on_change_(std::move(on_change)) {}
  ~LinkMonitor() { Stop(); }

  // Subscribes, reads the current state of every link_netdev (reported through on_change before
  // returning, so the caller knows the links before traffic starts) and starts the thread.
  // Fails naming a link_netdev that does not exist.
  absl::Status Start();
  void Stop();

 private:
  void Run();
  // Applies RTM_NEWLINK/RTM_DELLINK in one datagram; true when it holds the dump's NLMSG_DONE.
  bool HandleMessages(const char* buf, size_t len);
  void PollPmdLinks();

  PortTable& ports_;
  OnChange on_change_;
  ::mnl_socket* nl_ = nullptr;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace weft::dp
