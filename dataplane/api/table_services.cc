// The write/list services of next-hop groups, neighbours and local addresses: same batch shape.
#include <vector>

#include "dataplane/api/batch.h"
#include "dataplane/api/convert.h"
#include "dataplane/api/services.h"

namespace weft::dp::api {

Status NexthopGroupServiceImpl::WriteNexthopGroups(ServerContext*,
                                                   const pb::WriteNexthopGroupsRequest* request,
                                                   pb::WriteNexthopGroupsResponse* response) {
  std::vector<GroupWrite> writes;
  std::vector<absl::Status> results;
  absl::Status status = ConvertBatch(
      request->owner(), request->writes(),
      [this](const pb::NexthopGroupWrite& w, const std::string& field) {
        return GroupWriteFromProto(w, ports_, field);
      },
      &writes, &results);
  if (status.ok()) {
    results.clear();
    status = tables_.WriteGroups(request->owner(), writes, &results);
  }
  return BatchReply(status, std::move(results), request->writes_size(), response);
}

Status NexthopGroupServiceImpl::ListNexthopGroups(ServerContext*,
                                                  const pb::ListNexthopGroupsRequest* request,
                                                  pb::ListNexthopGroupsResponse* response) {
  for (const GroupEntry& g : tables_.ListGroups()) {
    if (!request->owner().empty() && g.owner != request->owner()) continue;
    GroupToProto(g, ports_, response->add_groups());
  }
  return Status::OK;
}

Status NeighborServiceImpl::WriteNeighbors(ServerContext*, const pb::WriteNeighborsRequest* request,
                                           pb::WriteNeighborsResponse* response) {
  std::vector<NeighborWrite> writes;
  std::vector<absl::Status> results;
  absl::Status status = ConvertBatch(
      request->owner(), request->writes(),
      [this](const pb::NeighborWrite& w, const std::string& field) {
        return NeighborWriteFromProto(w, ports_, field);
      },
      &writes, &results);
  if (status.ok()) {
    results.clear();
    status = tables_.WriteNeighbors(request->owner(), writes, &results);
  }
  return BatchReply(status, std::move(results), request->writes_size(), response);
}

Status NeighborServiceImpl::ListNeighbors(ServerContext*, const pb::ListNeighborsRequest* request,
                                          pb::ListNeighborsResponse* response) {
  for (const NeighborEntry& n : tables_.ListNeighbors()) {
    if (!request->owner().empty() && n.owner != request->owner()) continue;
    NeighborToProto(n, ports_, response->add_neighbors());
  }
  return Status::OK;
}

Status LocalAddressServiceImpl::WriteLocalAddresses(ServerContext*,
                                                    const pb::WriteLocalAddressesRequest* request,
                                                    pb::WriteLocalAddressesResponse* response) {
  std::vector<LocalAddressWrite> writes;
  std::vector<absl::Status> results;
  absl::Status status = ConvertBatch(
      request->owner(), request->writes(),
      [this](const pb::LocalAddressWrite& w, const std::string& field) {
        return LocalAddressWriteFromProto(w, ports_, field);
      },
      &writes, &results);
  if (status.ok()) {
    results.clear();
    status = tables_.WriteLocalAddresses(request->owner(), writes, &results);
  }
  return BatchReply(status, std::move(results), request->writes_size(), response);
}

Status LocalAddressServiceImpl::ListLocalAddresses(ServerContext*,
                                                   const pb::ListLocalAddressesRequest*,
                                                   pb::ListLocalAddressesResponse* response) {
  for (const LocalAddressEntry& l : tables_.ListLocalAddresses()) {
    LocalAddressToProto(l, ports_, response->add_local_addresses());
  }
  return Status::OK;
}

}  // namespace weft::dp::api
