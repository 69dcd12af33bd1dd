#include "dataplane/port/port_state.h"

#include <rte_errno.h>
#include <rte_ethdev.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dataplane/port/tap.h"
#include "dataplane/runtime/log.h"

namespace weft::dp {

PortStateManager::PortStateManager(SwitchInstance& sw, const PortSet& port_set, Publisher publish)
    : sw_(sw), port_set_(port_set), publish_(std::move(publish)) {
  for (int& fd : tap_fds_) fd = -1;
}

void PortStateManager::SetTapFd(uint16_t port, int fd) {
  std::lock_guard lock(mu_);
  tap_fds_[port] = fd;
}

void PortStateManager::ApplyLocked(uint16_t index, bool publish) {
  Port& port = sw_.ports.at(index);
  const bool up = port.admin_up.load() && port.oper_up.load();
  const bool was_up = port.up.exchange(up);
  if (sw_.tables) sw_.tables->SetPortUp(index, up);
  if (tap_fds_[index] >= 0) {
    if (absl::Status s = SetTapCarrier(tap_fds_[index], up); !s.ok())
      Log("port", "%s: TAP carrier: %s", port.name, s.message());
  }
  if (publish && up != was_up) {
    Log("port", "%s is now %s (admin %s, link %s)", port.name, up ? "up" : "down",
        port.admin_up.load() ? "up" : "down", port.oper_up.load() ? "up" : "down");
    if (publish_) publish_(port.name, up);
  }
}

void PortStateManager::SetOperState(uint16_t index, bool oper_up) {
  std::lock_guard lock(mu_);
  sw_.ports.at(index).oper_up.store(oper_up);
  ApplyLocked(index, true);
}

void PortStateManager::SyncAll() {
  std::lock_guard lock(mu_);
  for (uint16_t i = 0; i < sw_.ports.size(); ++i) {
    ApplyLocked(i, false);
    Port& port = sw_.ports.at(i);
    Log("port", "%s starts %s (admin %s, link %s)", port.name, port.up.load() ? "up" : "down",
        port.admin_up.load() ? "up" : "down", port.oper_up.load() ? "up" : "down");
  }
}

absl::Status PortStateManager::SetAdminState(uint16_t index, bool up) {
  std::lock_guard lock(mu_);
  if (index >= sw_.ports.size()) return absl::NotFoundError(absl::StrFormat("port index %u", index));
  Port& port = sw_.ports.at(index);
  port.admin_up.store(up);
  ApplyLocked(index, true);  // the data plane stops using the port first (local repair)
  // Then the cable: a port on a netdev (veth) takes that netdev down, so the peer loses carrier
  // as it would when a real switch shuts a port. The LinkMonitor then sees the link go down too;
  // admin up brings the netdev back up and the link follows.
  if (!port.link_netdev.empty()) {
    if (absl::Status s = SetNetdevAdminUp(port.link_netdev, up); !s.ok())
      Log("port", "%s: setting %s %s: %s", port.name, port.link_netdev, up ? "up" : "down",
          s.message());
  }
  return absl::OkStatus();
}

absl::Status PortStateManager::SetMtu(uint16_t index, uint32_t mtu) {
  std::lock_guard lock(mu_);
  if (index >= sw_.ports.size()) return absl::NotFoundError(absl::StrFormat("port index %u", index));
  Port& port = sw_.ports.at(index);
  if (mtu < kMinPortMtu || mtu > kMaxMtu)
    return absl::InvalidArgumentError(absl::StrFormat("mtu: %u outside %u..%u", mtu, kMinPortMtu, kMaxMtu));
  if (mtu + kL2Overhead > port_set_.max_frame(index))
    return absl::FailedPreconditionError(absl::StrFormat(
        "mtu: %u does not fit the %u-byte frames of %s", mtu, port_set_.max_frame(index), port.device));
  const uint32_t old_mtu = port.mtu;
  if (absl::Status s = SetEthdevMtu(port.ethdev_id, port.device, mtu); !s.ok())
    return absl::FailedPreconditionError(absl::StrCat("mtu: ", s.message()));
  if (!port.tap_name.empty()) {
    if (absl::Status s = SetNetdevMtu(port.tap_name, mtu); !s.ok()) {
      (void)SetEthdevMtu(port.ethdev_id, port.device, old_mtu);
      return absl::FailedPreconditionError(absl::StrCat("mtu: TAP twin ", s.message()));
    }
  }
  port.mtu = mtu;  // workers read it per packet; a 32-bit store is atomic on x86
  Log("port", "%s: mtu %u -> %u", port.name, old_mtu, mtu);
  return absl::OkStatus();
}

}  // namespace weft::dp
