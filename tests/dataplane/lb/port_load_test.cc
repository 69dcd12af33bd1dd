// PortLoadTable: the per-(worker, port) load slots next-hop selection reads (dataplane/lb/port_load.h).
#include "dataplane/lb/port_load.h"

#include <gtest/gtest.h>

namespace weft::dp {
namespace {

constexpr uint64_t kMs = 1'000'000;

// 1500 bytes every 12 us is 1 Gb/s.
void Send(PortLoadTable& t, uint32_t worker, uint16_t port, uint64_t start_ns, uint64_t end_ns,
          uint64_t bytes_per_packet, uint64_t gap_ns) {
  for (uint64_t now = start_ns; now < end_ns; now += gap_ns)
    t.OnTransmit(worker, port, bytes_per_packet, now);
}

TEST(PortLoadTableTest, RateConvergesToWhatLeft) {
  PortLoadTable t(2);
  Send(t, 0, 3, 10 * kMs, 20 * kMs, 1500, 12'000);
  const double rate = double(t.TxRateBps(3, 20 * kMs));
  EXPECT_NEAR(rate, 1e9, 0.03e9);
  EXPECT_EQ(t.TxRateBps(2, 20 * kMs), 0u);  // another port saw nothing
}

TEST(PortLoadTableTest, WorkersAddUpAndStaleSlotsCountZero) {
  PortLoadTable t(2);
  Send(t, 0, 1, 10 * kMs, 20 * kMs, 1500, 12'000);  // 1 Gb/s through worker 0
  Send(t, 1, 1, 10 * kMs, 20 * kMs, 1500, 24'000);  // 0.5 Gb/s through worker 1
  EXPECT_NEAR(double(t.TxRateBps(1, 20 * kMs)), 1.5e9, 0.05e9);
  // Worker 1 stops; worker 0 goes on: after the stale time only worker 0 counts.
  Send(t, 0, 1, 20 * kMs, 25 * kMs, 1500, 12'000);
  EXPECT_NEAR(double(t.TxRateBps(1, 25 * kMs)), 1e9, 0.03e9);
}

TEST(PortLoadTableTest, RateFollowsAChange) {
  PortLoadTable t(1);
  Send(t, 0, 0, 10 * kMs, 20 * kMs, 1500, 12'000);
  Send(t, 0, 0, 20 * kMs, 30 * kMs, 1500, 48'000);  // down to 250 Mb/s
  EXPECT_NEAR(double(t.TxRateBps(0, 30 * kMs)), 0.25e9, 0.02e9);
}

TEST(PortLoadTableTest, QueuedBytesSumOverWorkers) {
  PortLoadTable t(3);
  EXPECT_EQ(t.QueuedBytes(5), 0u);
  t.SetQueuedBytes(2, 5, 9000);
  t.SetQueuedBytes(0, 5, 1000);
  EXPECT_EQ(t.QueuedBytes(5), 10000u);
  t.SetQueuedBytes(2, 5, 0);
  EXPECT_EQ(t.QueuedBytes(5), 1000u);
  EXPECT_EQ(t.QueuedBytes(4), 0u);
}

}  // namespace
}  // namespace weft::dp
