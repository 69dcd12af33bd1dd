#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dataplane/api/batch.h"
#include "dataplane/api/convert.h"
#include "dataplane/api/services.h"

namespace weft::dp::api {

Status RouteServiceImpl::WriteRoutes(ServerContext*, const pb::WriteRoutesRequest* request,
                                     pb::WriteRoutesResponse* response) {
  std::vector<RouteWrite> writes;
  std::vector<absl::Status> results;
  absl::Status status = ConvertBatch(
      request->owner(), request->writes(),
      [this](const pb::RouteWrite& w, const std::string& field) {
        return RouteWriteFromProto(w, ports_, field);
      },
      &writes, &results);
  if (status.ok()) {
    results.clear();
    status = tables_.WriteRoutes(request->owner(), writes, &results);
  }
  return BatchReply(status, std::move(results), request->writes_size(), response);
}

Status RouteServiceImpl::ListRoutes(ServerContext* context, const pb::ListRoutesRequest* request,
                                    grpc::ServerWriter<pb::ListRoutesResponse>* writer) {
  if (request->chunk_size() > kMaxListChunk) {
    return Status(grpc::StatusCode::INVALID_ARGUMENT,
                  absl::StrCat("chunk_size: ", request->chunk_size(), " exceeds ", kMaxListChunk));
  }
  const uint32_t chunk = request->chunk_size() ? request->chunk_size() : kDefaultListChunk;
  // Copy the matching entries out first: the visit runs under the tables' writer lock, and a slow
  // client must not hold up route programming while it reads.
  std::vector<RouteEntry> routes;
  tables_.ListRoutes([&](const RouteEntry& r) {
    if (!request->owner().empty() && r.owner != request->owner()) return true;
    if (request->has_table_id() && r.table_id != request->table_id()) return true;
    routes.push_back(r);
    return true;
  });
  for (size_t start = 0; start < routes.size(); start += chunk) {
    if (context->IsCancelled()) return Status::CANCELLED;
    pb::ListRoutesResponse response;
    const size_t end = std::min(routes.size(), start + chunk);
    response.mutable_routes()->Reserve(static_cast<int>(end - start));
    for (size_t i = start; i < end; ++i) RouteToProto(routes[i], ports_, response.add_routes());
    if (!writer->Write(response)) return Status::CANCELLED;
  }
  return Status::OK;
}

Status RouteServiceImpl::LookupRoute(ServerContext*, const pb::LookupRouteRequest* request,
                                     pb::LookupRouteResponse* response) {
  auto address = AddressFromProto(request->address(), "address");
  if (!address.ok()) return ToGrpcStatus(address.status());
  std::optional<RouteEntry> route = tables_.LookupRoute(request->table_id(), *address);
  response->set_found(route.has_value());
  if (route) RouteToProto(*route, ports_, response->mutable_route());
  return Status::OK;
}

}  // namespace weft::dp::api
