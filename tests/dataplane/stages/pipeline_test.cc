// ProcessBurst with real ForwardingTables, table-driven: {what, packet, expected port and rewrite,
// or drop reason / punt class}. No ethdev: packets go in as mbufs and come out of TxBuffers.
#include "dataplane/stages/pipeline.h"

#include <gtest/gtest.h>
#include <rte_ip.h>

#include <functional>

#include "tests/dataplane/stages/test_support.h"

namespace weft::dp {
namespace {

using testing::BuildPacket;
using testing::Ip;
using testing::Mac;
using testing::PacketSpec;
using testing::Prefix;

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ts_ = std::make_unique<testing::TestSwitch>(4);
    ws_ = std::make_unique<WorkerState>(0, ts_->sw.counters->worker(0));
    tx_ = std::make_unique<TxBuffers>();
    ForwardingTables& t = *ts_->sw.tables;
    ts_->sw.ports.at(2).mtu = 1000;
    Ok(t.WriteNeighbors(
        "test",
        std::vector<NeighborWrite>{{WriteOp::kAdd, {1, Ip("10.1.0.2"), Mac(0xb1), ""}},
                                   {WriteOp::kAdd, {2, Ip("10.2.0.2"), Mac(0xb2), ""}},
                                   {WriteOp::kAdd, {3, Ip("10.3.0.2"), Mac(0xb3), ""}},
                                   {WriteOp::kAdd, {1, Ip("fe80::2"), Mac(0xc1), ""}}},
        nullptr));
    Ok(t.WriteGroups(
        "test",
        std::vector<GroupWrite>{
            {WriteOp::kAdd, {7, {{{1, Ip("10.1.0.2")}, 1}, {{3, Ip("10.3.0.2")}, 1}}, ""}}},
        nullptr));
    Ok(t.WriteLocalAddresses(
        "test", std::vector<LocalAddressWrite>{{WriteOp::kAdd, {0, Prefix("10.0.0.1/24"), ""}}},
        nullptr));
    auto nh = [](uint16_t port, const char* a) {
      RouteAction r;
      r.kind = RouteKind::kNexthop;
      r.nexthop = {port, Ip(a)};
      return r;
    };
    RouteAction group;
    group.kind = RouteKind::kGroup;
    group.group_id = 7;
    RouteAction drop;
    drop.kind = RouteKind::kDrop;
    Ok(t.WriteRoutes(
        "test",
        std::vector<RouteWrite>{
            {WriteOp::kAdd, {0, Prefix("198.51.100.0/24"), nh(1, "10.1.0.2"), ""}},
            {WriteOp::kAdd, {0, Prefix("198.51.101.0/24"), nh(2, "10.2.0.2"), ""}},
            {WriteOp::kAdd,
             {0, Prefix("198.51.102.0/24"), nh(2, "10.2.0.99"), ""}},  // no neighbour: glean
            {WriteOp::kAdd, {0, Prefix("198.51.103.0/24"), drop, ""}},
            {WriteOp::kAdd, {0, Prefix("203.0.113.0/24"), group, ""}},
            {WriteOp::kAdd, {0, Prefix("2001:db8:1::/48"), nh(1, "fe80::2"), ""}}},
        nullptr));
  }
  void TearDown() override { tx_->Clear(); }
  static void Ok(const absl::Status& s) { ASSERT_TRUE(s.ok()) << s; }

  PacketVerdict Run(const std::vector<uint8_t>& frame, rte_mbuf** out, uint16_t in_port = 0) {
    rte_mbuf* m = testing::ToMbuf(frame);
    PacketVerdict v;
    ProcessBurst(ts_->sw, *ws_, in_port, &m, 1, *tx_, &v);
    *out = nullptr;
    if (v.verdict == Verdict::kForward) *out = tx_->pkts[v.port][0];
    if (v.verdict == Verdict::kPunt) *out = tx_->punts[0];
    return v;
  }

