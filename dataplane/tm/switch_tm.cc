#include "dataplane/tm/switch_tm.h"

#include <rte_errno.h>
#include <rte_mempool.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "dataplane/tm/tm_validation.h"

namespace weft::dp::tm {
namespace {

constexpr unsigned kHandOffRingSize = 4096;
constexpr unsigned kEventRingSize = 1024;
constexpr unsigned kFramePoolSize = 255;
constexpr uint64_t kPublishIntervalNs = 1'000'000;
constexpr uint64_t kDefaultPoolBytes = 16ULL << 20;
constexpr uint64_t kDefaultUnshapedRateBps = 100'000'000'000ULL;
constexpr auto kApplyTimeout = std::chrono::seconds(5);

using StatsWords = std::array<std::atomic<uint64_t>, sizeof(TmPortStats) / 8>;
static_assert(sizeof(TmPortStats) % 8 == 0);

uintptr_t PackEvent(uint16_t port, int priority, bool detected) {
  return uintptr_t(port) << 16 | uintptr_t(priority) << 8 | (detected ? 1 : 0) | uintptr_t(1) << 32;
}

}  // namespace

absl::Status ValidateSwitchTmSettings(const SwitchTmSettings& s) {
  if (auto st = ValidateQosMaps(s.qos, "qos_maps"); !st.ok()) return st;
  if (auto st = ValidateBufferConfig(s.buffer, s.default_headroom_bytes, "buffer"); !st.ok())
    return st;
  for (size_t p = 0; p < s.ports.size(); ++p) {
    const PortTmSettings& ps = s.ports[p];
    if (!ps.enabled) continue;
    const std::string f = absl::StrCat("ports[", p, "]");
    if (auto st = ValidatePortTrafficManagerConfig(ps.egress, f); !st.ok()) return st;
    if (auto st = ValidatePfcGeneratorConfig(ps.pfc, f); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SwitchTrafficManager>> SwitchTrafficManager::Create(
    const Clock& clock, uint16_t num_ports, std::vector<rte_ether_addr> port_macs,
    const std::string& tag, EventSink sink) {
  if (num_ports == 0 || num_ports > kTmMaxPorts || port_macs.size() != num_ports)
    return absl::InvalidArgumentError("traffic manager: bad port count");
  std::unique_ptr<SwitchTrafficManager> tm(
      new SwitchTrafficManager(clock, num_ports, std::move(port_macs)));
  tm->sink_ = std::move(sink);
  const std::string ring_name = "tmh_" + tag;
  tm->handoff_ = rte_ring_create(ring_name.c_str(), kHandOffRingSize, SOCKET_ID_ANY, RING_F_SC_DEQ);
  const std::string ev_name = "tme_" + tag;
  tm->events_ =
      rte_ring_create(ev_name.c_str(), kEventRingSize, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  const std::string pool_name = "tmp_" + tag;
  tm->frame_pool_ = rte_pktmbuf_pool_create(pool_name.c_str(), kFramePoolSize, 32, 0,
                                            RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (tm->handoff_ == nullptr || tm->events_ == nullptr || tm->frame_pool_ == nullptr)
    return absl::ResourceExhaustedError(absl::StrCat(
        "traffic manager: cannot create its rings/pool (", rte_strerror(rte_errno), ")"));
  tm->stats_ = std::make_unique<StatsWords[]>(num_ports);
  tm->current_ = tm->DefaultSettings();
  auto plane = tm->Build(tm->current_);
  if (!plane.ok()) return plane.status();
  tm->Install(*std::move(plane));
  tm->pump_ = std::thread([t = tm.get()] { t->Pump(); });
  return tm;
}

SwitchTrafficManager::~SwitchTrafficManager() {
  stop_.store(true);
  if (pump_.joinable()) pump_.join();
  // Workers have stopped: whatever is still queued or handed off goes back to its pool.
  auto free_plane = [](TmPlane* plane) {
    if (plane == nullptr) return;
    rte_mbuf* out[64];
    for (auto& e : plane->egress) {
      if (!e) continue;
      while (uint32_t n = e->FlushAll(out, 64)) rte_pktmbuf_free_bulk(out, n);
    }
  };
  free_plane(active_.get());
  TmPlane* pending = pending_.exchange(nullptr);
  free_plane(pending);
  delete pending;
  delete retired_.exchange(nullptr);
  if (handoff_) {
    rte_mbuf* out[64];
    while (uint32_t n = TakeHandOff(out, 64)) rte_pktmbuf_free_bulk(out, n);
  }
  active_.reset();
  rte_ring_free(handoff_);
  rte_ring_free(events_);
  rte_mempool_free(frame_pool_);
}

SwitchTmSettings SwitchTrafficManager::DefaultSettings() const {
  SwitchTmSettings s;
  s.buffer.pool_bytes = kDefaultPoolBytes;
  s.buffer.num_ports = num_ports_;
  s.qos = QosMaps::Default();
  s.ports.resize(num_ports_);
  for (PortTmSettings& p : s.ports) {
    p.egress.shaper.shaped = false;
    p.egress.unshaped_rate_bps = kDefaultUnshapedRateBps;
    p.egress.tc_to_pfc_priority = s.qos.tc_to_pfc_priority;
    p.pfc.rate_bps = kDefaultUnshapedRateBps;
  }
  return s;
}

absl::StatusOr<std::unique_ptr<TmPlane>> SwitchTrafficManager::Build(
    const SwitchTmSettings& s) const {
  if (s.ports.size() != num_ports_ || s.buffer.num_ports != num_ports_)
    return absl::InvalidArgumentError(
        absl::StrCat("traffic manager settings for ", s.ports.size(), " ports, the switch has ",
                     num_ports_));
  if (auto st = ValidateSwitchTmSettings(s); !st.ok()) return st;
  auto plane = std::make_unique<TmPlane>();
  plane->settings = s;
  plane->buffer = std::make_unique<BufferAccounting>(s.buffer, s.default_headroom_bytes);
  plane->egress.resize(num_ports_);
  plane->ingress.resize(num_ports_);
  for (uint16_t p = 0; p < num_ports_; ++p) {
    const PortTmSettings& ps = s.ports[p];
    if (!ps.enabled) continue;
    plane->enabled_mask |= uint64_t{1} << p;
    plane->egress[p] = std::make_unique<PortTrafficManager>(loop_clock_, p, ps.egress,
                                                            plane->buffer.get(), 0x5eed + p);
    bool pfc = false;
    for (const PfcPriorityConfig& pc : ps.pfc.priorities) pfc |= pc.enabled;
    if (pfc) {
      std::array<uint8_t, 6> mac;
      std::memcpy(mac.data(), macs_[p].addr_bytes, 6);
      plane->ingress[p] =
          std::make_unique<IngressPfc>(loop_clock_, p, ps.pfc, mac, plane->buffer.get());
    }
  }
  return plane;
}

void SwitchTrafficManager::Install(std::unique_ptr<TmPlane> plane) {
  active_ = std::move(plane);
  enabled_mask_.store(active_->enabled_mask, std::memory_order_relaxed);
  PublishStats(*active_);
}

absl::Status SwitchTrafficManager::Apply(const SwitchTmSettings& settings) {
  std::lock_guard<std::mutex> apply_lock(apply_mu_);
  auto built = Build(settings);
  if (!built.ok()) return built.status();
  {
    std::lock_guard<std::mutex> lock(claim_mu_);
    if (!claimed_) {  // no worker drives it (yet): install here
      for (uint16_t p = 0; p < num_ports_; ++p)
        (*built)->reconfigure_drops[p] = active_->reconfigure_drops[p];
      Install(*std::move(built));
      current_ = settings;
      return absl::OkStatus();
    }
  }
  pending_.store(built->release(), std::memory_order_release);
  const auto deadline = std::chrono::steady_clock::now() + kApplyTimeout;
  while (pending_.load(std::memory_order_acquire) != nullptr) {
    if (std::chrono::steady_clock::now() > deadline) {
      TmPlane* mine = pending_.exchange(nullptr);
      if (mine != nullptr) {
        delete mine;
        return absl::UnavailableError(
            "traffic manager: the worker owning this switch did not take the configuration "
            "within 5 s; nothing changed");
      }
      break;  // taken just now
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  delete retired_.exchange(nullptr, std::memory_order_acq_rel);
  current_ = settings;
  return absl::OkStatus();
}

absl::Status SwitchTrafficManager::InjectStorm(uint16_t port, int priority) {
  if (port >= num_ports_) return absl::InvalidArgumentError("port: out of range");
  if (priority < 0 || priority >= kNumTrafficClasses)
    return absl::InvalidArgumentError(
        absl::StrCat("priority: ", priority, " is outside [0, 7]"));
  if (!PortEnabled(port))
    return absl::FailedPreconditionError("port: its traffic manager is not enabled");
  inject_[port].fetch_or(uint8_t(1u << priority), std::memory_order_relaxed);
  inject_pending_.store(true, std::memory_order_release);
  return absl::OkStatus();
}

TmPortStats SwitchTrafficManager::ReadPortStats(uint16_t port) const {
  uint64_t words[sizeof(TmPortStats) / 8];
  for (size_t i = 0; i < std::size(words); ++i)
    words[i] = stats_[port][i].load(std::memory_order_relaxed);
  TmPortStats s;
  std::memcpy(&s, words, sizeof(s));
  return s;
}

void SwitchTrafficManager::ClaimOwnership() {
  std::lock_guard<std::mutex> lock(claim_mu_);
  claimed_ = true;
}

TmPlane* SwitchTrafficManager::OwnerPlane() {
  if (pending_.load(std::memory_order_relaxed) == nullptr) return active_.get();
  TmPlane* next = pending_.exchange(nullptr, std::memory_order_acq_rel);
  if (next == nullptr) return active_.get();
  rte_mbuf* out[64];
  for (uint16_t p = 0; p < num_ports_; ++p) {
    next->reconfigure_drops[p] = active_->reconfigure_drops[p];
    auto& e = active_->egress[p];
    if (!e) continue;
    while (uint32_t n = e->FlushAll(out, 64)) {
      rte_pktmbuf_free_bulk(out, n);
      next->reconfigure_drops[p] += n;
    }
  }
  TmPlane* old = active_.release();
  active_.reset(next);
  enabled_mask_.store(next->enabled_mask, std::memory_order_relaxed);
  PublishStats(*next);
  delete retired_.exchange(old, std::memory_order_acq_rel);  // normally null: Apply collects it
  return next;
}

uint8_t SwitchTrafficManager::TakeInjections(uint16_t port) {
  return inject_[port].exchange(0, std::memory_order_relaxed);
}

void SwitchTrafficManager::PushEvents(uint16_t port, const PfcWatchdogEvents& events) {
  for (int p = 0; p < kNumTrafficClasses; ++p) {
    if (events.storms_detected >> p & 1)
      rte_ring_sp_enqueue(events_, reinterpret_cast<void*>(PackEvent(port, p, true)));
    if (events.storms_restored >> p & 1)
      rte_ring_sp_enqueue(events_, reinterpret_cast<void*>(PackEvent(port, p, false)));
  }
}

void SwitchTrafficManager::MaybePublishStats(const TmPlane& plane) {
  const uint64_t now_ns = loop_clock_.NowNs();
  if (now_ns - last_publish_ns_ < kPublishIntervalNs) return;
  last_publish_ns_ = now_ns;
  PublishStats(plane);
}

void SwitchTrafficManager::PublishStats(const TmPlane& plane) {
  for (uint16_t port = 0; port < num_ports_; ++port) {
    TmPortStats s{};
    s.reconfigure_drops = plane.reconfigure_drops[port];
    const PortTrafficManager* e = plane.egress[port].get();
    if (e != nullptr) {
      s.enabled = 1;
      for (int tc = 0; tc < kNumTrafficClasses; ++tc) {
        const EgressQueueCounters& qc = e->queues().counters(tc);
        const TmQueueCounters& tc_c = e->counters(tc);
        TmQueueStats& q = s.queues[tc];
        q.tx_packets = qc.tx_packets;
        q.tx_bytes = qc.tx_bytes;
        q.full_drops = qc.full_drops;
        q.watermark_bytes = qc.watermark_bytes;
        q.ecn_marked = tc_c.ecn_marked;
        q.wred_drops = tc_c.wred_drops;
        q.buffer_drops = tc_c.buffer_drops;
        q.storm_drops = tc_c.storm_drops;
        q.depth_bytes = e->queues().depth_bytes(tc);
        q.depth_packets = e->queues().depth_packets(tc);
      }
      for (int p = 0; p < kNumTrafficClasses; ++p) {
        TmPriorityStats& ps = s.priorities[p];
        ps.pfc_received = e->pfc_receiver().counters(p).frames;
        ps.pfc_pause_received = e->pfc_receiver().counters(p).pause_frames;
        ps.paused_ns = e->pfc_receiver().PausedNs(p);
        ps.storms_detected = e->watchdog().counters(p).storms_detected;
        ps.storms_restored = e->watchdog().counters(p).storms_restored;
        ps.in_storm = e->watchdog().storm_mask() >> p & 1;
      }
      for (size_t r = 1; r < size_t(PfcParseResult::kCount); ++r)
        s.pfc_rx_parse_errors += e->pfc_receiver().parse_errors(PfcParseResult(r));
    }
    if (const IngressPfc* in = plane.ingress[port].get()) {
      for (int p = 0; p < kNumTrafficClasses; ++p) {
        s.priorities[p].pfc_xoff_sent = in->generator().counters(p).xoff_frames;
        s.priorities[p].pfc_xon_sent = in->generator().counters(p).xon_frames;
      }
    }
    uint64_t words[sizeof(TmPortStats) / 8];
    std::memcpy(words, &s, sizeof(s));
    for (size_t i = 0; i < std::size(words); ++i)
      stats_[port][i].store(words[i], std::memory_order_relaxed);
  }
}

void SwitchTrafficManager::Pump() {
  while (!stop_.load()) {
    void* ev[32];
    unsigned n;
    while ((n = rte_ring_sc_dequeue_burst(events_, ev, 32, nullptr)) != 0) {
      for (unsigned i = 0; i < n; ++i) {
        const auto v = reinterpret_cast<uintptr_t>(ev[i]);
        if (sink_) sink_(uint16_t(v >> 16 & 0xffff), int(v >> 8 & 0xff), (v & 1) != 0);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace weft::dp::tm
