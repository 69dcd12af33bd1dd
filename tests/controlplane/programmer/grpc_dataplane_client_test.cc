// GrpcDataplaneClient over a real gRPC server on a unix socket in a temp dir. The server side is
// a thin test service over the FakeDataplane, so this tests the client's wire handling (status
// codes, streamed listing in chunks, unreachable server) and the programmer end to end over gRPC.
#include "controlplane/programmer/grpc_dataplane_client.h"

#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include "controlplane/programmer/programmer.h"
#include "tests/controlplane/programmer/fake_dataplane.h"

namespace weft::cp {
namespace {

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

class TestSwitch : public dpv1::SwitchService::Service {
 public:
  explicit TestSwitch(testing::FakeDataplane& dp) : dp_(dp) {}
  grpc::Status GetInfo(grpc::ServerContext*, const dpv1::GetInfoRequest*,
                       dpv1::GetInfoResponse* out) override {
    auto r = dp_.GetInfo();
    if (r.ok()) *out = *r;
    return ToGrpc(r.status());
  }
  testing::FakeDataplane& dp_;
};

class TestRoutes : public dpv1::RouteService::Service {
 public:
  explicit TestRoutes(testing::FakeDataplane& dp) : dp_(dp) {}
  grpc::Status WriteRoutes(grpc::ServerContext*, const dpv1::WriteRoutesRequest* req,
                           dpv1::WriteRoutesResponse*) override {
    return ToGrpc(dp_.WriteRoutes(*req));
  }
  grpc::Status ListRoutes(grpc::ServerContext*, const dpv1::ListRoutesRequest* req,
                          grpc::ServerWriter<dpv1::ListRoutesResponse>* writer) override {
    auto routes = dp_.ListRoutes(req->owner());
    if (!routes.ok()) return ToGrpc(routes.status());
    dpv1::ListRoutesResponse chunk;  // chunks of 2 so the client must join several messages
    for (const auto& r : *routes) {
      *chunk.add_routes() = r;
      if (chunk.routes_size() == 2) {
        writer->Write(chunk);
        chunk.Clear();
      }
    }
    if (chunk.routes_size() > 0) writer->Write(chunk);
    return grpc::Status::OK;
  }
  testing::FakeDataplane& dp_;
};

class TestGroups : public dpv1::NexthopGroupService::Service {
 public:
  explicit TestGroups(testing::FakeDataplane& dp) : dp_(dp) {}
  grpc::Status WriteNexthopGroups(grpc::ServerContext*, const dpv1::WriteNexthopGroupsRequest* req,
                                  dpv1::WriteNexthopGroupsResponse*) override {
    return ToGrpc(dp_.WriteNexthopGroups(*req));
  }
  grpc::Status ListNexthopGroups(grpc::ServerContext*, const dpv1::ListNexthopGroupsRequest* req,
                                 dpv1::ListNexthopGroupsResponse* out) override {
    auto groups = dp_.ListNexthopGroups(req->owner());
    if (!groups.ok()) return ToGrpc(groups.status());
    for (const auto& g : *groups) *out->add_groups() = g;
    return grpc::Status::OK;
  }
  testing::FakeDataplane& dp_;
};

class GrpcDataplaneClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/weftd-grpc-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    target_ = "unix:" + dir_ + "/dataplane.sock";
    grpc::ServerBuilder b;
    b.AddListeningPort(target_, grpc::InsecureServerCredentials());
    b.RegisterService(&switch_);
    b.RegisterService(&routes_);
    b.RegisterService(&groups_);
    server_ = b.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
    unlink((dir_ + "/dataplane.sock").c_str());
    rmdir(dir_.c_str());
  }

  testing::FakeDataplane dp_;
  TestSwitch switch_{dp_};
  TestRoutes routes_{dp_};
  TestGroups groups_{dp_};
  std::unique_ptr<grpc::Server> server_;
  std::string dir_, target_;
};

RouteKey K(const char* p) { return RouteKey{0, *IpPrefix::Parse(p)}; }

TEST_F(GrpcDataplaneClientTest, ProgrammerOverGrpcAndRestartWithoutChurn) {
  std::mutex mutex;
  Rib rib;
  for (int i = 0; i < 5; ++i) {
    std::string p = "10." + std::to_string(i) + ".0.0/16";
    rib.Set(RouteSource::kFpm, K(p.c_str()),
            MakeForward({{"Ethernet0", *IpAddress::Parse("10.255.0.1"), 1},
                         {"Ethernet4", *IpAddress::Parse("fe80::1"), 2}}));
  }
  GrpcDataplaneClient client(target_);
  Programmer programmer(rib, mutex, client);
  ASSERT_TRUE(programmer.Sync().ok()) << programmer.counters().last_error;
  EXPECT_EQ(dp_.routes.size(), 5u);
  EXPECT_EQ(dp_.groups.size(), 1u);
  auto listed = client.ListRoutes("weftd");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 5u);  // joined from three streamed chunks
  const int writes = dp_.TotalRouteWrites();
  Programmer restarted(rib, mutex, client);
  ASSERT_TRUE(restarted.Sync().ok());
  EXPECT_EQ(dp_.TotalRouteWrites(), writes);
  EXPECT_EQ(restarted.counters().route_unchanged, 5u);
}

TEST_F(GrpcDataplaneClientTest, CodesAndMessagesCrossTheWire) {
  GrpcDataplaneClient client(target_);
  dpv1::WriteRoutesRequest req;
  req.set_owner("weftd");
  auto* w = req.add_writes();
  w->set_op(dpv1::WRITE_OP_REPLACE);
  *w->mutable_route() = ToProtoRoute(K("10.0.0.0/8"), {RouteAction::Kind::kForward,
                                     {{"Ethernet99", *IpAddress::Parse("10.0.0.1"), 1}}}, 0);
  absl::Status s = client.WriteRoutes(req);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("nexthop.port"), std::string::npos);
}

TEST(GrpcDataplaneClientUnreachable, IsATransportError) {
  GrpcDataplaneClient client("unix:/tmp/weftd-no-such-dir/none.sock", std::chrono::seconds(2));
  auto info = client.GetInfo();
  ASSERT_FALSE(info.ok());
  EXPECT_TRUE(IsTransportError(info.status())) << info.status();
}

}  // namespace
}  // namespace weft::cp
