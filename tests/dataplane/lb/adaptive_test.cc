// Flowlet adaptive routing and spraying (dataplane/lb/adaptive.h) against a fake load source:
// the adaptive choice follows the load, flowlets never switch mid-burst, down members are left
// at once, and reordering is estimated per flow.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "dataplane/lb/adaptive.h"
#include "dataplane/tables/group_view.h"

namespace weft::dp {
namespace {

struct FakeLoad {
  std::array<uint64_t, kMaxPorts> queued{}, rate{};
  uint64_t QueuedBytes(uint16_t p) const { return queued[p]; }
  uint64_t TxRateBps(uint16_t p, uint64_t) const { return rate[p]; }
};

class AdaptiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    table_.resize(1024);
    ctx_.flowlets = table_.data();
    ctx_.flowlet_mask = 1023;
    ctx_.gap_ns = 100'000;  // 100 us
    ctx_.load = &load_;
    ctx_.counters = &counters_;
    ctx_.NewBurst(1'000'000'000);
    group_.slot = 7;
    group_.num_members = 4;
    for (uint16_t i = 0; i < 4; ++i) {
      group_.members[i].port = uint16_t(i + 1);  // ports 1..4
      group_.members[i].weight = 1;
    }
  }
  void Advance(uint64_t ns) { ctx_.NewBurst(ctx_.now_ns + ns); }
  int Flowlet(uint32_t hash, uint64_t up = ~0ull) {
    return SelectFlowletMember(ctx_, group_, hash, 1000, up);
  }

