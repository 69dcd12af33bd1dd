// EAL start-up for weft-dataplane: argv built from the config (never from hand-written flags), so
// that every process gets its own --file-prefix and runs with or without hugepages.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "dataplane/runtime/config.h"

namespace weft::dp {

struct EalPlan {
  std::vector<std::string> args;   // argv for rte_eal_init, argv[0] included
  uint32_t main_lcore = 0;
  std::vector<uint32_t> worker_lcores;  // empty: the worker runs on the main lcore
  bool no_huge = false;
};

// True when the host has free hugepages of the default size (/proc/meminfo HugePages_Free).
bool HugepagesAvailable();

// Worker lcores are pinned to their CPU (lcore id == CPU id). The main lcore, which also runs the
// worker when none is configured, floats over all CPUs of the process' affinity so that several
// weft-dataplane processes on a small host do not pile onto CPU 0. Control threads (API, netlink,
// TAP slow path) inherit that floating affinity.
EalPlan PlanEal(const pb::EalConfig& eal, bool hugepages_available, const std::string& log_level);

// rte_eal_init with the plan's argv; the message of a failure carries rte_strerror.
absl::Status InitEal(const EalPlan& plan);

}  // namespace weft::dp
