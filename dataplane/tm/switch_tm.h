// SwitchTrafficManager: the traffic manager of one switch instance, wired into the workers.
//
// Ownership (several workers, one buffer): BufferAccounting is shared by every egress port of a
// switch instance and, like the queues, shapers and PFC state, has a single writer. So one worker
// owns the whole traffic manager of a switch instance: the worker that polls rx queue 0 of port 0
// (PlanWorkers gives every (port, queue) to exactly one worker). The owner enqueues the packets it
// forwards itself; every other worker hands its packets for TM-enabled ports (and the PFC frames it
// receives on them) over through one multi-producer/single-consumer rte_ring per switch, which
// the owner drains each loop. This keeps the shaped rate, DWRR shares, dynamic thresholds and PFC
// exact (per-worker instances would have to split rates and buffers), at the cost of one ring hop
// for packets that another worker received. Ports without a traffic manager (the default) are not
// affected: every worker transmits on its own tx queue as before.
//
// Control (API threads) and owner (worker) never share mutable objects:
//   - configuration: the API builds a complete TmPlane (all objects allocated and validated) and
//     posts it; the owner swaps it in at its next loop (what the old plane still queued is freed and
//     counted as drops `tm_reconfigured`), and posts the old one back for the API thread to delete.
//   - storm injection: per-port atomic bit masks the owner consumes.
//   - counters: the owner publishes a snapshot per port into relaxed atomics (every millisecond and
//     at each swap); the API reads them.
//   - events: the owner pushes storm detections/restorations into an SP/SC ring; a pump thread
//     publishes them to the EventHub (which locks) every 10 ms.
#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "dataplane/common/clock.h"
#include "dataplane/tm/buffer_accounting.h"
#include "dataplane/tm/port_traffic_manager.h"
#include "dataplane/tm/qos_maps.h"

namespace weft::dp::tm {

inline constexpr uint16_t kTmMaxPorts = 64;  // = kMaxPorts (dataplane/port/port.h)

// One port's traffic-manager settings (defaults filled, validated by ValidateSwitchTmSettings).
struct PortTmSettings {
  bool enabled = false;
  PortTrafficManagerConfig egress;
  PfcGeneratorConfig pfc;  // PFC generation when this port is the ingress (rate filled)
};

struct SwitchTmSettings {
  BufferConfig buffer;  // num_ports = the switch's port count
  uint64_t default_headroom_bytes = 0;
  QosMaps qos = QosMaps::Default();
  std::vector<PortTmSettings> ports;  // one per switch port
};

// Checks a whole settings set; field names as in the Dataplane API request.
absl::Status ValidateSwitchTmSettings(const SwitchTmSettings& s);

// What a packet carries from the pipeline to the traffic manager, packed into rte_mbuf::hash (8
// bytes nothing reads after the pipeline: RSS hash / flow director fields of received packets).
struct TmMbufMeta {
  uint8_t tc;
  uint8_t pg;
  uint8_t ecn;
  uint8_t family;     // 4, 6, 0 (non-IP: ECN never set)
  uint8_t l3_offset;  // from the frame's first byte, after rewrite
  uint8_t in_port;
  uint8_t out_port;
  uint8_t kind;  // kTmMetaPacket or kTmMetaPfcFrame
};
static_assert(sizeof(TmMbufMeta) == sizeof(rte_mbuf::hash));
inline constexpr uint8_t kTmMetaPacket = 1;
inline constexpr uint8_t kTmMetaPfcFrame = 2;
inline void SetTmMeta(rte_mbuf* m, const TmMbufMeta& meta) {
  std::memcpy(&m->hash, &meta, sizeof(meta));
}
inline TmMbufMeta GetTmMeta(const rte_mbuf* m) {
  TmMbufMeta meta{};
  std::memcpy(&meta, &m->hash, sizeof(meta));
  return meta;
}

// Counters of one port as the API reports them (all uint64: published field by field).
struct TmQueueStats {
  uint64_t tx_packets, tx_bytes, ecn_marked, wred_drops, buffer_drops, full_drops, storm_drops,
      depth_bytes, depth_packets, watermark_bytes;
};
struct TmPriorityStats {
  uint64_t pfc_xoff_sent, pfc_xon_sent, pfc_received, pfc_pause_received, paused_ns,
      storms_detected, storms_restored, in_storm;
};
struct TmPortStats {
  uint64_t enabled;
  uint64_t pfc_rx_parse_errors;
  uint64_t reconfigure_drops;  // packets still queued when a new configuration replaced the old
  TmQueueStats queues[kNumTrafficClasses];
  TmPriorityStats priorities[kNumTrafficClasses];
};

// The objects the owner worker drives; built and destroyed by control threads.
struct TmPlane {
  SwitchTmSettings settings;
  std::unique_ptr<BufferAccounting> buffer;
  std::vector<std::unique_ptr<PortTrafficManager>> egress;  // per port; null: no TM
  std::vector<std::unique_ptr<IngressPfc>> ingress;         // per port; null: no PFC generation
  uint64_t enabled_mask = 0;
  uint64_t reconfigure_drops[kTmMaxPorts] = {};  // carried into the stats of the next plane
};

class SwitchTrafficManager {
 public:
  using EventSink = std::function<void(uint16_t port, int priority, bool detected)>;

