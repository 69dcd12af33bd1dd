// Neighbours of the switch's namespace (ARP/ND results on the TAP twins), as the data plane needs
// them to rewrite MACs: decoded from rtnetlink, kept as desired state keyed by (port, address)
// with a dirty set the programmer drains, like the RIB.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "controlplane/common/ip_address.h"

namespace weft::cp {

using MacAddress = std::array<uint8_t, 6>;

// One RTM_NEWNEIGH/RTM_DELNEIGH of an IPv4/IPv6 neighbour.
struct KernelNeighbor {
  bool is_delete = false;
  uint32_t ifindex = 0;
  IpAddress address;
  std::optional<MacAddress> mac;  // NDA_LLADDR when 6 bytes
  uint16_t state = 0;             // NUD_* bits
  // A usable answer: a MAC in a state where the kernel would send to it.
  bool usable() const;
};

// Decodes one netlink message (header included). nullopt for well-formed messages that are not
// IPv4/IPv6 neighbours (bridge FDB, other types); INVALID_ARGUMENT naming the field when truncated.
absl::StatusOr<std::optional<KernelNeighbor>> DecodeNeighborMessage(std::span<const uint8_t> msg);

struct NeighborKey {
  std::string port;
  IpAddress address;
  auto operator<=>(const NeighborKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const NeighborKey& k) {
    return H::combine(std::move(h), k.port, k.address);
  }
};

struct NeighborChange {
  NeighborKey key;
  std::optional<MacAddress> mac;  // nullopt: gone
};

class NeighborTable {
 public:
  // `port` is the TAP's name (the port), or nullopt when the interface is not a port.
  void Apply(const KernelNeighbor& n, const std::optional<std::string>& port);
  std::vector<NeighborChange> DrainChanges();
  // All neighbours, for a full push.
  std::vector<NeighborChange> Snapshot() const;
  size_t size() const { return entries_.size(); }
  bool Contains(const NeighborKey& key) const { return entries_.contains(key); }
  // Configured by an operator (NUD_PERMANENT or NUD_NOARP): not to be managed by weftd.
  bool IsStatic(const NeighborKey& key) const { return static_.contains(key); }

 private:
  absl::flat_hash_map<NeighborKey, MacAddress> entries_;
  absl::flat_hash_set<NeighborKey> static_;
  absl::flat_hash_set<NeighborKey> dirty_;
};

}  // namespace weft::cp
