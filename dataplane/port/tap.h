// TAP twins: kernel interfaces named like the ports ("Ethernet0") in the switch's namespace. The
// kernel's side of the control plane (ARP/ND, BGP sockets, addresses) lives on them.
//
// A TAP loses carrier and its neighbours when its last fd closes, and carrier can only be set through
// an fd (TUNSETCARRIER), so the fds are held by the TAP keeper (tap_keeper.h) as well as by the data
// plane. These helpers are plain syscalls; errors name the interface and the errno text.
#pragma once

#include <rte_ether.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace weft::dp {

// Opens (creating if needed) the persistent, single-queue TAP `name` and returns a non-blocking fd.
// Fails with EBUSY-like errors when another process already has it attached: TAPs are shared by
// passing the fd, never by opening twice.
absl::StatusOr<int> OpenTap(const std::string& name);
// Clears the persist flag through `fd`: the TAP disappears when its last fd closes.
absl::Status SetTapPersist(int fd, bool persist);
// Carrier as the kernel (and zebra) sees it.
absl::Status SetTapCarrier(int fd, bool up);
// The name of the interface an fd is attached to (TUNGETIFF).
absl::StatusOr<std::string> TapNameOf(int fd);

// Netdev attributes by name (SIOCSIF* ioctls in the current namespace).
absl::Status SetNetdevMtu(const std::string& name, uint32_t mtu);
absl::StatusOr<uint32_t> GetNetdevMtu(const std::string& name);
absl::Status SetNetdevMac(const std::string& name, const rte_ether_addr& mac);
absl::StatusOr<rte_ether_addr> GetNetdevMac(const std::string& name);
// Sets IFF_UP (administratively up) so the kernel uses the TAP; carrier stays what the fd says.
absl::Status SetNetdevUp(const std::string& name);
// Sets or clears IFF_UP (a veth set down drops its peer's carrier).
absl::Status SetNetdevAdminUp(const std::string& name, bool up);
bool NetdevExists(const std::string& name);
// IFF_UP && IFF_RUNNING: administratively up and carrier on.
bool NetdevRunning(const std::string& name);

// Deletes a persistent TAP that no process holds open (tests, keeper shutdown). OK if absent.
absl::Status DeleteTap(const std::string& name);

}  // namespace weft::dp
