#include "controlplane/api/routing_service.h"

namespace weft::cp {
namespace {

namespace rv1 = weft::routing::v1;

rv1::RouteSource ToProto(RouteSource s) {
  switch (s) {
    case RouteSource::kConnected: return rv1::ROUTE_SOURCE_CONNECTED;
    case RouteSource::kLocal: return rv1::ROUTE_SOURCE_LOCAL;
    case RouteSource::kNeighbor: return rv1::ROUTE_SOURCE_NEIGHBOR;
    case RouteSource::kStatic: return rv1::ROUTE_SOURCE_STATIC;
    case RouteSource::kFpm: return rv1::ROUTE_SOURCE_FPM;
    case RouteSource::kCount: break;
  }
  return rv1::ROUTE_SOURCE_UNSPECIFIED;
}

void ToProto(RouteSource source, const RouteAction& a, rv1::RouteCandidate& out) {
  out.set_source(ToProto(source));
  switch (a.kind) {
    case RouteAction::Kind::kDrop: out.set_drop(true); break;
    case RouteAction::Kind::kPunt: out.set_punt(true); break;
    case RouteAction::Kind::kForward:
      for (const auto& nh : a.nexthops) {
        auto* p = out.mutable_nexthops()->add_nexthops();
        p->set_port(nh.port);
        p->set_address(nh.address.ToString());
        p->set_weight(nh.weight);
      }
      break;
  }
}

void SetDuration(std::chrono::milliseconds ms, google::protobuf::Duration& d) {
  d.set_seconds(ms.count() / 1000);
  d.set_nanos(static_cast<int32_t>(ms.count() % 1000) * 1000000);
}

}  // namespace

RoutingServiceImpl::RoutingServiceImpl(Rib& rib, std::mutex& rib_mutex,
                                       fpm::FpmState* fpm_state, fpm::FpmServer* fpm_server,
                                       ProgrammerLoop& programmer)
    : rib_(rib),
      rib_mutex_(rib_mutex),
      fpm_state_(fpm_state),
      fpm_server_(fpm_server),
      programmer_(programmer) {}

grpc::Status RoutingServiceImpl::ListRoutes(grpc::ServerContext*,
                                            const rv1::ListRoutesRequest* request,
                                            grpc::ServerWriter<rv1::ListRoutesResponse>* writer) {
  if (!rv1::RouteSource_IsValid(request->source())) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "source: unknown value");
  }
  const size_t chunk = request->chunk_size() == 0 ? 1000 : request->chunk_size();
  // Copy under the lock, stream without it: a slow reader must not stall FPM ingest.
  std::vector<rv1::RibRoute> routes;
  {
    std::lock_guard lock(rib_mutex_);
    rib_.ForEachEntry([&](const RouteKey& key, const RibEntry& e) {
      if (request->source() != rv1::ROUTE_SOURCE_UNSPECIFIED &&
          ToProto(e.selected()->first) != request->source()) {
        return;
      }
      rv1::RibRoute r;
      r.set_table_id(key.table);
      r.set_prefix(key.prefix.ToString());
      r.set_programmed(e.programmed);
      for (const auto& [source, action] : e.candidates) ToProto(source, action, *r.add_candidates());
      routes.push_back(std::move(r));
    });
  }
  rv1::ListRoutesResponse response;
  for (auto& r : routes) {
    *response.add_routes() = std::move(r);
    if (static_cast<size_t>(response.routes_size()) >= chunk) {
      if (!writer->Write(response)) return grpc::Status::CANCELLED;
      response.Clear();
    }
  }
  if (response.routes_size() > 0) writer->Write(response);
  return grpc::Status::OK;
}

grpc::Status RoutingServiceImpl::GetFpmStatus(grpc::ServerContext*,
                                              const rv1::GetFpmStatusRequest*,
                                              rv1::GetFpmStatusResponse* out) {
  if (fpm_server_ == nullptr) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "FPM is disabled in the config");
  }
  fpm::FpmSessionStatus s = fpm_server_->status();
  out->set_connected(s.connected);
  out->set_peer(s.peer);
  out->set_connections(s.connections);
  out->set_frames(s.frames);
  out->set_messages(s.messages);
  out->set_bytes(s.bytes);
  out->set_framing_errors(s.framing_errors);
  out->set_last_error(s.last_error);
  for (size_t i = 0; i < s.skipped.size(); ++i) {
    if (s.skipped[i] > 0) {
      (*out->mutable_skipped())[fpm::SkipReasonName(static_cast<fpm::SkipReason>(i))] =
          s.skipped[i];
    }
  }
  SetDuration(s.stale_hold, *out->mutable_stale_hold());
  if (s.sweep_in) SetDuration(*s.sweep_in, *out->mutable_sweep_in());
  out->set_stale_routes(s.stale_routes);
  std::lock_guard lock(rib_mutex_);
  out->set_routes(fpm_state_->routes());
  out->set_nexthops(fpm_state_->nexthops());
  out->set_pending_routes(fpm_state_->pending_routes());
  out->set_connected_recognized(fpm_state_->counters().connected_recognized);
  return grpc::Status::OK;
}

grpc::Status RoutingServiceImpl::GetProgrammerStatus(grpc::ServerContext*,
                                                     const rv1::GetProgrammerStatusRequest*,
                                                     rv1::GetProgrammerStatusResponse* out) {
  ProgrammerStatus s = programmer_.status();
  out->set_dataplane_reachable(s.dataplane_reachable);
  out->set_boot_epoch(s.boot_epoch);
  out->set_installed_routes(s.installed_routes);
  out->set_installed_groups(s.installed_groups);
  out->set_route_writes(s.counters.route_writes);
  out->set_route_deletes(s.counters.route_deletes);
  out->set_route_unchanged(s.counters.route_unchanged);
  out->set_group_adds(s.counters.group_adds);
  out->set_group_deletes(s.counters.group_deletes);
  out->set_failed_entries(s.counters.failed_entries);
  out->set_batches(s.counters.batches);
  out->set_full_pushes(s.counters.full_pushes);
  out->set_adoptions(s.counters.adoptions);
  out->set_last_error(s.counters.last_error);
  return grpc::Status::OK;
}

}  // namespace weft::cp
