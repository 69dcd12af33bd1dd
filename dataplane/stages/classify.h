// Classify stage: DSCP (IP) or PCP (tagged non-IP) -> traffic class 0..7, kept in the packet's
// metadata for the traffic manager (queues, ECN, PFC priority groups) that follows rewrite.
#pragma once

#include <array>
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

inline uint8_t PacketDscp(const PacketMeta& m) {
  if (m.family == 4) return m.l3[1] >> 2;
  return static_cast<uint8_t>((LoadBe16(m.l3) >> 6) & 0x3f);  // IPv6 traffic class bits 4..11
}

inline void ClassifyPacket(const DscpMap& map, PacketMeta& m) {
  m.traffic_class = m.family ? map.traffic_class[PacketDscp(m)] : m.pcp;
}

}  // namespace weft::dp
