// Entries written through the API come back from listings and lookups as written, with their
// owner; owners cannot touch each other's entries; deletes remove.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/dataplane/api/api_fixture.h"

namespace weft::dp::testing {
namespace {

using grpc::StatusCode;

class RoundTripTest : public ApiTest {
 protected:
  pb::LookupRouteResponse Lookup(const std::string& address) {
    pb::LookupRouteRequest request;
    *request.mutable_address() = Address(address);
    pb::LookupRouteResponse response;
    grpc::Status s = routes_->LookupRoute(Ctx().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response;
  }

  grpc::Status WriteGroup(const std::string& owner, pb::WriteOp op, uint32_t id,
                          std::vector<std::pair<std::string, std::string>> members) {
    pb::WriteNexthopGroupsRequest request;
    request.set_owner(owner);
    auto* w = request.add_writes();
    w->set_op(op);
    w->mutable_group()->set_id(id);
    uint32_t weight = 1;
    for (const auto& [port, address] : members) {
      auto* m = w->mutable_group()->add_members();
      m->mutable_nexthop()->set_port(port);
      *m->mutable_nexthop()->mutable_address() = Address(address);
      m->set_weight(weight++);
    }
    pb::WriteNexthopGroupsResponse response;
    grpc::Status s = groups_->WriteNexthopGroups(Ctx().get(), request, &response);
    if (s.ok()) {
      EXPECT_EQ(response.results_size(), 1);
    }
    return s;
  }
};

TEST_F(RoundTripTest, GetInfoNamesTheInstanceAndEpoch) {
  pb::GetInfoResponse info;
  ASSERT_TRUE(switch_->GetInfo(Ctx().get(), {}, &info).ok());
  EXPECT_EQ(info.instance(), "leaf1");
  EXPECT_EQ(info.boot_epoch(), 0x5eed0001u);
  EXPECT_EQ(info.max_batch_entries(), kMaxBatchEntries);
  EXPECT_FALSE(info.version().empty());
}

TEST_F(RoundTripTest, RoutesListInChunksLookUpAndDelete) {
  // 25,000 IPv4 /24s and a few IPv6 routes: the default chunk (10,000) needs three messages.
  std::vector<pb::RouteWrite> writes;
  for (int i = 0; i < 25'000; ++i) {
    writes.push_back(RouteVia(
        pb::WRITE_OP_ADD, "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24",
        i % 2 ? "Ethernet4" : "Ethernet0", i % 2 ? "10.255.4.2" : "10.255.0.2"));
  }
  writes.push_back(RouteVia(pb::WRITE_OP_ADD, "2001:db8:1::/48", "Ethernet8", "fe80::8"));
  // IPv4 over an IPv6 link-local next hop (BGP unnumbered).
  writes.push_back(RouteVia(pb::WRITE_OP_ADD, "172.16.0.0/12", "Ethernet8", "fe80::8"));
  pb::WriteRoutesResponse response;
  grpc::Status s = Write("fib", writes, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(response.results_size(), 25'002);
  for (const auto& r : response.results()) ASSERT_EQ(r.code(), 0) << r.message();

  int chunks = 0;
  std::vector<pb::Route> listed = ListAllRoutes("", 0, &chunks);
  EXPECT_EQ(chunks, 3);
  ASSERT_EQ(listed.size(), 25'002u);
  std::set<std::string> want, got;
  for (const auto& w : writes) {
    pb::Route r = w.route();
    r.set_owner("fib");
    want.insert(r.SerializeAsString());
  }
  for (const auto& r : listed) got.insert(r.SerializeAsString());
  EXPECT_EQ(got, want) << "listed routes differ from the written ones";

  ListAllRoutes("", 7, &chunks);
  EXPECT_EQ(chunks, (25'002 + 6) / 7);
  EXPECT_TRUE(ListAllRoutes("someone-else").empty()) << "owner filter ignored";
  for (uint32_t table : {0u, 3u}) {
    pb::ListRoutesRequest by_table;
    by_table.set_has_table_id(true);
    by_table.set_table_id(table);
    auto ctx = Ctx(30);
    auto reader = routes_->ListRoutes(ctx.get(), by_table);
    size_t n = 0;
    for (pb::ListRoutesResponse chunk; reader->Read(&chunk);) n += chunk.routes_size();
    ASSERT_TRUE(reader->Finish().ok());
    EXPECT_EQ(n, table == 0 ? 25'002u : 0u) << "table filter, table " << table;
  }

  // Longest prefix wins; a more specific route shadows, its delete uncovers.
  ASSERT_TRUE(
      Write("fib", {RouteVia(pb::WRITE_OP_ADD, "10.0.5.128/25", "Ethernet8", "10.255.8.2")}).ok());
  auto hit = Lookup("10.0.5.200");
  ASSERT_TRUE(hit.found());
  EXPECT_EQ(hit.route().prefix().length(), 25u);
  EXPECT_EQ(hit.route().nexthop().port(), "Ethernet8");
  EXPECT_EQ(hit.route().owner(), "fib");
  hit = Lookup("10.0.5.1");
  ASSERT_TRUE(hit.found());
  EXPECT_EQ(hit.route().prefix().length(), 24u);
  EXPECT_EQ(hit.route().nexthop().port(), "Ethernet4");
  EXPECT_TRUE(Lookup("172.20.1.1").route().nexthop().address().address().size() == 16);
  EXPECT_FALSE(Lookup("192.0.2.1").found());
  EXPECT_TRUE(Lookup("2001:db8:1:2::5").found());

  pb::RouteWrite del;
  del.set_op(pb::WRITE_OP_DELETE);
  *del.mutable_route()->mutable_prefix() = Prefix("10.0.5.128/25");
  ASSERT_TRUE(Write("fib", {del}).ok());
  EXPECT_EQ(Lookup("10.0.5.200").route().prefix().length(), 24u);
  EXPECT_EQ(Write("fib", {del}).error_code(), StatusCode::NOT_FOUND) << "deleted twice";
  EXPECT_EQ(ListAllRoutes().size(), 25'002u);
}

TEST_F(RoundTripTest, OwnersCannotTouchEachOthersEntries) {
  ASSERT_TRUE(
      Write("weftd", {RouteVia(pb::WRITE_OP_ADD, "10.9.0.0/16", "Ethernet0", "10.0.0.2")}).ok());
  EXPECT_EQ(Write("weftd", {RouteVia(pb::WRITE_OP_ADD, "10.9.0.0/16", "Ethernet4", "10.0.4.2")})
                .error_code(),
            StatusCode::ALREADY_EXISTS);
  grpc::Status s =
      Write("test", {RouteVia(pb::WRITE_OP_REPLACE, "10.9.0.0/16", "Ethernet4", "10.0.4.2")});
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION) << s.error_message();
  pb::RouteWrite del;
  del.set_op(pb::WRITE_OP_DELETE);
  *del.mutable_route()->mutable_prefix() = Prefix("10.9.0.0/16");
  EXPECT_EQ(Write("test", {del}).error_code(), StatusCode::FAILED_PRECONDITION);

  // The owner's own replace goes through; the listing shows the new next hop and the owner.
  ASSERT_TRUE(
      Write("weftd", {RouteVia(pb::WRITE_OP_REPLACE, "10.9.0.0/16", "Ethernet4", "10.0.4.2")})
          .ok());
  auto mine = ListAllRoutes("weftd");
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].nexthop().port(), "Ethernet4");
  EXPECT_EQ(mine[0].owner(), "weftd");
  EXPECT_TRUE(ListAllRoutes("test").empty());
}

TEST_F(RoundTripTest, GroupsRoundTripAndCannotBeDeletedWhileUsed) {
  ASSERT_TRUE(WriteGroup("weftd", pb::WRITE_OP_ADD, 100,
                         {{"Ethernet0", "10.0.0.2"}, {"Ethernet4", "fe80::4"}})
                  .ok());
  ASSERT_TRUE(Write("weftd", {RouteToGroup(pb::WRITE_OP_ADD, "0.0.0.0/0", 100)}).ok());
  pb::ListNexthopGroupsRequest request;
  request.set_owner("weftd");
  pb::ListNexthopGroupsResponse listed;
  ASSERT_TRUE(groups_->ListNexthopGroups(Ctx().get(), request, &listed).ok());
  ASSERT_EQ(listed.groups_size(), 1);
  const pb::NexthopGroup& g = listed.groups(0);
  EXPECT_EQ(g.id(), 100u);
  EXPECT_EQ(g.owner(), "weftd");
  ASSERT_EQ(g.members_size(), 2);
  EXPECT_EQ(g.members(0).nexthop().port(), "Ethernet0");
  EXPECT_EQ(g.members(0).nexthop().address().address(), Address("10.0.0.2").address());
  EXPECT_EQ(g.members(0).weight(), 1u);
  EXPECT_EQ(g.members(1).nexthop().port(), "Ethernet4");
  EXPECT_EQ(g.members(1).weight(), 2u);
  EXPECT_EQ(Lookup("8.8.8.8").route().nexthop_group_id(), 100u);

  EXPECT_EQ(WriteGroup("weftd", pb::WRITE_OP_DELETE, 100, {}).error_code(),
            StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(
      WriteGroup("other", pb::WRITE_OP_REPLACE, 100, {{"Ethernet8", "10.0.8.2"}}).error_code(),
      StatusCode::FAILED_PRECONDITION);
  pb::RouteWrite del;
  del.set_op(pb::WRITE_OP_DELETE);
  *del.mutable_route()->mutable_prefix() = Prefix("0.0.0.0/0");
  ASSERT_TRUE(Write("weftd", {del}).ok());
  ASSERT_TRUE(WriteGroup("weftd", pb::WRITE_OP_DELETE, 100, {}).ok());
  listed.Clear();
  ASSERT_TRUE(groups_->ListNexthopGroups(Ctx().get(), {}, &listed).ok());
  EXPECT_EQ(listed.groups_size(), 0);
}

TEST_F(RoundTripTest, NeighborsOfBothFamiliesRoundTrip) {
  pb::WriteNeighborsRequest request;
  request.set_owner("kernel");
  const std::string mac4("\x02\xaa\x00\x00\x00\x01", 6), mac6("\x02\xaa\x00\x00\x00\x02", 6);
  for (const auto& [address, mac] : {std::pair{"10.0.0.2", mac4}, std::pair{"fe80::2", mac6}}) {
    auto* w = request.add_writes();
    w->set_op(pb::WRITE_OP_REPLACE);
    w->mutable_neighbor()->set_port("Ethernet0");
    *w->mutable_neighbor()->mutable_address() = Address(address);
    w->mutable_neighbor()->set_mac(mac);
  }
  pb::WriteNeighborsResponse written;
  ASSERT_TRUE(neighbors_->WriteNeighbors(Ctx().get(), request, &written).ok());
  EXPECT_EQ(written.results_size(), 2);

  pb::ListNeighborsResponse listed;
  ASSERT_TRUE(neighbors_->ListNeighbors(Ctx().get(), {}, &listed).ok());
  ASSERT_EQ(listed.neighbors_size(), 2);
  std::set<std::string> macs;
  for (const auto& n : listed.neighbors()) {
    EXPECT_EQ(n.port(), "Ethernet0");
    EXPECT_EQ(n.owner(), "kernel");
    macs.insert(n.address().address() + "=" + n.mac());
  }
  EXPECT_EQ(macs, (std::set<std::string>{Address("10.0.0.2").address() + "=" + mac4,
                                         Address("fe80::2").address() + "=" + mac6}));

  pb::WriteNeighborsRequest del;
  del.set_owner("kernel");
  auto* w = del.add_writes();
  w->set_op(pb::WRITE_OP_DELETE);
  w->mutable_neighbor()->set_port("Ethernet0");
  *w->mutable_neighbor()->mutable_address() = Address("fe80::2");
  ASSERT_TRUE(neighbors_->WriteNeighbors(Ctx().get(), del, &written).ok());
  listed.Clear();
  ASSERT_TRUE(neighbors_->ListNeighbors(Ctx().get(), {}, &listed).ok());
  ASSERT_EQ(listed.neighbors_size(), 1);
  EXPECT_EQ(listed.neighbors(0).address().address().size(), 4u);
}

TEST_F(RoundTripTest, LocalAddressesRoundTrip) {
  pb::WriteLocalAddressesRequest request;
  request.set_owner("kernel");
  for (const char* p : {"10.0.4.1/24", "2001:db8:4::1/64"}) {
    auto* w = request.add_writes();
    w->set_op(pb::WRITE_OP_ADD);
    w->mutable_local_address()->set_port("Ethernet4");
    *w->mutable_local_address()->mutable_prefix() = Prefix(p);
  }
  pb::WriteLocalAddressesResponse written;
  ASSERT_TRUE(locals_->WriteLocalAddresses(Ctx().get(), request, &written).ok());
  pb::ListLocalAddressesResponse listed;
  ASSERT_TRUE(locals_->ListLocalAddresses(Ctx().get(), {}, &listed).ok());
  ASSERT_EQ(listed.local_addresses_size(), 2);
  std::set<std::string> got;
  for (const auto& l : listed.local_addresses()) {
    EXPECT_EQ(l.port(), "Ethernet4");
    EXPECT_EQ(l.owner(), "kernel");
    got.insert(l.prefix().SerializeAsString());
  }
  EXPECT_EQ(got, (std::set<std::string>{Prefix("10.0.4.1/24").SerializeAsString(),
                                        Prefix("2001:db8:4::1/64").SerializeAsString()}));
}

TEST_F(RoundTripTest, CountersShowTablesAndPortCounts) {
  ASSERT_TRUE(Write("fib", {RouteVia(pb::WRITE_OP_ADD, "10.1.0.0/16", "Ethernet0", "10.0.0.2"),
                            RouteVia(pb::WRITE_OP_ADD, "2001:db8::/32", "Ethernet0", "fe80::2")})
                  .ok());
  // What a worker would have counted.
  sw_.counters->worker(0)->port(1).rx_packets.Add(5);
  sw_.counters->worker(0)->port(1).drops[static_cast<size_t>(DropReason::kNoRoute)].Add(2);
  pb::GetCountersRequest request;
  request.add_ports("Ethernet4");
  pb::GetCountersResponse counters;
  ASSERT_TRUE(counters_->GetCounters(Ctx().get(), request, &counters).ok());
  ASSERT_EQ(counters.ports_size(), 1);
  EXPECT_EQ(counters.ports(0).port(), "Ethernet4");
  EXPECT_EQ(counters.ports(0).rx_packets(), 5u);
  EXPECT_EQ(counters.ports(0).drops().at(DropReasonName(DropReason::kNoRoute)), 2u);
  EXPECT_EQ(counters.drops().at(DropReasonName(DropReason::kNoRoute)), 2u);
  EXPECT_EQ(counters.tables().ipv4_routes(), 1u);
  EXPECT_EQ(counters.tables().ipv6_routes(), 1u);

  counters.Clear();
  ASSERT_TRUE(counters_->GetCounters(Ctx().get(), {}, &counters).ok());
  EXPECT_EQ(counters.ports_size(), 3);
}

TEST_F(RoundTripTest, MemberCountersNameTheirNextHops) {
  ASSERT_TRUE(WriteGroup("weftd", pb::WRITE_OP_ADD, 300,
                         {{"Ethernet0", "10.0.0.2"}, {"Ethernet8", "2001:db8::8"}})
                  .ok());
  pb::GetCountersResponse counters;
  ASSERT_TRUE(counters_->GetCounters(Ctx().get(), {}, &counters).ok());
  std::set<std::string> members;
  for (const auto& m : counters.members()) {
    if (m.group_id() == 300)
      members.insert(m.nexthop().port() + " " + m.nexthop().address().address());
  }
  EXPECT_EQ(members, (std::set<std::string>{"Ethernet0 " + Address("10.0.0.2").address(),
                                            "Ethernet8 " + Address("2001:db8::8").address()}));
  EXPECT_EQ(counters.tables().nexthop_groups(), 1u);
  EXPECT_EQ(counters.tables().group_adds(), 1u);
}

TEST_F(RoundTripTest, HashConfigIsAccepted) {
  pb::SetHashConfigRequest request;
  request.add_fields(pb::HASH_FIELD_DST_IP);
  request.add_fields(pb::HASH_FIELD_ROCE_DEST_QP);
  request.set_seed(1234);
  pb::SetHashConfigResponse response;
  grpc::Status s = switch_->SetHashConfig(Ctx().get(), request, &response);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

}  // namespace
}  // namespace weft::dp::testing
