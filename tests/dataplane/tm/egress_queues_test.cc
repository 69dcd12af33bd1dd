#include "dataplane/tm/egress_queues.h"

#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include <map>
#include <vector>

#include "tests/dataplane/tm/eal_environment.h"

namespace weft::dp::tm {
namespace {

const auto* const kEal = ::testing::AddGlobalTestEnvironment(new TmEalEnvironment("tm-queues"));

rte_mbuf* Packet(uint32_t bytes) {
  rte_mbuf* m = rte_pktmbuf_alloc(TmEalEnvironment::pool);
  EXPECT_NE(m, nullptr);
  m->pkt_len = bytes;
  return m;
}

class EgressQueuesTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (rte_mbuf* m : owned_) rte_pktmbuf_free(m);
  }
  rte_mbuf* Own(uint32_t bytes) {
    owned_.push_back(Packet(bytes));
    return owned_.back();
  }
  std::vector<rte_mbuf*> owned_;
};

TEST_F(EgressQueuesTest, RingRefusesWhenFullAndKeepsFifoOrder) {
  EgressQueues queues({.queue_capacity_packets = 4});
  std::vector<rte_mbuf*> in;
  for (int i = 0; i < 4; ++i) {
    in.push_back(Own(100 + i));
    ASSERT_TRUE(queues.Enqueue(3, in.back(), in.back()->pkt_len, uint32_t(i)));
  }
  EXPECT_FALSE(queues.Enqueue(3, Own(64), 64, 0));
  EXPECT_EQ(queues.counters(3).full_drops, 1u);
  EXPECT_EQ(queues.depth_packets(3), 4u);
  EXPECT_EQ(queues.depth_bytes(3), 100u + 101 + 102 + 103);
  QueuedPacket out[8];
  uint64_t bytes = 0;
  ASSERT_EQ(queues.Dequeue(out, 8, UINT64_MAX, 0, &bytes), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(out[i].mbuf, in[i]);
    EXPECT_EQ(out[i].admission, uint32_t(i));
  }
  EXPECT_EQ(bytes, 406u);
  EXPECT_EQ(queues.depth_bytes(3), 0u);
  EXPECT_EQ(queues.counters(3).tx_packets, 4u);
  EXPECT_EQ(queues.counters(3).watermark_bytes, 406u);
}

TEST_F(EgressQueuesTest, StrictPriorityServesHighestQueueFirstAndBeforeDwrr) {
  EgressQueuesConfig config;
  config.queues[6].scheduling = QueueScheduling::kStrictPriority;
  config.queues[5].scheduling = QueueScheduling::kStrictPriority;
  EgressQueues queues(config);
  rte_mbuf* low = Own(100);
  rte_mbuf* mid = Own(100);
  rte_mbuf* high = Own(100);
  ASSERT_TRUE(queues.Enqueue(0, low, 100, 0));
  ASSERT_TRUE(queues.Enqueue(5, mid, 100, 0));
  ASSERT_TRUE(queues.Enqueue(6, high, 100, 0));
  QueuedPacket out[3];
  uint64_t bytes = 0;
  ASSERT_EQ(queues.Dequeue(out, 3, UINT64_MAX, 0, &bytes), 3u);
  EXPECT_EQ(out[0].mbuf, high);
  EXPECT_EQ(out[1].mbuf, mid);
  EXPECT_EQ(out[2].mbuf, low);
}

TEST_F(EgressQueuesTest, PausedQueueKeepsItsPacketsOthersFlow) {
  EgressQueues queues({});
  ASSERT_TRUE(queues.Enqueue(3, Own(200), 200, 0));
  ASSERT_TRUE(queues.Enqueue(4, Own(300), 300, 0));
  QueuedPacket out[4];
  uint64_t bytes = 0;
  ASSERT_EQ(queues.Dequeue(out, 4, UINT64_MAX, uint8_t(1u << 3), &bytes), 1u);
  EXPECT_EQ(bytes, 300u);
  EXPECT_EQ(queues.depth_packets(3), 1u);
  EXPECT_EQ(queues.nonempty_mask(), uint8_t(1u << 3));
  ASSERT_EQ(queues.Dequeue(out, 4, UINT64_MAX, 0, &bytes), 1u);
  EXPECT_EQ(bytes, 200u);
}

TEST_F(EgressQueuesTest, BudgetStopsDequeueAfterTheOvershootingPacket) {
  EgressQueues queues({});
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(queues.Enqueue(0, Own(1000), 1000, 0));
  QueuedPacket out[8];
  uint64_t bytes = 0;
  EXPECT_EQ(queues.Dequeue(out, 8, 2500, 0, &bytes), 3u);
  EXPECT_EQ(bytes, 3000u);
  EXPECT_EQ(queues.Dequeue(out, 8, 0, 0, &bytes), 0u);
}

TEST_F(EgressQueuesTest, FlushEmptiesOneQueue) {
  EgressQueues queues({});
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(queues.Enqueue(2, Own(64), 64, 0));
  ASSERT_TRUE(queues.Enqueue(1, Own(64), 64, 0));
  QueuedPacket out[8];
  EXPECT_EQ(queues.Flush(2, out, 8), 3u);
  EXPECT_EQ(queues.depth_bytes(2), 0u);
  EXPECT_EQ(queues.depth_packets(1), 1u);
  EXPECT_EQ(queues.counters(2).tx_packets, 0u);
}

