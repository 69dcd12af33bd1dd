// A real Dataplane API server on a unix socket in a temp dir, in front of one switch instance with
// three ports, and client stubs over a real gRPC channel.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/api/event_hub.h"
#include "dataplane/api/port_controller.h"
#include "dataplane/api/server.h"
#include "dataplane/runtime/switch_instance.h"
#include "weft/dataplane/v1/dataplane.grpc.pb.h"

namespace weft::dp::testing {

namespace pb = ::weft::dataplane::v1;

// Records calls and applies them to the Port as the real controller would; can be told to fail.
class FakePortController final : public PortController {
 public:
  FakePortController(SwitchInstance& sw) : sw_(sw) {}
  absl::Status SetAdminState(uint16_t port, bool up) override;
  absl::Status SetMtu(uint16_t port, uint32_t mtu) override;

  absl::Status fail_with;  // returned (and nothing done) when not OK
  std::vector<std::pair<uint16_t, uint32_t>> mtu_calls;
  std::vector<std::pair<uint16_t, bool>> admin_calls;

 private:
  SwitchInstance& sw_;
};

// Members are public so that table-driven cases (lambdas taking ApiTest&) can use them.
class ApiTest : public ::testing::Test {
 public:
  void SetUp() override;
  void TearDown() override;

  // Builders for request entries.
  static pb::IpPrefix Prefix(const std::string& text);  // "10.0.0.0/8", "2001:db8::/32"
  static pb::IpAddress Address(const std::string& text);
  static pb::RouteWrite RouteVia(pb::WriteOp op, const std::string& prefix, const std::string& port,
                                 const std::string& nexthop);
  static pb::RouteWrite RouteToGroup(pb::WriteOp op, const std::string& prefix, uint32_t group);

  grpc::Status Write(const std::string& owner, std::vector<pb::RouteWrite> writes,
                     pb::WriteRoutesResponse* response = nullptr);
  std::vector<pb::Route> ListAllRoutes(const std::string& owner = "", uint32_t chunk = 0,
                                       int* chunks = nullptr);

  std::string dir_;
  SwitchInstance sw_;
  EventHub events_;
  std::unique_ptr<FakePortController> controller_;
  std::unique_ptr<DataplaneApi> api_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::SwitchService::Stub> switch_;
  std::unique_ptr<pb::PortService::Stub> ports_;
  std::unique_ptr<pb::RouteService::Stub> routes_;
  std::unique_ptr<pb::NexthopGroupService::Stub> groups_;
  std::unique_ptr<pb::NeighborService::Stub> neighbors_;
  std::unique_ptr<pb::LocalAddressService::Stub> locals_;
  std::unique_ptr<pb::CounterService::Stub> counters_;
};

// Deadline for every test RPC: a hung server fails the test instead of hanging it.
std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 10);

}  // namespace weft::dp::testing
