// The narrow slice of the Dataplane API the programmer uses, so it can be unit-tested against an
// in-process fake and run against weft-dataplane over gRPC (GrpcDataplaneClient).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "weft/dataplane/v1/dataplane.pb.h"

namespace weft::cp {

namespace dpv1 = ::weft::dataplane::v1;

class DataplaneClient {
 public:
  virtual ~DataplaneClient() = default;
  // UNAVAILABLE (or DEADLINE_EXCEEDED) when the data plane cannot be reached; the programmer then
  // re-lists everything once it is back.
  virtual absl::StatusOr<dpv1::GetInfoResponse> GetInfo() = 0;
  // All-or-nothing batches: an error means nothing of the batch was applied.
  virtual absl::Status WriteRoutes(const dpv1::WriteRoutesRequest& request) = 0;
  virtual absl::Status WriteNexthopGroups(const dpv1::WriteNexthopGroupsRequest& request) = 0;
  virtual absl::StatusOr<std::vector<dpv1::Route>> ListRoutes(const std::string& owner) = 0;
  virtual absl::StatusOr<std::vector<dpv1::NexthopGroup>> ListNexthopGroups(
      const std::string& owner) = 0;
  virtual absl::Status WriteNeighbors(const dpv1::WriteNeighborsRequest& request) = 0;
  virtual absl::StatusOr<std::vector<dpv1::Neighbor>> ListNeighbors(const std::string& owner) = 0;
  virtual absl::Status WriteLocalAddresses(const dpv1::WriteLocalAddressesRequest& request) = 0;
  // Only the entries of `owner`.
  virtual absl::StatusOr<std::vector<dpv1::LocalAddress>> ListLocalAddresses(
      const std::string& owner) = 0;
};

// True for errors that say nothing about the entries (the data plane was not reached).
inline bool IsTransportError(const absl::Status& s) {
  return s.code() == absl::StatusCode::kUnavailable ||
         s.code() == absl::StatusCode::kDeadlineExceeded ||
         s.code() == absl::StatusCode::kCancelled;
}

}  // namespace weft::cp