  FakeLoad load_;
  LbWorkerCounters counters_;
  std::vector<FlowletEntry> table_;
  AdaptiveContext<FakeLoad> ctx_;
  NexthopGroupView group_;
};

TEST_F(AdaptiveTest, NewFlowletTakesTheLeastLoadedMember) {
  load_.rate = {0, 900'000'000, 100'000'000, 800'000'000, 700'000'000};
  EXPECT_EQ(Flowlet(0x1234), 1) << "port 2 has the lowest rate";
  load_.rate = {0, 100'000'000, 900'000'000, 800'000'000, 700'000'000};
  load_.queued[1] = 1'000'000;  // a deep queue outweighs a low rate
  Advance(1'000'000);
  EXPECT_EQ(Flowlet(0x5678), 3) << "port 4: 700 Mb/s and no queue";
  EXPECT_EQ(counters_.flowlets_started, 2u);
}

TEST_F(AdaptiveTest, ChoiceFollowsTheLoadAcrossFlowlets) {
  // One flow in bursts separated by more than the gap: each burst goes where the load is least.
  for (int round = 0; round < 8; ++round) {
    const int idle = round % 4;
    for (int m = 0; m < 4; ++m) load_.rate[m + 1] = m == idle ? 1'000'000 : 500'000'000;
    Advance(200'000);
    EXPECT_EQ(Flowlet(0xabcdef), idle) << "round " << round;
  }
  EXPECT_EQ(counters_.flowlets_started, 8u);
  EXPECT_EQ(counters_.flowlet_path_changes, 7u);
}

TEST_F(AdaptiveTest, FlowletNeverSwitchesMidBurst) {
  load_.rate = {0, 0, 1, 1, 1};
  const int first = Flowlet(42);
  ASSERT_EQ(first, 0);
  // Packets 10 us apart for 10 ms while the chosen member becomes the most loaded by far.
  for (int i = 0; i < 1000; ++i) {
    Advance(10'000);
    load_.rate[1] = 10'000'000'000ULL;
    load_.queued[1] = 10'000'000;
    ASSERT_EQ(Flowlet(42), first) << "packet " << i << " switched inside the flowlet";
  }
  EXPECT_EQ(counters_.flowlets_started, 1u);
  // The gap passes: the next packet starts a new flowlet elsewhere.
  Advance(150'000);
  EXPECT_NE(Flowlet(42), first);
  EXPECT_EQ(counters_.flowlet_path_changes, 1u);
}

TEST_F(AdaptiveTest, BurstOfNewFlowletsDoesNotHerd) {
  // All ports idle: 8 new flows in one burst spread over the 4 members, two each.
  std::array<int, 4> per_member{};
  for (uint32_t f = 0; f < 8; ++f) ++per_member[Flowlet(0x1000 + f * 0x10001)];
  for (int m = 0; m < 4; ++m) EXPECT_EQ(per_member[m], 2) << "member " << m;
}

TEST_F(AdaptiveTest, DownMemberIsLeftAtOnce) {
  const int first = Flowlet(99);
  uint64_t up = ~0ull & ~(uint64_t{1} << group_.members[first].port);
  Advance(1'000);  // well inside the flowlet
  const int moved = Flowlet(99, up);
  EXPECT_NE(moved, first);
  EXPECT_GE(moved, 0);
  EXPECT_EQ(Flowlet(99, 0), -1) << "no member up";
}

TEST_F(AdaptiveTest, WeightsScaleTheLoad) {
  load_.rate = {0, 400'000'000, 300'000'000, 300'000'000, 300'000'000};
  group_.members[0].weight = 4;  // port 1 carries 4x: 400 Mb/s is light for it
  group_.equal_weights = 0;      // as BuildGroupView sets it for unequal weights
  EXPECT_EQ(Flowlet(5), 0);
}

TEST_F(AdaptiveTest, BuiltViewsChooseByWeightOnlyWhenWeightsDiffer) {
  // Views as the tables build them: equal weights take the unweighted comparison, unequal the
  // weighted one; both pick the member with the least load per unit of weight.
  load_.rate = {0, 400'000'000, 300'000'000, 300'000'000, 300'000'000};
  auto build = [](uint32_t first_weight) {
    std::vector<GroupMember> members;
    for (uint16_t p = 1; p <= 4; ++p)
      members.push_back({{p, IpAddress::V4(0x0a000000u + p)}, p == 1 ? first_weight : 1});
    return BuildGroupView(9, 7, members, [](const NexthopKey&) { return nullptr; },
                          LbMode::kFlowlet);
  };
  GroupViewPtr equal = build(1), weighted = build(4);
  EXPECT_EQ(equal->equal_weights, 1);
  EXPECT_EQ(weighted->equal_weights, 0);
  EXPECT_NE(SelectFlowletMember(ctx_, *equal, 5, 1000, ~0ull), 0) << "port 1 is the busiest";
  EXPECT_EQ(SelectFlowletMember(ctx_, *weighted, 6, 1000, ~0ull), 0)
      << "400 Mb/s over weight 4 is the lightest";
}

TEST_F(AdaptiveTest, RoundRobinSprayVisitsEveryUpMember) {
  std::array<int, 4> hits{};
  const uint64_t up = ~0ull & ~(uint64_t{1} << 3);  // member 2 (port 3) down
  for (int i = 0; i < 300; ++i) {
    const int m = SelectSprayMember(ctx_, group_, false, 77, 100, up);
    ASSERT_GE(m, 0);
    ++hits[m];
  }
  EXPECT_EQ(hits[2], 0);
  for (int m : {0, 1, 3}) EXPECT_NEAR(hits[m], 100, 1);
  EXPECT_EQ(counters_.sprayed_packets, 300u);
}

TEST_F(AdaptiveTest, SprayOutOfOrderFollowsPathDelay) {
  // Ports 1..4 at 1 Gb/s; port 1 holds a 125 kB queue (1 ms), the others none.
  for (int p = 1; p <= 4; ++p) load_.rate[p] = 1'000'000'000;
  load_.queued[1] = 125'000;
  // Round robin: packet on member 0 (1 ms behind), then member 1 (no queue) arrives first.
  SelectSprayMember(ctx_, group_, false, 31, 100, ~0ull);
  EXPECT_EQ(counters_.out_of_order, 0u);
  SelectSprayMember(ctx_, group_, false, 31, 100, ~0ull);
  EXPECT_EQ(counters_.out_of_order, 1u);
  // Equal paths: no reordering expected.
  load_.queued[1] = 0;
  counters_.out_of_order = 0;
  for (int i = 0; i < 100; ++i) {
    Advance(1'000);
    SelectSprayMember(ctx_, group_, false, 32, 100, ~0ull);
  }
  EXPECT_EQ(counters_.out_of_order, 0u);
}

TEST_F(AdaptiveTest, ImpairmentDelayCountsInArrival) {
  std::array<std::atomic<uint64_t>, kMaxPorts> delay{};
  delay[2].store(500'000);  // port 2: 0.5 ms cable
  ctx_.delay_ns = delay.data();
  counters_.round_robin = 1;  // start on member 1 (port 2), then member 2 (port 3)
  SelectSprayMember(ctx_, group_, false, 55, 100, ~0ull);
  Advance(1'000);
  SelectSprayMember(ctx_, group_, false, 55, 100, ~0ull);
  EXPECT_EQ(counters_.out_of_order, 1u);
}

}  // namespace
}  // namespace weft::dp
