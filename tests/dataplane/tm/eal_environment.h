// EAL once per test process (--no-huge, own file prefix) and a small mbuf pool, for the tm tests
// that move real mbufs.
#pragma once

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace weft::dp::tm {

class TmEalEnvironment : public ::testing::Environment {
 public:
  explicit TmEalEnvironment(std::string name) : name_(std::move(name)) {}
  void SetUp() override {
    const std::string prefix = "weft-" + name_ + "-" + std::to_string(getpid());
    std::vector<std::string> args = {name_,      "--no-huge",     "-m",   "256",
                                     "--no-pci", "--file-prefix", prefix, "--log-level=error"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    ASSERT_GE(rte_eal_init(int(argv.size()), argv.data()), 0) << "rte_eal_init failed";
    pool = rte_pktmbuf_pool_create("tm_test", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    ASSERT_NE(pool, nullptr);
  }
  void TearDown() override {
    rte_mempool_free(pool);
    rte_eal_cleanup();
  }
  static inline rte_mempool* pool = nullptr;

 private:
  std::string name_;
};

}  // namespace weft::dp::tm