  std::unique_ptr<testing::TestSwitch> ts_;
  std::unique_ptr<WorkerState> ws_;
  std::unique_ptr<TxBuffers> tx_;
};

struct PipelineCase {
  const char* what;
  std::function<PacketSpec()> spec;
  Verdict verdict;
  uint8_t reason_or_port;  // DropReason / PuntClass; egress port for kForward
  uint16_t punt_port = 0;
  rte_ether_addr dst_mac{};
};

PacketSpec V4To(const char* dst, uint8_t ttl = 64) {
  PacketSpec s;
  s.dst = dst;
  s.ttl = ttl;
  return s;
}

const PipelineCase kCases[] = {
    {"routed to a single next hop", [] { return V4To("198.51.100.9"); }, Verdict::kForward, 1, 0,
     Mac(0xb1)},
    {"vlan-tagged in, untagged out",
     [] {
       auto s = V4To("198.51.101.9");
       s.vlan_tci = 5;
       return s;
     },
     Verdict::kForward, 2, 0, Mac(0xb2)},
    {"ipv6 over a link-local next hop",
     [] {
       PacketSpec s;
       s.ipv6 = true;
       s.src = "2001:db8::1";
       s.dst = "2001:db8:1::5";
       return s;
     },
     Verdict::kForward, 1, 0, Mac(0xc1)},
    {"no route", [] { return V4To("192.0.2.200"); }, Verdict::kDrop, uint8_t(DropReason::kNoRoute)},
    {"blackhole route", [] { return V4To("198.51.103.1"); }, Verdict::kDrop,
     uint8_t(DropReason::kBlackhole)},
    {"to a local address", [] { return V4To("10.0.0.1"); }, Verdict::kPunt,
     uint8_t(PuntClass::kLocal), 0},
    {"ttl 1 to a local address is still local", [] { return V4To("10.0.0.1", 1); }, Verdict::kPunt,
     uint8_t(PuntClass::kLocal), 0},
    {"ttl 1 expires", [] { return V4To("198.51.100.9", 1); }, Verdict::kPunt,
     uint8_t(PuntClass::kTtlExpired), 0},
    {"ttl 0 expires", [] { return V4To("198.51.100.9", 0); }, Verdict::kPunt,
     uint8_t(PuntClass::kTtlExpired), 0},
    {"unresolved next hop gleans to the egress TAP", [] { return V4To("198.51.102.9"); },
     Verdict::kPunt, uint8_t(PuntClass::kGlean), 2},
    {"frame above the egress MTU",
     [] {
       auto s = V4To("198.51.101.9");
       s.payload = 1200;
       return s;
     },
     Verdict::kDrop, uint8_t(DropReason::kMtuExceeded)},
    {"ipv6 hop limit 1",
     [] {
       PacketSpec s;
       s.ipv6 = true;
       s.src = "2001:db8::1";
       s.dst = "2001:db8:1::5";
       s.ttl = 1;
       return s;
     },
     Verdict::kPunt, uint8_t(PuntClass::kTtlExpired), 0},
};

