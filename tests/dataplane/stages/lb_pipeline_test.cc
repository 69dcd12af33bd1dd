// Load balancing through the real pipeline and tables: resilient groups keep flows on staying
// members, flowlet groups follow the egress load (PortLoadTable), a traffic class overrides a
// group's mode, a down port is left at once in every mode, and per-port impairments (loss, delay
// line) on mbufs with an injected clock.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "dataplane/lb/load_balancer.h"
#include "dataplane/port/impairments.h"
#include "dataplane/stages/pipeline.h"
#include "tests/dataplane/stages/test_support.h"

namespace weft::dp {
namespace {

using testing::BuildPacket;
using testing::Ip;
using testing::Mac;
using testing::PacketSpec;
using testing::Prefix;

class LbPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ts_ = std::make_unique<testing::TestSwitch>(5, 1);
    ts_->sw.load = std::make_unique<PortLoadTable>(1);
    ts_->sw.lb = std::make_unique<LoadBalancer>(1, ts_->sw.tables->qsbr());
    ws_ = std::make_unique<WorkerState>(0, ts_->sw.counters->worker(0));
    tx_ = std::make_unique<TxBuffers>();
    std::vector<NeighborWrite> n;
    for (uint16_t p = 1; p <= 4; ++p)
      n.push_back({WriteOp::kAdd, {p, Ip("10.0." + std::to_string(p) + ".2"), Mac(0xb0 + p), ""}});
    Ok(ts_->sw.tables->WriteNeighbors("test", n, nullptr));
    SetGroup({1, 2, 3, 4}, GroupPolicy{});
    RouteAction group;
    group.kind = RouteKind::kGroup;
    group.group_id = 9;
    Ok(ts_->sw.tables->WriteRoutes(
        "test", std::vector<RouteWrite>{{WriteOp::kAdd, {0, Prefix("203.0.113.0/24"), group, ""}}},
        nullptr));
  }
  void TearDown() override { Drain(); }
  static void Ok(const absl::Status& s) { ASSERT_TRUE(s.ok()) << s; }

  void SetGroup(std::vector<uint16_t> ports, GroupPolicy policy) {
    GroupEntry g;
    g.id = 9;
    g.policy = policy;
    for (uint16_t p : ports) g.members.push_back({{p, Ip("10.0." + std::to_string(p) + ".2")}, 1});
    Ok(ts_->sw.tables->WriteGroups("test", std::vector<GroupWrite>{{WriteOp::kReplace, g}},
                                   nullptr));
  }
  // Egress port of one packet of flow `sport` (UDP to 203.0.113.1), DSCP `dscp`.
  int PortOf(uint16_t sport, uint8_t dscp = 0) {
    PacketSpec s;
    s.dst = "203.0.113.1";
    s.src_port = sport;
    s.dscp = dscp;
    rte_mbuf* m = testing::ToMbuf(BuildPacket(s));
    PacketVerdict v;
    ProcessBurst(ts_->sw, *ws_, 0, &m, 1, *tx_, &v);
    Drain();
    return v.verdict == Verdict::kForward ? v.port : -1;
  }
  void Drain() {
    for (uint16_t p = 0; p < 5; ++p)
      for (uint16_t i = 0; i < tx_->count[p]; ++i) rte_pktmbuf_free(tx_->pkts[p][i]);
    for (uint16_t i = 0; i < tx_->num_punts; ++i) rte_pktmbuf_free(tx_->punts[i]);
    tx_->Clear();
  }
  // Makes `port` look busy (rate average) at the test clock's time.
  void Load(uint16_t port, uint64_t bytes) {
    FakeClock& c = ts_->clock;
    ts_->sw.load->OnTransmit(0, port, 0, c.NowNs());
    c.Advance(PortLoadTable::kWindowNs);
    ts_->sw.load->OnTransmit(0, port, bytes, c.NowNs());
  }

  std::unique_ptr<testing::TestSwitch> ts_;
  std::unique_ptr<WorkerState> ws_;
  std::unique_ptr<TxBuffers> tx_;
};

