// weft.routing.v1.RoutingService: read-only views of the RIB, the FPM session and the programmer.
// Thin: take the lock, copy, convert.
#pragma once

#include <mutex>

#include "controlplane/fpm/fpm_server.h"
#include "controlplane/fpm/fpm_state.h"
#include "controlplane/programmer/programmer_loop.h"
#include "controlplane/rib/rib.h"
#include "weft/routing/v1/routing.grpc.pb.h"

namespace weft::cp {

class RoutingServiceImpl final : public weft::routing::v1::RoutingService::Service {
 public:
  // `fpm_server`/`fpm_state` may be null when FPM is disabled; all must outlive the service.
  RoutingServiceImpl(Rib& rib, std::mutex& rib_mutex, fpm::FpmState* fpm_state,
                     fpm::FpmServer* fpm_server, ProgrammerLoop& programmer);

  grpc::Status ListRoutes(
      grpc::ServerContext* ctx, const weft::routing::v1::ListRoutesRequest* request,
      grpc::ServerWriter<weft::routing::v1::ListRoutesResponse>* writer) override;
  grpc::Status GetFpmStatus(grpc::ServerContext* ctx,
                            const weft::routing::v1::GetFpmStatusRequest* request,
                            weft::routing::v1::GetFpmStatusResponse* response) override;
  grpc::Status GetProgrammerStatus(
      grpc::ServerContext* ctx, const weft::routing::v1::GetProgrammerStatusRequest* request,
      weft::routing::v1::GetProgrammerStatusResponse* response) override;

 private:
  Rib& rib_;
  std::mutex& rib_mutex_;
  fpm::FpmState* fpm_state_;
  fpm::FpmServer* fpm_server_;
  ProgrammerLoop& programmer_;
};

}  // namespace weft::cp