TEST_F(PipelineTest, TableOfPackets) {
  for (const PipelineCase& c : kCases) {
    SCOPED_TRACE(c.what);
    const PacketSpec spec = c.spec();
    const std::vector<uint8_t> in = BuildPacket(spec);
    rte_mbuf* out = nullptr;
    PacketVerdict v = Run(in, &out);
    ASSERT_EQ(int(v.verdict), int(c.verdict)) << "reason " << int(v.reason);
    if (c.verdict == Verdict::kDrop) {
      EXPECT_STREQ(DropReasonName(DropReason(v.reason)),
                   DropReasonName(DropReason(c.reason_or_port)));
    }
    if (c.verdict == Verdict::kPunt) {
      EXPECT_STREQ(PuntClassName(PuntClass(v.reason)), PuntClassName(PuntClass(c.reason_or_port)));
      EXPECT_EQ(v.port, c.punt_port);
      ASSERT_NE(out, nullptr);
      EXPECT_EQ(testing::FromMbuf(out), in) << "punted packets reach the kernel unchanged";
    }
    if (c.verdict == Verdict::kForward) {
      EXPECT_EQ(v.port, c.reason_or_port);
      ASSERT_NE(out, nullptr);
      std::vector<uint8_t> got = testing::FromMbuf(out);
      const size_t in_l3 = spec.vlan_tci ? 18 : 14;
      ASSERT_EQ(got.size(), in.size() - (in_l3 - 14));
      EXPECT_EQ(0, memcmp(got.data(), c.dst_mac.addr_bytes, 6)) << "dst MAC = neighbour";
      EXPECT_EQ(0, memcmp(got.data() + 6, Mac(uint8_t(0xa0 + v.port)).addr_bytes, 6))
          << "src MAC = egress port";
      EXPECT_EQ(got[12], spec.ipv6 ? 0x86 : 0x08);
      if (!spec.ipv6) {
        EXPECT_EQ(got[14 + 8], spec.ttl - 1);
        EXPECT_EQ(rte_raw_cksum(&got[14], 20), 0xffff) << "incremental checksum must stay valid";
      } else {
        EXPECT_EQ(got[14 + 7], spec.ttl - 1);
      }
      const size_t same = spec.ipv6 ? 8 : 12;  // addresses and L4 onwards are untouched
      EXPECT_EQ(0, memcmp(&got[14 + same], &in[in_l3 + same], got.size() - 14 - same));
      rte_pktmbuf_free(out);
    } else if (c.verdict == Verdict::kPunt) {
      rte_pktmbuf_free(out);
    }
    tx_->Clear();
  }
}

TEST_F(PipelineTest, TtlChecksumStaysValidAcrossAllValues) {
  for (int ttl = 2; ttl <= 255; ++ttl) {
    auto s = V4To("198.51.100.9", uint8_t(ttl));
    s.dscp = uint8_t(ttl & 63);
    rte_mbuf* out = nullptr;
    ASSERT_EQ(int(Run(BuildPacket(s), &out).verdict), int(Verdict::kForward));
    std::vector<uint8_t> got = testing::FromMbuf(out);
    EXPECT_EQ(rte_raw_cksum(&got[14], 20), 0xffff) << "ttl " << ttl;
    rte_pktmbuf_free(out);
    tx_->Clear();
  }
}

TEST_F(PipelineTest, CountersPerPortReasonAndMember) {
  std::vector<rte_mbuf*> burst;
  for (int i = 0; i < 20; ++i) {
    auto s = V4To("203.0.113.1");
    s.src_port = uint16_t(1000 + i);
    burst.push_back(testing::ToMbuf(BuildPacket(s)));
  }
  for (int i = 0; i < 3; ++i) burst.push_back(testing::ToMbuf(BuildPacket(V4To("192.0.2.200"))));
  auto bad = BuildPacket({});
  bad[14] = 0x35;
  burst.push_back(testing::ToMbuf(bad));
  const uint16_t fwd = ProcessBurst(ts_->sw, *ws_, 0, burst.data(), uint16_t(burst.size()), *tx_);
  EXPECT_EQ(fwd, 20);
  EXPECT_EQ(tx_->count[1] + tx_->count[3], 20);
  EXPECT_GT(tx_->count[1], 0) << "20 flows over 2 members use both";
  EXPECT_GT(tx_->count[3], 0);
  PortCounterValues p0 = ts_->sw.counters->ReadPort(0);
  EXPECT_EQ(p0.rx_packets, 24u);
  EXPECT_EQ(p0.drops[size_t(DropReason::kNoRoute)], 3u);
  EXPECT_EQ(p0.drops[size_t(DropReason::kIpv4BadVersion)], 1u);
  EXPECT_EQ(p0.total_drops(), 4u);
  auto members = ts_->sw.counters->ReadGroupMembers(7);
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].packets, tx_->count[1]);
  EXPECT_EQ(members[1].packets, tx_->count[3]);
  for (uint16_t p : {1, 3})
    for (uint16_t i = 0; i < tx_->count[p]; ++i) rte_pktmbuf_free(tx_->pkts[p][i]);
}

