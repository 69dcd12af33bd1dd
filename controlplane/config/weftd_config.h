// weftd's configuration: a WeftdConfig (proto/weft/routing/v1/config.proto) in protobuf text
// format. Loading fills defaults and validates; every error names the field that is wrong.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "controlplane/rib/rib.h"
#include "weft/routing/v1/config.pb.h"

namespace weft::cp {

// How the ECMP groups weftd programs spread traffic (Dataplane API LoadBalanceMode).
enum class GroupMode : uint8_t { kHash, kFlowlet, kSprayLeastLoaded, kSprayRoundRobin };

// The validated, defaulted configuration in weftd's own types.
struct WeftdSettings {
  std::string instance;
  std::string dataplane_address;
  std::string owner;
  bool fpm_enabled = true;
  std::string fpm_address;
  uint16_t fpm_port = 2620;
  std::chrono::milliseconds fpm_stale_hold{30000};
  std::chrono::milliseconds startup_hold{30000};
  std::string management_address;
  std::vector<std::pair<RouteKey, RouteAction>> static_routes;
  GroupMode nexthop_group_mode = GroupMode::kHash;
};

// Parses text-format config. INVALID_ARGUMENT with "line:column: ..." for syntax errors.
absl::StatusOr<weft::routing::v1::WeftdConfig> ParseWeftdConfig(const std::string& text);
// INVALID_ARGUMENT naming the field ("static_routes[1].nexthops.nexthops[0].address: ...").
absl::StatusOr<WeftdSettings> ValidateWeftdConfig(const weft::routing::v1::WeftdConfig& config);
// Reads, parses and validates a file; NOT_FOUND if it does not exist.
absl::StatusOr<WeftdSettings> LoadWeftdConfig(const std::string& path);

// Listeners must be local (TLS is not implemented): "unix:/path", 127.0.0.0/8, ::1, localhost.
bool IsLocalGrpcAddress(const std::string& address);

}  // namespace weft::cp
