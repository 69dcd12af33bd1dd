// Conversion helpers on their own: proto <-> data-plane types, and what they refuse.
#include "dataplane/api/convert.h"

#include <gtest/gtest.h>

namespace weft::dp::api {
namespace {

pb::IpAddress Bytes(std::string b) {
  pb::IpAddress a;
  a.set_address(std::move(b));
  return a;
}

TEST(ConvertTest, AddressesOfBothFamiliesRoundTrip) {
  auto v4 = AddressFromProto(Bytes(std::string("\x0a\x01\x02\x03", 4)), "a");
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->ToString(), "10.1.2.3");
  const std::string six("\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
  auto v6 = AddressFromProto(Bytes(six), "a");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->ToString(), "fe80::1");
  pb::IpAddress back;
  AddressToProto(*v6, &back);
  EXPECT_EQ(back.address(), six);
  AddressToProto(*v4, &back);
  EXPECT_EQ(back.address().size(), 4u);
  for (size_t len : {0, 1, 5, 15, 17}) {
    auto bad = AddressFromProto(Bytes(std::string(len, '\1')), "route.nexthop.address");
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(bad.status().message(), "route.nexthop.address.address: " + std::to_string(len) +
                                          " bytes; an address is 4 (IPv4) or 16 (IPv6) bytes");
  }
}

TEST(ConvertTest, PrefixLengthAndHostBits) {
  pb::IpPrefix p;
  p.set_address(std::string("\x0a\x00\x00\x80", 4));
  p.set_length(25);
  ASSERT_TRUE(PrefixFromProto(p, "prefix").ok());
  p.set_length(24);
  auto host = PrefixFromProto(p, "prefix");
  EXPECT_EQ(host.status().message(), "prefix.address: host bits set beyond /24 (10.0.0.128)");
  EXPECT_TRUE(PrefixFromProto(p, "prefix", /*allow_host_bits=*/true).ok());
  p.set_length(33);
  EXPECT_EQ(PrefixFromProto(p, "prefix", true).status().message(),
            "prefix.length: 33 exceeds 32 for IPv4");
  p.set_address(std::string(16, '\0'));
  p.set_length(128);
  auto six = PrefixFromProto(p, "prefix");
  ASSERT_TRUE(six.ok());
  EXPECT_EQ(six->length, 128);
  p.set_length(0);
  auto zero = PrefixFromProto(p, "prefix");
  ASSERT_TRUE(zero.ok());
  pb::IpPrefix back;
  PrefixToProto(*zero, &back);
  EXPECT_EQ(back.SerializeAsString(), p.SerializeAsString());
}

TEST(ConvertTest, MacMustBeSixByteUnicast) {
  auto ok = MacFromProto(std::string("\x02\x11\x22\x33\x44\x55", 6), "mac");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(MacToBytes(*ok), std::string("\x02\x11\x22\x33\x44\x55", 6));
  EXPECT_NE(MacFromProto(std::string(6, '\xff'), "mac").status().message().find("unicast"),
            std::string::npos);
  EXPECT_NE(MacFromProto(std::string(6, '\0'), "mac").status().message().find("all-zero"),
            std::string::npos);
  EXPECT_EQ(MacFromProto("\x02\x11", "n.mac").status().message(),
            "n.mac: 2 bytes; a MAC address is 6 bytes");
}

TEST(ConvertTest, RouteWritesConvertEachActionAndDeleteReadsOnlyTheKey) {
  PortTable ports;
  ports.Append().name = "Ethernet0";
  ports.Append().name = "Ethernet4";
  pb::RouteWrite w;
  w.set_op(pb::WRITE_OP_REPLACE);
  w.mutable_route()->mutable_prefix()->set_address(std::string("\x0a\0\0\0", 4));
  w.mutable_route()->mutable_prefix()->set_length(8);
  w.mutable_route()->mutable_nexthop()->set_port("Ethernet4");
  w.mutable_route()->mutable_nexthop()->mutable_address()->set_address(std::string(16, '\x01'));
  auto r = RouteWriteFromProto(w, ports, "writes[0]");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->op, WriteOp::kReplace);
  EXPECT_EQ(r->route.action.kind, RouteKind::kNexthop);
  EXPECT_EQ(r->route.action.nexthop.port, 1);
  EXPECT_FALSE(r->route.action.nexthop.address.is_v4());

  w.mutable_route()->set_special(pb::ROUTE_SPECIAL_PUNT);
  EXPECT_EQ(RouteWriteFromProto(w, ports, "w")->route.action.kind, RouteKind::kPunt);
  w.mutable_route()->set_nexthop_group_id(9);
  EXPECT_EQ(RouteWriteFromProto(w, ports, "w")->route.action.group_id, 9u);

  // DELETE ignores a bad action: only table and prefix are read.
  w.set_op(pb::WRITE_OP_DELETE);
  w.mutable_route()->set_nexthop_group_id(0);
  EXPECT_TRUE(RouteWriteFromProto(w, ports, "w").ok());

  RouteEntry e = r->route;
  e.owner = "weftd";
  pb::Route out;
  RouteToProto(e, ports, &out);
  EXPECT_EQ(out.nexthop().port(), "Ethernet4");
  EXPECT_EQ(out.owner(), "weftd");
  e.action.nexthop.port = 40;  // a port index the table does not know: still listed
  RouteToProto(e, ports, &out);
  EXPECT_EQ(out.nexthop().port(), "port40");
}

TEST(ConvertTest, GroupWeightZeroReadsAsOne) {
  PortTable ports;
  ports.Append().name = "Ethernet0";
  pb::NexthopGroupWrite w;
  w.set_op(pb::WRITE_OP_ADD);
  w.mutable_group()->set_id(5);
  auto* m = w.mutable_group()->add_members();
  m->mutable_nexthop()->set_port("Ethernet0");
  m->mutable_nexthop()->mutable_address()->set_address(std::string("\x0a\0\0\x02", 4));
  auto g = GroupWriteFromProto(w, ports, "writes[0]");
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_EQ(g->group.members.size(), 1u);
  EXPECT_EQ(g->group.members[0].weight, 1u);
}

TEST(ConvertTest, HashFieldsBecomeBits) {
  pb::SetHashConfigRequest q;
  q.add_fields(pb::HASH_FIELD_SRC_IP);
  q.add_fields(pb::HASH_FIELD_ROCE_DEST_QP);
  q.set_seed(77);
  auto h = HashConfigFromProto(q);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->fields, kHashSrcIp | kHashRoceQp);
  EXPECT_EQ(h->seed, 77u);
}

}  // namespace
}  // namespace weft::dp::api
