// Adaptive member choice of next-hop groups (DESIGN.md step 4): flowlet adaptive routing and
// per-packet spraying. Inline: it runs per forwarded packet of groups in those modes.
//
// - Flowlets: each worker keeps a table of flow entries indexed by the flow hash. A packet of a
//   flow whose last packet passed less than `gap` ago stays on the flow's member (within a flowlet
//   the path never changes, so the flow's packets cannot be reordered by the switch). Otherwise a
//   new flowlet starts and takes the least-loaded member that is up.
// - Load of a member: bytes queued on its egress port + what the port's transmit-rate average
//   carries in 1 ms, + what this worker already sent there in the current burst (so that a burst
//   of new flowlets does not all herd onto the one port that looked idle), divided by the
//   member's weight. Ties go round (each choice starts looking at a different member).
// - Spraying: round robin or least-loaded per packet. Out-of-order packets are estimated per flow
//   (where the flow's table entry survives): a packet whose expected arrival (now + its port's
//   queue delay + impairment delay) is before that of a packet sent earlier on another member.
// - A member on a down port is never chosen (local repair): a flowlet on it moves at once.
//
// The load source is a template parameter (dataplane/lb/port_load.h's PortLoadTable in the
// switch; a fake in unit tests): uint64_t QueuedBytes(port), uint64_t TxRateBps(port, now_ns).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "dataplane/port/port.h"
#include "dataplane/tables/snapshot.h"

namespace weft::dp {

struct FlowletEntry {
  uint64_t last_ns = 0;     // last packet of the flow
  uint64_t arrival_ns = 0;  // expected arrival at the receiver of the flow's latest packet
  uint32_t tag = 0;         // the flow hash
  uint32_t slot = 0;        // group slot + 1; 0: empty
  uint8_t member = 0;
  uint8_t reserved[7] = {};
};
static_assert(sizeof(FlowletEntry) == 32);

// Per worker, written by that worker only; summed when read.
struct alignas(64) LbWorkerCounters {
  uint64_t flowlets_started = 0;
  uint64_t flowlet_path_changes = 0;
  uint64_t sprayed_packets = 0;
  uint64_t out_of_order = 0;
  uint32_t round_robin = 0;  // spray position (shared by the worker's groups; spreads anyway)
};

// What one worker uses for one burst. `burst_bytes` starts zeroed per burst.
template <typename LoadSource>
struct AdaptiveContext {
  FlowletEntry* flowlets = nullptr;  // this worker's table
  uint32_t flowlet_mask = 0;
  uint64_t gap_ns = 0;
  uint64_t now_ns = 0;
  const LoadSource* load = nullptr;
  const std::atomic<uint64_t>* delay_ns = nullptr;  // per port added delay; nullptr: none
  LbWorkerCounters* counters = nullptr;
  // Per port, for this burst: bytes this worker sent there, and the load-table terms read once
  // (queued + rate term; queue + impairment delay) on first use, valid while the bit is set.
  uint64_t burst_bytes[kMaxPorts] = {};
  uint64_t base_load[kMaxPorts] = {};
  uint64_t path_delay[kMaxPorts] = {};
  uint64_t dirty_ports = 0;  // ports with burst_bytes != 0
  uint64_t load_known = 0;   // ports with base_load read this burst
  uint64_t delay_known = 0;  // ports with path_delay read this burst

