#include "controlplane/rib/rib.h"

#include <gtest/gtest.h>

namespace weft::cp {
namespace {

RouteKey K(const char* prefix) { return RouteKey{0, *IpPrefix::Parse(prefix)}; }
PortNexthop N(const char* port, const char* addr, uint32_t w = 1) {
  return PortNexthop{port, *IpAddress::Parse(addr), w};
}

TEST(Rib, MostPreferredSourceIsSelected) {
  Rib rib;
  rib.Set(RouteSource::kFpm, K("10.0.0.0/8"), MakeForward({N("Ethernet0", "10.1.0.1")}));
  rib.Set(RouteSource::kStatic, K("10.0.0.0/8"), RouteAction{RouteAction::Kind::kDrop, {}});
  auto changes = rib.DrainChanges();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].action->kind, RouteAction::Kind::kDrop);
  EXPECT_EQ(rib.Find(K("10.0.0.0/8"))->selected()->first, RouteSource::kStatic);
  // A change of the unselected source does not reach the data plane.
  rib.Set(RouteSource::kFpm, K("10.0.0.0/8"), MakeForward({N("Ethernet4", "10.2.0.1")}));
  EXPECT_FALSE(rib.HasChanges());
  // Removing the selected source falls back to the next one.
  rib.Remove(RouteSource::kStatic, K("10.0.0.0/8"));
  changes = rib.DrainChanges();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].action->nexthops, std::vector<PortNexthop>{N("Ethernet4", "10.2.0.1")});
  EXPECT_EQ(rib.CountBySource(RouteSource::kFpm), 1u);
}

TEST(Rib, DeleteThenAddBetweenDrainsIsOneReplace) {
  Rib rib;
  rib.Set(RouteSource::kFpm, K("10.0.0.0/8"), MakeForward({N("Ethernet0", "10.1.0.1")}));
  rib.DrainChanges();
  rib.Remove(RouteSource::kFpm, K("10.0.0.0/8"));
  rib.Set(RouteSource::kFpm, K("10.0.0.0/8"), MakeForward({N("Ethernet0", "10.1.0.2")}));
  auto changes = rib.DrainChanges();
  ASSERT_EQ(changes.size(), 1u);
  ASSERT_TRUE(changes[0].action.has_value());
  EXPECT_EQ(changes[0].action->nexthops[0].address, *IpAddress::Parse("10.1.0.2"));
}

TEST(Rib, SettingTheSameActionIsNoChange) {
  Rib rib;
  rib.Set(RouteSource::kFpm, K("2001:db8::/32"), MakeForward({N("Ethernet0", "fe80::1")}));
  rib.DrainChanges();
  rib.Set(RouteSource::kFpm, K("2001:db8::/32"), MakeForward({N("Ethernet0", "fe80::1")}));
  EXPECT_FALSE(rib.HasChanges());
}

TEST(Rib, MakeForwardIsCanonical) {
  RouteAction a = MakeForward({N("Ethernet4", "10.0.0.2"), N("Ethernet0", "10.0.0.1", 300),
                               N("Ethernet4", "10.0.0.2", 2)});
  ASSERT_EQ(a.nexthops.size(), 2u);
  EXPECT_EQ(a.nexthops[0], N("Ethernet0", "10.0.0.1", 255));  // capped
  EXPECT_EQ(a.nexthops[1], N("Ethernet4", "10.0.0.2", 3));    // duplicates merged
  EXPECT_EQ(a, MakeForward({N("Ethernet4", "10.0.0.2", 3), N("Ethernet0", "10.0.0.1", 255)}));
}

}  // namespace
}  // namespace weft::cp
