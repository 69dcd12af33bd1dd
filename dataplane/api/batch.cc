#include "dataplane/api/batch.h"

namespace weft::dp::api {

absl::Status CheckBatchRequest(const std::string& owner, int entries) {
  if (owner.empty()) {
    return absl::InvalidArgumentError("owner: required (the client id that owns the entries)");
  }
  if (entries > static_cast<int>(kMaxBatchEntries)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "writes: ", entries, " entries exceed the limit of ", kMaxBatchEntries, " per batch"));
  }
  return absl::OkStatus();
}

}  // namespace weft::dp::api
