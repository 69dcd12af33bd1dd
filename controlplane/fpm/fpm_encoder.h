// What weftd writes back to zebra over the FPM connection: an RTM_NEWROUTE with RTM_F_OFFLOAD in
// rtm_flags for each route that is installed in the data plane (zebra 8.5 and later mark such
// routes offloaded; 8.4 reads and ignores them).
//
// zebra's dplane_fpm_nl reads one netlink message per FPM frame and needs NLM_F_REQUEST; it finds
// the route by prefix, table (the FPM encoding carries the VRF there), protocol and next hops, so
// the notice repeats what zebra sent (RTA_TABLE, RTA_PRIORITY, RTA_NH_ID or the inline next hops).
#pragma once

#include <cstdint>
#include <vector>

#include "controlplane/fpm/fpm_messages.h"

namespace weft::cp::fpm {

// Appends one FPM frame (header + RTM_NEWROUTE) saying that `route` (a NEWROUTE as decoded) is
// offloaded. Returns the frame's size.
size_t AppendOffloadNotice(const RouteMessage& route, std::vector<uint8_t>& out);

}  // namespace weft::cp::fpm
