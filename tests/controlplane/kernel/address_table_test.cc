#include "controlplane/kernel/address_table.h"

#include <gtest/gtest.h>
#include <linux/if_addr.h>

#include "tests/controlplane/fpm/fpm_frame_builder.h"

namespace weft::cp {
namespace {

using fpm::testing::Bytes;
using fpm::testing::NetlinkMessageBuilder;

Bytes Addr(bool del, uint8_t family, uint8_t len, const char* addr, uint8_t scope = RT_SCOPE_UNIVERSE) {
  NetlinkMessageBuilder b(del ? RTM_DELADDR : RTM_NEWADDR, 0);
  ifaddrmsg ifa{};
  ifa.ifa_family = family;
  ifa.ifa_prefixlen = len;
  ifa.ifa_scope = scope;
  ifa.ifa_index = 7;
  b.Put(&ifa, sizeof(ifa));
  b.Addr(IFA_ADDRESS, addr);
  if (family == AF_INET) b.Addr(IFA_LOCAL, addr);
  return b.Finish();
}

KernelAddress Decode(const Bytes& m) {
  auto a = DecodeAddressMessage(m);
  EXPECT_TRUE(a.ok() && a->has_value()) << a.status();
  return a.ok() && a->has_value() ? **a : KernelAddress{};
}

TEST(AddressTable, AddressesOnPortsBecomeLocalAddresses) {
  AddressTable table;
  KernelAddress v4 = Decode(Addr(false, AF_INET, 24, "10.0.0.1"));
  EXPECT_EQ(v4.ifindex, 7u);
  EXPECT_EQ(v4.prefix.ToString(), "10.0.0.1/24");  // the address keeps its host bits
  table.Apply(v4, "Ethernet0");
  table.Apply(Decode(Addr(false, AF_INET6, 64, "2001:db8::1")), "Ethernet0");
  table.Apply(Decode(Addr(false, AF_INET6, 64, "fe80::1", RT_SCOPE_LINK)), "Ethernet0");
  table.Apply(Decode(Addr(false, AF_INET, 8, "127.0.0.1", RT_SCOPE_HOST)), std::nullopt);  // lo
  auto changes = table.DrainChanges();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_TRUE(changes[0].present);
  table.Apply(Decode(Addr(false, AF_INET, 24, "10.0.0.1")), "Ethernet0");  // again: no change
  EXPECT_TRUE(table.DrainChanges().empty());
  table.Apply(Decode(Addr(true, AF_INET, 24, "10.0.0.1")), "Ethernet0");
  changes = table.DrainChanges();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_FALSE(changes[0].present);
  EXPECT_EQ(table.size(), 1u);
}

TEST(AddressTable, DecodeErrors) {
  Bytes bad = Addr(false, AF_INET, 24, "10.0.0.1");
  bad.resize(bad.size() - 2);
  bad[0] = static_cast<uint8_t>(bad.size());
  auto s = DecodeAddressMessage(bad);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("attribute type 2"), std::string::npos) << s.status();
  Bytes too_long = Addr(false, AF_INET, 40, "10.0.0.1");
  EXPECT_NE(DecodeAddressMessage(too_long).status().message().find("ifa_prefixlen 40"),
            std::string::npos);
}

}  // namespace
}  // namespace weft::cp
