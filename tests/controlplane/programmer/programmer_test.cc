// Programmer against the in-process fake data plane: batching, group dedup and ordering, weftd
// restart with zero churn, data-plane restart (new epoch), refused entries, lost connection.
#include "controlplane/programmer/programmer.h"

#include <gtest/gtest.h>

#include "tests/controlplane/programmer/fake_dataplane.h"

namespace weft::cp {
namespace {

RouteKey K(const char* p) { return RouteKey{0, *IpPrefix::Parse(p)}; }
PortNexthop N(const char* port, const char* addr) { return {port, *IpAddress::Parse(addr), 1}; }
RouteAction Ecmp() { return MakeForward({N("Ethernet0", "10.0.0.2"), N("Ethernet4", "fe80::2")}); }
RouteAction Single(const char* port = "Ethernet0") { return MakeForward({N(port, "10.0.0.2")}); }
RouteAction Drop() { return {RouteAction::Kind::kDrop, {}}; }

class ProgrammerTest : public ::testing::Test {
 protected:
  void FillRib(Rib& rib) {
    rib.Set(RouteSource::kFpm, K("198.51.100.0/24"), Single());
    rib.Set(RouteSource::kFpm, K("203.0.113.0/24"), Ecmp());
    rib.Set(RouteSource::kFpm, K("2001:db8:200::/48"), Ecmp());
    rib.Set(RouteSource::kFpm, K("192.0.2.0/24"), Drop());
    rib.Set(RouteSource::kStatic, K("100.64.0.0/16"), {RouteAction::Kind::kPunt, {}});
  }
  bool Programmed(const char* p) {
    const RibEntry* e = rib.Find(K(p));
    return e != nullptr && e->programmed;
  }

