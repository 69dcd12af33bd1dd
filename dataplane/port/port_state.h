// PortStateManager: the one place a port's state changes. Link changes (LinkMonitor) and the API's
// admin/MTU requests (PortController) both end here, so the rules hold in one spot:
//   port.up = admin_up && oper_up; the tables skip members on a port that is not up; the TAP twin's
//   carrier mirrors port.up (so zebra/bgpd see the link go down); a change of port.up is published
//   as a PortStateEvent (oper_up = the port forwards).
#pragma once

#include <functional>
#include <mutex>
#include <string>

#include "dataplane/api/port_controller.h"
#include "dataplane/port/port_table.h"
#include "dataplane/runtime/switch_instance.h"

namespace weft::dp {

class PortStateManager final : public PortController {
 public:
  // Called (under the manager's lock, from a control thread) when a port's forwarding state changes.
  using Publisher = std::function<void(const std::string& port, bool up)>;

  PortStateManager(SwitchInstance& sw, const PortSet& port_set, Publisher publish);

  // The TAP twin's fd for `port` (not owned; -1 for none). Set before traffic starts.
  void SetTapFd(uint16_t port, int fd);
  // Link state learned from the netdev or the PMD.
  void SetOperState(uint16_t port, bool oper_up);
  // Pushes every port's current state into the tables and TAP carriers (once, at start, after the
  // first link-state reading; nothing is published).
  void SyncAll();

  absl::Status SetAdminState(uint16_t port, bool up) override;
  absl::Status SetMtu(uint16_t port, uint32_t mtu) override;

 private:
  void ApplyLocked(uint16_t port, bool publish);

  SwitchInstance& sw_;
  const PortSet& port_set_;
  Publisher publish_;
  std::mutex mu_;
  int tap_fds_[kMaxPorts];
};

}  // namespace weft::dp