// Four backlogged DWRR queues with weights 1:2:3:4 and mixed packet sizes (64 to 9000 bytes): each
// queue's share of the bytes sent stays within +-5% of its weight's share, whether the quantum is
// below, at or above the packet sizes. A strict queue that is served first does not disturb it.
class DwrrTest : public EgressQueuesTest, public ::testing::WithParamInterface<uint32_t> {};

TEST_P(DwrrTest, SharesFollowWeights) {
  EgressQueuesConfig config;
  config.queue_capacity_packets = 64;
  config.dwrr_quantum_bytes = GetParam();
  const int kTcs[] = {1, 2, 4, 7};
  const uint32_t kWeights[] = {1, 2, 3, 4};
  for (int i = 0; i < 4; ++i) config.queues[kTcs[i]].dwrr_weight = kWeights[i];
  config.queues[6].scheduling = QueueScheduling::kStrictPriority;  // a little strict traffic
  EgressQueues queues(config);

  static constexpr uint32_t kSizes[] = {64, 1500, 9000, 256, 4096, 1024, 512, 128};
  std::map<rte_mbuf*, int> queue_of;
  for (int i = 0; i < 4; ++i) {
    for (int k = 0; k < 32; ++k) {
      const uint32_t len = kSizes[(k + i) % 8];
      rte_mbuf* m = Own(len);
      queue_of[m] = kTcs[i];
      ASSERT_TRUE(queues.Enqueue(kTcs[i], m, len, 0));
    }
  }
  rte_mbuf* strict_packet = Own(1500);
  queue_of[strict_packet] = 6;
  std::map<int, uint64_t> sent;
  uint64_t dwrr_total = 0;
  QueuedPacket out[32];
  for (int round = 0; round < 20'000; ++round) {
    if (round % 10 == 0) {
      ASSERT_TRUE(queues.Enqueue(6, strict_packet, 1500, 0));
    }
    uint64_t bytes = 0;
    const uint32_t n = queues.Dequeue(out, 32, 16'000, 0, &bytes);
    ASSERT_GT(n, 0u);
    if (round % 10 == 0) {
      EXPECT_EQ(out[0].mbuf, strict_packet);  // strict first
    }
    for (uint32_t j = 0; j < n; ++j) {
      const int tc = queue_of.at(out[j].mbuf);
      sent[tc] += out[j].bytes;
      if (tc == 6) continue;
      dwrr_total += out[j].bytes;
      // Keep every DWRR queue backlogged: the packet goes back to the tail of its queue.
      ASSERT_TRUE(queues.Enqueue(tc, out[j].mbuf, out[j].bytes, 0));
    }
  }
  for (int i = 0; i < 4; ++i) {
    const double expected = double(kWeights[i]) / 10.0;
    const double share = double(sent[kTcs[i]]) / double(dwrr_total);
    EXPECT_NEAR(share, expected, expected * 0.05) << "queue " << kTcs[i];
  }
  EXPECT_EQ(sent[6], 2'000u * 1500);
  EXPECT_EQ(sent.count(0), 0u);  // configured DWRR but idle: takes nothing
}

INSTANTIATE_TEST_SUITE_P(Quanta, DwrrTest, ::testing::Values(64u, 1500u, 9216u));

// A paused DWRR queue gives its share to the others and keeps its packets.
TEST_F(EgressQueuesTest, PausedDwrrQueueSharesGoToTheOthers) {
  EgressQueuesConfig config;
  config.queues[1].dwrr_weight = 1;
  config.queues[2].dwrr_weight = 1;
  config.queues[3].dwrr_weight = 2;
  EgressQueues queues(config);
  std::map<rte_mbuf*, int> queue_of;
  for (int tc : {1, 2, 3}) {
    for (int k = 0; k < 16; ++k) {
      rte_mbuf* m = Own(1000);
      queue_of[m] = tc;
      ASSERT_TRUE(queues.Enqueue(tc, m, 1000, 0));
    }
  }
  std::map<int, uint64_t> sent;
  QueuedPacket out[8];
  for (int round = 0; round < 3000; ++round) {
    uint64_t bytes = 0;
    const uint32_t n = queues.Dequeue(out, 8, UINT64_MAX, uint8_t(1u << 3), &bytes);
    for (uint32_t j = 0; j < n; ++j) {
      const int tc = queue_of.at(out[j].mbuf);
      sent[tc] += out[j].bytes;
      ASSERT_TRUE(queues.Enqueue(tc, out[j].mbuf, out[j].bytes, 0));
    }
  }
  EXPECT_EQ(sent.count(3), 0u);
  EXPECT_EQ(queues.depth_packets(3), 16u);
  EXPECT_NEAR(double(sent[1]) / double(sent[1] + sent[2]), 0.5, 0.025);
}

}  // namespace
}  // namespace weft::dp::tm
