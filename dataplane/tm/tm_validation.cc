#include "dataplane/tm/tm_validation.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace weft::dp::tm {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view name, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ".", name, ": ", why));
}

std::string Indexed(absl::string_view field, absl::string_view name, int i) {
  return absl::StrCat(field, ".", name, "[", i, "]");
}

absl::Status ValidateRate(uint64_t rate_bps, absl::string_view field) {
  if (rate_bps == 0) return Invalid(field, "rate_bps", "must be positive");
  if (rate_bps > kMaxRateBps)
    return Invalid(field, "rate_bps", absl::StrCat(rate_bps, " exceeds the maximum ", kMaxRateBps));
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidatePortShaperConfig(const PortShaperConfig& c, absl::string_view field) {
  if (!c.shaped) return absl::OkStatus();
  if (auto s = ValidateRate(c.rate_bps, field); !s.ok()) return s;
  if (c.burst_bytes == 0) return Invalid(field, "burst_bytes", "must be positive");
  if (c.burst_bytes > kMaxBurstBytes)
    return Invalid(field, "burst_bytes",
                   absl::StrCat(c.burst_bytes, " exceeds the maximum ", kMaxBurstBytes));
  return absl::OkStatus();
}

absl::Status ValidateEgressQueuesConfig(const EgressQueuesConfig& c, absl::string_view field) {
  if (c.queue_capacity_packets == 0 || c.queue_capacity_packets > kMaxQueueCapacityPackets)
    return Invalid(
        field, "queue_capacity_packets",
        absl::StrCat(c.queue_capacity_packets, " is outside [1, ", kMaxQueueCapacityPackets, "]"));
  if (c.dwrr_quantum_bytes == 0) return Invalid(field, "dwrr_quantum_bytes", "must be positive");
  for (int tc = 0; tc < kNumTrafficClasses; ++tc) {
    const EgressQueueConfig& q = c.queues[tc];
    if (q.scheduling != QueueScheduling::kStrictPriority && q.scheduling != QueueScheduling::kDwrr)
      return Invalid(Indexed(field, "queues", tc), "scheduling", "unknown scheduling mode");
    if (q.scheduling == QueueScheduling::kDwrr &&
        (q.dwrr_weight == 0 || q.dwrr_weight > kMaxDwrrWeight))
      return Invalid(Indexed(field, "queues", tc), "dwrr_weight",
                     absl::StrCat(q.dwrr_weight, " is outside [1, ", kMaxDwrrWeight, "]"));
  }
  return absl::OkStatus();
}

absl::Status ValidateHeadroomInputs(const HeadroomInputs& c, absl::string_view field) {
  if (auto s = ValidateRate(c.rate_bps, field); !s.ok()) return s;
  if (c.mtu_bytes < 64 || c.mtu_bytes > 9216)
    return Invalid(field, "mtu_bytes", absl::StrCat(c.mtu_bytes, " is outside [64, 9216]"));
  if (c.reaction_ns < 2'000'000)
    return Invalid(
        field, "reaction_ns",
        absl::StrCat(c.reaction_ns, " is below 2 ms, shorter than a software switch's reaction"));
  return absl::OkStatus();
}

absl::Status ValidateBufferConfig(const BufferConfig& c, uint64_t default_headroom_bytes,
                                  absl::string_view field) {
  if (c.num_ports == 0) return Invalid(field, "num_ports", "must be positive");
  if (c.pool_bytes == 0 || c.pool_bytes > kMaxPoolBytes)
    return Invalid(field, "pool_bytes",
                   absl::StrCat(c.pool_bytes, " is outside [1, ", kMaxPoolBytes, "]"));
  uint64_t carved = 0;
  for (int i = 0; i < kNumTrafficClasses; ++i) {
    const QueueBufferConfig& q = c.queues[i];
    if (q.alpha_log2 < -7 || q.alpha_log2 > 3)
      return Invalid(Indexed(field, "queues", i), "alpha_log2",
                     absl::StrCat(q.alpha_log2, " is outside [-7, 3]"));
    if (q.reserve_bytes > c.pool_bytes)
      return Invalid(Indexed(field, "queues", i), "reserve_bytes",
                     absl::StrCat(q.reserve_bytes, " exceeds pool_bytes ", c.pool_bytes));
    const PriorityGroupBufferConfig& pg = c.priority_groups[i];
    if (!pg.lossless && pg.headroom_bytes != 0)
      return Invalid(Indexed(field, "priority_groups", i), "headroom_bytes",
                     "headroom is only for lossless priority groups");
    if (pg.headroom_bytes > c.pool_bytes)
      return Invalid(Indexed(field, "priority_groups", i), "headroom_bytes",
                     absl::StrCat(pg.headroom_bytes, " exceeds pool_bytes ", c.pool_bytes));
    const uint64_t headroom =
        pg.lossless ? (pg.headroom_bytes ? pg.headroom_bytes : default_headroom_bytes) : 0;
    carved += (q.reserve_bytes + headroom) * c.num_ports;
  }
  if (carved >= c.pool_bytes)
    return Invalid(field, "pool_bytes",
                   absl::StrCat(c.pool_bytes, " leaves no shared pool: reserves and headroom of ",
                                c.num_ports, " ports take ", carved));
  return absl::OkStatus();
}

absl::Status ValidateWredProfile(const WredProfile& c, absl::string_view field) {
  if (!c.enabled) return absl::OkStatus();
  if (c.kmin_bytes > c.kmax_bytes)
    return Invalid(field, "kmin_bytes",
                   absl::StrCat(c.kmin_bytes, " exceeds kmax_bytes ", c.kmax_bytes));
  if (c.kmax_bytes > kMaxPoolBytes)
    return Invalid(field, "kmax_bytes", absl::StrCat(c.kmax_bytes, " exceeds ", kMaxPoolBytes));
  if (!(c.pmax >= 0.0 && c.pmax <= 1.0))  // also refuses NaN
    return Invalid(field, "pmax", absl::StrCat(c.pmax, " is outside [0, 1]"));
  if (c.non_ect != NonEctAction::kDropByCurve && c.non_ect != NonEctAction::kTailDrop)
    return Invalid(field, "non_ect", "unknown action");
  return absl::OkStatus();
}

absl::Status ValidatePfcGeneratorConfig(const PfcGeneratorConfig& c, absl::string_view field) {
  bool any = false;
  for (const PfcPriorityConfig& p : c.priorities) any |= p.enabled;
  if (!any) return absl::OkStatus();
  if (auto s = ValidateRate(c.rate_bps, field); !s.ok()) return s;
  for (int i = 0; i < kNumTrafficClasses; ++i) {
    const PfcPriorityConfig& p = c.priorities[i];
    if (!p.enabled) continue;
    const std::string f = Indexed(field, "priorities", i);
    if (p.xoff_bytes == 0) return Invalid(f, "xoff_bytes", "must be positive");
    if (p.xon_bytes >= p.xoff_bytes)
      return Invalid(f, "xon_bytes",
                     absl::StrCat(p.xon_bytes, " must be below xoff_bytes ", p.xoff_bytes));
    if (p.pause_quanta == 0) return Invalid(f, "pause_quanta", "must be positive");
    const uint64_t pause_ns = PauseQuantaToNs(p.pause_quanta, c.rate_bps);
    if (p.refresh_interval_ns >= pause_ns)
      return Invalid(
          f, "refresh_interval_ns",
          absl::StrCat(p.refresh_interval_ns, " must be shorter than the pause time ", pause_ns,
                       " ns (", p.pause_quanta, " quanta at ", c.rate_bps, " b/s)"));
  }
  return absl::OkStatus();
}

absl::Status ValidatePfcWatchdogConfig(const PfcWatchdogConfig& c, absl::string_view field) {
  if (!c.enabled) return absl::OkStatus();
  if (c.detection_time_ns == 0) return Invalid(field, "detection_time_ns", "must be positive");
  if (c.restoration_time_ns == 0) return Invalid(field, "restoration_time_ns", "must be positive");
  if (c.action != PfcStormAction::kDrop && c.action != PfcStormAction::kForward &&
      c.action != PfcStormAction::kAlert)
    return Invalid(field, "action", "unknown storm action");
  return absl::OkStatus();
}

}  // namespace weft::dp::tm
