// Every malformed request is refused with the right code and a message naming the field (with the
// entry index), and a refused batch changes nothing.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "tests/dataplane/api/api_fixture.h"

namespace weft::dp::testing {
namespace {

using grpc::StatusCode;

struct Case {
  std::string what;
  std::function<grpc::Status(ApiTest&)> call;
  StatusCode code;
  std::string in_message;  // the field path (and index) the message must name
};

// Three-entry batches whose last entry is the bad one: the message must name writes[2].
grpc::Status RouteBatch(ApiTest& t, pb::RouteWrite bad, const std::string& owner = "t") {
  pb::WriteRoutesResponse response;
  grpc::Status s =
      t.Write(owner,
              {ApiTest::RouteVia(pb::WRITE_OP_ADD, "192.0.2.0/24", "Ethernet0", "10.0.0.2"),
               ApiTest::RouteVia(pb::WRITE_OP_REPLACE, "2001:db8::/32", "Ethernet4", "fe80::1"),
               std::move(bad)},
              &response);
  if (s.ok()) return s;
  // The per-entry results ride in the error details: entry 2 carries the error, the others say
  // they were not applied.
  pb::WriteRoutesResponse details;
  EXPECT_TRUE(details.ParseFromString(s.error_details()));
  EXPECT_EQ(details.results_size(), 3);
  if (details.results_size() == 3 && owner != "") {
    EXPECT_EQ(details.results(0).code(), grpc::StatusCode::ABORTED);
    EXPECT_EQ(details.results(1).code(), grpc::StatusCode::ABORTED);
    EXPECT_EQ(details.results(2).code(), s.error_code());
    EXPECT_EQ(details.results(2).message(), s.error_message());
    EXPECT_EQ(details.results(2).index(), 2u);
  }
  EXPECT_EQ(response.results_size(), 0) << "a failed RPC carries its results in the details";
  return s;
}

pb::RouteWrite Mutated(std::function<void(pb::RouteWrite&)> change) {
  pb::RouteWrite w =
      ApiTest::RouteVia(pb::WRITE_OP_ADD, "198.51.100.0/24", "Ethernet8", "10.0.8.2");
  change(w);
  return w;
}

grpc::Status GroupWrite(ApiTest& t, std::function<void(pb::NexthopGroup&)> change) {
  pb::WriteNexthopGroupsRequest request;
  request.set_owner("t");
  auto* w = request.add_writes();
  w->set_op(pb::WRITE_OP_ADD);
  auto* g = w->mutable_group();
  g->set_id(42);
  for (const char* nh : {"10.0.0.2", "10.0.4.2"}) {
    auto* m = g->add_members();
    m->mutable_nexthop()->set_port(nh[5] == '0' ? "Ethernet0" : "Ethernet4");
    *m->mutable_nexthop()->mutable_address() = ApiTest::Address(nh);
    m->set_weight(3);
  }
  change(*g);
  pb::WriteNexthopGroupsResponse response;
  return t.groups_->WriteNexthopGroups(Ctx().get(), request, &response);
}

grpc::Status NeighborWrite(ApiTest& t, std::function<void(pb::NeighborWrite&)> change) {
  pb::WriteNeighborsRequest request;
  request.set_owner("t");
  auto* w = request.add_writes();
  w->set_op(pb::WRITE_OP_ADD);
  w->mutable_neighbor()->set_port("Ethernet0");
  *w->mutable_neighbor()->mutable_address() = ApiTest::Address("10.0.0.9");
  w->mutable_neighbor()->set_mac(std::string("\x02\x00\x00\x00\x00\x09", 6));
  change(*w);
  pb::WriteNeighborsResponse response;
  return t.neighbors_->WriteNeighbors(Ctx().get(), request, &response);
}

grpc::Status LocalWrite(ApiTest& t, std::function<void(pb::LocalAddressWrite&)> change) {
  pb::WriteLocalAddressesRequest request;
  request.set_owner("t");
  auto* w = request.add_writes();
  w->set_op(pb::WRITE_OP_ADD);
  w->mutable_local_address()->set_port("Ethernet0");
  *w->mutable_local_address()->mutable_prefix() = ApiTest::Prefix("10.0.0.1/24");
  change(*w);
  pb::WriteLocalAddressesResponse response;
  return t.locals_->WriteLocalAddresses(Ctx().get(), request, &response);
}

std::vector<Case> WriteCases() {
  using W = pb::RouteWrite;
  const auto inv = StatusCode::INVALID_ARGUMENT;
  return {
      {"route batch without owner",
       [](ApiTest& t) { return RouteBatch(t, Mutated([](W&) {}), ""); }, inv, "owner"},
      {"unspecified op",
       [](ApiTest& t) {
         return RouteBatch(t, Mutated([](W& w) { w.set_op(pb::WRITE_OP_UNSPECIFIED); }));
       },
       inv, "writes[2].op"},
      {"op out of range",
       [](ApiTest& t) { return RouteBatch(t, Mutated([](W& w) { w.set_op(pb::WriteOp(9)); })); },
       inv, "writes[2].op"},
      {"missing route",
       [](ApiTest& t) { return RouteBatch(t, Mutated([](W& w) { w.clear_route(); })); }, inv,
       "writes[2].route"},
      {"5-byte prefix address",
       [](ApiTest& t) {
         return RouteBatch(t, Mutated([](W& w) {
                             w.mutable_route()->mutable_prefix()->set_address(
                                 "\x0a\x00\x00\x00\x00", 5);
                           }));
       },
       inv, "writes[2].route.prefix.address"},
      {"IPv4 prefix length 33",
       [](ApiTest& t) {
         return RouteBatch(
             t, Mutated([](W& w) { w.mutable_route()->mutable_prefix()->set_length(33); }));
       },
       inv, "writes[2].route.prefix.length: 33 exceeds 32 for IPv4"},
      {"IPv6 prefix length 129",
       [](ApiTest& t) {
         return RouteBatch(t, Mutated([](W& w) {
                             *w.mutable_route()->mutable_prefix() =
                                 ApiTest::Prefix("2001:db8::/64");
                             w.mutable_route()->mutable_prefix()->set_length(129);
                           }));
       },
       inv, "writes[2].route.prefix.length: 129 exceeds 128 for IPv6"},
      {"host bits set",
       [](ApiTest& t) {
         return RouteBatch(t, Mutated([](W& w) {
                             *w.mutable_route()->mutable_prefix() = ApiTest::Prefix("10.9.9.1/16");
                           }));
       },
       inv, "writes[2].route.prefix.address"},
      {"no action",
       [](ApiTest& t) {
         return RouteBatch(t, Mutated([](W& w) { w.mutable_route()->clear_nexthop(); }));
       },
       inv, "writes[2].route.action"},
      {"group id 0",
       [](ApiTest& t) {
         return RouteBatch(t, Mutated([](W& w) { w.mutable_route()->set_nexthop_group_id(0); }));
       },
       inv, "writes[2].route.nexthop_group_id"},
      {"unspecified special",
       [](ApiTest& t) {
         return RouteBatch(t, Mutated([](W& w) {
                             w.mutable_route()->set_special(pb::ROUTE_SPECIAL_UNSPECIFIED);
                           }));
       },
       inv, "writes[2].route.special"},
      {"unknown port",
       [](ApiTest& t) {
         return RouteBatch(t, Mutated([](W& w) {
                             w.mutable_route()->mutable_nexthop()->set_port("Ethernet99");
                           }));
       },
       StatusCode::NOT_FOUND, "writes[2].route.nexthop.port"},
      {"empty port name",
       [](ApiTest& t) {
         return RouteBatch(
             t, Mutated([](W& w) { w.mutable_route()->mutable_nexthop()->clear_port(); }));
       },
       inv, "writes[2].route.nexthop.port"},
      {"3-byte next-hop address",
       [](ApiTest& t) {
         return RouteBatch(
             t, Mutated([](W& w) {
               w.mutable_route()->mutable_nexthop()->mutable_address()->set_address("abc");
             }));
       },
       inv, "writes[2].route.nexthop.address.address"},
      {"table other than 0",
       [](ApiTest& t) {
         return RouteBatch(t, Mutated([](W& w) { w.mutable_route()->set_table_id(7); }));
       },
       inv, "writes[2]"},
      {"route to a group that does not exist",
       [](ApiTest& t) {
         return RouteBatch(t, Mutated([](W& w) { w.mutable_route()->set_nexthop_group_id(999); }));
       },
       StatusCode::NOT_FOUND, "writes[2].route"},
      {"neighbour of another owner",
       [](ApiTest& t) {
         pb::WriteNeighborsRequest request;
         request.set_owner("intruder");
         auto* w = request.add_writes();
         w->set_op(pb::WRITE_OP_REPLACE);
         w->mutable_neighbor()->set_port("Ethernet0");
         *w->mutable_neighbor()->mutable_address() = ApiTest::Address("10.0.0.9");
         w->mutable_neighbor()->set_mac(std::string("\x02\x00\x00\x00\x00\x0a", 6));
         pb::WriteNeighborsResponse response;
         return t.neighbors_->WriteNeighbors(Ctx().get(), request, &response);
       },
       StatusCode::FAILED_PRECONDITION, "writes[0].neighbor"},
      {"group id 0",
       [](ApiTest& t) { return GroupWrite(t, [](pb::NexthopGroup& g) { g.set_id(0); }); }, inv,
       "writes[0].group.id"},
      {"group without members",
       [](ApiTest& t) { return GroupWrite(t, [](pb::NexthopGroup& g) { g.clear_members(); }); },
       inv, "writes[0].group.members"},
      {"group with 65 members",
       [](ApiTest& t) {
         return GroupWrite(t, [](pb::NexthopGroup& g) {
           for (int i = 0; i < 63; ++i) {
             auto* m = g.add_members();
             m->mutable_nexthop()->set_port("Ethernet8");
             *m->mutable_nexthop()->mutable_address() =
                 ApiTest::Address("10.0.8." + std::to_string(10 + i));
           }
         });
       },
       inv, "writes[0].group.members"},
      {"member weight 256",
       [](ApiTest& t) {
         return GroupWrite(t, [](pb::NexthopGroup& g) { g.mutable_members(1)->set_weight(256); });
       },
       inv, "writes[0].group.members[1].weight"},
      {"member on an unknown port",
       [](ApiTest& t) {
         return GroupWrite(t, [](pb::NexthopGroup& g) {
           g.mutable_members(0)->mutable_nexthop()->set_port("eth0");
         });
       },
       StatusCode::NOT_FOUND, "writes[0].group.members[0].nexthop.port"},
      {"duplicate member",
       [](ApiTest& t) {
         return GroupWrite(t, [](pb::NexthopGroup& g) { *g.mutable_members(1) = g.members(0); });
       },
       inv, "writes[0].group.members[1].nexthop"},
      {"5-byte MAC",
       [](ApiTest& t) {
         return NeighborWrite(t, [](pb::NeighborWrite& w) {
           w.mutable_neighbor()->set_mac("\x02\x01\x02\x03\x04");
         });
       },
       inv, "writes[0].neighbor.mac"},
      {"multicast MAC",
       [](ApiTest& t) {
         return NeighborWrite(t, [](pb::NeighborWrite& w) {
           w.mutable_neighbor()->set_mac(std::string("\x01\x00\x5e\x00\x00\x01", 6));
         });
       },
       inv, "writes[0].neighbor.mac"},
      {"neighbour on an unknown port",
       [](ApiTest& t) {
         return NeighborWrite(
             t, [](pb::NeighborWrite& w) { w.mutable_neighbor()->set_port("Ethernet1"); });
       },
       StatusCode::NOT_FOUND, "writes[0].neighbor.port"},
      {"neighbour without address",
       [](ApiTest& t) {
         return NeighborWrite(t,
                              [](pb::NeighborWrite& w) { w.mutable_neighbor()->clear_address(); });
       },
       inv, "writes[0].neighbor.address.address"},
      {"local address /33",
       [](ApiTest& t) {
         return LocalWrite(t, [](pb::LocalAddressWrite& w) {
           w.mutable_local_address()->mutable_prefix()->set_length(33);
         });
       },
       inv, "writes[0].local_address.prefix.length"},
      {"local address without owner",
       [](ApiTest& t) {
         pb::WriteLocalAddressesRequest request;
         auto* w = request.add_writes();
         w->set_op(pb::WRITE_OP_ADD);
         w->mutable_local_address()->set_port("Ethernet0");
         *w->mutable_local_address()->mutable_prefix() = ApiTest::Prefix("10.0.0.1/24");
         pb::WriteLocalAddressesResponse response;
         return t.locals_->WriteLocalAddresses(Ctx().get(), request, &response);
       },
       inv, "owner"},
  };
}

class ValidationTest : public ApiTest {
 protected:
  // Everything the tables hold, serialised: equal before and after a refused write.
  std::string Everything() {
    std::string out;
    for (const auto& r : ListAllRoutes()) out += r.SerializeAsString();
    pb::ListNexthopGroupsResponse g;
    EXPECT_TRUE(groups_->ListNexthopGroups(Ctx().get(), {}, &g).ok());
    pb::ListNeighborsResponse n;
    EXPECT_TRUE(neighbors_->ListNeighbors(Ctx().get(), {}, &n).ok());
    pb::ListLocalAddressesResponse l;
    EXPECT_TRUE(locals_->ListLocalAddresses(Ctx().get(), {}, &l).ok());
    return out + "|" + g.SerializeAsString() + "|" + n.SerializeAsString() + "|" +
           l.SerializeAsString();
  }