  // Allocates the hand-off ring and the PFC frame pool (EAL must be up). `tag` makes DPDK names
  // unique. `sink` receives storm events on the pump thread (may be empty).
  static absl::StatusOr<std::unique_ptr<SwitchTrafficManager>> Create(
      const Clock& clock, uint16_t num_ports, std::vector<rte_ether_addr> port_macs,
      const std::string& tag, EventSink sink);
  ~SwitchTrafficManager();

  // --- control side (API threads) ---

  // Defaults for a switch with `num_ports` ports: every port off, default QoS maps and pool.
  SwitchTmSettings DefaultSettings() const;
  // Validates, builds and installs `settings` (waits for the owner worker to take it, up to 2 s).
  absl::Status Apply(const SwitchTmSettings& settings);
  const SwitchTmSettings& settings() const { return current_; }  // last applied (API threads)
  // FAILED_PRECONDITION if the port has no traffic manager.
  absl::Status InjectStorm(uint16_t port, int priority);
  TmPortStats ReadPortStats(uint16_t port) const;
  uint16_t num_ports() const { return num_ports_; }

  // --- every worker ---

  bool PortEnabled(uint16_t port) const {
    return enabled_mask_.load(std::memory_order_relaxed) >> port & 1;
  }
  uint64_t enabled_mask() const { return enabled_mask_.load(std::memory_order_relaxed); }
  // Non-owners: hand packets (meta set) to the owner. Returns how many the ring took.
  uint32_t HandOff(rte_mbuf** pkts, uint32_t n) {
    return rte_ring_mp_enqueue_burst(handoff_, reinterpret_cast<void**>(pkts), n, nullptr);
  }

  // --- owner worker only ---

  // Called once before the owner's loop.
  void ClaimOwnership();
  // The plane to use this loop; installs a posted one first (what the old one still queued is
  // freed and counted in reconfigure_drops).
  TmPlane* OwnerPlane();
  uint32_t TakeHandOff(rte_mbuf** pkts, uint32_t max) {
    return rte_ring_sc_dequeue_burst(handoff_, reinterpret_cast<void**>(pkts), max, nullptr);
  }
  // Storm injections requested for `port` since the last call (bit p: priority p).
  bool TakeInjectionsPending() {
    return inject_pending_.load(std::memory_order_relaxed) &&
           inject_pending_.exchange(false, std::memory_order_acquire);
  }
  uint8_t TakeInjections(uint16_t port);
  void PushEvents(uint16_t port, const PfcWatchdogEvents& events);
  // Publishes counters if at least 1 ms passed since the last time.
  void MaybePublishStats(const TmPlane& plane);
  // Reads the clock once for this loop: the plane's components read that time until the next.
  void TickClock() { loop_clock_.Tick(); }
  rte_mempool* frame_pool() const { return frame_pool_; }

 private:
  SwitchTrafficManager(const Clock& clock, uint16_t num_ports, std::vector<rte_ether_addr> macs)
      : loop_clock_(clock), num_ports_(num_ports), macs_(std::move(macs)) {}
  absl::StatusOr<std::unique_ptr<TmPlane>> Build(const SwitchTmSettings& s) const;
  void Install(std::unique_ptr<TmPlane> plane);  // no owner: under claim_mu_
  void PublishStats(const TmPlane& plane);
  void Pump();

  LoopClock loop_clock_;  // the owner ticks it each loop; every component of the planes reads it
  uint16_t num_ports_;
  std::vector<rte_ether_addr> macs_;
  rte_ring* handoff_ = nullptr;
  rte_ring* events_ = nullptr;
  rte_mempool* frame_pool_ = nullptr;
  EventSink sink_;

  std::atomic<uint64_t> enabled_mask_{0};
  std::unique_ptr<TmPlane> active_;  // the owner's (or, before a claim, the installer's)
  std::atomic<TmPlane*> pending_{nullptr};
  std::atomic<TmPlane*> retired_{nullptr};
  std::mutex claim_mu_;
  bool claimed_ = false;  // under claim_mu_
  std::mutex apply_mu_;   // one Apply at a time
  SwitchTmSettings current_;

  std::array<std::atomic<uint8_t>, kTmMaxPorts> inject_{};
  std::atomic<bool> inject_pending_{false};
  uint64_t last_publish_ns_ = 0;
  std::unique_ptr<std::array<std::atomic<uint64_t>, sizeof(TmPortStats) / 8>[]> stats_;

  std::atomic<bool> stop_{false};
  std::thread pump_;
};

}  // namespace weft::dp::tm
