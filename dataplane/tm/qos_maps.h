// QosMaps: how a packet's marking picks its traffic class (egress queue), its priority group
// (ingress buffer accounting and PFC) and the PFC priority it is paused by. Read per packet by the
// classify stage: plain arrays, no branches beyond the lookup.
#pragma once

#include <array>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "dataplane/tm/tm_types.h"

namespace weft::dp::tm {

struct QosMaps {
  std::array<uint8_t, 64> dscp_to_tc{};                          // IP packets
  std::array<uint8_t, 8> pcp_to_tc{};                            // 802.1Q-tagged non-IP packets
  std::array<uint8_t, kNumTrafficClasses> tc_to_pg{};            // priority group for buffer/PFC
  std::array<uint8_t, kNumTrafficClasses> tc_to_pfc_priority{};  // priority on the wire (untagged)

  // DSCP class selector (DSCP >> 3) -> TC, PCP p -> TC p, and identity TC -> PG -> PFC priority:
  // RoCE's usual DSCP 26 lands in TC 3, CNPs at DSCP 48 in TC 6.
  static QosMaps Default();

  uint8_t TcOfDscp(uint8_t dscp) const { return dscp_to_tc[dscp & 63]; }
  uint8_t TcOfPcp(uint8_t pcp) const { return pcp_to_tc[pcp & 7]; }
};

// Every entry must name a traffic class / priority group / priority in [0, 7].
absl::Status ValidateQosMaps(const QosMaps& maps, absl::string_view field);

}  // namespace weft::dp::tm
