// Addresses of the switch's namespace on the TAP twins: the one source of the switch's local
// addresses and connected subnets (the data plane derives the connected route from the prefix
// length of a local address; FPM's copies of connected routes are only recognised).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "controlplane/common/ip_address.h"

namespace weft::cp {

// One RTM_NEWADDR/RTM_DELADDR: the interface address and its subnet length.
struct KernelAddress {
  bool is_delete = false;
  uint32_t ifindex = 0;
  IpPrefix prefix;  // address with the subnet length (host bits kept: it is an address)
  bool link_scope = false;  // IPv6 link-local: handled by the punt path, not a local address
};

// nullopt for well-formed messages that are not IPv4/IPv6 addresses; INVALID_ARGUMENT when
// truncated.
absl::StatusOr<std::optional<KernelAddress>> DecodeAddressMessage(std::span<const uint8_t> msg);

struct LocalAddressKey {
  std::string port;
  IpPrefix prefix;
  auto operator<=>(const LocalAddressKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const LocalAddressKey& k) {
    return H::combine(std::move(h), k.port, k.prefix);
  }
};

struct LocalAddressChange {
  LocalAddressKey key;
  bool present = false;
};

class AddressTable {
 public:
  void Apply(const KernelAddress& a, const std::optional<std::string>& port);
  std::vector<LocalAddressChange> DrainChanges();
  std::vector<LocalAddressChange> Snapshot() const;
  size_t size() const { return entries_.size(); }

 private:
  absl::flat_hash_set<LocalAddressKey> entries_;
  absl::flat_hash_set<LocalAddressKey> dirty_;
};

}  // namespace weft::cp
