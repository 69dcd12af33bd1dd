// The worker poll loop (see worker.h). Per loop: every queue's rx burst through the pipeline and
// out, the TAP inject rings of the ports whose queue 0 it polls, one RCU quiescent report per
// switch, then idle back-off. While sleeping the worker is offline for RCU, so table writers
// never wait on a sleeping worker.
#include "dataplane/worker/worker.h"

#include <rte_ethdev.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <cstring>
#include <memory>

#include "dataplane/stages/pipeline.h"
#include "dataplane/tm/switch_tm.h"

namespace weft::dp {
namespace {

constexpr long kTmBacklogSleepNs = 10'000;

struct ServedSwitch {
  SwitchInstance* sw = nullptr;
  rte_rcu_qsbr* qsbr = nullptr;
  std::unique_ptr<WorkerState> state;
  bool tm_owner = false;  // this worker polls rx queue 0 of port 0: it drives the TM
  tm::TmPlane* tm_plane = nullptr;  // this loop's, when tm_owner
};

struct PolledQueue {
  SwitchInstance* sw;
  ServedSwitch* served;
  WorkerState* state;
  Port* port;
  uint16_t rx_queue;
  bool drains_inject;  // the worker polling rx queue 0 of a port owns its (single-consumer) ring
};

uint64_t SumBytes(rte_mbuf* const* pkts, uint16_t n) {
  uint64_t b = 0;
  for (uint16_t i = 0; i < n; ++i) b += rte_pktmbuf_pkt_len(pkts[i]);
  return b;
}

// Sends on `queue`; what the queue does not take is freed and counted as tx_full on the port.
// The port's impairments (loss, delay line; dataplane/port/impairments.h) apply first, unless the
// packets come out of the delay line.
uint16_t SendOut(SwitchInstance& sw, WorkerCounters* c, Port& port, uint16_t queue, rte_mbuf** pkts,
                 uint16_t n, bool impair = true) {
  if (impair && sw.impairments && sw.impairments->Active(port.index)) {
    n = sw.impairments->Apply(queue, port.index, pkts, n, sw.clock ? sw.clock->NowNs() : 0);
    if (n == 0) return 0;
  }
  const uint64_t bytes = SumBytes(pkts, n);
  const uint16_t sent = rte_eth_tx_burst(port.ethdev_id, queue, pkts, n);
  PortCountersSlot& pc = c->port(port.index);
  uint64_t sent_bytes = bytes;
  if (sent < n) {
    sent_bytes -= SumBytes(pkts + sent, n - sent);  // still ours: the PMD did not take them
    rte_pktmbuf_free_bulk(pkts + sent, n - sent);
    pc.drops[static_cast<size_t>(DropReason::kTxFull)].Add(n - sent);
  }
  pc.tx_bytes.Add(sent_bytes);
  pc.tx_packets.Add(sent);
  // The tx queue index is the worker index (one tx queue per worker on every port).
  if (sent && sw.load && sw.clock)
    sw.load->OnTransmit(queue, port.index, sent_bytes, sw.clock->NowNs());
  return sent;
}

// Sends what is due in this worker's delay lines; returns how many packets are still held (the
// worker keeps polling rather than sleeping while it holds any).
uint32_t ReleaseDelayed(SwitchInstance& sw, WorkerCounters* c, uint16_t queue) {
  PortImpairments* imp = sw.impairments.get();
  if (imp == nullptr || imp->Pending(queue) == 0) return 0;
  const uint64_t now = sw.clock ? sw.clock->NowNs() : 0;
  rte_mbuf* pkts[kBurstSize];
  for (uint64_t m = imp->Pending(queue); m; m &= m - 1) {
    const auto p = static_cast<uint16_t>(__builtin_ctzll(m));
    uint16_t k;
    while ((k = imp->ReleaseDue(queue, p, now, pkts, kBurstSize)) > 0)
      SendOut(sw, c, sw.ports.at(p), queue, pkts, k, false);
  }
  return imp->Pending(queue) ? 1 : 0;
}

// Traffic manager (dataplane/tm/switch_tm.h): the worker owning a switch's traffic manager
// enqueues into the egress ports' queues and drains them at the shaped rate; other workers hand
// their packets for those ports over to it.

tm::TmVerdict EnqueueOne(tm::PortTrafficManager& e, rte_mbuf* m, const tm::TmMbufMeta& meta) {
  const tm::TmPacket packet{m, rte_pktmbuf_pkt_len(m), static_cast<uint8_t>(meta.tc & 7),
                            static_cast<uint8_t>(meta.pg & 7), meta.in_port,
                            static_cast<tm::EcnCodepoint>(meta.ecn & 3)};
  const tm::TmVerdict v = e.Enqueue(packet);
  if (v == tm::TmVerdict::kQueuedMarkCe) {  // still ours until drained: set CE in place
    uint8_t* l3 = rte_pktmbuf_mtod(m, uint8_t*) + meta.l3_offset;
    if (meta.family == 4)
      tm::SetIpv4Ce(reinterpret_cast<rte_ipv4_hdr*>(l3));
    else if (meta.family == 6)
      tm::SetIpv6Ce(reinterpret_cast<rte_ipv6_hdr*>(l3));
  }
  return v;
}

DropReason TmDropReason(tm::TmVerdict v) {
  switch (v) {
    case tm::TmVerdict::kDropWred:
      return DropReason::kTmWred;
    case tm::TmVerdict::kDropBuffer:
      return DropReason::kTmBuffer;
    case tm::TmVerdict::kDropQueueFull:
      return DropReason::kTmQueueFull;
    default:
      return DropReason::kTmPfcStorm;
  }
}

// Owner: packets (or PFC frames) with tm::TmMbufMeta into the plane.
void TmAccept(SwitchInstance& sw, WorkerCounters* c, uint16_t queue, tm::TmPlane& plane,
              rte_mbuf** pkts, uint32_t n) {
  rte_mbuf* to_free[64];
  uint32_t num_free = 0;
  for (uint32_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    const tm::TmMbufMeta meta = tm::GetTmMeta(m);
    if (meta.kind == tm::kTmMetaPfcFrame) {
      if (tm::PortTrafficManager* e = plane.egress[meta.in_port].get())
        e->OnPfcFrame(rte_pktmbuf_mtod(m, const uint8_t*), rte_pktmbuf_data_len(m));
      to_free[num_free++] = m;
    } else if (tm::PortTrafficManager* e = plane.egress[meta.out_port].get()) {
      const tm::TmVerdict v = EnqueueOne(*e, m, meta);
      if (v != tm::TmVerdict::kQueued && v != tm::TmVerdict::kQueuedMarkCe) {
        c->port(meta.out_port).drops[static_cast<size_t>(TmDropReason(v))].Add(1);
        to_free[num_free++] = m;
      }
    } else {  // the port's traffic manager was turned off meanwhile: straight out, as without it
      SendOut(sw, c, sw.ports.at(meta.out_port), queue, &m, 1);
    }
    if (num_free == 64) {
      rte_pktmbuf_free_bulk(to_free, num_free);
      num_free = 0;
    }
  }
  if (num_free) rte_pktmbuf_free_bulk(to_free, num_free);
}

// Non-owner: to the owner's ring; what it does not take is dropped at the egress port.
void TmHandOff(SwitchInstance& sw, WorkerCounters* c, rte_mbuf** pkts, uint16_t n, uint16_t port) {
  const uint32_t taken = sw.tm->HandOff(pkts, n);
  if (taken < n) {
    rte_pktmbuf_free_bulk(pkts + taken, n - taken);
    c->port(port).drops[static_cast<size_t>(DropReason::kTmHandOffFull)].Add(n - taken);
  }
}

// `tm_plane`: the plane when this worker owns the switch's traffic manager, else null.
void FlushTx(SwitchInstance& sw, WorkerCounters* c, TxBuffers& tx, uint16_t queue,
             tm::TmPlane* tm_plane) {
  for (uint64_t m = tx.used_ports; m; m &= m - 1) {
    const uint16_t p = static_cast<uint16_t>(__builtin_ctzll(m));
    if (!(tx.tm_ports >> p & 1))
      SendOut(sw, c, sw.ports.at(p), queue, tx.pkts[p], tx.count[p]);
    else if (tm_plane != nullptr)
      TmAccept(sw, c, queue, *tm_plane, tx.pkts[p], tx.count[p]);
    else
      TmHandOff(sw, c, tx.pkts[p], tx.count[p], p);
  }
  for (uint16_t i = 0; i < tx.num_mac_control; ++i) {
    if (tm_plane != nullptr)
      TmAccept(sw, c, queue, *tm_plane, &tx.mac_control[i], 1);
    else
      TmHandOff(sw, c, &tx.mac_control[i], 1, tm::GetTmMeta(tx.mac_control[i]).in_port);
  }
  for (uint16_t i = 0; i < tx.num_punts; ++i) {
    Port& port = sw.ports.at(tx.punt_port[i]);
    PortCountersSlot& pc = c->port(port.index);
    if (port.punt_ring != nullptr && rte_ring_mp_enqueue(port.punt_ring, tx.punts[i]) == 0) {
      pc.punted.Add(1);
    } else {
      rte_pktmbuf_free(tx.punts[i]);
      pc.drops[static_cast<size_t>(DropReason::kPuntRingFull)].Add(1);
    }
  }
  tx.Clear();
}

// Owner, once per loop: hand-offs, storm injections, PFC generation out of each ingress port,
// shaped drain of each egress port, watchdog. Returns work done; *backlog when packets wait.
uint32_t ServiceTm(SwitchInstance& sw, WorkerCounters* c, uint16_t queue, tm::TmPlane& plane,
                   bool* backlog) {
  tm::SwitchTrafficManager& stm = *sw.tm;
  stm.TickClock();
  uint32_t work = 0;
  rte_mbuf* pkts[64];
  for (int round = 0; round < 4; ++round) {
    const uint32_t n = stm.TakeHandOff(pkts, 64);
    if (n == 0) break;
    work += n;
    TmAccept(sw, c, queue, plane, pkts, n);
  }
  if (plane.enabled_mask == 0) return work;
  const bool inject = stm.TakeInjectionsPending();
  for (uint64_t m = plane.enabled_mask; m; m &= m - 1) {
    const uint16_t p = static_cast<uint16_t>(__builtin_ctzll(m));
    Port& port = sw.ports.at(p);
    tm::PortTrafficManager& e = *plane.egress[p];
    if (inject) {  // an injected storm is reported like a detected one
      const uint8_t before = e.watchdog().storm_mask();
      for (uint8_t bits = stm.TakeInjections(p); bits; bits &= uint8_t(bits - 1))
        e.InjectPfcStorm(__builtin_ctz(bits));
      tm::PfcWatchdogEvents injected;
      injected.storms_detected = uint8_t(e.watchdog().storm_mask() & ~before);
      if (injected.storms_detected) stm.PushEvents(p, injected);
    }
    if (tm::IngressPfc* in = plane.ingress[p].get()) {
      uint8_t frame[tm::kPfcFrameBytes];
      if (const size_t len = in->Poll(frame, sizeof(frame))) {
        ++work;
        rte_mbuf* f = rte_pktmbuf_alloc(stm.frame_pool());
        if (f != nullptr) {
          std::memcpy(rte_pktmbuf_append(f, static_cast<uint16_t>(len)), frame, len);
          SendOut(sw, c, port, queue, &f, 1);
        }
      }
    }
    if (e.queues().nonempty_mask()) {
      for (int round = 0; round < 4; ++round) {
        const uint32_t n = e.Drain(pkts, 64);
        if (n == 0) break;
        work += n;
        SendOut(sw, c, port, queue, pkts, static_cast<uint16_t>(n));
      }
      if (e.queues().nonempty_mask()) *backlog = true;
    }
    uint32_t dropped = 0;
    const tm::PfcWatchdogEvents ev = e.Housekeeping(pkts, 64, &dropped);
    if (dropped) {
      rte_pktmbuf_free_bulk(pkts, dropped);
      c->port(p).drops[static_cast<size_t>(DropReason::kTmPfcStorm)].Add(dropped);
    }
    if (ev.storms_detected | ev.storms_restored) stm.PushEvents(p, ev);
    if (sw.load) {
      uint64_t depth = 0;
      for (int tc = 0; tc < tm::kNumTrafficClasses; ++tc) depth += e.queues().depth_bytes(tc);
      sw.load->SetQueuedBytes(queue, p, depth);
    }
  }
  stm.MaybePublishStats(plane);
  return work;
}

// What the kernel wrote to the port's TAP leaves through the port.
uint16_t DrainInject(SwitchInstance& sw, WorkerCounters* c, Port& port, uint16_t queue) {
  if (port.inject_ring == nullptr) return 0;
  rte_mbuf* pkts[kBurstSize];
  const uint16_t n = static_cast<uint16_t>(rte_ring_sc_dequeue_burst(
      port.inject_ring, reinterpret_cast<void**>(pkts), kBurstSize, nullptr));
  if (n == 0) return 0;
  if (!port.up.load(std::memory_order_relaxed)) {
    rte_pktmbuf_free_bulk(pkts, n);
    c->port(port.index).drops[static_cast<size_t>(DropReason::kEgressPortDown)].Add(n);
    return n;
  }
  const uint16_t sent = SendOut(sw, c, port, queue, pkts, n);
  c->port(port.index).injected.Add(sent);
  return n;
}

}  // namespace

int RunWorker(void* arg) {
  auto* ctx = static_cast<WorkerContext*>(arg);
  const uint32_t wi = ctx->worker_index;
  const auto queue = static_cast<uint16_t>(wi);

  // Per-switch state, built before the loop (allocation is fine here, not in the loop).
  std::vector<ServedSwitch> switches;
  std::vector<PolledQueue> polled;
  for (const WorkerQueue& q : ctx->queues) {
    auto it = std::find_if(switches.begin(), switches.end(),
                           [&](const ServedSwitch& s) { return s.sw == q.sw; });
    if (it == switches.end()) {
      if (q.sw->counters == nullptr || wi >= q.sw->counters->max_workers()) {
        std::fprintf(stderr, "weft worker %u: switch %s has no counter slot for this worker\n", wi,
                     q.sw->name.c_str());
        return -1;
      }
      ServedSwitch s;
      s.sw = q.sw;
      s.qsbr = q.sw->tables->qsbr();
      s.state = std::make_unique<WorkerState>(wi, q.sw->counters->worker(wi), ctx->copp);
      switches.push_back(std::move(s));
      it = switches.end() - 1;
    }
    if (q.port == 0 && q.rx_queue == 0 && q.sw->tm) it->tm_owner = true;
    polled.push_back(PolledQueue{q.sw, nullptr, it->state.get(), &q.sw->ports.at(q.port),
                                 q.rx_queue, q.rx_queue == 0});
  }
  // Pointers into `switches` only now that it no longer grows.
  for (PolledQueue& pq : polled)
    for (ServedSwitch& s : switches)
      if (s.sw == pq.sw) pq.served = &s;
  for (ServedSwitch& s : switches)
    if (s.tm_owner) s.sw->tm->ClaimOwnership();
  for (ServedSwitch& s : switches) {
    if (rte_rcu_qsbr_thread_register(s.qsbr, wi) != 0) {
      std::fprintf(
          stderr,
          "weft worker %u: cannot register with the RCU of switch %s (max_readers too small?)\n",
          wi, s.sw->name.c_str());
      return -1;
    }
    rte_rcu_qsbr_thread_online(s.qsbr, wi);
  }

  auto tx = std::make_unique<TxBuffers>();
  rte_mbuf* pkts[kBurstSize];
  uint32_t idle_loops = 0, sleep_us = 1;
  while (!ctx->stop->load(std::memory_order_relaxed)) {
    uint32_t work = 0;
    bool tm_backlog = false;
    for (ServedSwitch& s : switches)
      s.tm_plane = s.tm_owner ? s.sw->tm->OwnerPlane() : nullptr;  // installs a new configuration
    for (PolledQueue& q : polled) {
      const uint16_t n = rte_eth_rx_burst(q.port->ethdev_id, q.rx_queue, pkts, kBurstSize);
      if (n && !q.port->up.load(std::memory_order_relaxed)) {
        // Admin down means no forwarding in either direction, even if the PMD still delivers.
        work += n;
        rte_pktmbuf_free_bulk(pkts, n);
        q.state->counters->port(q.port->index)
            .drops[static_cast<size_t>(DropReason::kIngressPortDown)]
            .Add(n);
      } else if (n) {
        work += n;
        ProcessBurst(*q.sw, *q.state, q.port->index, pkts, n, *tx);
        FlushTx(*q.sw, q.state->counters, *tx, queue, q.served->tm_plane);
      }
      if (q.drains_inject) work += DrainInject(*q.sw, q.state->counters, *q.port, queue);
    }
    for (ServedSwitch& s : switches)
      if (s.tm_plane) work += ServiceTm(*s.sw, s.state->counters, queue, *s.tm_plane, &tm_backlog);
    for (ServedSwitch& s : switches) work += ReleaseDelayed(*s.sw, s.state->counters, queue);
    for (ServedSwitch& s : switches) rte_rcu_qsbr_quiescent(s.qsbr, wi);
    if (work) {
      idle_loops = 0;
      sleep_us = 1;
      continue;
    }
    // Packets wait for the shaper or a PFC pause: keep the sleeps short (their tokens arrive in
    // microseconds) but still sleep, or a paused queue would keep a shared core busy.
    if (++idle_loops < ctx->idle_spins) continue;
    // No Rx interrupts on af_packet/af_xdp/memif in 22.11: sleep, doubling up to max_sleep_us.
    for (ServedSwitch& s : switches) rte_rcu_qsbr_thread_offline(s.qsbr, wi);
    timespec ts{0, static_cast<long>(sleep_us) * 1000};
    if (tm_backlog) ts.tv_nsec = std::min<long>(ts.tv_nsec, kTmBacklogSleepNs);
    nanosleep(&ts, nullptr);
    for (ServedSwitch& s : switches) rte_rcu_qsbr_thread_online(s.qsbr, wi);
    sleep_us = std::min(sleep_us * 2, std::max<uint32_t>(ctx->max_sleep_us, 1));
  }
  for (ServedSwitch& s : switches) {
    rte_rcu_qsbr_thread_offline(s.qsbr, wi);
    rte_rcu_qsbr_thread_unregister(s.qsbr, wi);
  }
  return 0;
}

}  // namespace weft::dp