TEST_F(PipelineTest, DownMemberIsSkippedAtOnce) {
  ts_->sw.tables->SetPortUp(1, false);
  for (int i = 0; i < 32; ++i) {
    auto s = V4To("203.0.113.1");
    s.src_port = uint16_t(i);
    rte_mbuf* out = nullptr;
    PacketVerdict v = Run(BuildPacket(s), &out);
    ASSERT_EQ(int(v.verdict), int(Verdict::kForward));
    EXPECT_EQ(v.port, 3);
    rte_pktmbuf_free(out);
    tx_->Clear();
  }
  ts_->sw.tables->SetPortUp(3, false);
  rte_mbuf* out = nullptr;
  PacketVerdict v = Run(BuildPacket(V4To("203.0.113.1")), &out);
  EXPECT_EQ(int(v.verdict), int(Verdict::kDrop));
  EXPECT_STREQ(DropReasonName(DropReason(v.reason)), "egress_port_down");
}

TEST_F(PipelineTest, NeighbourResolutionTurnsGleanIntoForwarding) {
  rte_mbuf* out = nullptr;
  EXPECT_EQ(int(Run(BuildPacket(V4To("198.51.102.9")), &out).verdict), int(Verdict::kPunt));
  rte_pktmbuf_free(out);
  tx_->Clear();
  Ok(ts_->sw.tables->WriteNeighbors(
      "test", std::vector<NeighborWrite>{{WriteOp::kAdd, {2, Ip("10.2.0.99"), Mac(0xbb), ""}}},
      nullptr));
  PacketVerdict v = Run(BuildPacket(V4To("198.51.102.9")), &out);
  ASSERT_EQ(int(v.verdict), int(Verdict::kForward));
  EXPECT_EQ(v.port, 2);
  EXPECT_EQ(0, memcmp(rte_pktmbuf_mtod(out, uint8_t*), Mac(0xbb).addr_bytes, 6));
  rte_pktmbuf_free(out);
}

TEST_F(PipelineTest, CoppPolicesPerClassOnTheInjectedClock) {
  PacketSpec arp;
  arp.ethertype = 0x0806;
  arp.dst_mac = rte_ether_addr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
  const auto frame = BuildPacket(arp);
  uint64_t admitted = 0;
  auto send = [&](int bursts) {
    for (int b = 0; b < bursts; ++b) {
      rte_mbuf* pkts[kBurstSize];
      for (auto& p : pkts) p = testing::ToMbuf(frame);
      ProcessBurst(ts_->sw, *ws_, 0, pkts, kBurstSize, *tx_);
      admitted += tx_->num_punts;
      for (uint16_t i = 0; i < tx_->num_punts; ++i) rte_pktmbuf_free(tx_->punts[i]);
      tx_->Clear();
    }
  };
  send(10);  // 320 ARP at one instant: the bucket depth (200) passes
  EXPECT_EQ(admitted, CoppConfig().burst[size_t(PuntClass::kArp)]);
  ts_->clock.Advance(50'000'000);  // 50 ms at 2000 pps = 100 more
  admitted = 0;
  send(10);
  EXPECT_EQ(admitted, 100u);
  PortCounterValues p0 = ts_->sw.counters->ReadPort(0);
  EXPECT_EQ(p0.drops[size_t(DropReason::kCoppPoliced)], 640u - 300u);
  EXPECT_EQ(p0.punts[size_t(PuntClass::kArp)], 640u);
  // Another class has its own bucket.
  rte_mbuf* out = nullptr;
  EXPECT_EQ(int(Run(BuildPacket(V4To("10.0.0.1")), &out).verdict), int(Verdict::kPunt));
  rte_pktmbuf_free(out);
}

}  // namespace
}  // namespace weft::dp
