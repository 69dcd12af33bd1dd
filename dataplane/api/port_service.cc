#include "absl/strings/str_cat.h"
#include "dataplane/api/batch.h"
#include "dataplane/api/convert.h"
#include "dataplane/api/services.h"

namespace weft::dp::api {

Status PortServiceImpl::ListPorts(ServerContext*, const pb::ListPortsRequest* request,
                                  pb::ListPortsResponse* response) {
  if (request->names().empty()) {
    for (uint16_t i = 0; i < ports_.size(); ++i) PortToProto(ports_.at(i), response->add_ports());
    return Status::OK;
  }
  for (int i = 0; i < request->names_size(); ++i) {
    auto index = PortIndexFromName(ports_, request->names(i), absl::StrCat("names[", i, "]"));
    if (!index.ok()) return ToGrpcStatus(index.status());
    PortToProto(ports_.at(*index), response->add_ports());
  }
  return Status::OK;
}

Status PortServiceImpl::SetPortAdminState(ServerContext*,
                                          const pb::SetPortAdminStateRequest* request,
                                          pb::SetPortAdminStateResponse*) {
  auto index = PortIndexFromName(ports_, request->port(), "port");
  if (!index.ok()) return ToGrpcStatus(index.status());
  return ToGrpcStatus(controller_.SetAdminState(*index, request->admin_up()));
}

Status PortServiceImpl::SetPortMtu(ServerContext*, const pb::SetPortMtuRequest* request,
                                   pb::SetPortMtuResponse*) {
  auto index = PortIndexFromName(ports_, request->port(), "port");
  if (!index.ok()) return ToGrpcStatus(index.status());
  if (request->mtu() < kMinPortMtu || request->mtu() > kMaxMtu) {
    return Status(grpc::StatusCode::INVALID_ARGUMENT,
                  absl::StrCat("mtu: ", request->mtu(), " outside ", kMinPortMtu, "..", kMaxMtu));
  }
  return ToGrpcStatus(controller_.SetMtu(*index, request->mtu()));
}

}  // namespace weft::dp::api
