#include "controlplane/config/weftd_config.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"

namespace weft::cp {
namespace {

namespace rv1 = weft::routing::v1;

class FirstError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (error.empty()) error = absl::StrFormat("%d:%d: %s", line + 1, column + 1, message);
  }
  std::string error;
};

absl::Status Bad(const std::string& field, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrFormat("%s: %s", field, why));
}

absl::StatusOr<std::chrono::milliseconds> ToDuration(const google::protobuf::Duration& d,
                                                     const std::string& field) {
  if (d.seconds() < 0 || d.nanos() < 0 || d.nanos() > 999999999) {
    return Bad(field, "must be a non-negative duration");
  }
  return std::chrono::milliseconds(d.seconds() * 1000 + d.nanos() / 1000000);
}

bool IsLoopback(const std::string& address) {
  auto a = IpAddress::Parse(address);
  if (!a) return false;
  return a->is_v4() ? a->bytes[0] == 127 : *a == *IpAddress::Parse("::1");
}

absl::StatusOr<std::pair<RouteKey, RouteAction>> ConvertStatic(const rv1::StaticRoute& r,
                                                               const std::string& field) {
  auto prefix = IpPrefix::Parse(r.prefix());
  if (!prefix) {
    return Bad(field + ".prefix", absl::StrFormat("'%s' is not a prefix with zero host bits",
                                                  r.prefix()));
  }
  RouteKey key{r.table_id(), *prefix};
  switch (r.action_case()) {
    case rv1::StaticRoute::kBlackhole:
      if (!r.blackhole()) return Bad(field + ".blackhole", "must be true when set");
      return std::make_pair(key, RouteAction{RouteAction::Kind::kDrop, {}});
    case rv1::StaticRoute::kNexthops: {
      const auto& list = r.nexthops().nexthops();
      if (list.empty() || list.size() > 64) {
        return Bad(field + ".nexthops.nexthops", "needs 1..64 next hops");
      }
      std::vector<PortNexthop> nhs;
      for (int i = 0; i < list.size(); ++i) {
        const std::string f = absl::StrFormat("%s.nexthops.nexthops[%d]", field, i);
        if (list[i].port().empty()) return Bad(f + ".port", "is empty");
        auto addr = IpAddress::Parse(list[i].address());
        if (!addr) return Bad(f + ".address", "'" + list[i].address() + "' is not an IP address");
        if (list[i].weight() > 255) return Bad(f + ".weight", "must be 1..255");
        nhs.push_back({list[i].port(), *addr, list[i].weight() == 0 ? 1 : list[i].weight()});
      }
      return std::make_pair(key, MakeForward(std::move(nhs)));
    }
    default: return Bad(field, "needs nexthops or blackhole");
  }
}

}  // namespace

bool IsLocalGrpcAddress(const std::string& address) {
  if (absl::StartsWith(address, "unix:")) return address.size() > 5;
  std::string host = address;
  if (!host.empty() && host[0] == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || IsLoopback(host);
}

absl::StatusOr<rv1::WeftdConfig> ParseWeftdConfig(const std::string& text) {
  rv1::WeftdConfig config;
  google::protobuf::TextFormat::Parser parser;
  FirstError errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &config)) {
    return absl::InvalidArgumentError(errors.error.empty() ? "unparsable config" : errors.error);
  }
  return config;
}

absl::StatusOr<WeftdSettings> ValidateWeftdConfig(const rv1::WeftdConfig& c) {
  WeftdSettings s;
  s.instance = c.instance().empty() ? "weft" : c.instance();
  s.dataplane_address =
      c.dataplane_address().empty() ? "unix:/run/weft/dataplane.sock" : c.dataplane_address();
  if (!IsLocalGrpcAddress(s.dataplane_address)) {
    return Bad("dataplane_address", "'" + s.dataplane_address +
                                        "' is not local (unix: or loopback); TLS is not supported");
  }
  s.owner = c.owner().empty() ? "weftd" : c.owner();
  s.management_address =
      c.management_address().empty() ? "unix:/run/weft/weftd.sock" : c.management_address();
  if (!IsLocalGrpcAddress(s.management_address)) {
    return Bad("management_address", "'" + s.management_address +
                                          "' is not local (unix: or loopback); TLS is not "
                                          "supported yet");
  }
  s.fpm_enabled = !c.fpm().disabled();
  s.fpm_address = c.fpm().listen_address().empty() ? "127.0.0.1" : c.fpm().listen_address();
  if (!IsLoopback(s.fpm_address)) {
    return Bad("fpm.listen_address", "'" + s.fpm_address + "' is not a loopback address");
  }
  if (c.fpm().port() > 65535) return Bad("fpm.port", "must be 1..65535");
  s.fpm_port = c.fpm().port() == 0 ? 2620 : static_cast<uint16_t>(c.fpm().port());
  if (c.fpm().has_stale_hold()) {
    auto hold = ToDuration(c.fpm().stale_hold(), "fpm.stale_hold");
    if (!hold.ok()) return hold.status();
    if (*hold < std::chrono::seconds(1)) return Bad("fpm.stale_hold", "must be at least 1s");
    s.fpm_stale_hold = *hold;
  }
  s.startup_hold = s.fpm_stale_hold;
  if (c.has_startup_hold()) {
    auto hold = ToDuration(c.startup_hold(), "startup_hold");
    if (!hold.ok()) return hold.status();
    s.startup_hold = *hold;
  }
  const std::string& mode = c.nexthop_group_mode();
  if (mode.empty() || mode == "hash") {
    s.nexthop_group_mode = GroupMode::kHash;
  } else if (mode == "flowlet") {
    s.nexthop_group_mode = GroupMode::kFlowlet;
  } else if (mode == "spray-least-loaded") {
    s.nexthop_group_mode = GroupMode::kSprayLeastLoaded;
  } else if (mode == "spray-round-robin") {
    s.nexthop_group_mode = GroupMode::kSprayRoundRobin;
  } else {
    return Bad("nexthop_group_mode",
               "'" + mode + "' is not hash, flowlet, spray-least-loaded or spray-round-robin");
  }
  std::set<RouteKey> seen;
  for (int i = 0; i < c.static_routes_size(); ++i) {
    const std::string field = absl::StrFormat("static_routes[%d]", i);
    auto route = ConvertStatic(c.static_routes(i), field);
    if (!route.ok()) return route.status();
    if (!seen.insert(route->first).second) {
      return Bad(field + ".prefix", "duplicate of an earlier static route");
    }
    s.static_routes.push_back(std::move(*route));
  }
  return s;
}

absl::StatusOr<WeftdSettings> LoadWeftdConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError("cannot read config file " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto config = ParseWeftdConfig(text.str());
  if (!config.ok()) {
    return absl::InvalidArgumentError(path + ":" + std::string(config.status().message()));
  }
  auto settings = ValidateWeftdConfig(*config);
  if (!settings.ok()) {
    return absl::InvalidArgumentError(path + ": " + std::string(settings.status().message()));
  }
  return settings;
}

}  // namespace weft::cp
