// LoadBalancingService (proto/weft/dataplane/v1/load_balancing.proto): switch-wide flowlet
// settings and traffic-class mode overrides, per-port impairments, load-balancing counters.
// Thin: validate and convert, one call into LoadBalancer / PortImpairments, convert back.
#pragma once

#include "dataplane/runtime/switch_instance.h"
#include "weft/dataplane/v1/load_balancing.grpc.pb.h"

namespace weft::dp::api {

namespace lbpb = ::weft::dataplane::v1;

// proto <-> data plane (also used by group conversion). UNSPECIFIED maps to `unspecified`.
absl::StatusOr<int> LbModeFromProto(lbpb::LoadBalanceMode mode, int unspecified,
                                    absl::string_view field);
lbpb::LoadBalanceMode LbModeToProto(LbMode mode);
absl::StatusOr<LbConfig> LbConfigFromProto(const lbpb::LoadBalancingConfig& in);
void LbConfigToProto(const LbConfig& in, lbpb::LoadBalancingConfig* out);

class LoadBalancingServiceImpl final : public lbpb::LoadBalancingService::Service {
 public:
  explicit LoadBalancingServiceImpl(SwitchInstance& sw) : sw_(sw) {}
  grpc::Status SetLoadBalancing(grpc::ServerContext*, const lbpb::SetLoadBalancingRequest*,
                                lbpb::SetLoadBalancingResponse*) override;
  grpc::Status GetLoadBalancing(grpc::ServerContext*, const lbpb::GetLoadBalancingRequest*,
                                lbpb::GetLoadBalancingResponse*) override;
  grpc::Status SetPortImpairment(grpc::ServerContext*, const lbpb::SetPortImpairmentRequest*,
                                 lbpb::SetPortImpairmentResponse*) override;
  grpc::Status GetLoadBalancingCounters(grpc::ServerContext*,
                                        const lbpb::GetLoadBalancingCountersRequest*,
                                        lbpb::GetLoadBalancingCountersResponse*) override;

 private:
  SwitchInstance& sw_;
};

}  // namespace weft::dp::api
