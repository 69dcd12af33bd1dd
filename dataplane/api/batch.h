// The all-or-nothing batch convention shared by every Write* RPC (dataplane.proto, top comment):
// request checks (owner, batch size), per-entry conversion, and the gRPC reply that carries the
// per-entry results both in the response and, on failure, in the status' error details.
#pragma once

#include <grpcpp/support/status.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "dataplane/tables/forwarding_tables.h"
#include "google/protobuf/repeated_field.h"

namespace weft::dp::api {

// absl and gRPC share the canonical code numbering.
inline grpc::Status ToGrpcStatus(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

// Owner and size checks that apply to the request as a whole.
absl::Status CheckBatchRequest(const std::string& owner, int entries);

// Converts every entry with `convert(entry, "writes[i]")`. If any fails, `results` holds each bad
// entry's error and ABORTED for the others, and the first error is returned; `out` is then
// meaningless. A request-level error (owner, size) is given to every entry.
template <class PbWrite, class DpWrite, class Convert>
absl::Status ConvertBatch(const std::string& owner,
                          const google::protobuf::RepeatedPtrField<PbWrite>& writes,
                          Convert&& convert, std::vector<DpWrite>* out,
                          std::vector<absl::Status>* results) {
  results->assign(writes.size(), absl::OkStatus());
  absl::Status request = CheckBatchRequest(owner, writes.size());
  if (!request.ok()) {
    // Never serialise 65k+ copies of the same complaint: an oversized batch gets none.
    if (writes.size() > static_cast<int>(kMaxBatchEntries)) results->clear();
    for (absl::Status& r : *results) r = request;
    return request;
  }
  out->clear();
  out->reserve(writes.size());
  absl::Status first;
  for (int i = 0; i < writes.size(); ++i) {
    auto converted = convert(writes.Get(i), absl::StrCat("writes[", i, "]"));
    if (converted.ok()) {
      if (first.ok()) out->push_back(*std::move(converted));
      continue;
    }
    (*results)[i] = converted.status();
    if (first.ok()) first = converted.status();
  }
  if (first.ok()) return first;
  for (absl::Status& r : *results) {
    if (r.ok()) r = absl::AbortedError("not applied: another entry was refused");
  }
  return first;
}

// Error details must stay well inside gRPC's default 8 KB limit on received metadata (they travel
// base64-encoded in the trailers), or the client sees a metadata error instead of our status.
inline constexpr size_t kMaxErrorDetailsBytes = 3000;

// Fills response->results (OK per entry) and returns OK, or returns `status` with the per-entry
// results as error details: all of them if they fit, else only the failed entries that fit.
// `results` may be shorter than `entries` (a request-level error): missing ones get `status`.
template <class Response>
grpc::Status BatchReply(const absl::Status& status, std::vector<absl::Status> results, int entries,
                        Response* response) {
  response->clear_results();
  if (status.ok()) {
    // Success means every entry applied: report OK per entry whatever the tables filled in.
    for (int i = 0; i < entries; ++i) response->add_results()->set_index(i);
    return grpc::Status::OK;
  }
  if (entries <= static_cast<int>(kMaxBatchEntries) &&
      results.size() < static_cast<size_t>(entries)) {
    results.resize(entries, status);
  }
  Response details;
  bool fits = true;
  for (size_t i = 0; i < results.size() && fits; ++i) {
    absl::Status& r = results[i];
    // Nothing of a rejected batch was applied, whatever a table says of its good entries.
    if (r.ok()) r = absl::AbortedError("not applied: another entry was refused");
    auto* out = details.add_results();
    out->set_code(static_cast<int32_t>(r.code()));
    out->set_message(std::string(r.message()));
    out->set_index(static_cast<uint32_t>(i));
    fits = details.ByteSizeLong() <= kMaxErrorDetailsBytes;
  }
  if (!fits) {
    details.clear_results();
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].code() == absl::StatusCode::kAborted) continue;
      auto* out = details.add_results();
      out->set_code(static_cast<int32_t>(results[i].code()));
      out->set_message(std::string(results[i].message()));
      out->set_index(static_cast<uint32_t>(i));
      if (details.ByteSizeLong() > kMaxErrorDetailsBytes) {
        details.mutable_results()->RemoveLast();
        break;
      }
    }
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      details.SerializeAsString());
}

}  // namespace weft::dp::api
