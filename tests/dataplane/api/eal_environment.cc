// DPDK EAL for the API tests (the real ForwardingTables allocate from rte_malloc). Once per
// process, without hugepages or PCI, with a file prefix of its own so parallel test runs do not
// collide.
#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace {

class EalEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    prefix_ = "weft_dpapi_test_" + std::to_string(getpid());
    const std::string& prefix = prefix_;
    std::vector<std::string> args = {"api_test",      "--no-huge", "-m",
                                     "512",           "--no-pci",  "--no-telemetry",
                                     "--file-prefix", prefix,      "--log-level=error"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    ASSERT_GE(rte_eal_init(static_cast<int>(argv.size()), argv.data()), 0)
        << "rte_eal_init failed: " << rte_strerror(rte_errno);
  }
  void TearDown() override {
    // EAL leaves its runtime directory (/var/run/dpdk/<prefix>) behind; runs must not pile up.
    const std::string runtime_dir = rte_eal_get_runtime_dir();
    rte_eal_cleanup();
    std::error_code ec;
    if (runtime_dir.find(prefix_) != std::string::npos)
      std::filesystem::remove_all(runtime_dir, ec);
  }

 private:
  std::string prefix_;
};

[[maybe_unused]] ::testing::Environment* const kEal =
    ::testing::AddGlobalTestEnvironment(new EalEnvironment);

}  // namespace
