#include "dataplane/runtime/eal.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <sched.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace weft::dp {

bool HugepagesAvailable() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  long value = 0;
  while (meminfo >> key) {
    if (key == "HugePages_Free:") {
      meminfo >> value;
      return value > 0;
    }
  }
  return false;
}

namespace {

// "(0-1)" style set of the CPUs this process may run on.
std::string AllowedCpuSet() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<std::string> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
      if (CPU_ISSET(cpu, &set)) cpus.push_back(std::to_string(cpu));
  }
  if (cpus.empty()) cpus.push_back("0");
  return absl::StrCat("(", absl::StrJoin(cpus, ","), ")");
}

}  // namespace

EalPlan PlanEal(const pb::EalConfig& eal, bool hugepages_available, const std::string& log_level) {
  EalPlan plan;
  plan.no_huge = eal.no_huge() || !hugepages_available;
  plan.worker_lcores.assign(eal.worker_lcores().begin(), eal.worker_lcores().end());
  std::set<uint32_t> used(plan.worker_lcores.begin(), plan.worker_lcores.end());
  // The main lcore id must differ from every worker's; it is a logical id, mapped to a CPU set.
  while (used.count(plan.main_lcore)) ++plan.main_lcore;

  std::vector<std::string> lcores = {absl::StrCat(plan.main_lcore, "@", AllowedCpuSet())};
  for (uint32_t w : plan.worker_lcores) lcores.push_back(absl::StrCat(w, "@", w));

  auto& a = plan.args;
  a = {"weft-dataplane", "--file-prefix", eal.file_prefix(), "-m", std::to_string(eal.memory_mb()),
       "--no-pci", "--log-level", log_level, "--lcores", absl::StrJoin(lcores, ","),
       "--main-lcore", std::to_string(plan.main_lcore)};
  if (plan.no_huge) a.push_back("--no-huge");
  // Keep telemetry off: its socket would appear per process and nothing here reads it.
  a.push_back("--no-telemetry");
  for (const std::string& extra : eal.extra_args()) a.push_back(extra);
  return plan;
}

absl::Status InitEal(const EalPlan& plan) {
  std::vector<std::string> copy = plan.args;  // rte_eal_init may permute argv
  std::vector<char*> argv;
  for (std::string& s : copy) argv.push_back(s.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(copy.size()), argv.data()) < 0)
    return absl::InternalError(absl::StrCat("rte_eal_init(", absl::StrJoin(plan.args, " "),
                                            ") failed: ", rte_strerror(rte_errno)));
  return absl::OkStatus();
}

}  // namespace weft::dp
