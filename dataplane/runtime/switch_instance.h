// One emulated switch: its ports, tables, counters and identity. No process-global switch state:
// weft-dataplane holds one SwitchInstance per configured switch, and a worker may serve ports of
// several instances.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "dataplane/common/clock.h"
#include "dataplane/lb/load_balancer.h"
#include "dataplane/lb/port_load.h"
#include "dataplane/port/impairments.h"
#include "dataplane/port/port.h"
#include "dataplane/stages/classify.h"
#include "dataplane/stats/counters.h"
#include "dataplane/tables/forwarding_tables.h"
#include "dataplane/tm/switch_tm.h"

namespace weft::dp {

class EventHub;  // dataplane/api/event_hub.h: fan-out of events to StreamEvents subscribers

struct SwitchInstance {
  std::string name;
  uint64_t boot_epoch = 0;       // random at each start
  const Clock* clock = nullptr;  // shared by everything timed in this instance
  PortTable ports;
  std::unique_ptr<ForwardingTables> tables;
  std::unique_ptr<SwitchCounters> counters;
  std::unique_ptr<PortLoadTable> load;  // egress load per port (adaptive routing); may be null
  std::unique_ptr<LoadBalancer> lb;                  // flowlet/spray state; null: hash only
  std::unique_ptr<PortImpairments> impairments;      // egress loss/delay; null: none
  EventHub* events = nullptr;
  QosClassMap qos;  // DSCP/PCP -> traffic class -> priority group, read by classify
  // Traffic manager (issue 4); null in tests of the pipeline alone. See dataplane/tm/switch_tm.h.
  std::unique_ptr<tm::SwitchTrafficManager> tm;
};

}  // namespace weft::dp
