// One gRPC service class per service of dataplane.proto. Each RPC is thin: validate and convert
// (convert.h), one call into ForwardingTables / PortController / SwitchCounters, convert back.
// Errors become canonical gRPC codes once, here, at the boundary.
#pragma once

#include <atomic>
#include <mutex>
#include <cstdint>
#include <string>
#include <utility>

#include "dataplane/api/event_hub.h"
#include "dataplane/api/port_controller.h"
#include "dataplane/port/port.h"
#include "dataplane/stats/counters.h"
#include "dataplane/runtime/switch_instance.h"
#include "dataplane/tables/forwarding_tables.h"
#include "weft/dataplane/v1/dataplane.grpc.pb.h"

namespace weft::dp::api {

namespace pb = ::weft::dataplane::v1;
using grpc::ServerContext;
using grpc::Status;

inline constexpr uint32_t kDefaultListChunk = 10'000;
inline constexpr uint32_t kMaxListChunk = 100'000;  // ~5 MB of routes: within any client's limit

struct SwitchIdentity {
  std::string instance;
  uint64_t boot_epoch = 0;
};

class SwitchServiceImpl final : public pb::SwitchService::Service {
 public:
  SwitchServiceImpl(SwitchIdentity identity, ForwardingTables& tables, EventHub& events)
      : identity_(std::move(identity)), tables_(tables), events_(events) {}
  // Makes every StreamEvents call return within one poll interval; later calls end at once.
  void StopStreams() { stopping_.store(true); }

  Status GetInfo(ServerContext*, const pb::GetInfoRequest*, pb::GetInfoResponse*) override;
  Status SetHashConfig(ServerContext*, const pb::SetHashConfigRequest*,
                       pb::SetHashConfigResponse*) override;
  Status StreamEvents(ServerContext*, const pb::StreamEventsRequest*,
                      grpc::ServerWriter<pb::Event>*) override;

 private:
  const SwitchIdentity identity_;
  ForwardingTables& tables_;
  EventHub& events_;
  std::atomic<bool> stopping_{false};
};

class PortServiceImpl final : public pb::PortService::Service {
 public:
  PortServiceImpl(const PortTable& ports, PortController& controller)
      : ports_(ports), controller_(controller) {}
  Status ListPorts(ServerContext*, const pb::ListPortsRequest*, pb::ListPortsResponse*) override;
  Status SetPortAdminState(ServerContext*, const pb::SetPortAdminStateRequest*,
                           pb::SetPortAdminStateResponse*) override;
  Status SetPortMtu(ServerContext*, const pb::SetPortMtuRequest*, pb::SetPortMtuResponse*) override;

 private:
  const PortTable& ports_;
  PortController& controller_;
};

class RouteServiceImpl final : public pb::RouteService::Service {
 public:
  RouteServiceImpl(const PortTable& ports, ForwardingTables& tables)
      : ports_(ports), tables_(tables) {}
  Status WriteRoutes(ServerContext*, const pb::WriteRoutesRequest*,
                     pb::WriteRoutesResponse*) override;
  Status ListRoutes(ServerContext*, const pb::ListRoutesRequest*,
                    grpc::ServerWriter<pb::ListRoutesResponse>*) override;
  Status LookupRoute(ServerContext*, const pb::LookupRouteRequest*,
                     pb::LookupRouteResponse*) override;

 private:
  const PortTable& ports_;
  ForwardingTables& tables_;
};

class NexthopGroupServiceImpl final : public pb::NexthopGroupService::Service {
 public:
  NexthopGroupServiceImpl(const PortTable& ports, ForwardingTables& tables)
      : ports_(ports), tables_(tables) {}
  Status WriteNexthopGroups(ServerContext*, const pb::WriteNexthopGroupsRequest*,
                            pb::WriteNexthopGroupsResponse*) override;
  Status ListNexthopGroups(ServerContext*, const pb::ListNexthopGroupsRequest*,
                           pb::ListNexthopGroupsResponse*) override;

 private:
  const PortTable& ports_;
  ForwardingTables& tables_;
};

class NeighborServiceImpl final : public pb::NeighborService::Service {
 public:
  NeighborServiceImpl(const PortTable& ports, ForwardingTables& tables)
      : ports_(ports), tables_(tables) {}
  Status WriteNeighbors(ServerContext*, const pb::WriteNeighborsRequest*,
                        pb::WriteNeighborsResponse*) override;
  Status ListNeighbors(ServerContext*, const pb::ListNeighborsRequest*,
                       pb::ListNeighborsResponse*) override;

 private:
  const PortTable& ports_;
  ForwardingTables& tables_;
};

class LocalAddressServiceImpl final : public pb::LocalAddressService::Service {
 public:
  LocalAddressServiceImpl(const PortTable& ports, ForwardingTables& tables)
      : ports_(ports), tables_(tables) {}
  Status WriteLocalAddresses(ServerContext*, const pb::WriteLocalAddressesRequest*,
                             pb::WriteLocalAddressesResponse*) override;
  Status ListLocalAddresses(ServerContext*, const pb::ListLocalAddressesRequest*,
                            pb::ListLocalAddressesResponse*) override;

 private:
  const PortTable& ports_;
  ForwardingTables& tables_;
};

class CounterServiceImpl final : public pb::CounterService::Service {
 public:
  CounterServiceImpl(const PortTable& ports, const ForwardingTables& tables,
                     const SwitchCounters& counters)
      : ports_(ports), tables_(tables), counters_(counters) {}
  Status GetCounters(ServerContext*, const pb::GetCountersRequest*,
                     pb::GetCountersResponse*) override;

 private:
  const PortTable& ports_;
  const ForwardingTables& tables_;
  const SwitchCounters& counters_;
};

// Request -> settings with defaults filled (written back into *filled); INVALID_ARGUMENT naming the
// request field (NOT_FOUND for an unknown port). Exposed for tests.
absl::StatusOr<tm::SwitchTmSettings> TmSettingsFromProto(const pb::SetTrafficManagerRequest& in,
                                                        const PortTable& ports,
                                                        const tm::SwitchTmSettings& defaults,
                                                        pb::SetTrafficManagerRequest* filled);

class TrafficManagerServiceImpl final : public pb::TrafficManagerService::Service {
 public:
  explicit TrafficManagerServiceImpl(SwitchInstance& sw) : sw_(sw) {}
  Status SetTrafficManager(ServerContext*, const pb::SetTrafficManagerRequest*,
                           pb::SetTrafficManagerResponse*) override;
  Status GetTrafficManager(ServerContext*, const pb::GetTrafficManagerRequest*,
                           pb::GetTrafficManagerResponse*) override;
  Status InjectPfcStorm(ServerContext*, const pb::InjectPfcStormRequest*,
                        pb::InjectPfcStormResponse*) override;
  Status GetTrafficManagerCounters(ServerContext*, const pb::GetTrafficManagerCountersRequest*,
                                   pb::GetTrafficManagerCountersResponse*) override;

 private:
  SwitchInstance& sw_;
  std::mutex mu_;  // one configuration change at a time; guards config_
  pb::SetTrafficManagerRequest config_;
};

}  // namespace weft::dp::api
