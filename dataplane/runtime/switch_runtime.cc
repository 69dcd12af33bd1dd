#include "dataplane/runtime/switch_runtime.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>

#include "absl/strings/str_cat.h"
#include "dataplane/runtime/log.h"

namespace weft::dp {

uint64_t NewBootEpoch() {
  std::random_device rd;
  uint64_t epoch = 0;
  while (epoch == 0) epoch = (uint64_t(rd()) << 32) | rd();
  return epoch;
}

absl::StatusOr<std::unique_ptr<SwitchRuntime>> SwitchRuntime::Start(
    const pb::SwitchConfig& config, const SwitchRuntimeOptions& options) {
  std::unique_ptr<SwitchRuntime> rt(new SwitchRuntime());
  rt->config_ = config;
  if (absl::Status s = rt->StartAll(options); !s.ok()) {
    rt->Stop();
    return absl::Status(s.code(), absl::StrCat("switch ", config.name(), ": ", s.message()));
  }
  return rt;
}

absl::Status SwitchRuntime::StartAll(const SwitchRuntimeOptions& options) {
  const uint16_t num_ports = static_cast<uint16_t>(config_.ports_size());
  sw_.name = config_.name();
  sw_.boot_epoch = NewBootEpoch();
  sw_.clock = &clock_;
  sw_.events = &events_;

  std::error_code ec;
  std::filesystem::create_directories(config_.run_dir(), ec);
  if (ec) return absl::InternalError(absl::StrCat("run_dir ", config_.run_dir(), ": ", ec.message()));

  // Counters first: the tables bind next-hop group slots to member counters in them.
  sw_.counters = std::make_unique<SwitchCounters>(num_ports, options.num_workers);
  sw_.load = std::make_unique<PortLoadTable>(options.num_workers);
  TablesOptions tables;
  tables.counters = sw_.counters.get();
  tables.max_ipv4_routes = config_.fib_max_ipv4_routes();
  tables.max_ipv6_routes = config_.fib_max_ipv6_routes();
  tables.max_groups = config_.max_nexthop_groups();
  tables.ipv4_tbl8_groups = config_.fib_ipv4_tbl8_groups();
  tables.ipv6_tbl8_groups = config_.fib_ipv6_tbl8_groups();
  tables.max_readers = options.num_workers;
  auto created = ForwardingTables::Create(tables, num_ports);
  if (!created.ok())
    return absl::Status(created.status().code(),
                        absl::StrCat("tables: ", created.status().message(),
                                     " (EAL memory too small? raise eal.memory_mb or lower "
                                     "fib_max_ipv4_routes/fib_max_ipv6_routes/fib_ipv*_tbl8_groups)"));
  sw_.tables = *std::move(created);
  sw_.lb = std::make_unique<LoadBalancer>(options.num_workers, sw_.tables->qsbr());
  sw_.impairments = std::make_unique<PortImpairments>(num_ports, options.num_workers);

  PortOpenOptions open;
  open.instance_tag = absl::StrCat("s", options.index);
  open.num_tx_queues = options.num_workers;
  open.switch_name = config_.name();
  if (absl::Status s = port_set_.Open(config_, open, sw_.ports); !s.ok()) return s;

  {
    std::vector<rte_ether_addr> macs;
    for (uint16_t i = 0; i < sw_.ports.size(); ++i) macs.push_back(sw_.ports.at(i).mac);
    auto tm = tm::SwitchTrafficManager::Create(
        clock_, sw_.ports.size(), std::move(macs), open.instance_tag,
        [this](uint16_t port, int priority, bool detected) {
          pb::Event event;
          event.set_timestamp_ns(static_cast<uint64_t>(
              std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count()));
          pb::PfcStormEvent* storm = event.mutable_pfc_storm();
          storm->set_port(sw_.ports.at(port).name);
          storm->set_priority(static_cast<uint32_t>(priority));
          storm->set_detected(detected);
          events_.Publish(event);
        });
    if (!tm.ok())
      return absl::Status(tm.status().code(), absl::StrCat("traffic manager: ", tm.status().message()));
    sw_.tm = *std::move(tm);
  }

  if (config_.create_taps()) {
    if (absl::Status s = taps_.Open(config_.run_dir(), options.keeper_exe, sw_.ports); !s.ok())
      return s;
  }
  state_ = std::make_unique<PortStateManager>(
      sw_, port_set_, [this](const std::string& port, bool up) { events_.PublishPortState(port, up); });
  slow_path_ = std::make_unique<TapSlowPath>(sw_.ports, port_set_);
  for (uint16_t i = 0; i < num_ports; ++i) {
    state_->SetTapFd(i, taps_.fd(i));
    slow_path_->SetTapFd(i, taps_.fd(i));
  }
  link_ = std::make_unique<LinkMonitor>(
      sw_.ports, [this](uint16_t port, bool up) { state_->SetOperState(port, up); });
  if (absl::Status s = link_->Start(); !s.ok()) return s;
  state_->SyncAll();
  if (absl::Status s = slow_path_->Start(); !s.ok()) return s;

  if (options.start_api) {
    auto api = StartDataplaneApi(sw_, *state_, config_.api_socket());
    if (!api.ok()) return absl::Status(api.status().code(), absl::StrCat("api: ", api.status().message()));
    api_ = *std::move(api);
    Log("api", "%s: Dataplane API on %s (boot epoch %016x)", sw_.name, config_.api_socket(),
        sw_.boot_epoch);
  }
  return absl::OkStatus();
}

void SwitchRuntime::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (api_) {
    api_->Shutdown();
    api_.reset();
    const std::string& address = config_.api_socket();
    if (address.rfind("unix:", 0) == 0) unlink(address.substr(5).c_str());
  }
  events_.Close();
  if (link_) link_->Stop();
  if (slow_path_) slow_path_->Stop();
  sw_.tm.reset();  // before the ports: it frees what it still queues into their pools
  sw_.impairments.reset();  // frees what its delay lines hold, while the mbuf pools exist
  port_set_.Close();
  taps_.Close();  // our fds only: the keeper keeps the TAPs and their carrier
  sw_.lb.reset();
  sw_.tables.reset();
  sw_.counters.reset();
  sw_.load.reset();
}

}  // namespace weft::dp
