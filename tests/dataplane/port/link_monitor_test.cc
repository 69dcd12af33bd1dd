// LinkMonitor against real veths in a network namespace of this test's own (root only): the initial
// state, carrier changes of the peer, admin down and deletion of the netdev are all seen.
#include "dataplane/port/link_monitor.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace weft::dp {
namespace {

class LinkMonitorTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    // A namespace of our own: the veths vanish with the process even if a test fails.
    ASSERT_EQ(unshare(CLONE_NEWNET), 0);
  }
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for namespaces and veths";
    Sh("ip link del wlm0 2>/dev/null; ip link add wlm0 type veth peer name wlm1");
    Sh("ip link set wlm0 up && ip link set wlm1 up");
    Port& a = ports_.Append();
    a.name = "Ethernet0";
    a.link_netdev = "wlm0";
  }
  static void Sh(const std::string& cmd) { ASSERT_EQ(system(cmd.c_str()), 0) << cmd; }

  void OnChange(uint16_t port, bool up) {
    std::lock_guard lock(mu_);
    ports_.at(port).oper_up.store(up);  // what PortStateManager does
    changes_.push_back(up);
    cv_.notify_all();
  }
  // Waits for the n-th change and returns it.
  bool WaitChange(size_t n) {
    std::unique_lock lock(mu_);
    EXPECT_TRUE(cv_.wait_for(lock, std::chrono::seconds(5), [&] { return changes_.size() >= n; }))
        << "no link change #" << n;
    return changes_.size() >= n && changes_[n - 1];
  }

  PortTable ports_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<bool> changes_;
};

TEST_F(LinkMonitorTest, FollowsTheNetdevCarrier) {
  LinkMonitor monitor(ports_, [this](uint16_t p, bool up) { OnChange(p, up); });
  ASSERT_TRUE(monitor.Start().ok());
  EXPECT_TRUE(WaitChange(1)) << "initial state: up";
  EXPECT_TRUE(ports_.at(0).oper_up.load());
  Sh("ip link set wlm1 down");  // the peer goes down: wlm0 loses carrier
  EXPECT_FALSE(WaitChange(2));
  Sh("ip link set wlm1 up");
  EXPECT_TRUE(WaitChange(3));
  Sh("ip link set wlm0 down");  // administratively down
  EXPECT_FALSE(WaitChange(4));
  Sh("ip link set wlm0 up");
  EXPECT_TRUE(WaitChange(5));
  Sh("ip link del wlm0");
  EXPECT_FALSE(WaitChange(6));
  monitor.Stop();
}

TEST_F(LinkMonitorTest, StartsDownWhenThePeerIsDown) {
  Sh("ip link set wlm1 down");
  LinkMonitor monitor(ports_, [this](uint16_t p, bool up) { OnChange(p, up); });
  ASSERT_TRUE(monitor.Start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(ports_.at(0).oper_up.load());
  std::lock_guard lock(mu_);
  EXPECT_TRUE(changes_.empty()) << "already down: nothing to report";
}

TEST_F(LinkMonitorTest, MissingNetdevIsRefusedByName) {
  ports_.at(0).link_netdev = "wlm-missing";
  LinkMonitor monitor(ports_, [this](uint16_t p, bool up) { OnChange(p, up); });
  absl::Status s = monitor.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(s.message()).find("wlm-missing"), std::string::npos) << s;
}

}  // namespace
}  // namespace weft::dp
