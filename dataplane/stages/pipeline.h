// The forwarding pipeline of one burst: parse -> classify -> L3 lookup -> next-hop select ->
// rewrite, with punts policed per class. Used by the worker loop and, without any ethdev, by
// table-driven tests that feed built packets.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>

#include "dataplane/lb/adaptive.h"
#include "dataplane/lb/port_load.h"
#include "dataplane/port/port.h"
#include "dataplane/runtime/switch_instance.h"
#include "dataplane/stages/classify.h"
#include "dataplane/stages/copp.h"
#include "dataplane/stages/packet_meta.h"

namespace weft::dp {

// Where ProcessBurst leaves packets: per egress port for transmit, and punts with their TAP port.
// The caller transmits/enqueues them and calls Clear() (the worker does this after every burst).
struct TxBuffers {
  uint16_t count[kMaxPorts] = {};
  uint64_t used_ports = 0;  // bit p: count[p] > 0
  uint64_t tm_ports = 0;    // bit p: pkts[p] carry tm::TmMbufMeta (the port had a traffic manager)
  rte_mbuf* pkts[kMaxPorts][kBurstSize];
  uint16_t num_punts = 0;
  rte_mbuf* punts[kBurstSize];
  uint16_t punt_port[kBurstSize];
  uint8_t punt_class[kBurstSize];
  // MAC-control frames received on a port with a traffic manager (its PFC receiver takes them).
  uint16_t num_mac_control = 0;
  rte_mbuf* mac_control[kBurstSize];

  void Clear() {
    for (uint64_t m = used_ports; m; m &= m - 1) count[__builtin_ctzll(m)] = 0;
    used_ports = 0;
    tm_ports = 0;
    num_punts = 0;
    num_mac_control = 0;
  }
};

// State one worker keeps per switch instance it serves.
struct WorkerState {
  WorkerState(uint32_t index, WorkerCounters* c, const CoppConfig& copp_config = CoppConfig())
      : worker_index(index), counters(c), copp(copp_config) {}
  uint32_t worker_index;
  WorkerCounters* counters;
  CoppPolicer copp;
  AdaptiveContext<PortLoadTable> adaptive;  // flowlet/spray selection (dataplane/lb/adaptive.h)
  bool adaptive_recent = false;  // the last burst selected in an adaptive mode
};

// What happened to one packet (optional output for tests and tracing).
struct PacketVerdict {
  Verdict verdict = Verdict::kDrop;
  uint8_t reason = 0;  // DropReason or PuntClass
  uint16_t port = 0;   // egress port or punt port
  uint8_t traffic_class = 0;
};

// Processes min(n, kBurstSize) packets (the rest stay the caller's). Forwarded packets land in
// tx.pkts[port], punts in tx.punts; dropped and consumed packets are freed and counted.
// `tx` holds one burst: call once between two tx.Clear(). Returns the number forwarded.
uint16_t ProcessBurst(SwitchInstance& sw, WorkerState& ws, uint16_t in_port, rte_mbuf** pkts,
                      uint16_t n, TxBuffers& tx, PacketVerdict* verdicts = nullptr);

}  // namespace weft::dp
