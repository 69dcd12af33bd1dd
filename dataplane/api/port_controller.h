// PortController: how the Dataplane API changes a port's admin state and MTU. The API validates the
// request (port exists, MTU in range) and makes one call; the implementation (dp-process: ethdev,
// TAP twin mirroring) owns the side effects.
//
// Contract for implementations:
// - Called from gRPC threads, possibly concurrently for different ports; never from a worker.
// - On OK the change is in effect: Port::admin_up / Port::mtu (and Port::up, the tables' view of
//   the port, the TAP twin) reflect it, and a PortStateEvent is published if oper state changed.
// - On error nothing changed, and the status message says why (it is returned to the API client).
#pragma once

#include <cstdint>

#include "absl/status/status.h"

namespace weft::dp {

inline constexpr uint32_t kMinPortMtu = 68;  // the IPv4 minimum; kMaxMtu (port.h) is the maximum

class PortController {
 public:
  virtual ~PortController() = default;
  // `port` is the switch-local index (Port::index), already known to exist.
  virtual absl::Status SetAdminState(uint16_t port, bool up) = 0;
  // `mtu` is the IP MTU, already checked to lie in kMinPortMtu..kMaxMtu.
  virtual absl::Status SetMtu(uint16_t port, uint32_t mtu) = 0;
};

}  // namespace weft::dp