  void AddBurstBytes(uint16_t port, uint32_t bytes) {
    burst_bytes[port] += bytes;
    dirty_ports |= uint64_t{1} << port;
  }
  // Starts a new burst: what this worker sent is in the load source from now on.
  void NewBurst(uint64_t now) {
    for (uint64_t m = dirty_ports; m; m &= m - 1) burst_bytes[__builtin_ctzll(m)] = 0;
    dirty_ports = 0;
    load_known = 0;
    delay_known = 0;
    now_ns = now;
  }
};

inline constexpr uint64_t kLoadWindowNs = 1'000'000;  // the rate term: bytes carried in 1 ms

// A port's load for member choice: queued bytes + what its rate average carries in 1 ms (read
// from the load table once per burst) + what this worker already sent there in this burst.
template <typename LoadSource>
inline uint64_t PortLoadBytes(AdaptiveContext<LoadSource>& ctx, uint16_t port) {
  const uint64_t bit = uint64_t{1} << port;
  if (!(ctx.load_known & bit)) {
    ctx.load_known |= bit;
    const uint64_t rate = ctx.load ? ctx.load->TxRateBps(port, ctx.now_ns) : 0;
    const uint64_t queued = ctx.load ? ctx.load->QueuedBytes(port) : 0;
    ctx.base_load[port] = queued + rate / 8 * kLoadWindowNs / 1'000'000'000;
  }
  return ctx.base_load[port] + ctx.burst_bytes[port];
}

// The member with the least load per unit of weight among those on up ports; -1 if none.
// Written without data-dependent branches: which member wins changes packet by packet (each
// choice adds to its port's load), so a branch on the comparison would mispredict often. The first
// member looked at is start * golden ratio mapped onto [0, n) by a multiply (a modulo would be a
// division per packet); successive starts spread evenly over the members, so ties go round.
template <typename LoadSource>
inline int LeastLoadedMember(AdaptiveContext<LoadSource>& ctx, const NexthopGroupView& g,
                             uint32_t start, uint64_t up_mask) {
  const uint32_t n = g.num_members;
  uint32_t i = static_cast<uint32_t>((uint64_t(start * 0x9e3779b9u) * n) >> 32);
  int best = -1;
  if (g.equal_weights) {
    uint64_t best_load = ~uint64_t{0};
    for (uint32_t k = 0; k < n; ++k, i = i + 1 == n ? 0 : i + 1) {
      const uint16_t port = g.members[i].port;
      // A down port's load reads as the maximum: it never wins, and best stays -1 if all are down.
      const uint64_t load = ((up_mask >> port) & 1) ? PortLoadBytes(ctx, port) : ~uint64_t{0};
      const bool better = load < best_load;
      best = better ? static_cast<int>(i) : best;
      best_load = better ? load : best_load;
    }
    return best;
  }
  // Weighted: load_a * weight_b < load_b * weight_a (no division per member); loads are capped at
  // 2^52 bytes so that products with weights up to 255 cannot overflow.
  constexpr uint64_t kCap = uint64_t{1} << 52;
  uint64_t best_load = 0, best_weight = 1;
  for (uint32_t k = 0; k < n; ++k, i = i + 1 == n ? 0 : i + 1) {
    const GroupMemberView& mem = g.members[i];
    const uint64_t w = mem.weight | (mem.weight == 0);
    const uint64_t load = std::min(PortLoadBytes(ctx, mem.port), kCap);
    const bool better =
        ((up_mask >> mem.port) & 1) & ((best < 0) | (load * best_weight < best_load * w));
    best = better ? static_cast<int>(i) : best;
    best_load = better ? load : best_load;
    best_weight = better ? w : best_weight;
  }
  return best;
}

// Queue delay of a port (queued bytes at its current rate) plus its impairment delay; read once
// per burst.
template <typename LoadSource>
inline uint64_t PathDelayNs(AdaptiveContext<LoadSource>& ctx, uint16_t port) {
  const uint64_t bit = uint64_t{1} << port;
  if (ctx.delay_known & bit) return ctx.path_delay[port];
  uint64_t d = ctx.delay_ns ? ctx.delay_ns[port].load(std::memory_order_relaxed) : 0;
  if (ctx.load) {
    const uint64_t queued = ctx.load->QueuedBytes(port);
    const uint64_t rate = queued ? ctx.load->TxRateBps(port, ctx.now_ns) : 0;
    if (rate) d += queued * 8 * 1'000'000'000 / rate;
  }
  ctx.delay_known |= bit;
  ctx.path_delay[port] = d;
  return d;
}

// Called for a packet of the flow in `e` that leaves on member `idx` of `g`: counts it as out of
// order when it would arrive before the flow's packet sent earlier on another member.
template <typename LoadSource>
inline void TrackArrival(AdaptiveContext<LoadSource>& ctx, const NexthopGroupView& g,
                         FlowletEntry& e, int idx) {
  const uint64_t arrival = ctx.now_ns + PathDelayNs(ctx, g.members[idx].port);
  if (arrival < e.arrival_ns)
    ++ctx.counters->out_of_order;
  else
    e.arrival_ns = arrival;
}

// Flowlet adaptive routing. Returns the member index or -1 when every member is down.
template <typename LoadSource>
inline int SelectFlowletMember(AdaptiveContext<LoadSource>& ctx, const NexthopGroupView& g,
                               uint32_t hash, uint32_t bytes,
                               uint64_t up_mask) {
  FlowletEntry& e = ctx.flowlets[hash & ctx.flowlet_mask];
  const bool same_flow = e.tag == hash && e.slot == g.slot + 1 && e.member < g.num_members;
  int idx;
  if (same_flow && ctx.now_ns - e.last_ns <= ctx.gap_ns &&
      ((up_mask >> g.members[e.member].port) & 1)) {
    idx = e.member;  // within the flowlet: the path stays
  } else {
    // Ties (e.g. several idle members) go round: each new flowlet starts looking one further.
    idx = LeastLoadedMember(ctx, g, ctx.counters->round_robin++, up_mask);
    if (idx < 0) return -1;
    ++ctx.counters->flowlets_started;
    if (!same_flow) {
      e.tag = hash;
      e.slot = g.slot + 1;
      e.arrival_ns = 0;
    } else if (idx != e.member) {
      ++ctx.counters->flowlet_path_changes;
    }
    TrackArrival(ctx, g, e, idx);
    e.member = static_cast<uint8_t>(idx);
  }
  e.last_ns = ctx.now_ns;
  ctx.AddBurstBytes(g.members[idx].port, bytes);
  return idx;
}

// Per-packet spraying. Returns the member index or -1 when every member is down.
template <typename LoadSource>
inline int SelectSprayMember(AdaptiveContext<LoadSource>& ctx, const NexthopGroupView& g,
                             bool least_loaded, uint32_t hash,
                             uint32_t bytes, uint64_t up_mask) {
  int idx = -1;
  const uint32_t n = g.num_members;
  if (least_loaded) {
    idx = LeastLoadedMember(ctx, g, ctx.counters->round_robin++, up_mask);
  } else {
    for (uint32_t k = 0; k < n && idx < 0; ++k) {
      const uint32_t i = ctx.counters->round_robin++ % n;
      if ((up_mask >> g.members[i].port) & 1) idx = static_cast<int>(i);
    }
  }
  if (idx < 0) return -1;
  ++ctx.counters->sprayed_packets;
  FlowletEntry& e = ctx.flowlets[hash & ctx.flowlet_mask];
  if (e.tag != hash || e.slot != g.slot + 1) {
    e.tag = hash;
    e.slot = g.slot + 1;
    e.arrival_ns = 0;
  }
  TrackArrival(ctx, g, e, idx);
  e.member = static_cast<uint8_t>(idx);
  e.last_ns = ctx.now_ns;
  ctx.AddBurstBytes(g.members[idx].port, bytes);
  return idx;
}

}  // namespace weft::dp
