// TrafficManagerService: proto <-> tm::SwitchTmSettings with defaults and validation (every error
// INVALID_ARGUMENT naming the request field), then one SwitchTrafficManager::Apply.
#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "dataplane/api/batch.h"
#include "dataplane/api/convert.h"
#include "dataplane/api/services.h"
#include "dataplane/tm/tm_validation.h"

namespace weft::dp::api {
namespace {

constexpr uint64_t kDefaultBurstNs = 1'000'000;  // shaper burst / XOFF default: 1 ms at the rate
constexpr uint64_t kMinBurstBytes = 3000;
constexpr uint32_t kDefaultQueueCapacity = 1024;
constexpr uint32_t kDefaultDwrrQuantum = 1500;
constexpr uint64_t kDefaultUnshapedRateBps = 100'000'000'000ULL;
constexpr uint64_t kDefaultPoolBytes = 16ULL << 20;
constexpr uint32_t kEthernetOverhead = 18;  // header + one VLAN tag

absl::Status Invalid(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

absl::Status CheckCount(int n, int want, absl::string_view field) {
  if (n == 0 || n == want) return absl::OkStatus();
  return Invalid(field, absl::StrCat(n, " entries; want none (defaults) or exactly ", want));
}

template <size_t N>
absl::Status MapFromProto(const google::protobuf::RepeatedField<uint32_t>& in,
                          std::array<uint8_t, N>* out, absl::string_view field) {
  if (auto s = CheckCount(in.size(), int(N), field); !s.ok()) return s;
  for (int i = 0; i < in.size(); ++i) {
    if (in[i] > 7)
      return Invalid(absl::StrCat(field, "[", i, "]"), absl::StrCat(in[i], " is outside [0, 7]"));
    (*out)[i] = static_cast<uint8_t>(in[i]);
  }
  return absl::OkStatus();
}

uint64_t PortRate(const tm::PortTmSettings& p) {
  return p.egress.shaper.shaped ? p.egress.shaper.rate_bps : p.egress.unshaped_rate_bps;
}

// One port's entry; `filled` gets the defaults written back (GetTrafficManager returns it).
absl::Status PortFromProto(const pb::PortTrafficManager& in, const tm::QosMaps& qos,
                           const std::string& f, tm::PortTmSettings* out,
                           pb::PortTrafficManager* filled) {
  out->enabled = in.enabled();
  if (!in.enabled()) return absl::OkStatus();
  // Shaper.
  const pb::TmShaper& sh = in.shaper();
  tm::PortShaperConfig& shaper = out->egress.shaper;
  if (sh.rate_bps() == 0) {
    shaper.shaped = false;
    out->egress.unshaped_rate_bps =
        sh.unshaped_rate_bps() ? sh.unshaped_rate_bps() : kDefaultUnshapedRateBps;
    if (out->egress.unshaped_rate_bps > tm::kMaxRateBps)
      return Invalid(f + ".shaper.unshaped_rate_bps",
                     absl::StrCat(out->egress.unshaped_rate_bps, " exceeds ", tm::kMaxRateBps));
    filled->mutable_shaper()->set_unshaped_rate_bps(out->egress.unshaped_rate_bps);
  } else {
    if (sh.unshaped_rate_bps() != 0)
      return Invalid(f + ".shaper.unshaped_rate_bps", "only for an unshaped port (rate_bps 0)");
    shaper.shaped = true;
    shaper.rate_bps = sh.rate_bps();
    shaper.burst_bytes = sh.burst_bytes()
                             ? sh.burst_bytes()
                             : std::max(tm::BytesInNs(sh.rate_bps(), kDefaultBurstNs), kMinBurstBytes);
    if (auto s = tm::ValidatePortShaperConfig(shaper, f + ".shaper"); !s.ok()) return s;
    out->egress.unshaped_rate_bps = shaper.rate_bps;
    filled->mutable_shaper()->set_burst_bytes(shaper.burst_bytes);
  }
  const uint64_t rate = PortRate(*out);

  // Queues, scheduling, WRED.
  tm::EgressQueuesConfig& q = out->egress.queues;
  q.queue_capacity_packets =
      in.queue_capacity_packets() ? in.queue_capacity_packets() : kDefaultQueueCapacity;
  q.dwrr_quantum_bytes = in.dwrr_quantum_bytes() ? in.dwrr_quantum_bytes() : kDefaultDwrrQuantum;
  filled->set_queue_capacity_packets(q.queue_capacity_packets);
  filled->set_dwrr_quantum_bytes(q.dwrr_quantum_bytes);
  if (auto s = CheckCount(in.queues_size(), tm::kNumTrafficClasses, f + ".queues"); !s.ok())
    return s;
  for (int tc = 0; tc < in.queues_size(); ++tc) {
    const pb::TmQueue& qi = in.queues(tc);
    const std::string qf = absl::StrCat(f, ".queues[", tc, "]");
    switch (qi.scheduling()) {
      case pb::TM_SCHEDULING_UNSPECIFIED:
      case pb::TM_SCHEDULING_DWRR:
        q.queues[tc].scheduling = tm::QueueScheduling::kDwrr;
        break;
      case pb::TM_SCHEDULING_STRICT:
        q.queues[tc].scheduling = tm::QueueScheduling::kStrictPriority;
        break;
      default:
        return Invalid(qf + ".scheduling", absl::StrCat("unknown value ", int(qi.scheduling())));
    }
    q.queues[tc].dwrr_weight = qi.dwrr_weight() ? qi.dwrr_weight() : 1;
    filled->mutable_queues(tc)->set_dwrr_weight(q.queues[tc].dwrr_weight);
    tm::WredProfile& w = out->egress.wred[tc];
    w.enabled = qi.wred().enabled();
    w.kmin_bytes = qi.wred().kmin_bytes();
    w.kmax_bytes = qi.wred().kmax_bytes();
    w.pmax = qi.wred().pmax();
    switch (qi.wred().non_ect()) {
      case pb::TM_NON_ECT_ACTION_UNSPECIFIED:
      case pb::TM_NON_ECT_ACTION_TAIL_DROP:
        w.non_ect = tm::NonEctAction::kTailDrop;
        break;
      case pb::TM_NON_ECT_ACTION_DROP:
        w.non_ect = tm::NonEctAction::kDropByCurve;
        break;
      default:
        return Invalid(qf + ".wred.non_ect", absl::StrCat("unknown value ", int(qi.wred().non_ect())));
    }
    if (auto s = tm::ValidateWredProfile(w, qf + ".wred"); !s.ok()) return s;
  }
  if (auto s = tm::ValidateEgressQueuesConfig(q, f); !s.ok()) return s;

  // PFC, both directions.
  if (auto s = CheckCount(in.priorities_size(), tm::kNumTrafficClasses, f + ".priorities");
      !s.ok())
    return s;
  out->pfc.rate_bps = rate;
  for (int p = 0; p < in.priorities_size(); ++p) {
    const pb::TmPfcPriority& pi = in.priorities(p);
    if (!pi.enabled()) continue;
    const std::string pf = absl::StrCat(f, ".priorities[", p, "]");
    tm::PfcPriorityConfig& c = out->pfc.priorities[p];
    c.enabled = true;
    c.xoff_bytes =
        pi.xoff_bytes() ? pi.xoff_bytes() : std::max(tm::BytesInNs(rate, kDefaultBurstNs), kMinBurstBytes);
    c.xon_bytes = pi.xon_bytes() ? pi.xon_bytes() : c.xoff_bytes / 2;
    if (pi.pause_quanta() > tm::kMaxPauseQuanta)
      return Invalid(pf + ".pause_quanta",
                     absl::StrCat(pi.pause_quanta(), " exceeds ", tm::kMaxPauseQuanta));
    c.pause_quanta = pi.pause_quanta() ? static_cast<uint16_t>(pi.pause_quanta()) : tm::kMaxPauseQuanta;
    c.refresh_interval_ns = pi.refresh_interval_ns();
    out->egress.pfc_rx_enabled_mask |= uint8_t(1u << p);
    pb::TmPfcPriority* fp = filled->mutable_priorities(p);
    fp->set_xoff_bytes(c.xoff_bytes);
    fp->set_xon_bytes(c.xon_bytes);
    fp->set_pause_quanta(c.pause_quanta);
  }
  if (auto s = tm::ValidatePfcGeneratorConfig(out->pfc, f); !s.ok()) return s;
  for (int p = 0; p < in.priorities_size(); ++p) {
    if (!in.priorities(p).enabled() || in.priorities(p).refresh_interval_ns()) continue;
    filled->mutable_priorities(p)->set_refresh_interval_ns(
        tm::PauseQuantaToNs(out->pfc.priorities[p].pause_quanta, rate) / 2);
  }

  // Watchdog.
  const pb::TmWatchdog& wd = in.watchdog();
  tm::PfcWatchdogConfig& w = out->egress.watchdog;
  w.enabled = !wd.disabled();
  if (wd.detection_time_ns()) w.detection_time_ns = wd.detection_time_ns();
  if (wd.restoration_time_ns()) w.restoration_time_ns = wd.restoration_time_ns();
  switch (wd.action()) {
    case pb::TM_STORM_ACTION_UNSPECIFIED:
    case pb::TM_STORM_ACTION_DROP:
      w.action = tm::PfcStormAction::kDrop;
      break;
    case pb::TM_STORM_ACTION_FORWARD:
      w.action = tm::PfcStormAction::kForward;
      break;
    case pb::TM_STORM_ACTION_ALERT:
      w.action = tm::PfcStormAction::kAlert;
      break;
    default:
      return Invalid(f + ".watchdog.action", absl::StrCat("unknown value ", int(wd.action())));
  }
  if (auto s = tm::ValidatePfcWatchdogConfig(w, f + ".watchdog"); !s.ok()) return s;
  filled->mutable_watchdog()->set_detection_time_ns(w.detection_time_ns);
  filled->mutable_watchdog()->set_restoration_time_ns(w.restoration_time_ns);

  out->egress.tc_to_pfc_priority = qos.tc_to_pfc_priority;
  return tm::ValidatePortTrafficManagerConfig(out->egress, f);
}

}  // namespace

absl::StatusOr<tm::SwitchTmSettings> TmSettingsFromProto(const pb::SetTrafficManagerRequest& in,
                                                        const PortTable& ports,
                                                        const tm::SwitchTmSettings& defaults,
                                                        pb::SetTrafficManagerRequest* filled) {
  *filled = in;
  tm::SwitchTmSettings out = defaults;
  // QoS maps first: the ports copy TC -> PFC priority.
  out.qos = tm::QosMaps::Default();
  const pb::QosMaps& qm = in.qos_maps();
  if (auto s = MapFromProto(qm.dscp_to_tc(), &out.qos.dscp_to_tc, "qos_maps.dscp_to_tc"); !s.ok())
    return s;
  if (auto s = MapFromProto(qm.pcp_to_tc(), &out.qos.pcp_to_tc, "qos_maps.pcp_to_tc"); !s.ok())
    return s;
  if (auto s = MapFromProto(qm.tc_to_pg(), &out.qos.tc_to_pg, "qos_maps.tc_to_pg"); !s.ok())
    return s;
  if (auto s = MapFromProto(qm.tc_to_pfc_priority(), &out.qos.tc_to_pfc_priority,
                            "qos_maps.tc_to_pfc_priority");
      !s.ok())
    return s;
  if (auto s = tm::ValidateQosMaps(out.qos, "qos_maps"); !s.ok()) return s;

  std::vector<bool> seen(ports.size(), false);
  for (tm::PortTmSettings& p : out.ports) p.enabled = false;
  for (int i = 0; i < in.ports_size(); ++i) {
    const std::string f = absl::StrCat("ports[", i, "]");
    auto index = PortIndexFromName(ports, in.ports(i).port(), f + ".port");
    if (!index.ok()) return index.status();
    if (seen[*index])
      return Invalid(f + ".port", absl::StrCat("\"", in.ports(i).port(), "\" is listed twice"));
    seen[*index] = true;
    tm::PortTmSettings ps = defaults.ports[*index];
    if (auto s = PortFromProto(in.ports(i), out.qos, f, &ps, filled->mutable_ports(i)); !s.ok())
      return s;
    out.ports[*index] = ps;
  }

  // Buffer: lossless priority groups are those with PFC on some port.
  const pb::TmBuffer& b = in.buffer();
  out.buffer = tm::BufferConfig{};
  out.buffer.num_ports = ports.size();
  out.buffer.pool_bytes = b.pool_bytes() ? b.pool_bytes() : kDefaultPoolBytes;
  filled->mutable_buffer()->set_pool_bytes(out.buffer.pool_bytes);
  if (auto s = CheckCount(b.queues_size(), tm::kNumTrafficClasses, "buffer.queues"); !s.ok())
    return s;
  for (int tc = 0; tc < b.queues_size(); ++tc) {
    out.buffer.queues[tc].reserve_bytes = b.queues(tc).reserve_bytes();
    out.buffer.queues[tc].alpha_log2 = b.queues(tc).alpha_log2();
  }
  if (auto s = CheckCount(b.priority_groups_size(), tm::kNumTrafficClasses,
                          "buffer.priority_groups");
      !s.ok())
    return s;
  tm::HeadroomInputs headroom;
  bool any_lossless = false;
  uint32_t max_frame = 0;
  for (uint16_t p = 0; p < ports.size(); ++p) {
    const tm::PortTmSettings& ps = out.ports[p];
    if (!ps.enabled) continue;
    bool pfc = false;
    for (int pg = 0; pg < tm::kNumTrafficClasses; ++pg) {
      if (!ps.pfc.priorities[pg].enabled) continue;
      out.buffer.priority_groups[pg].lossless = true;
      pfc = true;
    }
    if (!pfc) continue;
    any_lossless = true;
    headroom.rate_bps = std::max(headroom.rate_bps, PortRate(ps));
    max_frame = std::max(max_frame, ports.at(p).mtu + kEthernetOverhead);
    if (ps.egress.shaper.shaped)
      headroom.peer_burst_bytes = std::max(headroom.peer_burst_bytes, ps.egress.shaper.burst_bytes);
  }
  for (int pg = 0; pg < b.priority_groups_size(); ++pg)
    out.buffer.priority_groups[pg].headroom_bytes = b.priority_groups(pg).headroom_bytes();
  headroom.mtu_bytes = std::min<uint32_t>(9216, std::max<uint32_t>(max_frame, 64));
  out.default_headroom_bytes = any_lossless ? tm::DefaultHeadroomBytes(headroom) : 0;
  if (auto s = tm::ValidateBufferConfig(out.buffer, out.default_headroom_bytes, "buffer"); !s.ok())
    return s;
  return out;
}

Status TrafficManagerServiceImpl::SetTrafficManager(ServerContext*,
                                                    const pb::SetTrafficManagerRequest* request,
                                                    pb::SetTrafficManagerResponse*) {
  if (!sw_.tm) return Status(grpc::StatusCode::UNIMPLEMENTED, "this switch has no traffic manager");
  std::lock_guard<std::mutex> lock(mu_);
  pb::SetTrafficManagerRequest filled;
  auto settings = TmSettingsFromProto(*request, sw_.ports, sw_.tm->DefaultSettings(), &filled);
  if (!settings.ok()) return ToGrpcStatus(settings.status());
  if (auto s = sw_.tm->Apply(*settings); !s.ok()) return ToGrpcStatus(s);
  sw_.qos.Store(settings->qos.dscp_to_tc, settings->qos.pcp_to_tc, settings->qos.tc_to_pg);
  config_ = std::move(filled);
  return Status::OK;
}

Status TrafficManagerServiceImpl::GetTrafficManager(ServerContext*,
                                                    const pb::GetTrafficManagerRequest*,
                                                    pb::GetTrafficManagerResponse* response) {
  std::lock_guard<std::mutex> lock(mu_);
  *response->mutable_config() = config_;
  return Status::OK;
}

Status TrafficManagerServiceImpl::InjectPfcStorm(ServerContext*,
                                                 const pb::InjectPfcStormRequest* request,
                                                 pb::InjectPfcStormResponse*) {
  if (!sw_.tm) return Status(grpc::StatusCode::UNIMPLEMENTED, "this switch has no traffic manager");
  auto index = PortIndexFromName(sw_.ports, request->port(), "port");
  if (!index.ok()) return ToGrpcStatus(index.status());
  if (request->priority() >= uint32_t(tm::kNumTrafficClasses))
    return ToGrpcStatus(Invalid("priority", absl::StrCat(request->priority(), " is outside [0, 7]")));
  return ToGrpcStatus(sw_.tm->InjectStorm(*index, int(request->priority())));
}

Status TrafficManagerServiceImpl::GetTrafficManagerCounters(
    ServerContext*, const pb::GetTrafficManagerCountersRequest* request,
    pb::GetTrafficManagerCountersResponse* response) {
  if (!sw_.tm) return Status(grpc::StatusCode::UNIMPLEMENTED, "this switch has no traffic manager");
  std::vector<uint16_t> selected;
  if (request->ports().empty()) {
    for (uint16_t p = 0; p < sw_.ports.size(); ++p)
      if (sw_.tm->PortEnabled(p)) selected.push_back(p);
  }
  for (int i = 0; i < request->ports_size(); ++i) {
    auto index = PortIndexFromName(sw_.ports, request->ports(i), absl::StrCat("ports[", i, "]"));
    if (!index.ok()) return ToGrpcStatus(index.status());
    selected.push_back(*index);
  }
  for (uint16_t p : selected) {
    const tm::TmPortStats s = sw_.tm->ReadPortStats(p);
    pb::PortTrafficManagerCounters* out = response->add_ports();
    out->set_port(sw_.ports.at(p).name);
    out->set_enabled(s.enabled != 0);
    out->set_pfc_rx_parse_errors(s.pfc_rx_parse_errors);
    out->set_reconfigure_drops(s.reconfigure_drops);
    for (const tm::TmQueueStats& q : s.queues) {
      pb::TmQueueCounters* o = out->add_queues();
      o->set_tx_packets(q.tx_packets);
      o->set_tx_bytes(q.tx_bytes);
      o->set_ecn_marked(q.ecn_marked);
      o->set_wred_drops(q.wred_drops);
      o->set_buffer_drops(q.buffer_drops);
      o->set_full_drops(q.full_drops);
      o->set_storm_drops(q.storm_drops);
      o->set_depth_bytes(q.depth_bytes);
      o->set_depth_packets(q.depth_packets);
      o->set_watermark_bytes(q.watermark_bytes);
    }
    for (const tm::TmPriorityStats& pr : s.priorities) {
      pb::TmPriorityCounters* o = out->add_priorities();
      o->set_pfc_xoff_sent(pr.pfc_xoff_sent);
      o->set_pfc_xon_sent(pr.pfc_xon_sent);
      o->set_pfc_received(pr.pfc_received);
      o->set_pfc_pause_received(pr.pfc_pause_received);
      o->set_paused_ns(pr.paused_ns);
      o->set_storms_detected(pr.storms_detected);
      o->set_storms_restored(pr.storms_restored);
      o->set_in_storm(pr.in_storm != 0);
    }
  }
  return Status::OK;
}

}  // namespace weft::dp::api
