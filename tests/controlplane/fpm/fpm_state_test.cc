// FpmState: decoded zebra messages -> RIB, with waiting next-hop ids, replace pairs and stale sweeps.
#include "controlplane/fpm/fpm_state.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "controlplane/fpm/fpm_decoder.h"

namespace weft::cp::fpm {
namespace {

IpAddress A(const char* t) { return *IpAddress::Parse(t); }
RouteKey K(const char* t) { return RouteKey{0, *IpPrefix::Parse(t)}; }

RouteMessage Route(const char* prefix, uint32_t nh_id, bool del = false) {
  RouteMessage r;
  r.is_delete = del;
  r.prefix = *IpPrefix::Parse(prefix);
  r.table = 254;
  r.protocol = kProtoStatic;
  r.type = del ? RouteType::kUnspecified : RouteType::kUnicast;
  r.nexthop_id = nh_id;
  return r;
}
NexthopMessage Nh(uint32_t id, const char* gw, uint32_t ifindex) {
  NexthopMessage n;
  n.id = id;
  n.gateway = A(gw);
  n.ifindex = ifindex;
  return n;
}
NexthopMessage Group(uint32_t id, std::vector<NexthopGroupMember> members) {
  NexthopMessage n;
  n.id = id;
  n.group = std::move(members);
  return n;
}
FpmFrame F(std::vector<FpmMessage> messages) {
  FpmFrame f;
  f.messages = std::move(messages);
  return f;
}

// Interfaces 5 and 6 are the TAPs Ethernet0 and Ethernet4; anything else is not a port.
std::optional<std::string> Ports(uint32_t ifindex) {
  if (ifindex == 5) return "Ethernet0";
  if (ifindex == 6) return "Ethernet4";
  return std::nullopt;
}

class FpmStateTest : public ::testing::Test {
 protected:
  Rib rib;
  FpmState state{rib, Ports};
  const RouteAction* Selected(const char* prefix) {
    const RibEntry* e = rib.Find(K(prefix));
    return e ? &e->selected()->second : nullptr;
  }
};

TEST_F(FpmStateTest, RouteWaitsForItsGroupAndMembers) {
  // A route first, then its group, then the members: the order zebra may use after connect.
  state.Apply(F({Route("198.51.100.0/24", 20)}));
  EXPECT_EQ(Selected("198.51.100.0/24"), nullptr);
  EXPECT_EQ(state.pending_routes(), 1u);
  state.Apply(F({Group(20, {{11, 1}, {12, 3}})}));
  state.Apply(F({Nh(11, "10.0.0.2", 5)}));
  EXPECT_EQ(Selected("198.51.100.0/24"), nullptr);
  state.Apply(F({Nh(12, "fe80::1", 6)}));
  const RouteAction* a = Selected("198.51.100.0/24");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(state.pending_routes(), 0u);
  EXPECT_EQ(a->nexthops, (std::vector<PortNexthop>{{"Ethernet0", A("10.0.0.2"), 1},
                                                   {"Ethernet4", A("fe80::1"), 3}}));
}

TEST_F(FpmStateTest, DeleteNewPairIsOneReplace) {
  state.Apply(F({Nh(11, "10.0.0.2", 5), Nh(12, "10.0.1.2", 6), Route("198.51.100.0/24", 11)}));
  rib.DrainChanges();
  state.Apply(F({Route("198.51.100.0/24", 0, true), Route("198.51.100.0/24", 12)}));
  auto changes = rib.DrainChanges();
  ASSERT_EQ(changes.size(), 1u);
  ASSERT_TRUE(changes[0].action.has_value());
  EXPECT_EQ(changes[0].action->nexthops[0].address, A("10.0.1.2"));
  EXPECT_EQ(state.counters().routes_replaced, 1u);
  EXPECT_EQ(state.counters().routes_deleted, 0u);
  // A lone delete removes.
  state.Apply(F({Route("198.51.100.0/24", 0, true)}));
  changes = rib.DrainChanges();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_FALSE(changes[0].action.has_value());
}

TEST_F(FpmStateTest, NewRouteWithUnknownIdKeepsPreviousState) {
  state.Apply(F({Nh(11, "10.0.0.2", 5), Route("10.9.0.0/16", 11)}));
  state.Apply(F({Route("10.9.0.0/16", 0, true), Route("10.9.0.0/16", 99)}));
  ASSERT_NE(Selected("10.9.0.0/16"), nullptr);
  EXPECT_EQ(Selected("10.9.0.0/16")->nexthops[0].address, A("10.0.0.2"));
  state.Apply(F({Nh(99, "10.0.1.2", 6)}));
  EXPECT_EQ(Selected("10.9.0.0/16")->nexthops[0].address, A("10.0.1.2"));
}

TEST_F(FpmStateTest, NexthopChangeMovesItsRoutes) {
  state.Apply(F({Nh(11, "10.0.0.2", 5), Group(20, {{11, 1}}), Route("10.1.0.0/16", 20),
                 Route("10.2.0.0/16", 11)}));
  rib.DrainChanges();
  state.Apply(F({Nh(11, "10.0.0.3", 5)}));
  auto changes = rib.DrainChanges();
  EXPECT_EQ(changes.size(), 2u);
  EXPECT_EQ(Selected("10.1.0.0/16")->nexthops[0].address, A("10.0.0.3"));
}

TEST_F(FpmStateTest, SpecialRoutesConnectedAndForeignInterfaces) {
  RouteMessage bh = Route("192.0.2.0/24", 0);
  bh.type = RouteType::kBlackhole;
  RouteMessage unreach = Route("192.0.2.128/25", 0);
  unreach.type = RouteType::kUnreachable;
  RouteMessage connected = Route("10.0.0.0/24", 0);
  connected.protocol = kProtoKernel;
  connected.nexthops = {RouteNexthop{{}, 5, 1, false}};
  RouteMessage iface = Route("100.64.0.0/16", 0);
  iface.nexthops = {RouteNexthop{{}, 6, 1, false}};
  RouteMessage foreign = Route("172.16.0.0/12", 0);  // via an interface that is not a port
  foreign.nexthops = {RouteNexthop{A("10.3.0.1"), 77, 1, false}};
  RouteMessage unnumbered = Route("10.5.0.0/16", 0);
  unnumbered.nexthops = {RouteNexthop{A("169.254.0.1"), 5, 1, true}};
  state.Apply(F({bh, unreach, connected, iface, foreign, unnumbered}));
  EXPECT_EQ(Selected("192.0.2.0/24")->kind, RouteAction::Kind::kDrop);
  EXPECT_EQ(Selected("192.0.2.128/25")->kind, RouteAction::Kind::kDrop);
  EXPECT_EQ(Selected("10.0.0.0/24"), nullptr);
  EXPECT_EQ(state.counters().connected_recognized, 1u);
  EXPECT_EQ(Selected("100.64.0.0/16")->kind, RouteAction::Kind::kPunt);
  EXPECT_EQ(Selected("172.16.0.0/12"), nullptr);
  EXPECT_EQ(state.counters().unresolved_interfaces, 1u);
  EXPECT_EQ(Selected("10.5.0.0/16")->nexthops[0], (PortNexthop{"Ethernet0", A("169.254.0.1"), 1}));
}

TEST_F(FpmStateTest, ReconnectSweepsOnlyWhatWasNotReplayed) {
  state.Apply(F({Nh(11, "10.0.0.2", 5), Nh(12, "10.0.1.2", 6), Route("10.1.0.0/16", 11),
                 Route("10.2.0.0/16", 12)}));
  rib.DrainChanges();
  state.MarkAllStale();
  EXPECT_EQ(state.stale_routes(), 2u);
  // The replay brings back 10.1/16 unchanged; 10.2/16 was withdrawn while disconnected.
  state.Apply(F({Nh(11, "10.0.0.2", 5), Route("10.1.0.0/16", 11)}));
  EXPECT_FALSE(rib.HasChanges());  // nothing moved yet
  EXPECT_EQ(state.SweepStale(), 1u);
  auto changes = rib.DrainChanges();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].key, K("10.2.0.0/16"));
  EXPECT_FALSE(changes[0].action.has_value());
  EXPECT_EQ(state.nexthops(), 1u);
  EXPECT_EQ(state.counters().stale_swept, 2u);
}

