#include "dataplane/stages/pipeline.h"

#include "dataplane/lb/adaptive.h"
#include "dataplane/lb/load_balancer.h"
#include "dataplane/stages/l3_lookup.h"
#include "dataplane/stages/nexthop_select.h"
#include "dataplane/stages/parse.h"
#include "dataplane/stages/rewrite.h"
#include "dataplane/tables/snapshot.h"
#include "dataplane/tm/switch_tm.h"

namespace weft::dp {
namespace {

// Adaptive selection state of one burst: prepared on the first packet of a group in an adaptive
// mode (so static hashing never reads the clock or the load table).
struct BurstSelect {
  SwitchInstance& sw;
  WorkerState& ws;
  const LbState* lb;  // nullptr: every group hashes
  bool prepared = false;

  AdaptiveContext<PortLoadTable>& Adaptive() {
    AdaptiveContext<PortLoadTable>& a = ws.adaptive;
    if (!prepared) {
      prepared = true;
      a.flowlets = lb->FlowletsOf(ws.worker_index % sw.lb->num_workers());
      a.flowlet_mask = lb->flowlet_mask;
      a.gap_ns = lb->gap_ns;
      a.load = sw.load.get();
      a.delay_ns = sw.impairments ? sw.impairments->delay_ns() : nullptr;
      a.counters = sw.lb->counters(ws.worker_index);
      a.NewBurst(sw.clock ? sw.clock->NowNs() : 0);
    }
    return a;
  }
};

inline LbMode ModeFor(const NexthopGroupView& g, const LbState* lb, uint8_t traffic_class) {
  if (lb == nullptr) return LbMode::kHash;
  if (lb->any_class_mode) {
    const int8_t o = lb->class_modes[traffic_class & 7];
    if (o >= 0) return LbMode(o);
  }
  return g.mode;
}

inline int SelectGroupMember(const NexthopGroupView& g, BurstSelect& sel, const PacketMeta& m,
                             const HashConfig& hash_cfg, uint64_t up_mask, uint32_t bytes) {
  if (g.num_members == 1) return ((up_mask >> g.members[0].port) & 1) ? 0 : -1;
  const uint32_t hash = m.hash_ready ? m.flow_hash : PacketFlowHash(m, hash_cfg);
  switch (ModeFor(g, sel.lb, m.traffic_class)) {
    case LbMode::kHash:
      return SelectMember(g, hash, up_mask);
    case LbMode::kFlowlet:
      return SelectFlowletMember(sel.Adaptive(), g, hash, bytes, up_mask);
    case LbMode::kSprayLeastLoaded:
      return SelectSprayMember(sel.Adaptive(), g, true, hash, bytes, up_mask);
    case LbMode::kSprayRoundRobin:
      return SelectSprayMember(sel.Adaptive(), g, false, hash, bytes, up_mask);
  }
  return SelectMember(g, hash, up_mask);
}

// Adaptive groups read one flowlet entry per packet, at a random place in a table larger than L1.
// Hashing those packets first and prefetching their entries overlaps the misses instead of taking
// them one after the other in the selection pass. Run only when the last burst used an adaptive
// mode, so that static hashing pays nothing for it.
inline void PrefetchFlowlets(const TablesSnapshot& snap, const HashConfig& hash_cfg,
                             BurstSelect& sel, PacketMeta* meta, uint16_t n) {
  for (uint16_t i = 0; i < n; ++i) {
    PacketMeta& m = meta[i];
    if (m.verdict != Verdict::kForward) continue;
    const NexthopGroupView* g = snap.GroupFor(m.fib_value);
    if (g == nullptr || g->num_members < 2 || ModeFor(*g, sel.lb, m.traffic_class) == LbMode::kHash)
      continue;
    m.flow_hash = PacketFlowHash(m, hash_cfg);
    m.hash_ready = 1;
    const AdaptiveContext<PortLoadTable>& a = sel.Adaptive();
    rte_prefetch0(&a.flowlets[m.flow_hash & a.flowlet_mask]);
  }
}

// After the lookup: turn the FIB value into forward / punt / drop, pick the member, rewrite.
inline void ResolveAndRewrite(SwitchInstance& sw, const TablesSnapshot& snap,
                              const HashConfig& hash_cfg, uint64_t up_mask, BurstSelect& sel,
                              WorkerCounters* counters, uint16_t in_port, rte_mbuf* pkt,
                              PacketMeta& m) {
  const uint64_t v = m.fib_value;
  if (v == kFibNoRoute) return MarkDrop(m, DropReason::kNoRoute);
  if (v == kFibDrop) return MarkDrop(m, DropReason::kBlackhole);
  if (v == kFibPunt) return MarkPunt(m, PuntClass::kLocal, in_port);
  const NexthopGroupView* g = snap.GroupFor(v);
  if (g == nullptr) return MarkDrop(m, DropReason::kNoRoute);  // group being torn down
  if (m.ttl <= 1) return MarkPunt(m, PuntClass::kTtlExpired, in_port);
  // A single next hop needs no hash (the common case of a /24 to one neighbour).
  const int idx = SelectGroupMember(*g, sel, m, hash_cfg, up_mask, rte_pktmbuf_pkt_len(pkt));
  if (idx < 0) return MarkDrop(m, DropReason::kEgressPortDown);
  const GroupMemberView& mem = g->members[idx];
  if (!mem.resolved) return MarkPunt(m, PuntClass::kGlean, mem.port);
  const Port& out = sw.ports.at(mem.port);
  if (m.l3_len > out.mtu) return MarkDrop(m, DropReason::kMtuExceeded);
  RewritePacket(pkt, m, mem.dst_mac, out.mac);
  m.out_port = mem.port;
  counters->CountMember(g->slot, static_cast<uint32_t>(idx), rte_pktmbuf_pkt_len(pkt));
}

uint16_t ProcessChunk(SwitchInstance& sw, WorkerState& ws, uint16_t in_port, rte_mbuf** pkts,
                      uint16_t n, TxBuffers& tx, PacketVerdict* verdicts) {
  PacketMeta meta[kBurstSize];
  WorkerCounters* counters = ws.counters;
  PortCountersSlot& rx = counters->port(in_port);
  const Port& port = sw.ports.at(in_port);
  uint64_t rx_bytes = 0;

  // Headers first: the data prefetches below read buf_addr/data_off from them. After an rx
  // burst they are usually cache-hot already; when not (rings, injected tests) this hides it.
  for (uint16_t i = 0; i < n; ++i) rte_prefetch0(pkts[i]);
  ForEachPacket(pkts, n, [&](uint16_t i) {
    rx_bytes += rte_pktmbuf_pkt_len(pkts[i]);
    ParsePacket(pkts[i], port.mac, in_port, meta[i]);
    if (meta[i].family) ClassifyPacket(sw.qos, meta[i]);
  });
  rx.rx_packets.Add(n);
  rx.rx_bytes.Add(rx_bytes);

  const TablesSnapshot* snap = sw.tables->snapshot();
  LookupBurst(*snap, meta, n);
  const HashConfig hash_cfg = UnpackHashConfig(snap->hash_config->load(std::memory_order_relaxed));
  const uint64_t up_mask = snap->port_up_mask->load(std::memory_order_relaxed);
  BurstSelect sel{sw, ws, sw.lb ? sw.lb->state() : nullptr};
  if (sel.lb && ws.adaptive_recent) PrefetchFlowlets(*snap, hash_cfg, sel, meta, n);
  ForEachPacket(pkts, n, [&](uint16_t i) {
    if (meta[i].verdict == Verdict::kForward)
      ResolveAndRewrite(sw, *snap, hash_cfg, up_mask, sel, counters, in_port, pkts[i], meta[i]);
  });
  ws.adaptive_recent = sel.prepared;

  // Dispatch: tx buffers, policed punts, drops freed in one call. Packets for ports with a traffic
  // manager carry what it needs in the mbuf (tm::TmMbufMeta), and so do PFC frames received on them.
  const uint64_t tm_mask = sw.tm ? sw.tm->enabled_mask() : 0;
  rte_mbuf* to_free[kBurstSize];
  uint16_t num_free = 0, forwarded = 0;
  bool refilled = false;
  for (uint16_t i = 0; i < n; ++i) {
    PacketMeta& m = meta[i];
    if (m.verdict == Verdict::kPunt) {
      rx.punts[m.reason].Add(1);
      if (!refilled) {
        ws.copp.Refill(sw.clock ? sw.clock->NowNs() : 0);  // the clock, once per burst that punts
        refilled = true;
      }
      if (!ws.copp.Admit(static_cast<PuntClass>(m.reason))) {
        MarkDrop(m, DropReason::kCoppPoliced);
      } else {
        tx.punts[tx.num_punts] = pkts[i];
        tx.punt_port[tx.num_punts] = m.out_port;
        tx.punt_class[tx.num_punts++] = m.reason;
      }
    } else if (m.verdict == Verdict::kForward) {
      if (tm_mask >> m.out_port & 1) {
        tm::TmMbufMeta tmm{};
        tmm.tc = m.traffic_class;
        tmm.pg = m.pg;
        tmm.ecn = m.ecn;
        tmm.family = m.family;
        tmm.l3_offset = static_cast<uint8_t>(m.l3 - rte_pktmbuf_mtod(pkts[i], uint8_t*));
        tmm.in_port = static_cast<uint8_t>(in_port);
        tmm.out_port = static_cast<uint8_t>(m.out_port);
        tmm.kind = tm::kTmMetaPacket;
        tm::SetTmMeta(pkts[i], tmm);
        tx.tm_ports |= uint64_t{1} << m.out_port;
      }
      tx.pkts[m.out_port][tx.count[m.out_port]++] = pkts[i];
      tx.used_ports |= uint64_t{1} << m.out_port;
      ++forwarded;
    } else if (m.verdict == Verdict::kConsumed) {
      rx.mac_control.Add(1);
      if (tm_mask >> in_port & 1) {  // PFC for this port's egress queues
        tm::TmMbufMeta tmm{};
        tmm.in_port = static_cast<uint8_t>(in_port);
        tmm.kind = tm::kTmMetaPfcFrame;
        tm::SetTmMeta(pkts[i], tmm);
        tx.mac_control[tx.num_mac_control++] = pkts[i];
      } else {
        to_free[num_free++] = pkts[i];
      }
    }
    if (m.verdict == Verdict::kDrop) {
      rx.drops[m.reason].Add(1);
      to_free[num_free++] = pkts[i];
    }
    if (verdicts) verdicts[i] = PacketVerdict{m.verdict, m.reason, m.out_port, m.traffic_class};
  }
  if (num_free) rte_pktmbuf_free_bulk(to_free, num_free);
  return forwarded;
}

}  // namespace

uint16_t ProcessBurst(SwitchInstance& sw, WorkerState& ws, uint16_t in_port, rte_mbuf** pkts,
                      uint16_t n, TxBuffers& tx, PacketVerdict* verdicts) {
  if (n == 0) return 0;
  return ProcessChunk(sw, ws, in_port, pkts, std::min<uint16_t>(n, kBurstSize), tx, verdicts);
}

}  // namespace weft::dp
