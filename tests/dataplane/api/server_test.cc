// Where the API listens: unix sockets and loopback only, stale sockets removed, live ones and
// unbindable addresses refused with a message naming the address.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/dataplane/api/api_fixture.h"

namespace weft::dp::testing {
namespace {

using absl::StatusCode;

TEST(CheckListenAddressTest, LocalAddressesOnly) {
  for (const char* ok :
       {"unix:/run/weft/leaf1/dataplane.sock", "unix:///tmp/x.sock", "unix:rel.sock", "127.0.0.1:0",
        "127.1.2.3:50051", "[::1]:0", "localhost:50051", "ipv4:127.0.0.1:9"}) {
    EXPECT_TRUE(CheckListenAddress(ok).ok()) << ok << ": " << CheckListenAddress(ok);
  }
  struct Bad {
    std::string address, in_message;
  };
  for (const Bad& bad : std::vector<Bad>{{"0.0.0.0:50051", "TLS is not implemented"},
                                         {"10.0.0.1:50051", "not a local address"},
                                         {"[::]:50051", "not a local address"},
                                         {"example.com:1", "not a local address"},
                                         {"", "empty"},
                                         {"unix:", "no socket path"},
                                         {"127.0.0.1", "HOST:PORT"},
                                         {"127.0.0.1:99999", "port \"99999\""},
                                         {"127.0.0.1:http", "port \"http\""},
                                         {"unix:/" + std::string(120, 'x'), "longer than"}}) {
    absl::Status s = CheckListenAddress(bad.address);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad.address;
    EXPECT_NE(s.message().find(bad.in_message), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(bad.address), std::string::npos) << s.message();
  }
}

class ServerTest : public ApiTest {
 protected:
  absl::StatusOr<std::unique_ptr<DataplaneApi>> Start(const std::string& address) {
    return StartDataplaneApi(sw_, *controller_, address);
  }
  static bool Reachable(const std::string& target) {
    auto stub =
        pb::SwitchService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
    pb::GetInfoResponse info;
    return stub->GetInfo(Ctx(5).get(), {}, &info).ok() && info.instance() == "leaf1";
  }
};

TEST_F(ServerTest, NonLocalTcpIsRefused) {
  auto api = Start("0.0.0.0:0");
  ASSERT_FALSE(api.ok());
  EXPECT_EQ(api.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(api.status().message().find("TLS"), std::string::npos) << api.status();
}

TEST_F(ServerTest, LoopbackTcpOnPortZeroReportsItsPort) {
  auto api = Start("127.0.0.1:0");
  ASSERT_TRUE(api.ok()) << api.status();
  const int port = (*api)->bound_port();
  ASSERT_GT(port, 0);
  EXPECT_TRUE(Reachable("127.0.0.1:" + std::to_string(port)));

  // The same port again cannot be bound: a clear error, not a second listener.
  auto again = Start("127.0.0.1:" + std::to_string(port));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(again.status().message().find(std::to_string(port)), std::string::npos);
}

TEST_F(ServerTest, StaleSocketIsReplacedLiveOneIsNot) {
  const std::string path = dir_ + "/stale/dp.sock";
  std::filesystem::create_directories(dir_ + "/stale");
  // A socket file nobody listens on, as a crashed weft-dataplane leaves behind.
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof(sun)), 0);
  close(fd);
  ASSERT_TRUE(std::filesystem::is_socket(path));

  auto api = Start("unix:" + path);
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ((*api)->bound_port(), 0);
  EXPECT_TRUE(Reachable("unix:" + path));

  // The live socket of the running server is left alone.
  auto second = Start("unix:" + path);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("another process"), std::string::npos)
      << second.status();
  EXPECT_TRUE(Reachable("unix:" + path));

  // Shutdown removes the socket file.
  (*api)->Shutdown();
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(ServerTest, PathThatIsNotASocketIsRefused) {
  const std::string path = dir_ + "/file";
  std::ofstream(path) << "not a socket";
  auto api = Start("unix:" + path);
  ASSERT_FALSE(api.ok());
  EXPECT_NE(api.status().message().find("is not a socket"), std::string::npos) << api.status();
  EXPECT_TRUE(std::filesystem::is_regular_file(path)) << "a regular file was removed";
}

TEST_F(ServerTest, InstanceWithoutEventHubIsRefused) {
  sw_.events = nullptr;
  auto api = Start("unix:" + dir_ + "/other.sock");
  ASSERT_FALSE(api.ok());
  EXPECT_EQ(api.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(api.status().message().find("event hub"), std::string::npos) << api.status();
  sw_.events = &events_;
}

TEST_F(ServerTest, LargeBatchesFitTheReceiveLimit) {
  // A full batch above gRPC's 4 MB default receive limit. Route.owner is ignored on writes (the
  // request's owner counts); here it pads the message past 4 MB.
  pb::WriteRoutesRequest request;
  request.set_owner("fib");
  for (uint32_t i = 0; i < kMaxBatchEntries; ++i) {
    *request.add_writes() = RouteVia(
        pb::WRITE_OP_ADD, "10." + std::to_string(i >> 8) + "." + std::to_string(i & 255) + ".0/24",
        "Ethernet0", "fe80::1234:5678:9abc:def0");
    request.mutable_writes(i)->mutable_route()->set_owner("ignored on writes");
  }
  ASSERT_GT(request.ByteSizeLong(), 4u << 20);
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(-1);
  args.SetMaxReceiveMessageSize(-1);
  auto stub = pb::RouteService::NewStub(grpc::CreateCustomChannel(
      "unix:" + dir_ + "/run/leaf1/dataplane.sock", grpc::InsecureChannelCredentials(), args));
  pb::WriteRoutesResponse response;
  const auto start = std::chrono::steady_clock::now();
  grpc::Status s = stub->WriteRoutes(Ctx(60).get(), request, &response);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(s.ok()) << s.error_message();
  std::printf("WriteRoutes of %u IPv4 routes (%zu bytes) over a unix socket: %.0f ms\n",
              kMaxBatchEntries, request.ByteSizeLong(),
              std::chrono::duration<double, std::milli>(elapsed).count());
  EXPECT_EQ(response.results_size(), static_cast<int>(kMaxBatchEntries));
  const auto listed = ListAllRoutes("fib");
  EXPECT_EQ(listed.size(), kMaxBatchEntries) << "the request's owner counts, not the entry's";
}

}  // namespace
}  // namespace weft::dp::testing
