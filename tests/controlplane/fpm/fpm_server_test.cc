// FpmServer over a real TCP socket on 127.0.0.1 (port 0), fed with the real zebra capture.
#include "controlplane/fpm/fpm_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <thread>

#include "controlplane/fpm/fpm_decoder.h"
#include "tests/controlplane/fpm/fpm_frame_builder.h"

namespace weft::cp::fpm {
namespace {

using namespace std::chrono_literals;

std::vector<uint8_t> Capture(const char* file) {
  std::ifstream in(std::string(WEFT_FPM_TESTDATA) + "/" + file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

int Connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

void SendAll(int fd, const std::vector<uint8_t>& bytes, size_t chunk) {
  for (size_t i = 0; i < bytes.size(); i += chunk) {
    size_t n = std::min(chunk, bytes.size() - i);
    ASSERT_EQ(send(fd, bytes.data() + i, n, MSG_NOSIGNAL), static_cast<ssize_t>(n));
  }
}

class FpmServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start().ok());
    thread_ = std::thread([this] { server_.Run(); });
  }
  void TearDown() override {
    server_.Stop();
    thread_.join();
  }
  // Polls `cond` under the RIB lock until it holds or 5 s pass.
  bool WaitFor(const std::function<bool()>& cond) {
    for (auto deadline = std::chrono::steady_clock::now() + 5s;
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(5ms)) {
      std::lock_guard lock(mutex_);
      if (cond()) return true;
    }
    return false;
  }

  // Polls server_.status() (which takes the RIB lock itself) until `cond` holds or 5 s pass.
  bool WaitForStatus(const std::function<bool(const FpmSessionStatus&)>& cond) {
    for (auto deadline = std::chrono::steady_clock::now() + 5s;
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(5ms)) {
      if (cond(server_.status())) return true;
    }
    return false;
  }

