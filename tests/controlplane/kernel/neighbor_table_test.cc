#include "controlplane/kernel/neighbor_table.h"

#include <gtest/gtest.h>
#include <linux/neighbour.h>

#include "tests/controlplane/fpm/fpm_frame_builder.h"

namespace weft::cp {
namespace {

using fpm::testing::Bytes;
using fpm::testing::NetlinkMessageBuilder;

Bytes Neigh(bool del, uint8_t family, uint16_t state, const char* addr, bool with_mac = true) {
  NetlinkMessageBuilder b(del ? RTM_DELNEIGH : RTM_NEWNEIGH, 0);
  ndmsg nd{};
  nd.ndm_family = family;
  nd.ndm_ifindex = 5;
  nd.ndm_state = state;
  b.Put(&nd, sizeof(nd));
  b.Addr(NDA_DST, addr);
  const uint8_t mac[6] = {2, 0, 0, 0, 0, 2};
  if (with_mac) b.Attr(NDA_LLADDR, mac, 6);
  return b.Finish();
}

KernelNeighbor Decode(const Bytes& m) {
  auto n = DecodeNeighborMessage(m);
  EXPECT_TRUE(n.ok()) << n.status();
  EXPECT_TRUE(n.ok() && n->has_value());
  return n.ok() && n->has_value() ? **n : KernelNeighbor{};
}

TEST(NeighborTable, DecodesAndFollowsTheKernelStates) {
  NeighborTable table;
  const std::optional<std::string> port = "Ethernet0";
  KernelNeighbor reachable = Decode(Neigh(false, AF_INET, NUD_REACHABLE, "10.0.0.2"));
  EXPECT_TRUE(reachable.usable());
  EXPECT_EQ(reachable.ifindex, 5u);
  EXPECT_EQ(reachable.address, *IpAddress::Parse("10.0.0.2"));
  table.Apply(reachable, port);
  auto changes = table.DrainChanges();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].key, (NeighborKey{"Ethernet0", *IpAddress::Parse("10.0.0.2")}));
  EXPECT_EQ(changes[0].mac, (MacAddress{2, 0, 0, 0, 0, 2}));
  // STALE with the same MAC: nothing to write. INCOMPLETE (re-resolving): keep the MAC.
  table.Apply(Decode(Neigh(false, AF_INET, NUD_STALE, "10.0.0.2")), port);
  table.Apply(Decode(Neigh(false, AF_INET, NUD_INCOMPLETE, "10.0.0.2", false)), port);
  EXPECT_TRUE(table.DrainChanges().empty());
  // FAILED removes it.
  table.Apply(Decode(Neigh(false, AF_INET, NUD_FAILED, "10.0.0.2", false)), port);
  changes = table.DrainChanges();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_FALSE(changes[0].mac.has_value());
}

TEST(NeighborTable, DeletesIpv6AndForeignInterfaces) {
  NeighborTable table;
  table.Apply(Decode(Neigh(false, AF_INET6, NUD_PERMANENT, "fe80::2")), "Ethernet4");
  table.Apply(Decode(Neigh(false, AF_INET, NUD_REACHABLE, "192.168.0.9")), std::nullopt);
  EXPECT_EQ(table.size(), 1u);
  table.DrainChanges();
  table.Apply(Decode(Neigh(true, AF_INET6, 0, "fe80::2", false)), "Ethernet4");
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.DrainChanges().size(), 1u);
}

TEST(NeighborTable, MulticastEntriesAreNotNeighbours) {
  NeighborTable table;
  // The kernel lists ff02::2 NOARP with a 33:33:.. MAC: the data plane would refuse it.
  KernelNeighbor m = Decode(Neigh(false, AF_INET6, NUD_NOARP, "ff02::2"));
  m.mac = MacAddress{0x33, 0x33, 0, 0, 0, 2};
  EXPECT_FALSE(m.usable());
  table.Apply(m, "Ethernet0");
  EXPECT_EQ(table.size(), 0u);
}

TEST(NeighborTable, DecodeErrorsAndOtherFamilies) {
  EXPECT_FALSE(DecodeNeighborMessage(Neigh(false, AF_BRIDGE, NUD_REACHABLE, "10.0.0.2"))
                   .value()
                   .has_value());
  Bytes bad = Neigh(false, AF_INET, NUD_REACHABLE, "10.0.0.2");
  bad.resize(bad.size() - 4);  // cut the MAC attribute short
  bad[0] = static_cast<uint8_t>(bad.size());
  auto s = DecodeNeighborMessage(bad);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("attribute type 2"), std::string::npos) << s.status();
  Bytes no_dst = NetlinkMessageBuilder(RTM_NEWNEIGH, 0).Raw(Bytes(12, 0)).Finish();
  no_dst[NLMSG_HDRLEN] = AF_INET;
  EXPECT_NE(DecodeNeighborMessage(no_dst).status().message().find("NDA_DST"), std::string::npos);
}

}  // namespace
}  // namespace weft::cp
