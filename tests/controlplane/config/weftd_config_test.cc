#include "controlplane/config/weftd_config.h"

#include <gtest/gtest.h>

namespace weft::cp {
namespace {

absl::StatusOr<WeftdSettings> Load(const std::string& text) {
  auto config = ParseWeftdConfig(text);
  if (!config.ok()) return config.status();
  return ValidateWeftdConfig(*config);
}

TEST(WeftdConfig, DefaultsForAnEmptyFile) {
  auto s = Load("");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->fpm_address, "127.0.0.1");
  EXPECT_EQ(s->fpm_port, 2620);
  EXPECT_EQ(s->fpm_stale_hold, std::chrono::seconds(30));
  EXPECT_EQ(s->startup_hold, std::chrono::seconds(30));
  EXPECT_EQ(s->owner, "weftd");
  EXPECT_EQ(s->dataplane_address, "unix:/run/weft/dataplane.sock");
  EXPECT_EQ(s->nexthop_group_mode, GroupMode::kHash);
}

TEST(WeftdConfig, FullConfig) {
  auto s = Load(R"pb(
    instance: "leaf1"
    dataplane_address: "unix:/tmp/leaf1/dp.sock"
    management_address: "127.0.0.1:0"
    fpm { port: 2621 stale_hold { seconds: 45 } }
    startup_hold { seconds: 5 }
    nexthop_group_mode: "flowlet"
    static_routes { prefix: "10.0.0.0/8" blackhole: true }
    static_routes {
      table_id: 0
      prefix: "2001:db8::/32"
      nexthops { nexthops { port: "Ethernet0" address: "fe80::1" weight: 3 }
                 nexthops { port: "Ethernet4" address: "fe80::2" } }
    }
  )pb");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->instance, "leaf1");
  EXPECT_EQ(s->fpm_port, 2621);
  EXPECT_EQ(s->fpm_stale_hold, std::chrono::seconds(45));
  EXPECT_EQ(s->startup_hold, std::chrono::seconds(5));
  EXPECT_EQ(s->nexthop_group_mode, GroupMode::kFlowlet);
  ASSERT_EQ(s->static_routes.size(), 2u);
  EXPECT_EQ(s->static_routes[0].second.kind, RouteAction::Kind::kDrop);
  EXPECT_EQ(s->static_routes[1].second.nexthops.size(), 2u);
  EXPECT_EQ(s->static_routes[1].second.nexthops[0].weight, 3u);
}

TEST(WeftdConfig, ErrorsNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"fpm { port: 70000 }", "fpm.port"},
      {"fpm { listen_address: \"0.0.0.0\" }", "fpm.listen_address"},
      {"fpm { stale_hold { nanos: 5000 } }", "fpm.stale_hold"},
      {"management_address: \"10.0.0.1:50051\"", "management_address"},
      {"dataplane_address: \"192.0.2.1:1\"", "dataplane_address"},
      {"static_routes { prefix: \"10.0.0.1/8\" blackhole: true }", "static_routes[0].prefix"},
      {"static_routes { prefix: \"10.0.0.0/8\" }", "static_routes[0]: needs nexthops"},
      {"static_routes { prefix: \"10.0.0.0/8\" blackhole: false }", "static_routes[0].blackhole"},
      {"static_routes { prefix: \"10.0.0.0/8\" nexthops { nexthops { port: \"Ethernet0\" "
       "address: \"10.0.0.300\" } } }",
       "static_routes[0].nexthops.nexthops[0].address"},
      {"static_routes { prefix: \"10.0.0.0/8\" nexthops { nexthops { address: \"10.0.0.3\" } } }",
       "static_routes[0].nexthops.nexthops[0].port"},
      {"static_routes { prefix: \"10.0.0.0/8\" blackhole: true } "
       "static_routes { prefix: \"10.0.0.0/8\" blackhole: true }",
       "static_routes[1].prefix: duplicate"},
      {"nexthop_group_mode: \"adaptive\"", "nexthop_group_mode: 'adaptive' is not hash, flowlet"},
      {"fpm { prot: 1 }", "1:11: Message type \"weft.routing.v1.FpmConfig\" has no field named \"prot\""},
  };
  for (const auto& [text, field] : cases) {
    auto s = Load(text);
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find(field), std::string::npos)
        << text << " -> " << s.status().message();
  }
}

TEST(WeftdConfig, LocalAddresses) {
  EXPECT_TRUE(IsLocalGrpcAddress("unix:/run/weft/weftd.sock"));
  EXPECT_TRUE(IsLocalGrpcAddress("127.0.0.1:50051"));
  EXPECT_TRUE(IsLocalGrpcAddress("[::1]:50051"));
  EXPECT_TRUE(IsLocalGrpcAddress("localhost:1"));
  EXPECT_FALSE(IsLocalGrpcAddress("0.0.0.0:50051"));
  EXPECT_FALSE(IsLocalGrpcAddress("[::]:50051"));
  EXPECT_FALSE(IsLocalGrpcAddress("unix:"));
}

TEST(WeftdConfig, MissingFileIsNotFound) {
  EXPECT_EQ(LoadWeftdConfig("/nonexistent/weftd.textproto").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace weft::cp
