// EAL can be initialised once per process: one gtest Environment. 1 GB: two switch instances,
// each with two FIB copies per family (the tbl24 arrays alone are 32 MB each) and jumbo mbuf pools.
#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

class EalEnvironment : public testing::Environment {
 public:
  void SetUp() override {
    std::string prefix = "wt-runtime-test-" + std::to_string(getpid());
    std::vector<std::string> args = {"runtime_test", "--no-huge", "-m", "1024", "--no-pci",
                                     "--file-prefix", prefix, "--log-level=error",
                                     "--no-telemetry", "-l", "0"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    ASSERT_GE(rte_eal_init(static_cast<int>(argv.size()), argv.data()), 0)
        << "rte_eal_init: " << rte_strerror(rte_errno);
  }
  void TearDown() override { rte_eal_cleanup(); }
};

[[maybe_unused]] testing::Environment* const kEal =
    testing::AddGlobalTestEnvironment(new EalEnvironment);

}  // namespace
