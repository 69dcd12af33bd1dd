#include "controlplane/rib/rib.h"

#include <gtest/gtest.h>

#include <algorithm>

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

std::vector<std::string> InUse(const Rib& rib) {
  std::vector<std::string> out;
  rib.ForEachNexthopInUse([&](const std::string& port, const IpAddress& a) {
    out.push_back(a.ToString() + "@" + port);
  });
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Rib, NexthopsInUseFollowTheSelectedRoutes) {
  Rib rib;
  rib.Set(RouteSource::kFpm, K("10.0.0.0/8"), MakeForward({N("Ethernet0", "10.1.0.1"),
                                                           N("Ethernet4", "10.2.0.1")}));
  rib.Set(RouteSource::kFpm, K("10.9.0.0/16"), MakeForward({N("Ethernet0", "10.1.0.1")}));
  // A connected route (unspecified address) gleans: nothing to resolve.
  rib.Set(RouteSource::kConnected, K("10.1.0.0/24"), MakeForward({N("Ethernet0", "0.0.0.0")}));
  EXPECT_EQ(InUse(rib), (std::vector<std::string>{"10.1.0.1@Ethernet0", "10.2.0.1@Ethernet4"}));
  // A preferred source hides the FPM route's next hops; removing it shows them again.
  rib.Set(RouteSource::kStatic, K("10.0.0.0/8"), MakeForward({N("Ethernet8", "10.3.0.1")}));
  EXPECT_EQ(InUse(rib), (std::vector<std::string>{"10.1.0.1@Ethernet0", "10.3.0.1@Ethernet8"}));
  rib.Remove(RouteSource::kStatic, K("10.0.0.0/8"));
  EXPECT_EQ(InUse(rib), (std::vector<std::string>{"10.1.0.1@Ethernet0", "10.2.0.1@Ethernet4"}));
  // Replacing the selected action and removing routes release their next hops.
  rib.Set(RouteSource::kFpm, K("10.0.0.0/8"), RouteAction{RouteAction::Kind::kDrop, {}});
  EXPECT_EQ(InUse(rib), (std::vector<std::string>{"10.1.0.1@Ethernet0"}));
  rib.Remove(RouteSource::kFpm, K("10.9.0.0/16"));
  EXPECT_TRUE(InUse(rib).empty());
  EXPECT_EQ(rib.nexthops_in_use(), 0u);
}

// FPM offload notices: a key is confirmed when its selection reaches the data plane, once, and at
// once when zebra repeats what is installed; never for another source's selection.
TEST(Rib, ConfirmationsFollowSelectionsReachingTheDataplane) {
  Rib rib;
  rib.TrackConfirmations(RouteSource::kFpm);
  const RouteAction a = MakeForward({N("Ethernet0", "10.1.0.1")});
  const RouteAction b = MakeForward({N("Ethernet4", "10.2.0.1")});
  rib.Set(RouteSource::kFpm, K("10.0.0.0/8"), a);
  EXPECT_TRUE(rib.DrainConfirmed().empty());  // not in the data plane yet
  rib.SetProgrammed(K("10.0.0.0/8"), true);
  EXPECT_EQ(rib.DrainConfirmed(), std::vector<RouteKey>{K("10.0.0.0/8")});
  rib.SetProgrammed(K("10.0.0.0/8"), true);  // a full diff finding it unchanged: nothing new
  EXPECT_TRUE(rib.DrainConfirmed().empty());
  rib.Set(RouteSource::kFpm, K("10.0.0.0/8"), a);  // zebra's replay of the installed route
  EXPECT_EQ(rib.DrainConfirmed().size(), 1u);
  rib.Set(RouteSource::kFpm, K("10.0.0.0/8"), b);  // an update: not programmed until written
  EXPECT_FALSE(rib.Find(K("10.0.0.0/8"))->programmed);
  EXPECT_TRUE(rib.DrainConfirmed().empty());
  rib.SetProgrammed(K("10.0.0.0/8"), true);
  EXPECT_EQ(rib.DrainConfirmed().size(), 1u);
  rib.Set(RouteSource::kStatic, K("10.0.0.0/8"), a);  // static wins: FPM's route is not what runs
  rib.SetProgrammed(K("10.0.0.0/8"), true);
  EXPECT_TRUE(rib.DrainConfirmed().empty());
  rib.Remove(RouteSource::kStatic, K("10.0.0.0/8"));  // FPM's selected again, to be written
  EXPECT_FALSE(rib.Find(K("10.0.0.0/8"))->programmed);
  rib.SetProgrammed(K("10.0.0.0/8"), true);
  EXPECT_EQ(rib.DrainConfirmed().size(), 1u);
}

}  // namespace
}  // namespace weft::cp
