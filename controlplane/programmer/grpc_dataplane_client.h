// DataplaneClient over gRPC to weft-dataplane's Dataplane API (a unix socket by default).
#pragma once

#include <grpcpp/channel.h>

#include <chrono>
#include <memory>
#include <string>

#include "controlplane/programmer/dataplane_client.h"
#include "weft/dataplane/v1/dataplane.grpc.pb.h"

namespace weft::cp {

class GrpcDataplaneClient : public DataplaneClient {
 public:
  // `target` is a gRPC target: "unix:/run/weft/leaf1/dataplane.sock" or "127.0.0.1:50051".
  explicit GrpcDataplaneClient(const std::string& target,
                               std::chrono::milliseconds timeout = std::chrono::seconds(30));

  absl::StatusOr<dpv1::GetInfoResponse> GetInfo() override;
  absl::Status WriteRoutes(const dpv1::WriteRoutesRequest& request) override;
  absl::Status WriteNexthopGroups(const dpv1::WriteNexthopGroupsRequest& request) override;
  absl::StatusOr<std::vector<dpv1::Route>> ListRoutes(const std::string& owner) override;
  absl::StatusOr<std::vector<dpv1::NexthopGroup>> ListNexthopGroups(
      const std::string& owner) override;
  absl::Status WriteNeighbors(const dpv1::WriteNeighborsRequest& request) override;
  absl::StatusOr<std::vector<dpv1::Neighbor>> ListNeighbors(const std::string& owner) override;
  absl::Status WriteLocalAddresses(const dpv1::WriteLocalAddressesRequest& request) override;
  absl::StatusOr<std::vector<dpv1::LocalAddress>> ListLocalAddresses(
      const std::string& owner) override;

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<dpv1::SwitchService::Stub> switch_;
  std::unique_ptr<dpv1::RouteService::Stub> routes_;
  std::unique_ptr<dpv1::NexthopGroupService::Stub> groups_;
  std::unique_ptr<dpv1::NeighborService::Stub> neighbors_;
  std::unique_ptr<dpv1::LocalAddressService::Stub> locals_;
  std::chrono::milliseconds timeout_;
};

// gRPC status -> absl::Status (the canonical codes are the same numbers).
absl::Status FromGrpc(const grpc::Status& s);

}  // namespace weft::cp