TEST(FpmStateCapture, RealZebraStreamsGiveTheSameRib) {
  // Both encodings of the same config must produce the same RIB.
  auto rib_of = [](const char* file) {
    std::ifstream in(std::string(WEFT_FPM_TESTDATA) + "/" + file, std::ios::binary);
    std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
    auto rib = std::make_unique<Rib>();
    FpmState state(*rib, [](uint32_t ifindex) -> std::optional<std::string> {
      return "if" + std::to_string(ifindex);
    });
    FpmFrameReader reader;
    reader.Append(bytes);
    FpmFrame frame;
    while (true) {
      auto next = reader.Next();
      EXPECT_TRUE(next.ok());
      if (!next.ok() || !next->has_value()) break;
      EXPECT_TRUE(DecodeFpmFrame(**next, frame).ok());
      state.Apply(frame);
    }
    std::map<RouteKey, RouteAction> out;
    rib->ForEachSelected([&](const RouteKey& k, const RouteAction& a) { out[k] = a; });
    return out;
  };
  auto nhg = rib_of("zebra-nhg.fpm");
  auto inline_ = rib_of("zebra-inline.fpm");
  EXPECT_EQ(nhg, inline_);
  ASSERT_TRUE(nhg.count(K("203.0.113.0/24")));
  EXPECT_EQ(nhg.at(K("203.0.113.0/24")).nexthops.size(), 2u);
  EXPECT_EQ(nhg.at(K("192.0.2.128/25")).kind, RouteAction::Kind::kDrop);
  EXPECT_EQ(nhg.count(K("10.0.0.0/24")), 0u);  // connected: left to rtnetlink
  EXPECT_EQ(nhg.size(), 7u);  // 4 IPv4 + 3 IPv6 static routes
}

}  // namespace
}  // namespace weft::cp::fpm