TEST_F(LbPipelineTest, ResilientGroupKeepsFlowsOfStayingMembers) {
  SetGroup({1, 2, 3, 4}, GroupPolicy{LbMode::kHash, true});
  std::map<uint16_t, int> before;
  for (uint16_t f = 0; f < 2000; ++f) before[f] = PortOf(f);
  SetGroup({1, 2, 4}, GroupPolicy{LbMode::kHash, true});  // port 3 leaves
  int moved_from_others = 0, moved = 0;
  for (uint16_t f = 0; f < 2000; ++f) {
    const int now = PortOf(f);
    ASSERT_NE(now, 3);
    if (now != before[f]) ++moved;
    if (before[f] != 3 && now != before[f]) ++moved_from_others;
  }
  EXPECT_EQ(moved_from_others, 0) << "only the removed member's flows move";
  EXPECT_GT(moved, 350) << "about a quarter of the flows were on port 3";
  // Without resilience the table is rebuilt and flows of staying members move too.
  SetGroup({1, 2, 3, 4}, GroupPolicy{});
  for (uint16_t f = 0; f < 2000; ++f) before[f] = PortOf(f);
  SetGroup({1, 2, 4}, GroupPolicy{});
  moved_from_others = 0;
  for (uint16_t f = 0; f < 2000; ++f)
    if (before[f] != 3 && PortOf(f) != before[f]) ++moved_from_others;
  EXPECT_GT(moved_from_others, 100);
}