  std::mutex mutex_;
  Rib rib_;
  FpmState state_{rib_, [](uint32_t i) -> std::optional<std::string> {
                    return "if" + std::to_string(i);
                  }};
  std::atomic<int> notified_{0};
  FpmServer server_{FpmServerOptions{"127.0.0.1", 0, 300ms}, state_, mutex_, [this] { ++notified_; }};
  std::thread thread_;
};

TEST_F(FpmServerTest, IngestsZebraCaptureInSmallReads) {
  int fd = Connect(server_.bound_port());
  SendAll(fd, Capture("zebra-nhg.fpm"), 7);
  const size_t sent = Capture("zebra-nhg.fpm").size();
  EXPECT_TRUE(WaitFor([&] { return rib_.size() == 7 && state_.nexthops() > 0; }));
  // The routes can all be in before the server has read the last chunk (the capture ends with
  // messages that add no route), so wait for the byte count too before reading the status.
  EXPECT_TRUE(WaitForStatus([&](const FpmSessionStatus& st) { return st.bytes >= sent; }));
  FpmSessionStatus s = server_.status();
  EXPECT_TRUE(s.connected);
  EXPECT_EQ(s.connections, 1u);
  EXPECT_EQ(s.bytes, sent);
  EXPECT_GT(s.frames, 20u);
  EXPECT_EQ(s.framing_errors, 0u);
  EXPECT_GT(notified_.load(), 0);
  close(fd);
}

TEST_F(FpmServerTest, FramingErrorClosesConnectionAndKeepsState) {
  int fd = Connect(server_.bound_port());
  SendAll(fd, Capture("zebra-inline.fpm"), 4096);
  ASSERT_TRUE(WaitFor([&] { return rib_.size() == 7; }));
  const std::vector<uint8_t> bad = {1, 1, 0, 2};  // length shorter than the header
  SendAll(fd, bad, bad.size());
  char c;
  EXPECT_EQ(recv(fd, &c, 1, 0), 0);  // the server closed the connection
  close(fd);
  FpmSessionStatus s = server_.status();
  EXPECT_EQ(s.framing_errors, 1u);
  EXPECT_NE(s.last_error.find("length 2"), std::string::npos) << s.last_error;
  std::lock_guard lock(mutex_);
  EXPECT_EQ(rib_.size(), 7u);
}

TEST_F(FpmServerTest, ReconnectSweepsWhatWasNotReplayedAfterTheHold) {
  int fd = Connect(server_.bound_port());
  SendAll(fd, Capture("zebra-inline.fpm"), 4096);
  ASSERT_TRUE(WaitFor([&] { return rib_.size() == 7; }));
  close(fd);
  // zebra comes back and replays only 203.0.113.0/24 (say the rest was withdrawn meanwhile).
  using testing::Frame;
  using testing::RouteBuilder;
  auto mp = testing::Concat({testing::MultipathEntry(5, 0, "10.0.0.2"),
                             testing::MultipathEntry(6, 0, "10.0.1.2")});
  auto replay = Frame({RouteBuilder(false, AF_INET, 24).Addr(RTA_DST, "203.0.113.0")
                           .Attr(RTA_MULTIPATH, mp.data(), mp.size()).Finish()});
  fd = Connect(server_.bound_port());
  SendAll(fd, replay, replay.size());
  ASSERT_TRUE(WaitFor([&] { return state_.stale_routes() == 6; }));
  FpmSessionStatus s = server_.status();
  EXPECT_EQ(s.connections, 2u);
  EXPECT_TRUE(s.sweep_in.has_value());
  EXPECT_EQ(s.stale_hold, 300ms);
  {
    std::lock_guard lock(mutex_);
    EXPECT_EQ(rib_.size(), 7u);  // nothing moves before the hold ends
  }
  EXPECT_TRUE(WaitFor([&] { return rib_.size() == 1; }));
  std::lock_guard lock(mutex_);
  EXPECT_NE(rib_.Find(RouteKey{0, *IpPrefix::Parse("203.0.113.0/24")}), nullptr);
  close(fd);
}

TEST_F(FpmServerTest, NewConnectionReplacesTheOldOne) {
  int first = Connect(server_.bound_port());
  ASSERT_TRUE(WaitForStatus([](const FpmSessionStatus& s) { return s.connections == 1; }));
  int second = Connect(server_.bound_port());
  char c;
  EXPECT_EQ(recv(first, &c, 1, 0), 0);
  EXPECT_TRUE(WaitForStatus([](const FpmSessionStatus& s) {
    return s.connected && s.connections == 2;
  }));
  close(first);
  close(second);
}

// Reads FPM frames from `fd` until `count` were decoded or nothing comes within `timeout`;
// `offload_flags` gets each message's rtm_flags & RTM_F_OFFLOAD.
std::vector<RouteMessage> ReadNotices(int fd, size_t count, std::chrono::milliseconds timeout,
                                      std::vector<bool>* offload_flags = nullptr) {
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  FpmFrameReader reader;
  std::vector<RouteMessage> out;
  uint8_t buf[4096];
  while (out.size() < count) {
    const ssize_t r = recv(fd, buf, sizeof(buf), 0);
    if (r <= 0) break;
    reader.Append(std::span<const uint8_t>(buf, static_cast<size_t>(r)));
    while (true) {
      auto next = reader.Next();
      EXPECT_TRUE(next.ok()) << next.status();
      if (!next.ok() || !next->has_value()) break;
      rtmsg rtm;
      std::memcpy(&rtm, (*next)->data() + NLMSG_HDRLEN, sizeof(rtm));
      if (offload_flags) offload_flags->push_back((rtm.rtm_flags & RTM_F_OFFLOAD) != 0);
      FpmFrame frame;
      EXPECT_TRUE(DecodeFpmFrame(**next, frame).ok());
      for (const FpmMessage& m : frame.messages) out.push_back(std::get<RouteMessage>(m));
    }
  }
  return out;
}

// What a programmer does after writing a batch: confirms the changed routes (or not).
void Program(Rib& rib, std::mutex& mutex, bool ok) {
  std::lock_guard lock(mutex);
  for (const RibChange& c : rib.DrainChanges()) rib.SetProgrammed(c.key, ok && c.action);
}

TEST_F(FpmServerTest, EchoesInstalledRoutesWithOffloadFlagOnTheConnection) {
  using testing::Frame;
  using testing::RouteBuilder;
  int fd = Connect(server_.bound_port());
  auto mp = testing::Concat({testing::MultipathEntry(5, 0, "10.0.0.2"),
                             testing::MultipathEntry(6, 1, "10.0.1.2")});
  auto routes = Frame({RouteBuilder(false, AF_INET, 24).Addr(RTA_DST, "203.0.113.0")
                           .Attr(RTA_MULTIPATH, mp.data(), mp.size()).Finish(),
                       RouteBuilder(false, AF_INET6, 64).Addr(RTA_DST, "2001:db8:7::")
                           .Addr(RTA_GATEWAY, "fe80::2").U32(RTA_OIF, 5).U32(RTA_PRIORITY, 20)
                           .Finish()});
  SendAll(fd, routes, routes.size());
  ASSERT_TRUE(WaitFor([&] { return rib_.size() == 2; }));
  // Nothing is echoed before the data plane has the routes.
  EXPECT_TRUE(ReadNotices(fd, 1, 200ms).empty());

  Program(rib_, mutex_, true);
  server_.NotifyInstalled();
  std::vector<bool> offload;
  std::vector<RouteMessage> got = ReadNotices(fd, 2, 5s, &offload);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(offload, (std::vector<bool>{true, true}));
  // Prefix order (the RIB drains in order): IPv4 before IPv6.
  EXPECT_EQ(got[0].prefix, *IpPrefix::Parse("203.0.113.0/24"));
  ASSERT_EQ(got[0].nexthops.size(), 2u);
  EXPECT_EQ(got[0].nexthops[1], (RouteNexthop{*IpAddress::Parse("10.0.1.2"), 6, 2, false}));
  EXPECT_EQ(got[1].prefix, *IpPrefix::Parse("2001:db8:7::/64"));
  EXPECT_EQ(got[1].priority, 20u);
  EXPECT_EQ(got[1].table, static_cast<uint32_t>(RT_TABLE_MAIN));

  // zebra replays a route that is installed unchanged: echoed at once, no data-plane write.
  auto replay = Frame({RouteBuilder(false, AF_INET, 24).Addr(RTA_DST, "203.0.113.0")
                           .Attr(RTA_MULTIPATH, mp.data(), mp.size()).Finish()});
  SendAll(fd, replay, replay.size());
  got = ReadNotices(fd, 1, 5s);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].prefix, *IpPrefix::Parse("203.0.113.0/24"));

  // A route the data plane refuses is not echoed.
  auto refused = Frame({RouteBuilder(false, AF_INET, 24).Addr(RTA_DST, "198.51.100.0")
                            .Addr(RTA_GATEWAY, "10.0.0.3").U32(RTA_OIF, 5).Finish()});
  SendAll(fd, refused, refused.size());
  ASSERT_TRUE(WaitFor([&] { return rib_.size() == 3; }));
  Program(rib_, mutex_, false);
  server_.NotifyInstalled();
  EXPECT_TRUE(ReadNotices(fd, 1, 300ms).empty());
  FpmSessionStatus s = server_.status();
  EXPECT_EQ(s.offload_notices, 3u);
  EXPECT_EQ(s.offload_notices_dropped, 0u);
  EXPECT_EQ(s.framing_errors, 0u);
  close(fd);
}

TEST(FpmServerStart, RefusesABadAddress) {
  std::mutex m;
  Rib rib;
  FpmState state(rib, [](uint32_t) { return std::nullopt; });
  FpmServer server(FpmServerOptions{"not-an-address", 0, 1s}, state, m, nullptr);
  absl::Status s = server.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("not-an-address"), std::string::npos);
}

}  // namespace
}  // namespace weft::cp::fpm
