// Bring-up of a switch's ports from its config: one vdev per port (unique instance name), an mbuf
// pool per port sized for jumbo frames, rx queues as configured and one tx queue per worker, MTU,
// MAC, start, and the punt/inject rings shared with the TAP slow path.
#pragma once

#include <rte_mempool.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dataplane/port/port.h"
#include "weft/dataplane/v1/config.pb.h"

namespace weft::dp {

inline constexpr uint32_t kPuntRingSize = 1024;
inline constexpr uint32_t kInjectRingSize = 1024;

struct PortOpenOptions {
  // Makes vdev, pool and ring names unique in the process (several switches, tests reopening).
  std::string instance_tag;
  std::string switch_name;     // seeds the stable MAC of ports whose driver has none
  uint32_t num_tx_queues = 1;  // one per worker: worker i transmits on queue i
  int socket_id = 0;
};

// Owns what PortTable's Port entries point to (vdevs, pools, rings). Close() (or the destructor)
// stops and removes them; the ports must no longer be polled by then.
class PortSet {
 public:
  PortSet() = default;
  PortSet(const PortSet&) = delete;
  PortSet& operator=(const PortSet&) = delete;
  ~PortSet() { Close(); }

  // Creates every port of `sw` into `table` (which must be empty). On error, everything created
  // so far is removed again and the message names the port and the step that failed.
  absl::Status Open(const ::weft::dataplane::v1::SwitchConfig& sw, const PortOpenOptions& options,
                    PortTable& table);
  void Close();

  rte_mempool* pool(uint16_t index) const { return ports_.at(index).pool; }
  // Largest frame (L2, without CRC) a port's mbufs hold: bounds MTU changes at run time.
  uint32_t max_frame(uint16_t index) const { return ports_.at(index).max_frame; }

 private:
  struct Owned {
    std::string vdev_name;
    rte_mempool* pool = nullptr;
    rte_ring* punt = nullptr;
    rte_ring* inject = nullptr;
    uint16_t ethdev_id = UINT16_MAX;
    bool started = false;
    uint32_t max_frame = 0;
  };
  absl::Status OpenOne(const ::weft::dataplane::v1::PortConfig& config,
                       const PortOpenOptions& options, Port& port, Owned& owned);
  static void CloseOne(Owned& owned);

  std::vector<Owned> ports_;
};

// Sets an ethdev's MTU. net_af_packet in DPDK 22.11 states a 1518-byte max_rx_pktlen, so ethdev
// refuses any larger MTU although its frames (framesz) hold 9216: there the MTU is set on the
// underlying netdev (vdev's iface=) directly, and the pipeline enforces it per packet (Port::mtu).
// PMDs without MTU support (-ENOTSUP: net_null, net_ring) are fine: the pipeline enforces it.
absl::Status SetEthdevMtu(uint16_t ethdev_id, const std::string& vdev, uint32_t mtu);

// L2 frame bytes (Ethernet header + one VLAN tag, no CRC) above the IP MTU.
inline constexpr uint32_t kL2Overhead = 18;

}  // namespace weft::dp
