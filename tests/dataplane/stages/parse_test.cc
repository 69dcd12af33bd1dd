// Parse stage, table-driven: good and malformed frames -> metadata or drop reason / punt class.
#include "dataplane/stages/parse.h"

#include <gtest/gtest.h>

#include <functional>

#include "dataplane/stages/classify.h"
#include "tests/dataplane/stages/test_support.h"

namespace weft::dp {
namespace {

using testing::BuildPacket;
using testing::Mac;
using testing::PacketSpec;

struct ParseCase {
  const char* what;
  std::function<std::vector<uint8_t>()> frame;
  Verdict verdict;
  uint8_t reason = 0;  // DropReason or PuntClass
  std::function<void(const PacketMeta&)> check = nullptr;
};

uint8_t R(DropReason r) { return static_cast<uint8_t>(r); }
uint8_t C(PuntClass c) { return static_cast<uint8_t>(c); }

PacketSpec V6() {
  PacketSpec s;
  s.ipv6 = true;
  s.src = "2001:db8::1";
  s.dst = "2001:db8:1::1";
  return s;
}

std::vector<uint8_t> Truncate(std::vector<uint8_t> f, size_t n) {
  f.resize(n);
  return f;
}

const ParseCase kCases[] = {
    {"udp over ipv4", [] { return BuildPacket({}); }, Verdict::kForward, 0,
     [](const PacketMeta& m) {
       EXPECT_EQ(m.family, 4);
       EXPECT_EQ(m.l4_proto, 17);
       EXPECT_EQ(m.src_port, 1000);
       EXPECT_EQ(m.dst_port, 2000);
       EXPECT_EQ(m.ttl, 64);
       EXPECT_EQ(m.l3_len, 20u + 8 + 18);
     }},
    {"tcp over ipv4 with options",
     [] {
       PacketSpec s;
       s.proto = 6;
       s.ipv4_options = {1, 1, 1, 0};
       s.src_port = 7;
       return BuildPacket(s);
     },
     Verdict::kForward, 0,
     [](const PacketMeta& m) {
       EXPECT_EQ(m.src_port, 7);
       EXPECT_EQ(m.l4_proto, 6);
     }},
    {"vlan tagged, dscp 46",
     [] {
       PacketSpec s;
       s.vlan_tci = 0x6064;
       s.dscp = 46;
       return BuildPacket(s);
     },
     Verdict::kForward, 0,
     [](const PacketMeta& m) {
       EXPECT_EQ(m.vlan, 1);
       EXPECT_EQ(m.pcp, 3);
       EXPECT_EQ(m.family, 4);
     }},
    {"udp over ipv6",
     [] {
       PacketSpec s = V6();
       s.flow_label = 0x12345;
       return BuildPacket(s);
     },
     Verdict::kForward, 0,
     [](const PacketMeta& m) {
       EXPECT_EQ(m.family, 6);
       EXPECT_EQ(m.dst_port, 2000);
       EXPECT_EQ(m.l3_len, 40u + 26);
     }},
    {"roce v2 qp",
     [] {
       PacketSpec s;
       s.dst_port = 4791;
       s.payload = 12;
       auto f = BuildPacket(s);
       f[14 + 20 + 8 + 5] = 0x12;
       f[14 + 20 + 8 + 6] = 0x34;
       f[14 + 20 + 8 + 7] = 0x56;
       return f;
     },
     Verdict::kForward, 0, [](const PacketMeta& m) { EXPECT_EQ(m.roce_qp, 0x123456u); }},
    {"ethernet padding beyond ip length is fine",
     [] {
       auto f = BuildPacket({});
       f.resize(f.size() + 10);
       return f;
     },
     Verdict::kForward},
    {"truncated ethernet", [] { return Truncate(BuildPacket({}), 13); }, Verdict::kDrop,
     R(DropReason::kTruncatedEthernet)},
    {"truncated vlan",
     [] {
       PacketSpec s;
       s.vlan_tci = 1;
       return Truncate(BuildPacket(s), 16);
     },
     Verdict::kDrop, R(DropReason::kTruncatedVlan)},
    {"truncated ipv4", [] { return Truncate(BuildPacket({}), 14 + 19); }, Verdict::kDrop,
     R(DropReason::kTruncatedIpv4)},
    {"ipv4 bad version",
     [] {
       auto f = BuildPacket({});
       f[14] = 0x55;
       return f;
     },
     Verdict::kDrop, R(DropReason::kIpv4BadVersion)},
    {"ipv4 ihl below 5",
     [] {
       auto f = BuildPacket({});
       f[14] = 0x44;
       testing::FixIpv4Checksum(f);
       return f;
     },
     Verdict::kDrop, R(DropReason::kIpv4BadIhl)},
    {"ipv4 ihl beyond frame",
     [] {
       auto f = Truncate(BuildPacket({}), 14 + 24);
       f[14] = 0x4f;
       return f;
     },
     Verdict::kDrop, R(DropReason::kTruncatedIpv4)},
    {"ipv4 total length beyond frame",
     [] {
       auto f = BuildPacket({});
       f[16] = 0x05;
       testing::FixIpv4Checksum(f);
       return f;
     },
     Verdict::kDrop, R(DropReason::kIpv4BadTotalLength)},
    {"ipv4 total length below header",
     [] {
       auto f = BuildPacket({});
       f[16] = 0;
       f[17] = 12;
       testing::FixIpv4Checksum(f);
       return f;
     },
     Verdict::kDrop, R(DropReason::kIpv4BadTotalLength)},
    {"ipv4 bad checksum",
     [] {
       auto f = BuildPacket({});
       f[14 + 10] ^= 0x5a;
       return f;
     },
     Verdict::kDrop, R(DropReason::kIpv4BadChecksum)},
    {"truncated udp",
     [] {
       PacketSpec s;
       s.payload = 0;
       auto f = Truncate(BuildPacket(s), 14 + 20 + 6);
       f[17] = 26;
       testing::FixIpv4Checksum(f);
       return f;
     },
     Verdict::kDrop, R(DropReason::kTruncatedL4)},
    {"tcp data offset below 5",
     [] {
       PacketSpec s;
       s.proto = 6;
       auto f = BuildPacket(s);
       f[14 + 20 + 12] = 0x40;
       return f;
     },
     Verdict::kDrop, R(DropReason::kTruncatedL4)},
    {"non-first fragment skips l4",
     [] {
       PacketSpec s;
       s.payload = 0;
       auto f = Truncate(BuildPacket(s), 14 + 20 + 4);
       f[17] = 24;
       f[14 + 6] = 0x00;
       f[14 + 7] = 0x10;
       testing::FixIpv4Checksum(f);
       return f;
     },
     Verdict::kForward, 0, [](const PacketMeta& m) { EXPECT_EQ(m.src_port, 0); }},
    {"truncated ipv6", [] { return Truncate(BuildPacket(V6()), 14 + 39); }, Verdict::kDrop,
     R(DropReason::kTruncatedIpv6)},
    {"ipv6 bad version",
     [] {
       auto f = BuildPacket(V6());
       f[14] = 0x40;
       return f;
     },
     Verdict::kDrop, R(DropReason::kIpv6BadVersion)},
    {"ipv6 payload length beyond frame",
     [] {
       auto f = BuildPacket(V6());
       f[18] = 0x10;
       return f;
     },
     Verdict::kDrop, R(DropReason::kIpv6BadPayloadLength)},
    {"truncated tcp over ipv6",
     [] {
       PacketSpec s = V6();
       s.proto = 6;
       s.payload = 0;
       auto f = Truncate(BuildPacket(s), 14 + 40 + 10);
       f[19] = 10;
       return f;
     },
     Verdict::kDrop, R(DropReason::kTruncatedL4)},
    {"unknown ethertype",
     [] {
       PacketSpec s;
       s.ethertype = 0x88b5;
       return BuildPacket(s);
     },
     Verdict::kDrop, R(DropReason::kUnsupportedEthertype)},
    {"unicast for another mac",
     [] {
       PacketSpec s;
       s.dst_mac = Mac(0x77);
       return BuildPacket(s);
     },
     Verdict::kDrop, R(DropReason::kDstMacMismatch)},
    {"mac control (pfc) consumed",
     [] {
       PacketSpec s;
       s.ethertype = 0x8808;
       s.dst_mac = rte_ether_addr{{0x01, 0x80, 0xc2, 0, 0, 1}};
       return BuildPacket(s);
     },
     Verdict::kConsumed},
    {"arp punted",
     [] {
       PacketSpec s;
       s.ethertype = 0x0806;
       s.dst_mac = rte_ether_addr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
       return BuildPacket(s);
     },
     Verdict::kPunt, C(PuntClass::kArp)},
    {"ipv6 multicast (nd) punted",
     [] {
       PacketSpec s = V6();
       s.dst = "ff02::1:ff00:1";
       s.proto = 58;
       s.dst_mac = rte_ether_addr{{0x33, 0x33, 0xff, 0, 0, 1}};
       return BuildPacket(s);
     },
     Verdict::kPunt, C(PuntClass::kNd)},
    {"ipv6 neighbour advert to us punted",
     [] {
       PacketSpec s = V6();
       s.proto = 58;
       s.payload = 24;
       auto f = BuildPacket(s);
       f[14 + 40] = 136;
       return f;
     },
     Verdict::kPunt, C(PuntClass::kNd)},
    {"ipv6 link-local destination punted",
     [] {
       PacketSpec s = V6();
       s.dst = "fe80::1";
       return BuildPacket(s);
     },
     Verdict::kPunt, C(PuntClass::kLinkLocal)},
    {"ipv4 link-local destination punted",
     [] {
       PacketSpec s;
       s.dst = "169.254.0.1";
       return BuildPacket(s);
     },
     Verdict::kPunt, C(PuntClass::kLinkLocal)},
    {"ipv4 multicast punted",
     [] {
       PacketSpec s;
       s.dst = "224.0.0.5";
       s.dst_mac = rte_ether_addr{{0x01, 0, 0x5e, 0, 0, 5}};
       return BuildPacket(s);
     },
     Verdict::kPunt, C(PuntClass::kMulticast)},
    {"lldp punted",
     [] {
       PacketSpec s;
       s.ethertype = 0x88cc;
       s.dst_mac = rte_ether_addr{{0x01, 0x80, 0xc2, 0, 0, 0x0e}};
       return BuildPacket(s);
     },
     Verdict::kPunt, C(PuntClass::kMulticast)},
};

TEST(ParseTest, TableOfFrames) {
  const rte_ether_addr port_mac = Mac(0xa0);
  for (const ParseCase& c : kCases) {
    SCOPED_TRACE(c.what);
    rte_mbuf* m = testing::ToMbuf(c.frame());
    PacketMeta meta;
    ParsePacket(m, port_mac, 3, meta);
    EXPECT_EQ(static_cast<int>(meta.verdict), static_cast<int>(c.verdict));
    if (c.verdict == Verdict::kDrop) {
      EXPECT_STREQ(DropReasonName(DropReason(meta.reason)), DropReasonName(DropReason(c.reason)));
    }
    if (c.verdict == Verdict::kPunt) {
      EXPECT_STREQ(PuntClassName(PuntClass(meta.reason)), PuntClassName(PuntClass(c.reason)));
      EXPECT_EQ(meta.out_port, 3) << "punts go to the ingress port's TAP";
    }
    if (c.check) c.check(meta);
    rte_pktmbuf_free(m);
  }
}

TEST(ClassifyTest, DscpAndPcpToTrafficClass) {
  DscpMap map;
  for (int dscp : {0, 8, 26, 46, 48, 63}) {
    PacketSpec s;
    s.dscp = static_cast<uint8_t>(dscp);
    for (bool v6 : {false, true}) {
      s.ipv6 = v6;
      s.src = v6 ? "2001:db8::1" : "192.0.2.1";
      s.dst = v6 ? "2001:db8::2" : "198.51.100.1";
      rte_mbuf* m = testing::ToMbuf(BuildPacket(s));
      PacketMeta meta;
      ParsePacket(m, Mac(0xa0), 0, meta);
      ClassifyPacket(map, meta);
      EXPECT_EQ(meta.traffic_class, dscp >> 3) << "dscp " << dscp << (v6 ? " v6" : " v4");
      rte_pktmbuf_free(m);
    }
  }
  map.traffic_class[46] = 5;  // a custom map is honoured
  PacketSpec s;
  s.dscp = 46;
  rte_mbuf* m = testing::ToMbuf(BuildPacket(s));
  PacketMeta meta;
  ParsePacket(m, Mac(0xa0), 0, meta);
  ClassifyPacket(map, meta);
  EXPECT_EQ(meta.traffic_class, 5);
  rte_pktmbuf_free(m);
}

}  // namespace
}  // namespace weft::dp
