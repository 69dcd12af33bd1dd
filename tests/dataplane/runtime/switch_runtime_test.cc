// A whole switch instance in-process: real net_ring ports under --no-huge, real tables, the real
// Dataplane API server on a unix socket; the start either completes or leaves nothing behind.
#include "dataplane/runtime/switch_runtime.h"

#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

namespace weft::dp {
namespace {

class SwitchRuntimeTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("wt-rt-" + std::to_string(getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  pb::SwitchConfig Config(const std::string& name) {
    auto parsed = ParseConfig(R"({"eal": {"file_prefix": "x"}, "switches": [{"name": ")" + name +
                              R"(", "run_dir": ")" + dir_.string() + "/" + name + R"(",
        "fib_max_ipv4_routes": 10000, "fib_max_ipv6_routes": 1000,
        "ports": [{"name": "Ethernet0", "vdev": "net_ring"},
                  {"name": "Ethernet4", "vdev": "net_ring", "mtu": 9000}]}]})");
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return parsed->switches(0);
  }
  std::filesystem::path dir_;
  static inline int counter_ = 0;
};

TEST_F(SwitchRuntimeTest, StartsServesAndStopsCleanly) {
  pb::SwitchConfig config = Config("leaf1");
  const std::string socket = config.api_socket().substr(5);
  auto rt = SwitchRuntime::Start(config, {0, 1, "", true});
  ASSERT_TRUE(rt.ok()) << rt.status();
  SwitchInstance& sw = (*rt)->instance();
  EXPECT_EQ(sw.name, "leaf1");
  EXPECT_NE(sw.boot_epoch, 0u);
  ASSERT_NE(sw.tables, nullptr);
  ASSERT_NE(sw.counters, nullptr);
  ASSERT_NE(sw.clock, nullptr);
  EXPECT_EQ(sw.events, &(*rt)->events());
  ASSERT_EQ(sw.ports.size(), 2);
  EXPECT_TRUE(sw.ports.at(0).up.load());
  EXPECT_EQ(sw.ports.at(1).mtu, 9000u);
  EXPECT_TRUE(std::filesystem::exists(socket)) << "API socket";

  auto sub = (*rt)->events().Subscribe();
  ASSERT_TRUE((*rt)->port_control().SetAdminState(1, false).ok());
  weft::dataplane::v1::Event event;
  ASSERT_EQ(sub->Next(&event, std::chrono::milliseconds(2000)),
            EventHub::Subscription::Result::kEvent);
  EXPECT_EQ(event.port_state().port(), "Ethernet4");
  EXPECT_FALSE(event.port_state().oper_up());

  (*rt)->Stop();
  EXPECT_FALSE(std::filesystem::exists(socket)) << "socket removed at stop";
}

TEST_F(SwitchRuntimeTest, AFailedStartLeavesNothingBehind) {
  pb::SwitchConfig config = Config("bad");
  config.mutable_ports(1)->set_vdev("net_nosuchdriver");
  const uint16_t ports_before = rte_eth_dev_count_avail();
  auto rt = SwitchRuntime::Start(config, {1, 1, "", true});
  ASSERT_FALSE(rt.ok());
  const std::string message(rt.status().message());
  EXPECT_NE(message.find("switch bad"), std::string::npos) << message;
  EXPECT_NE(message.find("Ethernet4"), std::string::npos) << message;
  EXPECT_EQ(rte_eth_dev_count_avail(), ports_before);
  EXPECT_FALSE(std::filesystem::exists(config.api_socket().substr(5)));
}

TEST_F(SwitchRuntimeTest, TwoSwitchesInOneProcess) {
  auto a = SwitchRuntime::Start(Config("a"), {2, 1, "", true});
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = SwitchRuntime::Start(Config("b"), {3, 1, "", true});
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_NE((*a)->instance().boot_epoch, (*b)->instance().boot_epoch);
  EXPECT_NE((*a)->instance().ports.at(0).ethdev_id, (*b)->instance().ports.at(0).ethdev_id);
  // Same port names, different switches: different stable MACs.
  EXPECT_NE(memcmp(&(*a)->instance().ports.at(0).mac, &(*b)->instance().ports.at(0).mac, 6), 0);
}

}  // namespace
}  // namespace weft::dp
