// SwitchRuntime: one switch instance with everything that serves it — tables, counters, ports, TAP
// twins, link monitor, TAP slow path, port state and the Dataplane API endpoint. Built in dependency
// order by Start(), torn down in reverse by Stop(). Workers are launched by the caller (main), which
// may spread the ports of several instances over its lcores.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "dataplane/api/event_hub.h"
#include "dataplane/api/server.h"
#include "dataplane/port/link_monitor.h"
#include "dataplane/port/port_state.h"
#include "dataplane/port/port_table.h"
#include "dataplane/port/tap_slow_path.h"
#include "dataplane/port/tap_twins.h"
#include "dataplane/runtime/config.h"
#include "dataplane/runtime/switch_instance.h"

namespace weft::dp {

struct SwitchRuntimeOptions {
  uint32_t index = 0;         // position in the config: makes DPDK object names unique
  uint32_t num_workers = 1;   // tx queues per port and QSBR readers
  std::string keeper_exe;     // binary run as `--tap-keeper RUN_DIR` (create_taps only)
  bool start_api = true;      // tests of the ports alone may skip the gRPC server
};

class SwitchRuntime {
 public:
  // Either a fully started switch or an error naming the switch and the step; nothing stays
  // half-started (whatever was built is torn down again).
  static absl::StatusOr<std::unique_ptr<SwitchRuntime>> Start(const pb::SwitchConfig& config,
                                                               const SwitchRuntimeOptions& options);
  ~SwitchRuntime() { Stop(); }

  SwitchInstance& instance() { return sw_; }
  PortStateManager& port_control() { return *state_; }
  EventHub& events() { return events_; }
  const TapSlowPath& slow_path() const { return *slow_path_; }
  const pb::SwitchConfig& config() const { return config_; }

  // Workers must have stopped polling this instance's ports. Idempotent. TAPs stay with the keeper.
  void Stop();

 private:
  SwitchRuntime() = default;
  absl::Status StartAll(const SwitchRuntimeOptions& options);

  pb::SwitchConfig config_;
  MonotonicClock clock_;
  EventHub events_;
  SwitchInstance sw_;
  PortSet port_set_;
  TapTwins taps_;
  std::unique_ptr<PortStateManager> state_;
  std::unique_ptr<LinkMonitor> link_;
  std::unique_ptr<TapSlowPath> slow_path_;
  std::unique_ptr<DataplaneApi> api_;
  bool stopped_ = false;
};

// Random, non-zero: tells a restarted data plane from a reconnect.
uint64_t NewBootEpoch();

}  // namespace weft::dp
