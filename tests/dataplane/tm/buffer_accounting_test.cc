#include "dataplane/tm/buffer_accounting.h"

#include <gtest/gtest.h>

#include <vector>

namespace weft::dp::tm {
namespace {

TEST(DefaultHeadroomTest, CoversReactionCableAndFrames) {
  HeadroomInputs in;
  in.rate_bps = 100'000'000;  // 100 Mb/s: 12.5 bytes per microsecond
  in.mtu_bytes = 9216;
  in.cable_m = 100;            // 1 us round trip
  in.reaction_ns = 2'000'000;  // 2 ms
  in.peer_burst_bytes = 16'384;
  // ceil(12.5 B/us x 2001 us) = 25,013; + 2 MTU + the 64-byte PFC frame + the peer's burst.
  EXPECT_EQ(DefaultHeadroomBytes(in), 25'013u + 2 * 9216 + 64 + 16'384);
}

TEST(DefaultHeadroomTest, ScalesWithRateAndReactionTime) {
  HeadroomInputs in;
  in.rate_bps = 100'000'000;
  in.cable_m = 0;
  in.peer_burst_bytes = 0;
  const uint64_t fixed = 2 * uint64_t(in.mtu_bytes) + 64;
  EXPECT_EQ(DefaultHeadroomBytes(in) - fixed, 25'000u);  // 2 ms at 100 Mb/s
  in.rate_bps = 1'000'000'000;
  EXPECT_EQ(DefaultHeadroomBytes(in) - fixed, 250'000u);  // 2 ms at 1 Gb/s
  in.reaction_ns = 5'000'000;
  EXPECT_EQ(DefaultHeadroomBytes(in) - fixed, 625'000u);
}

BufferConfig TwoPortConfig() {
  BufferConfig c;
  c.pool_bytes = 200'000;
  c.num_ports = 2;
  for (auto& q : c.queues) q = {.reserve_bytes = 1'000, .alpha_log2 = 0};
  c.priority_groups[3] = {.lossless = true, .headroom_bytes = 20'000};
  return c;
}

TEST(BufferAccountingTest, SharedPoolIsWhatReservesAndHeadroomLeave) {
  BufferAccounting buffer(TwoPortConfig(), 0);
  // 2 ports x (8 queues x 1,000 reserve + 20,000 headroom for PG 3) = 56,000 carved out.
  EXPECT_EQ(buffer.shared_pool_bytes(), 200'000u - 56'000);
}

TEST(BufferAccountingTest, ReserveFirstThenSharedUpToDynamicThreshold) {
  BufferAccounting buffer(TwoPortConfig(), 0);
  const uint64_t shared = buffer.shared_pool_bytes();  // 144,000
  uint32_t ticket;
  std::vector<uint32_t> tickets;
  // Reserve: 1,000 bytes of queue 0 on port 1 take nothing from the shared pool.
  ASSERT_EQ(buffer.Admit(0, 0, 1, 0, 1'000, &ticket), BufferVerdict::kAdmitted);
  tickets.push_back(ticket);
  EXPECT_EQ(buffer.shared_used_bytes(), 0u);
  // alpha = 1: a queue alone may hold shared bytes up to the free remainder, i.e. half the pool.
  uint64_t admitted = 0;
  while (buffer.Admit(0, 0, 1, 0, 1'000, &ticket) == BufferVerdict::kAdmitted) {
    tickets.push_back(ticket);
    admitted += 1'000;
  }
  EXPECT_EQ(admitted, shared / 2);
  EXPECT_EQ(buffer.Admit(0, 0, 1, 0, 1'000, &ticket), BufferVerdict::kDropQueueLimit);
  EXPECT_EQ(buffer.QueueBytes(1, 0), 1'000 + admitted);
  EXPECT_EQ(buffer.PriorityGroupBytes(0, 0), 1'000 + admitted);
  // Another queue still gets its share of what is left.
  ASSERT_EQ(buffer.Admit(1, 0, 0, 5, 1'000, &ticket), BufferVerdict::kAdmitted);
  EXPECT_EQ(BufferAccounting::TicketTrafficClass(ticket), 5);
  buffer.Release(0, 5, 1'000, ticket);
  // Releasing everything returns every counter to zero.
  for (uint32_t t : tickets) buffer.Release(1, 0, 1'000, t);
  EXPECT_EQ(buffer.shared_used_bytes(), 0u);
  EXPECT_EQ(buffer.QueueBytes(1, 0), 0u);
  EXPECT_EQ(buffer.PriorityGroupBytes(0, 0), 0u);
}

TEST(BufferAccountingTest, AlphaSetsTheShareOfOneCongestedQueue) {
  for (int alpha_log2 : {-2, 0, 1}) {
    BufferConfig c = TwoPortConfig();
    for (auto& q : c.queues) q = {.reserve_bytes = 0, .alpha_log2 = alpha_log2};
    BufferAccounting buffer(c, 0);
    const double shared = double(buffer.shared_pool_bytes());
    uint32_t ticket;
    uint64_t admitted = 0;
    while (buffer.Admit(0, 0, 1, 2, 100, &ticket) == BufferVerdict::kAdmitted) admitted += 100;
    // Steady state of used <= alpha x (shared - used): used = shared x alpha / (1 + alpha).
    const double alpha = alpha_log2 >= 0 ? double(1 << alpha_log2) : 1.0 / double(1 << -alpha_log2);
    EXPECT_NEAR(double(admitted), shared * alpha / (1 + alpha), 100) << "alpha_log2 " << alpha_log2;
  }
}

TEST(BufferAccountingTest, LosslessGoesToHeadroomInsteadOfDropping) {
  BufferConfig c = TwoPortConfig();
  BufferAccounting buffer(c, 0);
  uint32_t ticket;
  // Fill queue 3 of port 1 from ingress port 0, PG 3 (lossless), past its dynamic threshold.
  std::vector<uint32_t> tickets;
  uint64_t admitted = 0;
  while (buffer.Admit(0, 3, 1, 3, 1'000, &ticket) == BufferVerdict::kAdmitted) {
    tickets.push_back(ticket);
    admitted += 1'000;
  }
  EXPECT_EQ(buffer.HeadroomUsedBytes(0, 3), 20'000u);
  EXPECT_EQ(admitted, 1'000 + buffer.shared_pool_bytes() / 2 + 20'000);
  EXPECT_EQ(buffer.Admit(0, 3, 1, 3, 1'000, &ticket), BufferVerdict::kDropHeadroomExhausted);
  // The headroom belongs to (ingress port, PG): the other ingress port has its own.
  ASSERT_EQ(buffer.Admit(1, 3, 1, 3, 1'000, &ticket), BufferVerdict::kAdmitted);
  EXPECT_EQ(buffer.HeadroomUsedBytes(1, 3), 1'000u);
  buffer.Release(1, 3, 1'000, ticket);
  // A lossy PG in the same situation is dropped at the queue limit.
  EXPECT_EQ(buffer.Admit(0, 2, 1, 3, 1'000, &ticket), BufferVerdict::kDropQueueLimit);
  for (uint32_t t : tickets) buffer.Release(1, 3, 1'000, t);
  EXPECT_EQ(buffer.HeadroomUsedBytes(0, 3), 0u);
  EXPECT_EQ(buffer.PriorityGroupBytes(0, 3), 0u);
}

TEST(BufferAccountingTest, ZeroHeadroomOnLosslessUsesTheDefault) {
  BufferConfig c = TwoPortConfig();
  c.priority_groups[3].headroom_bytes = 0;
  BufferAccounting buffer(c, 7'000);
  EXPECT_EQ(buffer.shared_pool_bytes(), 200'000u - 2 * (8'000 + 7'000));
}

TEST(BufferAccountingTest, PoolFullDropsLossy) {
  BufferConfig c = TwoPortConfig();
  for (auto& q : c.queues) q = {.reserve_bytes = 0, .alpha_log2 = 3};  // alpha 8
  BufferAccounting buffer(c, 0);
  uint32_t ticket;
  int tc = 0;
  BufferVerdict v;
  // Spread over queues so that no single queue hits its threshold before the pool is full.
  while ((v = buffer.Admit(0, 0, 0, tc, 10'000, &ticket)) == BufferVerdict::kAdmitted) {
    tc = (tc + 1) % 8;
  }
  EXPECT_EQ(v, BufferVerdict::kDropPoolFull);
  EXPECT_GT(buffer.shared_used_bytes() + 10'000, buffer.shared_pool_bytes());
}

}  // namespace
}  // namespace weft::dp::tm