  // Some state for a refused batch to (not) change.
  void Seed() {
    ASSERT_TRUE(GroupWrite(*this, [](pb::NexthopGroup& g) { g.set_id(7); }).ok());
    ASSERT_TRUE(Write("seed", {RouteVia(pb::WRITE_OP_ADD, "10.1.0.0/16", "Ethernet0", "10.0.0.2"),
                               RouteToGroup(pb::WRITE_OP_ADD, "10.2.0.0/16", 7)})
                    .ok());
    ASSERT_TRUE(NeighborWrite(*this, [](pb::NeighborWrite&) {}).ok());
    ASSERT_TRUE(LocalWrite(*this, [](pb::LocalAddressWrite&) {}).ok());
  }

  void Expect(const Case& c, const grpc::Status& s) {
    EXPECT_EQ(s.error_code(), c.code) << s.error_message();
    EXPECT_NE(s.error_message().find(c.in_message), std::string::npos)
        << "message \"" << s.error_message() << "\" does not name \"" << c.in_message << "\"";
  }
};

TEST_F(ValidationTest, RefusedWritesNameTheFieldAndChangeNothing) {
  Seed();
  const std::string before = Everything();
  ASSERT_NE(before.find("Ethernet0"), std::string::npos);
  for (const Case& c : WriteCases()) {
    SCOPED_TRACE(c.what);
    Expect(c, c.call(*this));
    EXPECT_EQ(Everything(), before) << "a refused batch changed the tables";
  }
}

TEST_F(ValidationTest, RefusedRequestsNameTheField) {
  const auto inv = StatusCode::INVALID_ARGUMENT;
  const std::vector<Case> cases = {
      {"hash without fields",
       [](ApiTest& t) {
         pb::SetHashConfigResponse r;
         return t.switch_->SetHashConfig(Ctx().get(), {}, &r);
       },
       inv, "fields"},
      {"hash field listed twice",
       [](ApiTest& t) {
         pb::SetHashConfigRequest q;
         q.add_fields(pb::HASH_FIELD_DST_IP);
         q.add_fields(pb::HASH_FIELD_SRC_PORT);
         q.add_fields(pb::HASH_FIELD_DST_IP);
         pb::SetHashConfigResponse r;
         return t.switch_->SetHashConfig(Ctx().get(), q, &r);
       },
       inv, "fields[2]"},
      {"unspecified hash field",
       [](ApiTest& t) {
         pb::SetHashConfigRequest q;
         q.add_fields(pb::HASH_FIELD_UNSPECIFIED);
         pb::SetHashConfigResponse r;
         return t.switch_->SetHashConfig(Ctx().get(), q, &r);
       },
       inv, "fields[0]"},
      {"MTU 67",
       [](ApiTest& t) {
         pb::SetPortMtuRequest q;
         q.set_port("Ethernet0");
         q.set_mtu(67);
         pb::SetPortMtuResponse r;
         return t.ports_->SetPortMtu(Ctx().get(), q, &r);
       },
       inv, "mtu: 67 outside 68..9216"},
      {"MTU 9217",
       [](ApiTest& t) {
         pb::SetPortMtuRequest q;
         q.set_port("Ethernet0");
         q.set_mtu(9217);
         pb::SetPortMtuResponse r;
         return t.ports_->SetPortMtu(Ctx().get(), q, &r);
       },
       inv, "mtu"},
      {"MTU of an unknown port",
       [](ApiTest& t) {
         pb::SetPortMtuRequest q;
         q.set_port("Ethernet2");
         q.set_mtu(1500);
         pb::SetPortMtuResponse r;
         return t.ports_->SetPortMtu(Ctx().get(), q, &r);
       },
       StatusCode::NOT_FOUND, "port: no port named \"Ethernet2\""},
      {"admin state of an unknown port",
       [](ApiTest& t) {
         pb::SetPortAdminStateRequest q;
         q.set_port("Ethernet12");
         pb::SetPortAdminStateResponse r;
         return t.ports_->SetPortAdminState(Ctx().get(), q, &r);
       },
       StatusCode::NOT_FOUND, "port"},
      {"list an unknown port",
       [](ApiTest& t) {
         pb::ListPortsRequest q;
         q.add_names("Ethernet0");
         q.add_names("Ethernet5");
         pb::ListPortsResponse r;
         return t.ports_->ListPorts(Ctx().get(), q, &r);
       },
       StatusCode::NOT_FOUND, "names[1]"},
      {"counters of an unknown port",
       [](ApiTest& t) {
         pb::GetCountersRequest q;
         q.add_ports("Ethernet7");
         pb::GetCountersResponse r;
         return t.counters_->GetCounters(Ctx().get(), q, &r);
       },
       StatusCode::NOT_FOUND, "ports[0]"},
      {"lookup of a 2-byte address",
       [](ApiTest& t) {
         pb::LookupRouteRequest q;
         q.mutable_address()->set_address("ab");
         pb::LookupRouteResponse r;
         return t.routes_->LookupRoute(Ctx().get(), q, &r);
       },
       inv, "address.address"},
      {"route listing chunk too large",
       [](ApiTest& t) {
         pb::ListRoutesRequest q;
         q.set_chunk_size(100'001);
         auto ctx = Ctx();
         auto reader = t.routes_->ListRoutes(ctx.get(), q);
         pb::ListRoutesResponse r;
         while (reader->Read(&r)) {
         }
         return reader->Finish();
       },
       inv, "chunk_size"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    Expect(c, c.call(*this));
  }
  EXPECT_TRUE(controller_->mtu_calls.empty()) << "a refused MTU reached the port controller";
  EXPECT_TRUE(controller_->admin_calls.empty());
}

TEST_F(ValidationTest, OversizedBatchIsRefused) {
  pb::WriteRoutesRequest request;
  request.set_owner("t");
  pb::RouteWrite w = RouteVia(pb::WRITE_OP_ADD, "10.0.0.0/8", "Ethernet0", "10.0.0.2");
  for (uint32_t i = 0; i <= kMaxBatchEntries; ++i) *request.add_writes() = w;
  pb::WriteRoutesResponse response;
  grpc::Status s = routes_->WriteRoutes(Ctx(30).get(), request, &response);
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("65537 entries exceed the limit of 65536"), std::string::npos)
      << s.error_message();
  EXPECT_TRUE(ListAllRoutes().empty());
}

TEST_F(ValidationTest, LargeRefusedBatchDetailsListOnlyTheFailedEntries) {
  // 65,536 per-entry results would overflow gRPC's 8 KB trailer limit: only the bad one is listed.
  pb::WriteRoutesRequest request;
  request.set_owner("t");
  for (uint32_t i = 0; i < kMaxBatchEntries; ++i) {
    *request.add_writes() = RouteVia(
        pb::WRITE_OP_ADD, "10." + std::to_string(i >> 8) + "." + std::to_string(i & 255) + ".0/24",
        "Ethernet0", "10.255.0.2");
  }
  request.mutable_writes(40'000)->mutable_route()->mutable_prefix()->set_length(40);
  pb::WriteRoutesResponse response;
  grpc::Status s = routes_->WriteRoutes(Ctx(30).get(), request, &response);
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("writes[40000].route.prefix.length"), std::string::npos)
      << s.error_message();
  pb::WriteRoutesResponse details;
  ASSERT_TRUE(details.ParseFromString(s.error_details()));
  ASSERT_EQ(details.results_size(), 1);
  EXPECT_EQ(details.results(0).index(), 40'000u);
  EXPECT_EQ(details.results(0).code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(ListAllRoutes().empty());
}

}  // namespace
}  // namespace weft::dp::testing
