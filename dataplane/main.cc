// weft-dataplane: composition root. Flags and config, EAL, one SwitchRuntime per configured switch,
// workers on the configured lcores, clean stop on SIGINT/SIGTERM. Exit codes: 0 clean stop,
// 1 start failure, 2 invalid flags or config (nothing was started).
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/port/tap_keeper.h"
#include "dataplane/runtime/config.h"
#include "dataplane/runtime/eal.h"
#include "dataplane/runtime/log.h"
#include "dataplane/runtime/switch_runtime.h"
#include "dataplane/worker/worker.h"

namespace weft::dp {
namespace {

std::atomic<bool> g_stop{false};
void OnSignal(int) { g_stop.store(true); }

constexpr const char* kUsage =
    "usage: weft-dataplane --config FILE [--check] [--log-level LEVEL]\n"
    "       weft-dataplane --tap-keeper RUN_DIR | --stop-tap-keeper RUN_DIR\n"
    "  --config FILE      JSON of weft.dataplane.v1.DataplaneConfig\n"
    "  --check            validate the config and exit (0 valid, 2 invalid)\n"
    "  --log-level LEVEL  DPDK log level (default notice)\n"
    "  --tap-keeper DIR   run as the TAP keeper of a switch's run_dir (started automatically)\n"
    "  --stop-tap-keeper DIR  delete the TAP twins of that run_dir and end its keeper\n";

struct Flags {
  std::string config, tap_keeper, stop_tap_keeper, log_level = "notice";
  bool check = false;
};

int BadUsage(const std::string& why) {
  fprintf(stderr, "weft-dataplane: %s\n%s", why.c_str(), kUsage);
  return 2;
}

std::string SelfExe() {
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return "weft-dataplane";
  path[n] = '\0';
  return path;
}

// Spreads every (switch, port, rx queue) over the workers, round robin.
std::vector<WorkerContext> PlanWorkers(std::vector<std::unique_ptr<SwitchRuntime>>& switches,
                                       uint32_t num_workers) {
  std::vector<WorkerContext> workers(num_workers);
  for (uint32_t w = 0; w < num_workers; ++w) {
    workers[w].worker_index = w;
    workers[w].stop = &g_stop;
  }
  uint32_t next = 0;
  for (auto& rt : switches) {
    SwitchInstance& sw = rt->instance();
    for (uint16_t p = 0; p < sw.ports.size(); ++p)
      for (uint32_t q = 0; q < rt->config().ports(p).rx_queues(); ++q)
        workers[next++ % num_workers].queues.push_back({&sw, p, static_cast<uint16_t>(q)});
  }
  return workers;
}

int Run(const Flags& flags) {
  auto config = LoadConfigFile(flags.config);
  if (!config.ok()) {
    fprintf(stderr, "weft-dataplane: invalid config: %s\n",
            std::string(config.status().message()).c_str());
    return 2;
  }
  if (flags.check) {
    printf("%s: valid (%d switch(es))\n", flags.config.c_str(), config->switches_size());
    return 0;
  }

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  EalPlan plan = PlanEal(config->eal(), HugepagesAvailable(), flags.log_level);
  if (plan.no_huge && !config->eal().no_huge())
    Log("eal", "no free hugepages: running with --no-huge");
  if (absl::Status s = InitEal(plan); !s.ok()) {
    Log("eal", "%s", s.message());
    return 1;
  }
  const uint32_t num_workers = std::max<size_t>(1, plan.worker_lcores.size());

  std::vector<std::unique_ptr<SwitchRuntime>> switches;
  auto stop_all = [&] {
    for (auto it = switches.rbegin(); it != switches.rend(); ++it) (*it)->Stop();
    switches.clear();
    rte_eal_cleanup();
  };
  SwitchRuntimeOptions options;
  options.num_workers = num_workers;
  options.keeper_exe = SelfExe();
  for (int i = 0; i < config->switches_size() && !g_stop.load(); ++i) {
    options.index = static_cast<uint32_t>(i);
    auto rt = SwitchRuntime::Start(config->switches(i), options);
    if (!rt.ok()) {
      Log("main", "start failed: %s", rt.status().message());
      stop_all();
      return 1;
    }
    switches.push_back(*std::move(rt));
  }

  std::vector<WorkerContext> workers = PlanWorkers(switches, num_workers);
  if (plan.worker_lcores.empty()) {
    Log("main", "running: %zu switch(es), worker on the main lcore", switches.size());
    RunWorker(&workers[0]);  // returns when a signal sets g_stop
  } else {
    for (uint32_t w = 0; w < num_workers; ++w) {
      int rc = rte_eal_remote_launch(RunWorker, &workers[w], plan.worker_lcores[w]);
      if (rc != 0) {
        Log("main", "launching worker %u on lcore %u failed: %s", w, plan.worker_lcores[w],
            strerror(-rc));
        g_stop.store(true);
        break;
      }
    }
    if (!g_stop.load())
      Log("main", "running: %zu switch(es), %u worker(s)", switches.size(), num_workers);
    while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    rte_eal_mp_wait_lcore();
  }
  Log("main", "stopping");
  stop_all();
  Log("main", "stopped");
  return 0;
}

}  // namespace
}  // namespace weft::dp

int main(int argc, char** argv) {
  using weft::dp::BadUsage;
  weft::dp::Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) return nullptr;
      (void)name;
      return argv[++i];
    };
    if (arg == "--config") {
      const char* v = value("--config");
      if (!v) return BadUsage("--config needs a FILE");
      flags.config = v;
    } else if (arg == "--tap-keeper") {
      const char* v = value("--tap-keeper");
      if (!v) return BadUsage("--tap-keeper needs a RUN_DIR");
      flags.tap_keeper = v;
    } else if (arg == "--stop-tap-keeper") {
      const char* v = value("--stop-tap-keeper");
      if (!v) return BadUsage("--stop-tap-keeper needs a RUN_DIR");
      flags.stop_tap_keeper = v;
    } else if (arg == "--log-level") {
      const char* v = value("--log-level");
      if (!v) return BadUsage("--log-level needs a LEVEL");
      flags.log_level = v;
    } else if (arg == "--check") {
      flags.check = true;
    } else if (arg == "--help" || arg == "-h") {
      fputs(weft::dp::kUsage, stdout);
      return 0;
    } else {
      return BadUsage("unknown argument \"" + arg + "\"");
    }
  }
  if (!flags.tap_keeper.empty()) return weft::dp::RunTapKeeper(flags.tap_keeper);
  if (!flags.stop_tap_keeper.empty()) {
    absl::Status s = weft::dp::ShutdownTapKeeper(flags.stop_tap_keeper);
    if (s.ok()) return 0;
    fprintf(stderr, "weft-dataplane: %s\n", std::string(s.message()).c_str());
    return s.code() == absl::StatusCode::kNotFound ? 3 : 1;
  }
  if (flags.config.empty()) return BadUsage("--config FILE is required");
  return weft::dp::Run(flags);
}
