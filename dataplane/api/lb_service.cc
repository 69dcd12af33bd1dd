#include "dataplane/api/lb_service.h"

#include "absl/strings/str_cat.h"
#include "dataplane/api/batch.h"

namespace weft::dp::api {
namespace {

grpc::Status Unavailable(absl::string_view what) {
  return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                      absl::StrCat(what, " is not set up in this switch instance"));
}

}  // namespace

absl::StatusOr<int> LbModeFromProto(lbpb::LoadBalanceMode mode, int unspecified,
                                    absl::string_view field) {
  switch (mode) {
    case lbpb::LOAD_BALANCE_MODE_UNSPECIFIED:
      return unspecified;
    case lbpb::LOAD_BALANCE_MODE_HASH:
      return int(LbMode::kHash);
    case lbpb::LOAD_BALANCE_MODE_FLOWLET:
      return int(LbMode::kFlowlet);
    case lbpb::LOAD_BALANCE_MODE_SPRAY_LEAST_LOADED:
      return int(LbMode::kSprayLeastLoaded);
    case lbpb::LOAD_BALANCE_MODE_SPRAY_ROUND_ROBIN:
      return int(LbMode::kSprayRoundRobin);
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": ", int(mode), " is not a load-balance mode"));
  }
}

lbpb::LoadBalanceMode LbModeToProto(LbMode mode) {
  switch (mode) {
    case LbMode::kHash:
      return lbpb::LOAD_BALANCE_MODE_HASH;
    case LbMode::kFlowlet:
      return lbpb::LOAD_BALANCE_MODE_FLOWLET;
    case LbMode::kSprayLeastLoaded:
      return lbpb::LOAD_BALANCE_MODE_SPRAY_LEAST_LOADED;
    case LbMode::kSprayRoundRobin:
      return lbpb::LOAD_BALANCE_MODE_SPRAY_ROUND_ROBIN;
  }
  return lbpb::LOAD_BALANCE_MODE_UNSPECIFIED;
}

absl::StatusOr<LbConfig> LbConfigFromProto(const lbpb::LoadBalancingConfig& in) {
  LbConfig out;
  if (in.flowlet_table_size() != 0) out.flowlet_table_size = in.flowlet_table_size();
  if (in.flowlet_gap_us() != 0) out.flowlet_gap_us = in.flowlet_gap_us();
  std::array<bool, 8> seen{};
  for (int i = 0; i < in.traffic_class_modes_size(); ++i) {
    const lbpb::TrafficClassMode& t = in.traffic_class_modes(i);
    const std::string at = absl::StrCat("traffic_class_modes[", i, "]");
    if (t.traffic_class() > 7)
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".traffic_class: ", t.traffic_class(), " not in 0..7"));
    if (seen[t.traffic_class()])
      return absl::InvalidArgumentError(
          absl::StrCat(at, ".traffic_class: ", t.traffic_class(), " listed twice"));
    seen[t.traffic_class()] = true;
    absl::StatusOr<int> mode = LbModeFromProto(t.mode(), -1, at + ".mode");
    if (!mode.ok()) return mode.status();
    out.class_modes[t.traffic_class()] = static_cast<int8_t>(*mode);
  }
  if (absl::Status s = ValidateLbConfig(out); !s.ok()) return s;
  return out;
}

void LbConfigToProto(const LbConfig& in, lbpb::LoadBalancingConfig* out) {
  out->set_flowlet_table_size(in.flowlet_table_size);
  out->set_flowlet_gap_us(in.flowlet_gap_us);
  for (size_t tc = 0; tc < in.class_modes.size(); ++tc) {
    if (in.class_modes[tc] < 0) continue;
    lbpb::TrafficClassMode* t = out->add_traffic_class_modes();
    t->set_traffic_class(uint32_t(tc));
    t->set_mode(LbModeToProto(LbMode(in.class_modes[tc])));
  }
}

grpc::Status LoadBalancingServiceImpl::SetLoadBalancing(grpc::ServerContext*,
                                                        const lbpb::SetLoadBalancingRequest* req,
                                                        lbpb::SetLoadBalancingResponse*) {
  if (!sw_.lb) return Unavailable("load balancing");
  absl::StatusOr<LbConfig> config = LbConfigFromProto(req->config());
  if (!config.ok()) {
    return ToGrpcStatus(absl::Status(config.status().code(),
                                     absl::StrCat("config.", config.status().message())));
  }
  return ToGrpcStatus(sw_.lb->Set(*config));
}

grpc::Status LoadBalancingServiceImpl::GetLoadBalancing(grpc::ServerContext*,
                                                        const lbpb::GetLoadBalancingRequest*,
                                                        lbpb::GetLoadBalancingResponse* resp) {
  if (!sw_.lb) return Unavailable("load balancing");
  LbConfigToProto(sw_.lb->config(), resp->mutable_config());
  return grpc::Status::OK;
}

grpc::Status LoadBalancingServiceImpl::SetPortImpairment(grpc::ServerContext*,
                                                         const lbpb::SetPortImpairmentRequest* req,
                                                         lbpb::SetPortImpairmentResponse*) {
  if (!sw_.impairments) return Unavailable("impairments");
  const Port* port = sw_.ports.FindByName(req->port());
  if (port == nullptr)
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("port: no port named \"", req->port(), "\""));
  return ToGrpcStatus(sw_.impairments->Set(port->index, req->loss_ratio(), req->delay_us()));
}

grpc::Status LoadBalancingServiceImpl::GetLoadBalancingCounters(
    grpc::ServerContext*, const lbpb::GetLoadBalancingCountersRequest*,
    lbpb::GetLoadBalancingCountersResponse* resp) {
  if (sw_.lb) {
    const LbCounterValues v = sw_.lb->ReadCounters();
    resp->set_flowlets_started(v.flowlets_started);
    resp->set_flowlet_path_changes(v.flowlet_path_changes);
    resp->set_sprayed_packets(v.sprayed_packets);
    resp->set_out_of_order_packets(v.out_of_order);
  }
  if (sw_.impairments) {
    for (uint16_t p = 0; p < sw_.ports.size(); ++p) {
      const ImpairmentCounterValues c = sw_.impairments->ReadCounters(p);
      lbpb::PortImpairmentCounters* out = resp->add_ports();
      out->set_port(sw_.ports.at(p).name);
      out->set_loss_ratio(sw_.impairments->loss_ratio(p));
      out->set_delay_us(sw_.impairments->delay_us(p));
      out->set_lost_packets(c.lost);
      out->set_delayed_packets(c.delayed);
      out->set_delay_overflow(c.delay_overflow);
    }
  }
  return grpc::Status::OK;
}

}  // namespace weft::dp::api
