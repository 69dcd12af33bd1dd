// The TAP keeper holds TAP fds across a data-plane restart and hands the same open TAPs over a unix
// socket with SCM_RIGHTS. Needs root (/dev/net/tun); makes and removes its own TAP names.
#include "dataplane/port/tap_keeper.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "dataplane/port/tap.h"

namespace weft::dp {
namespace {

std::string ReadSys(const std::string& ifname, const char* attr) {
  std::ifstream f("/sys/class/net/" + ifname + "/" + attr);
  std::string v;
  f >> v;
  return v;
}

class TapKeeperTest : public testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root for TAP devices";
    const std::string id = std::to_string(getpid() % 100000);
    names_ = {"wtka" + id, "wtkb" + id};
    run_dir_ = std::filesystem::temp_directory_path() / ("wt-keeper-" + id);
    std::filesystem::create_directories(run_dir_);
  }
  void TearDown() override {
    if (keeper_ > 0) {
      kill(keeper_, SIGKILL);
      waitpid(keeper_, nullptr, 0);
    }
    (void)ShutdownTapKeeper(run_dir_);  // a detached keeper left by a failed test
    for (const auto& n : names_) (void)DeleteTap(n);
    std::error_code ec;
    std::filesystem::remove_all(run_dir_, ec);
  }
  // The keeper's loop in a child of the test process (the binary's --tap-keeper runs the same).
  void StartKeeper() {
    keeper_ = fork();
    ASSERT_GE(keeper_, 0);
    if (keeper_ == 0) _exit(RunTapKeeper(run_dir_));
    for (int i = 0; i < 250 && !std::filesystem::exists(TapKeeperSocketPath(run_dir_)); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(std::filesystem::exists(TapKeeperSocketPath(run_dir_)));
  }
  std::vector<std::string> names_;
  std::string run_dir_;
  pid_t keeper_ = -1;
};

TEST_F(TapKeeperTest, HandsOverTheSameTapsAndKeepsCarrierWhenTheClientGoes) {
  StartKeeper();
  auto fds = RequestTaps(run_dir_, names_);
  ASSERT_TRUE(fds.ok()) << fds.status();
  ASSERT_EQ(fds->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    auto name = TapNameOf((*fds)[i]);
    ASSERT_TRUE(name.ok());
    EXPECT_EQ(*name, names_[i]) << "fds come back in request order";
    ASSERT_TRUE(SetNetdevUp(names_[i]).ok());
    ASSERT_TRUE(SetTapCarrier((*fds)[i], true).ok());
  }
  const std::string ifindex = ReadSys(names_[0], "ifindex");
  EXPECT_EQ(ReadSys(names_[0], "carrier"), "1");
  // The data plane goes away: its fds close. The keeper's keep the TAP and its carrier.
  for (int fd : *fds) close(fd);
  EXPECT_TRUE(NetdevExists(names_[0]));
  EXPECT_EQ(ReadSys(names_[0], "carrier"), "1") << "carrier lost when the client closed its fds";

  // A restarted data plane gets the very same device back and can still drive its carrier.
  auto again = RequestTaps(run_dir_, {names_[0]});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(ReadSys(names_[0], "ifindex"), ifindex);
  ASSERT_TRUE(SetTapCarrier((*again)[0], false).ok());
  EXPECT_EQ(ReadSys(names_[0], "carrier"), "0");
  close((*again)[0]);

  // Shutdown deletes what the keeper holds, and the keeper exits cleanly.
  ASSERT_TRUE(ShutdownTapKeeper(run_dir_).ok());
  int status = 0;
  ASSERT_EQ(waitpid(keeper_, &status, 0), keeper_);
  keeper_ = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_FALSE(NetdevExists(names_[0]));
  EXPECT_FALSE(NetdevExists(names_[1]));
}

TEST_F(TapKeeperTest, ABadNameIsRefusedWithTheReason) {
  StartKeeper();
  auto fds = RequestTaps(run_dir_, {"this-name-is-far-too-long-for-a-netdev"});
  ASSERT_FALSE(fds.ok());
  EXPECT_NE(std::string(fds.status().message()).find("bad TAP name"), std::string::npos)
      << fds.status();
}

TEST_F(TapKeeperTest, NoKeeperIsNotFound) {
  auto fds = RequestTaps(run_dir_, names_);
  EXPECT_EQ(fds.status().code(), absl::StatusCode::kNotFound) << fds.status();
  EXPECT_FALSE(NetdevExists(names_[0]));
}

TEST_F(TapKeeperTest, SigtermLeavesPersistentTapsWithoutCarrier) {
  StartKeeper();
  auto fds = RequestTaps(run_dir_, {names_[0]});
  ASSERT_TRUE(fds.ok()) << fds.status();
  ASSERT_TRUE(SetNetdevUp(names_[0]).ok());
  close((*fds)[0]);
  kill(keeper_, SIGTERM);
  int status = 0;
  ASSERT_EQ(waitpid(keeper_, &status, 0), keeper_);
  keeper_ = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(NetdevExists(names_[0])) << "persistent TAP must outlive its keeper";
  EXPECT_EQ(ReadSys(names_[0], "carrier"), "0");
  EXPECT_FALSE(std::filesystem::exists(TapKeeperSocketPath(run_dir_)));
}

// The production path: weft-dataplane starts `weft-dataplane --tap-keeper RUN_DIR` detached.
TEST_F(TapKeeperTest, EnsureTapKeeperRunsTheBinaryDetached) {
  // build/tests/dataplane/port/<this test> -> build/dataplane/weft-dataplane
  const std::filesystem::path exe =
      std::filesystem::read_symlink("/proc/self/exe").parent_path() / "../../../dataplane/weft-dataplane";
  ASSERT_TRUE(std::filesystem::exists(exe)) << exe << " not built";
  ASSERT_TRUE(EnsureTapKeeper(run_dir_, exe.string()).ok());
  ASSERT_TRUE(EnsureTapKeeper(run_dir_, exe.string()).ok()) << "a live keeper is reused";
  auto fds = RequestTaps(run_dir_, {names_[0]});
  ASSERT_TRUE(fds.ok()) << fds.status();
  close((*fds)[0]);
  EXPECT_TRUE(NetdevExists(names_[0]));
  EXPECT_TRUE(std::filesystem::exists(run_dir_ + "/tap-keeper.log"));
  ASSERT_TRUE(ShutdownTapKeeper(run_dir_).ok());
  for (int i = 0; i < 100 && std::filesystem::exists(TapKeeperSocketPath(run_dir_)); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(std::filesystem::exists(TapKeeperSocketPath(run_dir_))) << "keeper did not exit";
  EXPECT_FALSE(NetdevExists(names_[0]));
}

}  // namespace
}  // namespace weft::dp
