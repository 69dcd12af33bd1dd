// Decodes the streams Debian's zebra 8.4 really sent (scripts/capture-fpm), in both encodings,
// and checks the routes the capture's static config and veth addresses must produce.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "controlplane/fpm/fpm_decoder.h"

namespace weft::cp::fpm {
namespace {

std::vector<uint8_t> ReadFile(const std::string& name) {
  std::ifstream in(std::string(WEFT_FPM_TESTDATA) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The end state of a replay: last message per prefix / next-hop id, and the frames that carried
// a DELROUTE followed by a NEWROUTE of the same prefix.
struct Replay {
  std::map<IpPrefix, RouteMessage> routes;
  std::map<uint32_t, NexthopMessage> nexthops;
  std::set<IpPrefix> deleted;
  std::vector<IpPrefix> replace_pairs;
  size_t frames = 0;

  // Gateways the route forwards to, through its group or inline, with weights.
  std::multiset<std::string> Gateways(const IpPrefix& p) const {
    std::multiset<std::string> out;
    const RouteMessage& r = routes.at(p);
    for (const auto& nh : r.nexthops) out.insert(nh.gateway.ToString());
    if (r.nexthop_id == 0) return out;
    const NexthopMessage& top = nexthops.at(r.nexthop_id);
    if (top.group.empty()) {
      out.insert(top.gateway.ToString());
    } else {
      for (const auto& m : top.group) out.insert(nexthops.at(m.id).gateway.ToString());
    }
    return out;
  }
};

Replay DecodeCapture(const std::string& name) {
  std::vector<uint8_t> stream = ReadFile(name);
  EXPECT_GT(stream.size(), 100u);
  Replay replay;
  FpmFrameReader reader;
  reader.Append(stream);
  while (true) {
    auto next = reader.Next();
    EXPECT_TRUE(next.ok()) << next.status();
    if (!next.ok() || !next->has_value()) break;
    FpmFrame frame;
    absl::Status s = DecodeFpmFrame(**next, frame);
    EXPECT_TRUE(s.ok()) << s;
    ++replay.frames;
    for (size_t i = 0; i < frame.messages.size(); ++i) {
      if (auto* r = std::get_if<RouteMessage>(&frame.messages[i])) {
        if (r->is_delete) {
          replay.routes.erase(r->prefix);
          replay.deleted.insert(r->prefix);
          const auto* after = i + 1 < frame.messages.size()
                                  ? std::get_if<RouteMessage>(&frame.messages[i + 1])
                                  : nullptr;
          if (after && !after->is_delete && after->prefix == r->prefix) {
            replay.replace_pairs.push_back(r->prefix);
          }
        } else {
          replay.routes[r->prefix] = *r;
          replay.deleted.erase(r->prefix);
        }
      } else {
        const auto& nh = std::get<NexthopMessage>(frame.messages[i]);
        if (nh.is_delete) {
          replay.nexthops.erase(nh.id);
        } else {
          replay.nexthops[nh.id] = nh;
        }
      }
    }
  }
  EXPECT_EQ(reader.buffered(), 0u);
  return replay;
}

IpPrefix P(const char* text) { return *IpPrefix::Parse(text); }
using Gw = std::multiset<std::string>;

void CheckCommonRoutes(const Replay& r) {
  // Connected routes of the veth addresses come with protocol 2 (kernel) and only an interface.
  for (const char* c : {"10.0.0.0/24", "10.0.1.0/24", "2001:db8:0:1::/64", "2001:db8:0:2::/64"}) {
    ASSERT_TRUE(r.routes.count(P(c))) << c;
    EXPECT_EQ(r.routes.at(P(c)).protocol, kProtoKernel) << c;
    EXPECT_EQ(r.Gateways(P(c)), Gw{""}) << c;
  }
  // The update turned 198.51.100.0/24 from one next hop into two, sent as DEL+NEW in one frame.
  EXPECT_EQ(r.replace_pairs, std::vector<IpPrefix>{P("198.51.100.0/24")});
  EXPECT_EQ(r.Gateways(P("198.51.100.0/24")), (Gw{"10.0.0.2", "10.0.1.2"}));
  EXPECT_EQ(r.routes.at(P("198.51.100.0/24")).protocol, kProtoStatic);
  EXPECT_EQ(r.Gateways(P("203.0.113.0/24")), (Gw{"10.0.0.2", "10.0.1.2"}));
  EXPECT_EQ(r.Gateways(P("2001:db8:100::/48")), Gw{"2001:db8:0:1::2"});
  EXPECT_EQ(r.Gateways(P("2001:db8:200::/48")), (Gw{"2001:db8:0:1::2", "2001:db8:0:2::2"}));
  // The interface route has an OIF and no gateway.
  EXPECT_EQ(r.Gateways(P("100.64.0.0/16")), Gw{""});
  // Blackhole and reject are route types, without a next-hop id.
  EXPECT_FALSE(r.routes.count(P("192.0.2.0/24")));  // deleted at the end of the capture
  EXPECT_TRUE(r.deleted.count(P("192.0.2.0/24")));
  const RouteMessage& reject = r.routes.at(P("192.0.2.128/25"));
  EXPECT_EQ(reject.type, RouteType::kUnreachable);
  EXPECT_EQ(reject.nexthop_id, 0u);
  const RouteMessage& bh6 = r.routes.at(P("2001:db8:300::/48"));
  EXPECT_EQ(bh6.type, RouteType::kBlackhole);
  EXPECT_EQ(bh6.nexthop_id, 0u);
  for (const auto& [prefix, route] : r.routes) {
    EXPECT_EQ(route.table, 254u) << prefix.ToString();
  }
}

TEST(FpmCapture, ZebraNextHopGroups) {
  Replay r = DecodeCapture("zebra-nhg.fpm");
  CheckCommonRoutes(r);
  // With next-hop groups every unicast route points at an id and carries no inline next hop.
  for (const auto& [prefix, route] : r.routes) {
    if (route.type != RouteType::kUnicast) continue;
    EXPECT_NE(route.nexthop_id, 0u) << prefix.ToString();
    EXPECT_TRUE(route.nexthops.empty()) << prefix.ToString();
  }
  const NexthopMessage& ecmp = r.nexthops.at(r.routes.at(P("203.0.113.0/24")).nexthop_id);
  ASSERT_EQ(ecmp.group.size(), 2u);
  for (const auto& m : ecmp.group) {
    EXPECT_EQ(m.weight, 1u);
    EXPECT_NE(r.nexthops.at(m.id).ifindex, 0u);
  }
}

TEST(FpmCapture, ZebraInlineMultipath) {
  Replay r = DecodeCapture("zebra-inline.fpm");
  CheckCommonRoutes(r);
  EXPECT_TRUE(r.nexthops.empty());
  for (const auto& [prefix, route] : r.routes) {
    EXPECT_EQ(route.nexthop_id, 0u) << prefix.ToString();
  }
  const RouteMessage& ecmp = r.routes.at(P("203.0.113.0/24"));
  ASSERT_EQ(ecmp.nexthops.size(), 2u);
  EXPECT_NE(ecmp.nexthops[0].ifindex, ecmp.nexthops[1].ifindex);
  EXPECT_EQ(ecmp.nexthops[0].weight, 1u);
}

}  // namespace
}  // namespace weft::cp::fpm
