#include <chrono>

#include "dataplane/api/api_version.h"
#include "dataplane/api/batch.h"
#include "dataplane/api/convert.h"
#include "dataplane/api/services.h"

namespace weft::dp::api {

// How often a waiting StreamEvents call looks at cancellation and shutdown.
constexpr std::chrono::milliseconds kStreamPoll{100};

Status SwitchServiceImpl::GetInfo(ServerContext*, const pb::GetInfoRequest*,
                                  pb::GetInfoResponse* response) {
  response->set_instance(identity_.instance);
  response->set_boot_epoch(identity_.boot_epoch);
  response->set_version(kWeftVersion);
  response->set_max_batch_entries(kMaxBatchEntries);
  return Status::OK;
}

Status SwitchServiceImpl::SetHashConfig(ServerContext*, const pb::SetHashConfigRequest* request,
                                        pb::SetHashConfigResponse*) {
  auto config = HashConfigFromProto(*request);
  if (!config.ok()) return ToGrpcStatus(config.status());
  return ToGrpcStatus(tables_.SetHashConfig(*config));
}

Status SwitchServiceImpl::StreamEvents(ServerContext* context, const pb::StreamEventsRequest*,
                                       grpc::ServerWriter<pb::Event>* writer) {
  auto subscription = events_.Subscribe();
  // Tell the client the subscription is live (initial metadata), so that it knows every event
  // published from now on will reach it.
  writer->SendInitialMetadata();
  pb::Event event;
  while (!stopping_.load() && !context->IsCancelled()) {
    switch (subscription->Next(&event, kStreamPoll)) {
      case EventHub::Subscription::Result::kEvent:
        if (!writer->Write(event)) return Status::OK;  // the client went away
        break;
      case EventHub::Subscription::Result::kTimeout:
        break;
      case EventHub::Subscription::Result::kClosed:
        return Status(grpc::StatusCode::UNAVAILABLE, "event stream closed: server shutting down");
    }
  }
  if (stopping_.load()) {
    return Status(grpc::StatusCode::UNAVAILABLE, "event stream closed: server shutting down");
  }
  return Status::CANCELLED;
}

}  // namespace weft::dp::api
