// A switch port as the rest of the data plane sees it. Ports are created at start from the config
// (dataplane/port/port_table.cc) and never destroyed while workers run; their index is stable.
#pragma once

#include <rte_ether.h>
#include <rte_ring.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace weft::dp {

inline constexpr uint16_t kMaxPorts = 64;      // per switch instance
inline constexpr uint32_t kMaxMtu = 9216;

// Fields workers read on every burst come first.
struct alignas(64) Port {
  uint16_t ethdev_id = 0;        // DPDK port id
  uint16_t index = 0;            // switch-local index, 0..kMaxPorts-1
  uint16_t tx_queue = 0;         // the queue workers transmit on
  std::atomic<bool> up{false};   // admin_up && oper_up: workers skip a port that is down
  rte_ether_addr mac{};          // source MAC for rewrite
  uint32_t mtu = 1500;           // IP MTU; larger frames are dropped (drop reason mtu_exceeded)
  // Worker -> control thread: packets for the TAP twin (multi-producer, single-consumer).
  rte_ring* punt_ring = nullptr;
  // Control thread -> worker: what the kernel wrote to the TAP, to send out this port (SP/SC).
  rte_ring* inject_ring = nullptr;

  // Control-side state below: not read by workers.
  std::string name;              // "Ethernet0"
  std::string driver;            // "net_af_packet"
  std::string device;            // vdev args or netdev
  std::string link_netdev;       // netdev whose carrier is this port's link, "" if the PMD knows
  std::string tap_name;          // "" when the port has no TAP twin
  std::atomic<bool> admin_up{true};
  std::atomic<bool> oper_up{false};
};

}  // namespace weft::dp

namespace weft::dp {

// The ports of one switch instance, indexed 0..size()-1. Built once at start (PortTable::Open in
// port_table.cc); workers hold Port* and never see the table change shape.
class PortTable {
 public:
  PortTable() = default;
  PortTable(const PortTable&) = delete;
  PortTable& operator=(const PortTable&) = delete;

  uint16_t size() const { return count_; }
  Port& at(uint16_t index) { return ports_[index]; }
  const Port& at(uint16_t index) const { return ports_[index]; }
  // nullptr when no port has that name.
  const Port* FindByName(std::string_view name) const {
    for (uint16_t i = 0; i < count_; ++i)
      if (ports_[i].name == name) return &ports_[i];
    return nullptr;
  }
  Port* FindByName(std::string_view name) {
    return const_cast<Port*>(static_cast<const PortTable*>(this)->FindByName(name));
  }
  // Used while building the table at start only.
  Port& Append() { ports_[count_].index = count_; return ports_[count_++]; }

 private:
  Port ports_[kMaxPorts];
  uint16_t count_ = 0;
};

}  // namespace weft::dp
