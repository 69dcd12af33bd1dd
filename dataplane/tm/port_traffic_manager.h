// PortTrafficManager: the traffic manager of one egress port, composed from the pieces in this
// directory, and IngressPfc, the PFC generation of one ingress port. This is the seam the worker
// plugs into (see README.md): Enqueue() after rewrite, Drain() before tx, OnPfcFrame() from parse,
// Housekeeping() once per poll loop.
//
// Contract: owned by the one worker that serves the port; BufferAccounting is shared by the ports
// of a switch instance served by that worker. No allocation, lock, log or exception after
// construction. Each call reads the clock at most once per piece it drives.
#pragma once

#include <array>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "dataplane/common/clock.h"
#include "dataplane/tm/buffer_accounting.h"
#include "dataplane/tm/ecn_marker.h"
#include "dataplane/tm/egress_queues.h"
#include "dataplane/tm/pfc_generator.h"
#include "dataplane/tm/pfc_receiver.h"
#include "dataplane/tm/pfc_watchdog.h"
#include "dataplane/tm/port_shaper.h"

struct rte_mbuf;

namespace weft::dp::tm {

struct PortTrafficManagerConfig {
  PortShaperConfig shaper;
  EgressQueuesConfig queues;
  std::array<WredProfile, kNumTrafficClasses> wred{};
  uint8_t pfc_rx_enabled_mask = 0;  // priorities whose received pauses this port obeys
  uint64_t unshaped_rate_bps = 0;   // link speed received pause quanta are measured at when the
                                    // port is not shaped (otherwise the shaper's rate)
  PfcWatchdogConfig watchdog;
  std::array<uint8_t, kNumTrafficClasses> tc_to_pfc_priority{0, 1, 2, 3, 4, 5, 6, 7};
};

// A packet as the traffic manager sees it (the pipeline has classified it).
struct TmPacket {
  rte_mbuf* mbuf;
  uint32_t bytes;
  uint8_t tc;
  uint8_t pg;  // ingress priority group
  uint16_t ingress_port;
  EcnCodepoint ecn;
};

enum class TmVerdict : uint8_t {
  kQueued,
  kQueuedMarkCe,   // queued; the caller sets CE in the IP header before it is transmitted
  kDropWred,       // non-ECT dropped by the WRED curve
  kDropBuffer,     // BufferAccounting refused (queue limit, pool or headroom)
  kDropQueueFull,  // the queue's ring is full
  kDropPfcStorm,   // the queue is in a PFC storm with action drop
};

struct TmQueueCounters {
  uint64_t ecn_marked = 0;
  uint64_t wred_drops = 0;
  uint64_t buffer_drops = 0;
  uint64_t storm_drops = 0;
};

class PortTrafficManager {
 public:
  // config must have passed ValidatePortTrafficManagerConfig. `buffer` outlives this object.
  PortTrafficManager(const Clock& clock, uint16_t port, const PortTrafficManagerConfig& config,
                     BufferAccounting* buffer, uint64_t seed);

  // The caller frees the mbuf on any drop verdict.
  TmVerdict Enqueue(const TmPacket& packet);

  // Packets that may leave now (shaped rate, pauses, scheduling), at most `max`. Their buffer is
  // released: the caller transmits them, or frees and counts those the port did not take.
  uint32_t Drain(rte_mbuf** out, uint32_t max);

  // Received MAC-control frame on this port (the parse stage consumes 0x8808 frames).
  PfcParseResult OnPfcFrame(const uint8_t* data, size_t length) {
    return pfc_rx_.OnFrame(data, length);
  }

  // Once per poll loop: runs the watchdog; under a drop-action storm moves the queue's packets to
  // `dropped` (up to max) for the caller to free. Returns the watchdog's events for the event
  // stream.
  PfcWatchdogEvents Housekeeping(rte_mbuf** dropped, uint32_t max, uint32_t* dropped_count);

  void InjectPfcStorm(int priority) { watchdog_.InjectStorm(priority); }

  // Removes every queued packet (releasing its buffer) into `out`, up to max; e.g. before this
  // object is replaced by a new configuration. Returns the count.
  uint32_t FlushAll(rte_mbuf** out, uint32_t max);

  const EgressQueues& queues() const { return queues_; }
  const PfcReceiver& pfc_receiver() const { return pfc_rx_; }
  const PfcWatchdog& watchdog() const { return watchdog_; }
  const TmQueueCounters& counters(int tc) const { return counters_[tc]; }

 private:
  // Queues (bit tc) gated by the priorities in `priority_mask`.
  uint8_t QueuesOfPriorities(uint8_t priority_mask) const;
  static uint64_t PauseRateBps(const PortTrafficManagerConfig& c) {
    return c.shaper.shaped ? c.shaper.rate_bps : c.unshaped_rate_bps;
  }

  uint16_t port_;
  std::array<uint8_t, kNumTrafficClasses> tc_to_pfc_priority_;
  BufferAccounting* buffer_;
  PortShaper shaper_;
  EgressQueues queues_;
  EcnMarker ecn_;
  PfcReceiver pfc_rx_;
  PfcWatchdog watchdog_;
  std::array<TmQueueCounters, kNumTrafficClasses> counters_{};
};

// Every part, with field names under `field` (e.g. "ports[2].tm").
absl::Status ValidatePortTrafficManagerConfig(const PortTrafficManagerConfig& c,
                                              absl::string_view field);

// PFC generation for one ingress port: polls its priority groups' occupancy and builds frames.
class IngressPfc {
 public:
  IngressPfc(const Clock& clock, uint16_t port, const PfcGeneratorConfig& config,
             const std::array<uint8_t, 6>& port_mac, const BufferAccounting* buffer)
      : port_(port), mac_(port_mac), buffer_(buffer), generator_(clock, config) {}

  // Writes a PFC frame into `buf` and returns its length if one must go out now, else 0.
  size_t Poll(uint8_t* buf, size_t capacity);

  const PfcGenerator& generator() const { return generator_; }

 private:
  uint16_t port_;
  std::array<uint8_t, 6> mac_;
  const BufferAccounting* buffer_;
  PfcGenerator generator_;
};

}  // namespace weft::dp::tm