  testing::FakeDataplane dp;
  std::mutex mutex;
  Rib rib;
};

TEST_F(ProgrammerTest, PushesRoutesAndSharesOneGroupForEqualMembers) {
  FillRib(rib);
  Programmer programmer(rib, mutex, dp);
  ASSERT_TRUE(programmer.Sync().ok());
  EXPECT_EQ(dp.routes.size(), 5u);
  ASSERT_EQ(dp.groups.size(), 1u);  // both ECMP routes use one group
  EXPECT_EQ(dp.groups.begin()->second.members_size(), 2);
  EXPECT_EQ(dp.groups.begin()->second.owner(), "weftd");
  EXPECT_TRUE(Programmed("203.0.113.0/24"));
  EXPECT_EQ(programmer.counters().route_writes, 5u);
  EXPECT_EQ(programmer.boot_epoch(), dp.epoch);
}

TEST_F(ProgrammerTest, IncrementalChangesWriteOnlyWhatChangedAndDeleteGroupsLast) {
  FillRib(rib);
  Programmer programmer(rib, mutex, dp);
  ASSERT_TRUE(programmer.Sync().ok());
  const int before = dp.TotalRouteWrites();
  rib.Set(RouteSource::kFpm, K("198.51.100.0/24"), Single("Ethernet4"));
  ASSERT_TRUE(programmer.Sync().ok());
  EXPECT_EQ(dp.TotalRouteWrites(), before + 1);
  // Both users of the group go: the routes are deleted before the group (the fake refuses to
  // delete a group still in use).
  rib.Remove(RouteSource::kFpm, K("203.0.113.0/24"));
  rib.Remove(RouteSource::kFpm, K("2001:db8:200::/48"));
  ASSERT_TRUE(programmer.Sync().ok());
  EXPECT_EQ(dp.routes.size(), 3u);
  EXPECT_TRUE(dp.groups.empty());
  EXPECT_EQ(programmer.counters().group_deletes, 1u);
  EXPECT_EQ(programmer.counters().failed_entries, 0u);
}

TEST_F(ProgrammerTest, WeftdRestartChangesNothingThatIsRight) {
  {
    FillRib(rib);
    Programmer first(rib, mutex, dp);
    ASSERT_TRUE(first.Sync().ok());
  }
  // A route weftd owned before the restart that zebra no longer has.
  rib.Set(RouteSource::kFpm, K("10.99.0.0/16"), Single());
  {
    Programmer again(rib, mutex, dp);
    ASSERT_TRUE(again.Sync().ok());
  }
  const int writes_before = dp.TotalRouteWrites();
  const int group_writes_before = dp.group_writes;
  // weftd restarts: a fresh RIB is rebuilt from the replay, without 10.99.0.0/16.
  Rib fresh;
  FillRib(fresh);
  Programmer programmer(fresh, mutex, dp);
  ASSERT_TRUE(programmer.Sync().ok());
  EXPECT_EQ(dp.TotalRouteWrites(), writes_before);  // zero churn
  EXPECT_EQ(dp.group_writes, group_writes_before);
  EXPECT_EQ(programmer.counters().route_unchanged, 5u);
  EXPECT_EQ(dp.routes.size(), 6u);  // the unclaimed route waits for the startup hold
  programmer.AllowDeletesOfUnclaimed();
  ASSERT_TRUE(programmer.Sync().ok());
  EXPECT_EQ(dp.routes.size(), 5u);
  EXPECT_EQ(dp.TotalRouteWrites(), writes_before + 1);
  EXPECT_EQ(programmer.counters().adoptions, 1u);
}

TEST_F(ProgrammerTest, NewBootEpochPushesEverythingAgain) {
  FillRib(rib);
  Programmer programmer(rib, mutex, dp);
  ASSERT_TRUE(programmer.Sync().ok());
  dp.Restart();
  ASSERT_TRUE(programmer.Sync().ok());
  EXPECT_EQ(dp.routes.size(), 5u);
  EXPECT_EQ(dp.groups.size(), 1u);
  EXPECT_EQ(programmer.counters().full_pushes, 1u);
}

TEST_F(ProgrammerTest, RefusedEntryDoesNotBlockTheOthers) {
  FillRib(rib);
  rib.Set(RouteSource::kFpm, K("10.7.0.0/16"), Single("Ethernet99"));  // no such port
  Programmer programmer(rib, mutex, dp);
  ASSERT_TRUE(programmer.Sync().ok());
  EXPECT_EQ(dp.routes.size(), 5u);
  EXPECT_FALSE(Programmed("10.7.0.0/16"));
  EXPECT_TRUE(Programmed("198.51.100.0/24"));
  EXPECT_EQ(programmer.counters().failed_entries, 1u);
  EXPECT_NE(programmer.counters().last_error.find("nexthop.port"), std::string::npos);
}

TEST_F(ProgrammerTest, ARefusedEntryIsIsolatedByBisection) {
  for (int i = 0; i < 64; ++i) {
    std::string p = "10." + std::to_string(i) + ".0.0/16";
    rib.Set(RouteSource::kFpm, K(p.c_str()), Single(i == 37 ? "Ethernet99" : "Ethernet0"));
  }
  Programmer programmer(rib, mutex, dp);
  ASSERT_TRUE(programmer.Sync().ok());
  EXPECT_EQ(dp.routes.size(), 63u);
  EXPECT_EQ(programmer.counters().failed_entries, 1u);
  EXPECT_LE(dp.route_rpcs, 1 + 2 * 6);  // halves down to the bad entry, not 64 single writes
}

TEST_F(ProgrammerTest, BatchesRespectTheDataplaneLimit) {
  dp.max_batch = 2;
  FillRib(rib);
  Programmer programmer(rib, mutex, dp);
  ASSERT_TRUE(programmer.Sync().ok());
  EXPECT_EQ(dp.routes.size(), 5u);
  EXPECT_EQ(dp.route_rpcs, 3);
  EXPECT_EQ(programmer.counters().failed_entries, 0u);
}

TEST_F(ProgrammerTest, LostDataplaneIsRelistedWhenBack) {
  FillRib(rib);
  Programmer programmer(rib, mutex, dp);
  ASSERT_TRUE(programmer.Sync().ok());
  dp.unavailable = true;
  rib.Set(RouteSource::kFpm, K("198.51.100.0/24"), Drop());
  EXPECT_EQ(programmer.Sync().code(), absl::StatusCode::kUnavailable);
  dp.unavailable = false;
  ASSERT_TRUE(programmer.Sync().ok());
  auto it = dp.routes.find(testing::FakeDataplane::RouteKeyText(
      ToProtoRoute(K("198.51.100.0/24"), {}, 0)));
  ASSERT_NE(it, dp.routes.end());
  EXPECT_EQ(it->second.special(), dpv1::ROUTE_SPECIAL_DROP);
  EXPECT_EQ(programmer.counters().adoptions, 2u);
}

TEST_F(ProgrammerTest, EntriesOfOtherOwnersAreLeftAlone) {
  dpv1::WriteRoutesRequest other;
  other.set_owner("test");
  auto* w = other.add_writes();
  w->set_op(dpv1::WRITE_OP_REPLACE);
  *w->mutable_route() = ToProtoRoute(K("172.16.0.0/12"), {RouteAction::Kind::kDrop, {}}, 0);
  ASSERT_TRUE(dp.WriteRoutes(other).ok());
  FillRib(rib);
  Programmer programmer(rib, mutex, dp);
  programmer.AllowDeletesOfUnclaimed();
  ASSERT_TRUE(programmer.Sync().ok());
  EXPECT_EQ(dp.routes.size(), 6u);
}

TEST_F(ProgrammerTest, GroupsTakeTheConfiguredModeAndAdoptedOnesAreRewrittenInPlace) {
  FillRib(rib);
  {
    Programmer hashing(rib, mutex, dp);  // the default: static hashing, mode left unset
    ASSERT_TRUE(hashing.Sync().ok());
  }
  ASSERT_EQ(dp.groups.size(), 1u);
  EXPECT_EQ(dp.groups.begin()->second.load_balance_mode(), dpv1::LOAD_BALANCE_MODE_UNSPECIFIED);
  const uint32_t id = dp.groups.begin()->first;
  const int route_writes = dp.TotalRouteWrites();
  const int group_writes = dp.group_writes;

  // weftd restarts configured for flowlet adaptive routing: the adopted group is rewritten with
  // the same id and members, and no route is written.
  Programmer flowlet(rib, mutex, dp);
  flowlet.SetGroupMode(dpv1::LOAD_BALANCE_MODE_FLOWLET);
  ASSERT_TRUE(flowlet.Sync().ok());
  ASSERT_EQ(dp.groups.size(), 1u);
  EXPECT_EQ(dp.groups.begin()->first, id);
  EXPECT_EQ(dp.groups.begin()->second.load_balance_mode(), dpv1::LOAD_BALANCE_MODE_FLOWLET);
  EXPECT_EQ(dp.groups.begin()->second.members_size(), 2);
  EXPECT_EQ(dp.group_writes, group_writes + 1);
  EXPECT_EQ(dp.TotalRouteWrites(), route_writes);

  // A new group is written in the mode too; nothing more for groups already right.
  rib.Set(RouteSource::kFpm, K("198.18.0.0/15"),
          MakeForward({N("Ethernet0", "10.0.0.2"), N("Ethernet4", "10.0.4.2")}));
  ASSERT_TRUE(flowlet.Sync().ok());
  ASSERT_EQ(dp.groups.size(), 2u);
  for (const auto& [gid, g] : dp.groups)
    EXPECT_EQ(g.load_balance_mode(), dpv1::LOAD_BALANCE_MODE_FLOWLET) << "group " << gid;
  EXPECT_EQ(dp.group_writes, group_writes + 2);
}

TEST_F(ProgrammerTest, NeighboursArePushedAdoptedAndDeleted) {
  NeighborTable neighbors;
  KernelNeighbor n;
  n.address = *IpAddress::Parse("10.0.0.2");
  n.mac = MacAddress{2, 0, 0, 0, 0, 2};
  n.state = 0x02;  // NUD_REACHABLE
  neighbors.Apply(n, "Ethernet0");
  n.address = *IpAddress::Parse("fe80::2");
  neighbors.Apply(n, "Ethernet4");
  {
    Programmer programmer(rib, mutex, dp, "weftd", &neighbors);
    ASSERT_TRUE(programmer.Sync().ok());
    EXPECT_EQ(dp.neighbors.size(), 2u);
    EXPECT_EQ(programmer.counters().neighbor_writes, 2u);
  }
  // weftd restarts: the same neighbours are adopted, not rewritten.
  NeighborTable again;
  n.address = *IpAddress::Parse("10.0.0.2");
  again.Apply(n, "Ethernet0");
  Programmer programmer(rib, mutex, dp, "weftd", &again);
  const int writes = dp.neighbor_writes;
  ASSERT_TRUE(programmer.Sync().ok());
  EXPECT_EQ(dp.neighbor_writes, writes);
  EXPECT_EQ(dp.neighbors.size(), 2u);  // fe80::2 waits for the startup hold
  programmer.AllowDeletesOfUnclaimed();
  ASSERT_TRUE(programmer.Sync().ok());
  EXPECT_EQ(dp.neighbors.size(), 1u);
  EXPECT_EQ(programmer.counters().neighbor_deletes, 1u);
}

TEST_F(ProgrammerTest, LocalAddressesFollowTheKernel) {
  AddressTable addresses;
  KernelAddress a;
  a.prefix = *IpPrefix::Parse("10.0.0.0/24");
  a.prefix.address = *IpAddress::Parse("10.0.0.1");  // an address keeps its host bits
  addresses.Apply(a, "Ethernet0");
  Programmer programmer(rib, mutex, dp, "weftd", nullptr, &addresses);
  ASSERT_TRUE(programmer.Sync().ok());
  ASSERT_EQ(dp.locals.size(), 1u);
  EXPECT_EQ(dp.locals.begin()->second.prefix().length(), 24u);
  EXPECT_EQ(dp.locals.begin()->second.owner(), "weftd");
  a.is_delete = true;
  addresses.Apply(a, "Ethernet0");
  ASSERT_TRUE(programmer.Sync().ok());
  EXPECT_TRUE(dp.locals.empty());
  EXPECT_EQ(programmer.counters().local_address_deletes, 1u);
}

}  // namespace
}  // namespace weft::cp