TEST_F(LbPipelineTest, FlowletGroupAvoidsTheLoadedPorts) {
  SetGroup({1, 2, 3, 4}, GroupPolicy{LbMode::kFlowlet, false});
  Load(1, 100'000);
  Load(2, 100'000);
  Load(4, 100'000);
  // New flows (a gap apart so that each is a new flowlet) all go to port 3, the idle one.
  for (uint16_t f = 0; f < 20; ++f) {
    ts_->clock.Advance(1'000);
    EXPECT_EQ(PortOf(f), 3) << "flow " << f;
  }
  EXPECT_EQ(ts_->sw.lb->ReadCounters().flowlets_started, 20u);
  // The same group hashed statically spreads them regardless of load.
  SetGroup({1, 2, 3, 4}, GroupPolicy{});
  std::set<int> ports;
  for (uint16_t f = 0; f < 20; ++f) ports.insert(PortOf(f));
  EXPECT_GT(ports.size(), 2u);
}

TEST_F(LbPipelineTest, TrafficClassOverridesTheGroupMode) {
  Load(1, 100'000);
  Load(2, 100'000);
  Load(4, 100'000);
  LbConfig c;
  c.class_modes[3] = int8_t(LbMode::kFlowlet);
  Ok(ts_->sw.lb->Set(c));
  std::set<int> tc0, tc3;
  for (uint16_t f = 0; f < 40; ++f) {
    tc0.insert(PortOf(f, 0));
    tc3.insert(PortOf(uint16_t(f + 100), 24));  // DSCP 24 -> traffic class 3
  }
  EXPECT_GT(tc0.size(), 2u) << "class 0 hashes (the group's mode)";
  EXPECT_EQ(tc3, std::set<int>{3}) << "class 3 takes the idle port";
}

TEST_F(LbPipelineTest, DownPortIsLeftAtOnceInEveryMode) {
  for (LbMode mode : {LbMode::kHash, LbMode::kFlowlet, LbMode::kSprayLeastLoaded,
                      LbMode::kSprayRoundRobin}) {
    SetGroup({1, 2, 3, 4}, GroupPolicy{mode, mode == LbMode::kHash});
    for (uint16_t f = 0; f < 50; ++f) PortOf(f);  // flowlets in place
    ts_->sw.tables->SetPortUp(2, false);
    for (uint16_t f = 0; f < 50; ++f) ASSERT_NE(PortOf(f), 2) << "mode " << int(mode);
    ts_->sw.tables->SetPortUp(2, true);
    ts_->clock.Advance(1'000'000);  // past the gap
    std::set<int> ports;
    for (uint16_t f = 0; f < 200; ++f) ports.insert(PortOf(f));
    EXPECT_TRUE(ports.count(2)) << "port 2 back in use, mode " << int(mode);
  }
}

TEST_F(LbPipelineTest, LoadBalancingConfigIsValidated) {
  LbConfig c;
  c.flowlet_table_size = 1000;
  EXPECT_NE(ts_->sw.lb->Set(c).message().find("flowlet_table_size"), std::string::npos);
  c = LbConfig{};
  c.flowlet_gap_us = 0;
  EXPECT_NE(ts_->sw.lb->Set(c).message().find("flowlet_gap_us"), std::string::npos);
  c = LbConfig{};
  c.class_modes[5] = 9;
  EXPECT_NE(ts_->sw.lb->Set(c).message().find("traffic_class_modes[5]"), std::string::npos);
  EXPECT_EQ(ts_->sw.lb->config(), LbConfig{}) << "a rejected config changes nothing";
}

// ---- impairments ---------------------------------------------------------------------------------

std::vector<rte_mbuf*> Packets(int n) {
  std::vector<rte_mbuf*> v;
  for (int i = 0; i < n; ++i) {
    PacketSpec s;
    s.src_port = uint16_t(i);
    v.push_back(testing::ToMbuf(BuildPacket(s)));
  }
  return v;
}

TEST(ImpairmentsTest, LossRatioIsApplied) {
  PortImpairments imp(2, 1);
  ASSERT_TRUE(imp.Set(1, 0.25, 0).ok());
  int kept = 0;
  for (int round = 0; round < 200; ++round) {
    auto pkts = Packets(32);
    const uint16_t n = imp.Apply(0, 1, pkts.data(), 32, 0);
    kept += n;
    rte_pktmbuf_free_bulk(pkts.data(), n);
  }
  EXPECT_NEAR(kept / 6400.0, 0.75, 0.03);
  EXPECT_EQ(imp.ReadCounters(1).lost, uint64_t(6400 - kept));
  EXPECT_EQ(imp.ReadCounters(0).lost, 0u);
}

TEST(ImpairmentsTest, DelayLineHoldsPacketsInOrderUntilDue) {
  PortImpairments imp(2, 1);
  ASSERT_TRUE(imp.Set(0, 0, 500).ok());  // 500 us
  auto pkts = Packets(10);
  std::vector<rte_mbuf*> sent(pkts);
  EXPECT_EQ(imp.Apply(0, 0, pkts.data(), 10, 1'000'000), 0);
  EXPECT_EQ(imp.Pending(0), 1u);
  rte_mbuf* out[32];
  EXPECT_EQ(imp.ReleaseDue(0, 0, 1'000'000 + 499'999, out, 32), 0);
  ASSERT_EQ(imp.ReleaseDue(0, 0, 1'000'000 + 500'000, out, 32), 10);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(out[i], sent[i]) << "FIFO";
  EXPECT_EQ(imp.Pending(0), 0u);
  EXPECT_EQ(imp.ReadCounters(0).delayed, 10u);
  rte_pktmbuf_free_bulk(out, 10);
}

TEST(ImpairmentsTest, FullDelayLineDropsAndCounts) {
  PortImpairments imp(1, 1, 256);
  ASSERT_TRUE(imp.Set(0, 0, 1000).ok());
  const uint32_t cap = imp.delay_line_size();
  for (uint32_t done = 0; done < cap + 32; done += 32) {
    auto pkts = Packets(32);
    EXPECT_EQ(imp.Apply(0, 0, pkts.data(), 32, 0), 0);
  }
  EXPECT_EQ(imp.ReadCounters(0).delay_overflow, 32u);
  rte_mbuf* out[32];
  uint32_t released = 0;
  for (uint16_t k; (k = imp.ReleaseDue(0, 0, 2'000'000, out, 32)) > 0; released += k)
    rte_pktmbuf_free_bulk(out, k);
  EXPECT_EQ(released, cap);
}

TEST(ImpairmentsTest, SettingsAreValidated) {
  PortImpairments imp(2, 1);
  EXPECT_NE(imp.Set(0, 1.5, 0).message().find("loss_ratio"), std::string::npos);
  EXPECT_NE(imp.Set(0, -0.1, 0).message().find("loss_ratio"), std::string::npos);
  EXPECT_NE(imp.Set(0, 0, 2'000'000).message().find("delay_us"), std::string::npos);
  EXPECT_EQ(imp.Set(5, 0, 0).code(), absl::StatusCode::kNotFound);
  EXPECT_FALSE(imp.Active(0));
  ASSERT_TRUE(imp.Set(0, 1.0, 0).ok());
  auto pkts = Packets(8);
  EXPECT_EQ(imp.Apply(0, 0, pkts.data(), 8, 0), 0) << "loss 1 drops everything";
  ASSERT_TRUE(imp.Set(0, 0, 0).ok());
  EXPECT_FALSE(imp.Active(0));
}

}  // namespace
}  // namespace weft::dp
