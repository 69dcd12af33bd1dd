// Classify stage: DSCP (IP) or PCP (tagged non-IP) -> traffic class 0..7, traffic class -> priority
// group, and the ECN bits, kept in the packet's metadata for the traffic manager (queues, ECN, PFC
// priority groups) that follows rewrite.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "dataplane/stages/packet_meta.h"

namespace weft::dp {

// Default: the class selector (DSCP >> 3), as most fabrics map CS0..CS7 / AFxy.
struct DscpMap {
  std::array<uint8_t, 64> traffic_class{};
  DscpMap() {
    for (int d = 0; d < 64; ++d) traffic_class[d] = static_cast<uint8_t>(d >> 3);
  }
};

// The QoS maps of a switch instance as every worker reads them: single bytes, written by the API
// thread (Store), read relaxed per packet (a plain load on x86). An update is not atomic as a whole
// but every entry always holds a valid class, so a packet classified during an update lands in
// the old or the new class.
struct QosClassMap {
  std::atomic<uint8_t> dscp_to_tc[64];
  std::atomic<uint8_t> pcp_to_tc[8];
  std::atomic<uint8_t> tc_to_pg[8];
  QosClassMap() {
    for (int d = 0; d < 64; ++d) dscp_to_tc[d].store(uint8_t(d >> 3), std::memory_order_relaxed);
    for (int i = 0; i < 8; ++i) {
      pcp_to_tc[i].store(uint8_t(i), std::memory_order_relaxed);
      tc_to_pg[i].store(uint8_t(i), std::memory_order_relaxed);
    }
  }
  void Store(const std::array<uint8_t, 64>& dscp, const std::array<uint8_t, 8>& pcp,
             const std::array<uint8_t, 8>& pg) {
    for (int d = 0; d < 64; ++d) dscp_to_tc[d].store(dscp[d] & 7, std::memory_order_relaxed);
    for (int i = 0; i < 8; ++i) {
      pcp_to_tc[i].store(pcp[i] & 7, std::memory_order_relaxed);
      tc_to_pg[i].store(pg[i] & 7, std::memory_order_relaxed);
    }
  }
};

inline uint8_t PacketDscp(const PacketMeta& m) {
  if (m.family == 4) return m.l3[1] >> 2;
  return static_cast<uint8_t>((LoadBe16(m.l3) >> 6) & 0x3f);  // IPv6 traffic class bits 4..11
}

inline uint8_t PacketEcn(const PacketMeta& m) {
  if (m.family == 4) return m.l3[1] & 3;
  return static_cast<uint8_t>((LoadBe16(m.l3) >> 4) & 3);
}

inline void ClassifyPacket(const DscpMap& map, PacketMeta& m) {
  m.traffic_class = m.family ? map.traffic_class[PacketDscp(m)] : m.pcp;
  m.pg = m.traffic_class;
  m.ecn = m.family ? PacketEcn(m) : 0;
}

inline void ClassifyPacket(const QosClassMap& map, PacketMeta& m) {
  const uint8_t tc = m.family ? map.dscp_to_tc[PacketDscp(m)].load(std::memory_order_relaxed)
                              : map.pcp_to_tc[m.pcp & 7].load(std::memory_order_relaxed);
  m.traffic_class = tc;
  m.pg = map.tc_to_pg[tc & 7].load(std::memory_order_relaxed);
  m.ecn = m.family ? PacketEcn(m) : 0;
}

}  // namespace weft::dp
