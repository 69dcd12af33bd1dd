#include "dataplane/tm/port_traffic_manager.h"

#include <rte_mbuf.h>

#include "absl/strings/str_cat.h"
#include "dataplane/tm/tm_validation.h"

namespace weft::dp::tm {

PortTrafficManager::PortTrafficManager(const Clock& clock, uint16_t port,
                                       const PortTrafficManagerConfig& config,
                                       BufferAccounting* buffer, uint64_t seed)
    : port_(port),
      tc_to_pfc_priority_(config.tc_to_pfc_priority),
      buffer_(buffer),
      shaper_(clock, config.shaper),
      queues_(config.queues),
      ecn_(config.wred, seed),
      pfc_rx_(clock, PauseRateBps(config), config.pfc_rx_enabled_mask),
      watchdog_(clock, config.watchdog) {}

TmVerdict PortTrafficManager::Enqueue(const TmPacket& p) {
  if (watchdog_.drop_mask() >> tc_to_pfc_priority_[p.tc] & 1) {
    ++counters_[p.tc].storm_drops;
    return TmVerdict::kDropPfcStorm;
  }
  const EcnVerdict ecn = ecn_.Decide(p.tc, queues_.depth_bytes(p.tc), p.ecn);
  if (ecn == EcnVerdict::kDrop) {
    ++counters_[p.tc].wred_drops;
    return TmVerdict::kDropWred;
  }
  uint32_t ticket;
  if (buffer_->Admit(p.ingress_port, p.pg, port_, p.tc, p.bytes, &ticket) !=
      BufferVerdict::kAdmitted) {
    ++counters_[p.tc].buffer_drops;
    return TmVerdict::kDropBuffer;
  }
  if (!queues_.Enqueue(p.tc, p.mbuf, p.bytes, ticket)) {
    buffer_->Release(port_, p.tc, p.bytes, ticket);
    return TmVerdict::kDropQueueFull;
  }
  if (ecn == EcnVerdict::kMarkCe) {
    ++counters_[p.tc].ecn_marked;
    return TmVerdict::kQueuedMarkCe;
  }
  return TmVerdict::kQueued;
}

uint8_t PortTrafficManager::QueuesOfPriorities(uint8_t priority_mask) const {
  uint8_t queues = 0;
  for (int tc = 0; tc < kNumTrafficClasses; ++tc)
    if (priority_mask >> tc_to_pfc_priority_[tc] & 1) queues |= uint8_t(1u << tc);
  return queues;
}

uint32_t PortTrafficManager::Drain(rte_mbuf** out, uint32_t max) {
  constexpr uint32_t kChunk = 32;
  const uint64_t budget = shaper_.BytesAllowedNow();
  if (budget == 0) return 0;
  const uint8_t paused = QueuesOfPriorities(watchdog_.EffectivePausedMask(pfc_rx_.PausedMask()));
  QueuedPacket packets[kChunk];
  uint32_t n = 0;
  uint64_t sent = 0;
  while (n < max && sent < budget) {
    const uint32_t want = max - n < kChunk ? max - n : kChunk;
    uint64_t bytes = 0;
    const uint32_t got = queues_.Dequeue(packets, want, budget - sent, paused, &bytes);
    if (got == 0) break;
    for (uint32_t i = 0; i < got; ++i) {
      const uint32_t ticket = packets[i].admission;
      buffer_->Release(port_, BufferAccounting::TicketTrafficClass(ticket), packets[i].bytes,
                       ticket);
      out[n + i] = packets[i].mbuf;
    }
    n += got;
    sent += bytes;
  }
  shaper_.Consume(sent);
  return n;
}

PfcWatchdogEvents PortTrafficManager::Housekeeping(rte_mbuf** dropped, uint32_t max,
                                                   uint32_t* dropped_count) {
  const PfcWatchdogEvents events = watchdog_.Poll(pfc_rx_.PausedMask());
  *dropped_count = 0;
  const uint8_t drop_queues = QueuesOfPriorities(watchdog_.drop_mask());
  QueuedPacket packets[32];
  for (int tc = 0; tc < kNumTrafficClasses && *dropped_count < max; ++tc) {
    if (!(drop_queues >> tc & 1)) continue;
    while (*dropped_count < max) {
      const uint32_t room = max - *dropped_count < 32 ? max - *dropped_count : 32;
      const uint32_t got = queues_.Flush(tc, packets, room);
      if (got == 0) break;
      for (uint32_t i = 0; i < got; ++i) {
        buffer_->Release(port_, tc, packets[i].bytes, packets[i].admission);
        dropped[(*dropped_count)++] = packets[i].mbuf;
      }
      counters_[tc].storm_drops += got;
    }
  }
  return events;
}

uint32_t PortTrafficManager::FlushAll(rte_mbuf** out, uint32_t max) {
  QueuedPacket packets[32];
  uint32_t n = 0;
  for (int tc = 0; tc < kNumTrafficClasses && n < max; ++tc) {
    while (n < max) {
      const uint32_t got = queues_.Flush(tc, packets, max - n < 32 ? max - n : 32);
      if (got == 0) break;
      for (uint32_t i = 0; i < got; ++i) {
        buffer_->Release(port_, tc, packets[i].bytes, packets[i].admission);
        out[n++] = packets[i].mbuf;
      }
    }
  }
  return n;
}

absl::Status ValidatePortTrafficManagerConfig(const PortTrafficManagerConfig& c,
                                              absl::string_view field) {
  if (auto s = ValidatePortShaperConfig(c.shaper, absl::StrCat(field, ".shaper")); !s.ok())
    return s;
  if (auto s = ValidateEgressQueuesConfig(c.queues, absl::StrCat(field, ".queues")); !s.ok())
    return s;
  for (int tc = 0; tc < kNumTrafficClasses; ++tc) {
    if (auto s = ValidateWredProfile(c.wred[tc], absl::StrCat(field, ".wred[", tc, "]")); !s.ok())
      return s;
    if (c.tc_to_pfc_priority[tc] >= kNumTrafficClasses)
      return absl::InvalidArgumentError(absl::StrCat(field, ".tc_to_pfc_priority[", tc,
                                                     "]: ", int(c.tc_to_pfc_priority[tc]),
                                                     " is outside [0, 7]"));
  }
  if (auto s = ValidatePfcWatchdogConfig(c.watchdog, absl::StrCat(field, ".watchdog")); !s.ok())
    return s;
  if (!c.shaper.shaped && (c.unshaped_rate_bps == 0 || c.unshaped_rate_bps > kMaxRateBps))
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".unshaped_rate_bps: ", c.unshaped_rate_bps, " must be in [1, ",
                     kMaxRateBps, "] when the port is not shaped (pause quanta need a rate)"));
  return absl::OkStatus();
}

size_t IngressPfc::Poll(uint8_t* buf, size_t capacity) {
  std::array<uint64_t, kNumTrafficClasses> pg_bytes;
  for (int pg = 0; pg < kNumTrafficClasses; ++pg)
    pg_bytes[pg] = buffer_->PriorityGroupBytes(port_, pg);
  PfcFrame frame;
  if (!generator_.Poll(pg_bytes, &frame)) return 0;
  return BuildPfcFrame(frame, mac_, buf, capacity);
}

}  // namespace weft::dp::tm
