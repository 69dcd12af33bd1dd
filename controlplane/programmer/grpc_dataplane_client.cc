#include "controlplane/programmer/grpc_dataplane_client.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

namespace weft::cp {
namespace {

void SetDeadline(grpc::ClientContext& ctx, std::chrono::milliseconds timeout) {
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
}

}  // namespace

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

GrpcDataplaneClient::GrpcDataplaneClient(const std::string& target,
                                         std::chrono::milliseconds timeout)
    : timeout_(timeout) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  // The data plane is local; reconnect quickly after it restarts.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  channel_ = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  switch_ = dpv1::SwitchService::NewStub(channel_);
  routes_ = dpv1::RouteService::NewStub(channel_);
  groups_ = dpv1::NexthopGroupService::NewStub(channel_);
  neighbors_ = dpv1::NeighborService::NewStub(channel_);
  locals_ = dpv1::LocalAddressService::NewStub(channel_);
}

absl::StatusOr<dpv1::GetInfoResponse> GrpcDataplaneClient::GetInfo() {
  grpc::ClientContext ctx;
  SetDeadline(ctx, std::min<std::chrono::milliseconds>(timeout_, std::chrono::seconds(5)));
  dpv1::GetInfoResponse response;
  grpc::Status s = switch_->GetInfo(&ctx, dpv1::GetInfoRequest(), &response);
  if (!s.ok()) return FromGrpc(s);
  return response;
}

absl::Status GrpcDataplaneClient::WriteRoutes(const dpv1::WriteRoutesRequest& request) {
  grpc::ClientContext ctx;
  SetDeadline(ctx, timeout_);
  dpv1::WriteRoutesResponse response;
  return FromGrpc(routes_->WriteRoutes(&ctx, request, &response));
}

absl::Status GrpcDataplaneClient::WriteNexthopGroups(
    const dpv1::WriteNexthopGroupsRequest& request) {
  grpc::ClientContext ctx;
  SetDeadline(ctx, timeout_);
  dpv1::WriteNexthopGroupsResponse response;
  return FromGrpc(groups_->WriteNexthopGroups(&ctx, request, &response));
}

absl::StatusOr<std::vector<dpv1::Route>> GrpcDataplaneClient::ListRoutes(
    const std::string& owner) {
  grpc::ClientContext ctx;
  SetDeadline(ctx, timeout_);
  dpv1::ListRoutesRequest request;
  request.set_owner(owner);
  auto reader = routes_->ListRoutes(&ctx, request);
  std::vector<dpv1::Route> out;
  dpv1::ListRoutesResponse chunk;
  while (reader->Read(&chunk)) {
    for (auto& r : *chunk.mutable_routes()) out.push_back(std::move(r));
  }
  grpc::Status s = reader->Finish();
  if (!s.ok()) return FromGrpc(s);
  return out;
}

absl::StatusOr<std::vector<dpv1::NexthopGroup>> GrpcDataplaneClient::ListNexthopGroups(
    const std::string& owner) {
  grpc::ClientContext ctx;
  SetDeadline(ctx, timeout_);
  dpv1::ListNexthopGroupsRequest request;
  request.set_owner(owner);
  dpv1::ListNexthopGroupsResponse response;
  grpc::Status s = groups_->ListNexthopGroups(&ctx, request, &response);
  if (!s.ok()) return FromGrpc(s);
  return std::vector<dpv1::NexthopGroup>(response.groups().begin(), response.groups().end());
}

absl::Status GrpcDataplaneClient::WriteNeighbors(const dpv1::WriteNeighborsRequest& request) {
  grpc::ClientContext ctx;
  SetDeadline(ctx, timeout_);
  dpv1::WriteNeighborsResponse response;
  return FromGrpc(neighbors_->WriteNeighbors(&ctx, request, &response));
}

absl::StatusOr<std::vector<dpv1::Neighbor>> GrpcDataplaneClient::ListNeighbors(
    const std::string& owner) {
  grpc::ClientContext ctx;
  SetDeadline(ctx, timeout_);
  dpv1::ListNeighborsRequest request;
  request.set_owner(owner);
  dpv1::ListNeighborsResponse response;
  grpc::Status s = neighbors_->ListNeighbors(&ctx, request, &response);
  if (!s.ok()) return FromGrpc(s);
  return std::vector<dpv1::Neighbor>(response.neighbors().begin(), response.neighbors().end());
}

absl::Status GrpcDataplaneClient::WriteLocalAddresses(
    const dpv1::WriteLocalAddressesRequest& request) {
  grpc::ClientContext ctx;
  SetDeadline(ctx, timeout_);
  dpv1::WriteLocalAddressesResponse response;
  return FromGrpc(locals_->WriteLocalAddresses(&ctx, request, &response));
}

absl::StatusOr<std::vector<dpv1::LocalAddress>> GrpcDataplaneClient::ListLocalAddresses(
    const std::string& owner) {
  grpc::ClientContext ctx;
  SetDeadline(ctx, timeout_);
  dpv1::ListLocalAddressesResponse response;
  grpc::Status s = locals_->ListLocalAddresses(&ctx, dpv1::ListLocalAddressesRequest(), &response);
  if (!s.ok()) return FromGrpc(s);
  std::vector<dpv1::LocalAddress> out;
  for (const auto& a : response.local_addresses()) {
    if (a.owner() == owner) out.push_back(a);
  }
  return out;
}

}  // namespace weft::cp
