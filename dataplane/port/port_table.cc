#include "dataplane/port/port_table.h"

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "dataplane/port/tap.h"
#include "dataplane/runtime/config.h"
#include "dataplane/runtime/log.h"

namespace weft::dp {
namespace {

namespace pb = ::weft::dataplane::v1;

constexpr uint16_t kRxDescriptors = 256;
constexpr uint16_t kTxDescriptors = 256;
constexpr uint32_t kPoolCache = 64;
// af_packet copies each frame from its PACKET_MMAP ring into one mbuf: a frame slot and an mbuf
// must hold a 9216-byte MTU frame. blocksz must be a multiple of the page size and hold a frame.
// The 22.11 PMD addresses frame i at i * framesz, while the kernel packs whole frames into blocks:
// blocksz must therefore be an exact multiple of framesz, or every frame after the first is missed.
constexpr uint32_t kAfPacketFrameSize = 12288;
constexpr uint32_t kAfPacketBlockSize = 12288;
// tpacket2_hdr + sockaddr_ll in front of the frame inside a slot, rounded up.
constexpr uint32_t kAfPacketSlotHeader = 64;

uint32_t RoundUpPow2Minus1(uint32_t n) {
  uint32_t p = 1;
  while (p < n + 1) p <<= 1;
  return p - 1;
}

// Locally administered unicast MAC derived from the switch and port names (FNV-1a).
rte_ether_addr StableMac(const std::string& switch_name, const std::string& port_name) {
  uint64_t h = 1469598103934665603ULL;
  for (const std::string* s : {&switch_name, &port_name}) {
    for (char c : *s) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
  }
  h ^= h >> 33;  // finalise so every output byte depends on every input byte
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  rte_ether_addr mac;
  mac.addr_bytes[0] = 0x02;  // locally administered, unicast
  for (int i = 1; i < 6; ++i) mac.addr_bytes[i] = static_cast<uint8_t>(h >> (8 * i));
  return mac;
}

absl::Status PortError(const pb::PortConfig& config, std::string_view step, int rc) {
  return absl::InternalError(absl::StrFormat("port %s (%s): %s failed: %s", config.name(),
                                             config.vdev(), step, rte_strerror(rc < 0 ? -rc : rc)));
}

}  // namespace

absl::Status SetEthdevMtu(uint16_t ethdev_id, const std::string& vdev, uint32_t mtu) {
  const std::string iface = VdevArg(vdev, "iface");
  rte_eth_dev_info info;
  const bool beyond_ethdev = rte_eth_dev_info_get(ethdev_id, &info) == 0 &&
                             mtu + kL2Overhead > info.max_rx_pktlen;
  int rc = beyond_ethdev ? -EINVAL : rte_eth_dev_set_mtu(ethdev_id, static_cast<uint16_t>(mtu));
  if (rc == 0 || rc == -ENOTSUP) return absl::OkStatus();
  if (rc == -EINVAL && VdevDriver(vdev) == "net_af_packet" && !iface.empty()) {
    if (absl::Status s = SetNetdevMtu(iface, mtu); !s.ok())
      return absl::FailedPreconditionError(absl::StrCat("mtu ", mtu, " on ", s.message()));
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrFormat("%s refused mtu %u: %s", vdev, mtu, rte_strerror(-rc)));
}

absl::Status PortSet::Open(const pb::SwitchConfig& sw, const PortOpenOptions& options,
                           PortTable& table) {
  if (table.size() != 0) return absl::FailedPreconditionError("PortSet::Open: table not empty");
  ports_.clear();
  ports_.reserve(sw.ports_size());
  for (const pb::PortConfig& config : sw.ports()) {
    Port& port = table.Append();
    ports_.emplace_back();
    absl::Status s = OpenOne(config, options, port, ports_.back());
    if (!s.ok()) {
      Close();
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status PortSet::OpenOne(const pb::PortConfig& config, const PortOpenOptions& options,
                              Port& port, Owned& owned) {
  const std::string driver = VdevDriver(config.vdev());
  std::string args = config.vdev().size() > driver.size() ? config.vdev().substr(driver.size() + 1) : "";
  const uint16_t rx_queues = static_cast<uint16_t>(config.rx_queues() ? config.rx_queues() : 1);
  const uint16_t tx_queues = static_cast<uint16_t>(options.num_tx_queues);

  uint32_t data_room = RTE_PKTMBUF_HEADROOM + RTE_ALIGN_CEIL(kMaxMtu + kL2Overhead, 64);
  owned.max_frame = data_room - RTE_PKTMBUF_HEADROOM;
  if (driver == "net_af_packet") {
    if (VdevArg(config.vdev(), "framesz").empty() && VdevArg(config.vdev(), "blocksz").empty())
      absl::StrAppend(&args, args.empty() ? "" : ",", "framesz=", kAfPacketFrameSize,
                      ",blocksz=", kAfPacketBlockSize);
    if (VdevArg(config.vdev(), "qpairs").empty())
      absl::StrAppend(&args, args.empty() ? "" : ",", "qpairs=", std::max(rx_queues, tx_queues));
    std::string framesz = VdevArg(args, "framesz");
    const uint32_t frame = framesz.empty() ? 2048 : static_cast<uint32_t>(std::stoul(framesz));
    data_room = RTE_PKTMBUF_HEADROOM + frame;
    owned.max_frame = frame > kAfPacketSlotHeader ? frame - kAfPacketSlotHeader : 0;
  } else if (driver == "net_af_xdp") {
    // af_xdp's umem chunks are 2 KB and a large pool fails under --no-huge: no jumbo frames there.
    data_room = RTE_MBUF_DEFAULT_BUF_SIZE;
    owned.max_frame = data_room - RTE_PKTMBUF_HEADROOM;
  }
  if (config.mtu() + kL2Overhead > owned.max_frame)
    return absl::InvalidArgumentError(absl::StrFormat(
        "port %s: mtu %u does not fit the %u-byte frames of %s", config.name(), config.mtu(),
        owned.max_frame, config.vdev()));

  owned.vdev_name = absl::StrCat(driver, "_", options.instance_tag, "_", port.index);
  // Hotplug through EAL: librte_bus_vdev is not among libdpdk's link libraries.
  int rc = rte_eal_hotplug_add("vdev", owned.vdev_name.c_str(), args.c_str());
  if (rc != 0) return PortError(config, absl::StrCat("creating vdev ", owned.vdev_name, " ", args), rc);
  rc = rte_eth_dev_get_port_by_name(owned.vdev_name.c_str(), &owned.ethdev_id);
  if (rc != 0) {
    rte_eal_hotplug_remove("vdev", owned.vdev_name.c_str());
    owned.vdev_name.clear();
    return PortError(config, "finding the ethdev", rc);
  }

  rte_eth_dev_info info;
  if ((rc = rte_eth_dev_info_get(owned.ethdev_id, &info)) != 0)
    return PortError(config, "rte_eth_dev_info_get", rc);
  if (rx_queues > info.max_rx_queues || tx_queues > info.max_tx_queues)
    return absl::InvalidArgumentError(absl::StrFormat(
        "port %s: needs %u rx and %u tx queues (one per worker); %s offers %u and %u",
        config.name(), rx_queues, tx_queues, config.vdev(), info.max_rx_queues, info.max_tx_queues));
  if (config.mtu() > info.max_mtu || config.mtu() < info.min_mtu)
    return absl::InvalidArgumentError(absl::StrFormat("port %s: mtu %u outside %u..%u of %s",
                                                      config.name(), config.mtu(), info.min_mtu,
                                                      info.max_mtu, config.vdev()));

  const uint32_t needed = std::max<uint32_t>(
      2047, RoundUpPow2Minus1(kRxDescriptors * rx_queues + kTxDescriptors * tx_queues +
                              kInjectRingSize + 2 * kPoolCache));
  if (config.mbuf_pool_size() != 0 && config.mbuf_pool_size() < needed)
    return absl::InvalidArgumentError(absl::StrFormat(
        "port %s: mbuf_pool_size %u is below the %u mbufs its %u rx and %u tx queues need",
        config.name(), config.mbuf_pool_size(), needed, rx_queues, tx_queues));
  const uint32_t count = config.mbuf_pool_size() != 0 ? config.mbuf_pool_size() : needed;
  const std::string pool_name = absl::StrCat("mb_", options.instance_tag, "_", port.index);
  owned.pool = rte_pktmbuf_pool_create(pool_name.c_str(), count, kPoolCache, 0,
                                       static_cast<uint16_t>(data_room), options.socket_id);
  if (owned.pool == nullptr)
    return PortError(config, absl::StrFormat("creating mbuf pool of %u x %u bytes (raise eal.memory_mb?)",
                                             count, data_room), rte_errno);

  rte_eth_conf conf{};
  // Some PMDs (af_packet) state a 1518-byte max_rx_pktlen yet take a larger MTU through
  // rte_eth_dev_set_mtu, bounded by their frame size: configure with what dev_info allows, then
  // set the real MTU below.
  if (config.mtu() + kL2Overhead <= info.max_rx_pktlen) conf.rxmode.mtu = config.mtu();
  if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
    conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
  if ((rc = rte_eth_dev_configure(owned.ethdev_id, rx_queues, tx_queues, &conf)) != 0)
    return PortError(config, "rte_eth_dev_configure", rc);
  if (absl::Status s = SetEthdevMtu(owned.ethdev_id, config.vdev(), config.mtu()); !s.ok())
    return absl::Status(s.code(), absl::StrCat("port ", config.name(), ": ", s.message()));
  for (uint16_t q = 0; q < rx_queues; ++q)
    if ((rc = rte_eth_rx_queue_setup(owned.ethdev_id, q, kRxDescriptors, options.socket_id, nullptr,
                                     owned.pool)) != 0)
      return PortError(config,
                       absl::StrCat("rx queue ", q, " setup",
                                    driver == "net_pcap" && !VdevArg(args, "infinite_rx").empty()
                                        ? " (infinite_rx keeps the whole pcap in the port's pool: "
                                          "raise mbuf_pool_size above its packet count)"
                                        : ""),
                       rc);
  for (uint16_t q = 0; q < tx_queues; ++q)
    if ((rc = rte_eth_tx_queue_setup(owned.ethdev_id, q, kTxDescriptors, options.socket_id, nullptr)) != 0)
      return PortError(config, absl::StrCat("tx queue ", q, " setup"), rc);

  if (config.mac().size() == RTE_ETHER_ADDR_LEN) {
    rte_ether_addr mac;
    memcpy(mac.addr_bytes, config.mac().data(), RTE_ETHER_ADDR_LEN);
    rc = rte_eth_dev_default_mac_addr_set(owned.ethdev_id, &mac);
    if (rc != 0 && rc != -ENOTSUP) return PortError(config, "setting the mac", rc);
    port.mac = mac;  // the rewrite uses the configured MAC even where the PMD cannot filter on it
  } else if ((rc = rte_eth_macaddr_get(owned.ethdev_id, &port.mac)) != 0) {
    return PortError(config, "reading the mac", rc);
  } else if (rte_is_zero_ether_addr(&port.mac) || driver == "net_null" || driver == "net_ring" ||
             driver == "net_pcap") {
    // These drivers have no MAC of their own (zero or random per start): a stable one keeps the TAP
    // twin's MAC, and the neighbours' entries for it, right across restarts.
    port.mac = StableMac(options.switch_name, config.name());
    rc = rte_eth_dev_default_mac_addr_set(owned.ethdev_id, &port.mac);
    if (rc != 0 && rc != -ENOTSUP) return PortError(config, "setting the mac", rc);
  }

  const std::string punt_name = absl::StrCat("pu_", options.instance_tag, "_", port.index);
  const std::string inject_name = absl::StrCat("in_", options.instance_tag, "_", port.index);
  owned.punt = rte_ring_create(punt_name.c_str(), kPuntRingSize, options.socket_id, RING_F_SC_DEQ);
  // Every worker polling one of the port's rx queues drains its inject ring: single-consumer only
  // while the port has a single rx queue.
  owned.inject = rte_ring_create(inject_name.c_str(), kInjectRingSize, options.socket_id,
                                 RING_F_SP_ENQ | (rx_queues == 1 ? RING_F_SC_DEQ : 0));
  if (owned.punt == nullptr || owned.inject == nullptr)
    return PortError(config, "creating punt/inject rings", rte_errno);

  if ((rc = rte_eth_dev_start(owned.ethdev_id)) != 0) return PortError(config, "starting", rc);
  owned.started = true;
  rc = rte_eth_promiscuous_enable(owned.ethdev_id);
  if (rc != 0 && rc != -ENOTSUP) return PortError(config, "enabling promiscuous mode", rc);

  rte_eth_link link{};
  rte_eth_link_get_nowait(owned.ethdev_id, &link);
  port.ethdev_id = owned.ethdev_id;
  port.tx_queue = 0;
  port.mtu = config.mtu();
  port.punt_ring = owned.punt;
  port.inject_ring = owned.inject;
  port.name = config.name();
  port.driver = driver;
  port.device = config.vdev();
  port.link_netdev = config.link_netdev();
  port.admin_up.store(true);
  // Ports with a link_netdev learn their link from it (LinkMonitor); until then, down.
  port.oper_up.store(port.link_netdev.empty() && link.link_status == RTE_ETH_LINK_UP);
  port.up.store(port.admin_up.load() && port.oper_up.load());
  Log("port", "%s: %s as ethdev %u (%s), mtu %u, mac %02x:%02x:%02x:%02x:%02x:%02x, %u rx / %u tx queues",
      config.name(), config.vdev(), owned.ethdev_id, owned.vdev_name, config.mtu(),
      port.mac.addr_bytes[0], port.mac.addr_bytes[1], port.mac.addr_bytes[2],
      port.mac.addr_bytes[3], port.mac.addr_bytes[4], port.mac.addr_bytes[5], rx_queues, tx_queues);
  return absl::OkStatus();
}

void PortSet::CloseOne(Owned& owned) {
  if (owned.ethdev_id != UINT16_MAX && owned.started) rte_eth_dev_stop(owned.ethdev_id);
  // Removing the vdev closes its ethdev and frees the name for a later Open.
  if (!owned.vdev_name.empty() && rte_eal_hotplug_remove("vdev", owned.vdev_name.c_str()) != 0 &&
      owned.ethdev_id != UINT16_MAX)
    rte_eth_dev_close(owned.ethdev_id);
  owned.vdev_name.clear();
  owned.ethdev_id = UINT16_MAX;
  owned.started = false;
  // Rings may still hold mbufs: return them to their pools before the pools go away.
  for (rte_ring* ring : {owned.punt, owned.inject}) {
    if (ring == nullptr) continue;
    void* m;
    while (rte_ring_dequeue(ring, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
  }
  rte_ring_free(owned.punt);
  rte_ring_free(owned.inject);
  owned.punt = owned.inject = nullptr;
}

void PortSet::Close() {
  for (Owned& owned : ports_) CloseOne(owned);
  for (Owned& owned : ports_) {
    rte_mempool_free(owned.pool);
    owned.pool = nullptr;
  }
  ports_.clear();
}

}  // namespace weft::dp
