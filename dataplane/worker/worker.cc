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
#include <memory>

#include "dataplane/stages/pipeline.h"

namespace weft::dp {
namespace {

struct ServedSwitch {
  SwitchInstance* sw = nullptr;
  rte_rcu_qsbr* qsbr = nullptr;
  std::unique_ptr<WorkerState> state;
};

struct PolledQueue {
  SwitchInstance* sw;
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
uint16_t SendOut(SwitchInstance& sw, WorkerCounters* c, Port& port, uint16_t queue, rte_mbuf** pkts,
                 uint16_t n) {
  const uint64_t bytes = SumBytes(pkts, n);
  const uint16_t sent = rte_eth_tx_burst(port.ethdev_id, queue, pkts, n);
  PortCountersSlot& pc = c->port(port.index);
  if (sent < n) {
    const uint64_t unsent_bytes = SumBytes(pkts + sent, n - sent);
    rte_pktmbuf_free_bulk(pkts + sent, n - sent);
    pc.drops[static_cast<size_t>(DropReason::kTxFull)].Add(n - sent);
    pc.tx_bytes.Add(bytes - unsent_bytes);
  } else {
    pc.tx_bytes.Add(bytes);
  }
  pc.tx_packets.Add(sent);
  (void)sw;
  return sent;
}

void FlushTx(SwitchInstance& sw, WorkerCounters* c, TxBuffers& tx, uint16_t queue) {
  for (uint64_t m = tx.used_ports; m; m &= m - 1) {
    const uint16_t p = static_cast<uint16_t>(__builtin_ctzll(m));
    SendOut(sw, c, sw.ports.at(p), queue, tx.pkts[p], tx.count[p]);
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
    polled.push_back(
        PolledQueue{q.sw, it->state.get(), &q.sw->ports.at(q.port), q.rx_queue, q.rx_queue == 0});
  }
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
        FlushTx(*q.sw, q.state->counters, *tx, queue);
      }
      if (q.drains_inject) work += DrainInject(*q.sw, q.state->counters, *q.port, queue);
    }
    for (ServedSwitch& s : switches) rte_rcu_qsbr_quiescent(s.qsbr, wi);
    if (work) {
      idle_loops = 0;
      sleep_us = 1;
      continue;
    }
    if (++idle_loops < ctx->idle_spins) continue;
    // No Rx interrupts on af_packet/af_xdp/memif in 22.11: sleep, doubling up to max_sleep_us.
    for (ServedSwitch& s : switches) rte_rcu_qsbr_thread_offline(s.qsbr, wi);
    timespec ts{0, static_cast<long>(sleep_us) * 1000};
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
