// The pieces composed on one egress port, driven on a FakeClock with real mbufs: two senders into
// one port shaped at 100 Mb/s. What the namespace test of issue 4 shows end to end, in miniature.
#include "dataplane/tm/port_traffic_manager.h"

#include <gtest/gtest.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include <cstring>
#include <deque>
#include <vector>

#include "tests/dataplane/tm/eal_environment.h"

namespace weft::dp::tm {
namespace {

const auto* const kEal = ::testing::AddGlobalTestEnvironment(new TmEalEnvironment("tm-port"));

constexpr uint64_t kRate = 100'000'000;
constexpr uint32_t kPacketBytes = 1000;
constexpr uint64_t kStepNs = 100'000;  // the worker's poll interval in this test
constexpr uint16_t kEgress = 0;

// An Ethernet + IPv4 packet of kPacketBytes with the given ECN bits.
rte_mbuf* Ipv4Packet(uint8_t ecn) {
  rte_mbuf* m = rte_pktmbuf_alloc(TmEalEnvironment::pool);
  if (m == nullptr) return nullptr;
  char* data = rte_pktmbuf_append(m, kPacketBytes);
  std::memset(data, 0, kPacketBytes);
  auto* ip = reinterpret_cast<rte_ipv4_hdr*>(data + 14);
  ip->version_ihl = 0x45;
  ip->type_of_service = uint8_t(26 << 2 | ecn);
  ip->total_length = rte_cpu_to_be_16(kPacketBytes - 14);
  ip->time_to_live = 64;
  ip->next_proto_id = 17;
  ip->hdr_checksum = rte_ipv4_cksum(ip);
  return m;
}

rte_ipv4_hdr* Ip(rte_mbuf* m) { return rte_pktmbuf_mtod_offset(m, rte_ipv4_hdr*, 14); }

// Lets the port send out what is left so the pool gets its mbufs back.
void DrainAll(FakeClock& clock, PortTrafficManager& tm, int tc) {
  rte_mbuf* out[64];
  for (int i = 0; i < 100'000 && tm.queues().depth_packets(tc) > 0; ++i) {
    clock.Advance(kStepNs);
    const uint32_t n = tm.Drain(out, 64);
    for (uint32_t j = 0; j < n; ++j) rte_pktmbuf_free(out[j]);
  }
  ASSERT_EQ(tm.queues().depth_packets(tc), 0u);
}

struct Sender {
  uint16_t ingress_port;
  PortShaper shaper;  // the sender's own line: 100 Mb/s
};

PortTrafficManagerConfig EgressConfig() {
  PortTrafficManagerConfig c;
  c.shaper = {.shaped = true, .rate_bps = kRate, .burst_bytes = 4'000};
  c.queues.queue_capacity_packets = 1024;
  c.wred[1] = {.enabled = true,
               .kmin_bytes = 20'000,
               .kmax_bytes = 60'000,
               .pmax = 0.1,
               .non_ect = NonEctAction::kTailDrop};
  c.pfc_rx_enabled_mask = 1u << 3;
  return c;
}

BufferConfig Buffer() {
  BufferConfig b;
  b.pool_bytes = 400'000;
  b.num_ports = 3;
  b.priority_groups[3].lossless = true;
  return b;
}

uint64_t Headroom() {
  HeadroomInputs in;
  in.rate_bps = kRate;
  in.mtu_bytes = 1500;
  return DefaultHeadroomBytes(in);
}

// Two senders at line rate into one port for one second, TC 1 (lossy, WRED/ECN): the port leaves
// at its shaped rate, CE marks appear once the queue passes Kmin, and the CE bits seen on the
// packets that left agree with the marked counter.
TEST(PortTrafficManagerTest, IncastMarksEcnAndLeavesAtTheShapedRate) {
  FakeClock clock;
  BufferAccounting buffer(Buffer(), Headroom());
  PortTrafficManager tm(clock, kEgress, EgressConfig(), &buffer, 7);
  std::vector<Sender> senders;
  for (uint16_t port : {1, 2})
    senders.push_back(
        {port, PortShaper(clock, {.shaped = true, .rate_bps = kRate, .burst_bytes = 2'000})});
  uint64_t left_bytes = 0, ce_seen = 0, dropped = 0;
  rte_mbuf* out[64];
  for (uint64_t t = 0; t < 1'000'000'000; t += kStepNs) {
    clock.Advance(kStepNs);
    for (Sender& s : senders) {
      uint64_t budget = s.shaper.BytesAllowedNow(), sent = 0;
      while (sent < budget) {
        rte_mbuf* m = Ipv4Packet(2);  // ECT(0)
        ASSERT_NE(m, nullptr);
        sent += kPacketBytes;
        const TmVerdict v = tm.Enqueue({m, kPacketBytes, 1, 1, s.ingress_port, Ipv4Ecn(Ip(m))});
        if (v == TmVerdict::kQueuedMarkCe) SetIpv4Ce(Ip(m));
        if (v != TmVerdict::kQueued && v != TmVerdict::kQueuedMarkCe) {
          ++dropped;
          rte_pktmbuf_free(m);
        }
      }
      s.shaper.Consume(sent);
    }
    const uint32_t n = tm.Drain(out, 64);
    for (uint32_t i = 0; i < n; ++i) {
      left_bytes += out[i]->pkt_len;
      ce_seen += Ipv4Ecn(Ip(out[i])) == EcnCodepoint::kCe;
      rte_pktmbuf_free(out[i]);
    }
  }
  const double expected = double(kRate) / 8;
  EXPECT_NEAR(double(left_bytes), expected, expected * 0.02);
  // Offered twice the rate: about half is dropped at the queue's buffer limit.
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(tm.counters(1).buffer_drops, dropped);
  EXPECT_GT(tm.queues().counters(1).watermark_bytes, 60'000u);  // it did build past Kmax
  // Every marked packet is either seen with CE after leaving or still queued.
  EXPECT_GT(ce_seen, 1000u);
  EXPECT_LE(ce_seen, tm.counters(1).ecn_marked);
  EXPECT_GE(ce_seen + tm.queues().depth_packets(1), tm.counters(1).ecn_marked);
  DrainAll(clock, tm, 1);
  EXPECT_EQ(buffer.QueueBytes(kEgress, 1), 0u);
  EXPECT_EQ(buffer.shared_used_bytes(), 0u);
}

// Lossless TC 3 with PFC: the congested switch pauses its upstream senders (each obeys through its
// own PfcReceiver, frames arriving 1 ms late), nothing is dropped, the port still leaves at its
// rate, and the senders count the time they were paused.
TEST(PortTrafficManagerTest, PfcMakesTheClassLossless) {
  FakeClock clock;
  BufferAccounting buffer(Buffer(), Headroom());
  PortTrafficManager tm(clock, kEgress, EgressConfig(), &buffer, 7);
  PfcGeneratorConfig pfc;
  pfc.rate_bps = kRate;
  pfc.priorities[3] = {.enabled = true,
                       .xoff_bytes = 20'000,
                       .xon_bytes = 10'000,
                       .pause_quanta = 0xFFFF,
                       .refresh_interval_ns = 0};
  struct Upstream {
    uint16_t ingress_port;
    PortShaper shaper;
    PfcReceiver obeys;
    IngressPfc pfc;
    std::deque<std::pair<uint64_t, std::array<uint8_t, 60>>> in_flight;  // frames on the wire
  };
  std::deque<Upstream> upstreams;
  for (uint16_t port : {1, 2})
    upstreams.push_back(
        {port,
         PortShaper(clock, {.shaped = true, .rate_bps = kRate, .burst_bytes = 2'000}),
         PfcReceiver(clock, kRate, 1u << 3),
         IngressPfc(clock, port, pfc, {2, 0, 0, 0, 0, uint8_t(port)}, &buffer),
         {}});
  uint64_t left_bytes = 0, drops = 0;
  rte_mbuf* out[64];
  constexpr uint64_t kWireDelayNs = 1'000'000;
  for (uint64_t t = 0; t < 1'000'000'000; t += kStepNs) {
    clock.Advance(kStepNs);
    for (Upstream& u : upstreams) {
      while (!u.in_flight.empty() && u.in_flight.front().first <= clock.NowNs()) {
        ASSERT_EQ(u.obeys.OnFrame(u.in_flight.front().second.data(), 60), PfcParseResult::kOk);
        u.in_flight.pop_front();
      }
      uint64_t budget = u.shaper.BytesAllowedNow(), sent = 0;
      if (u.obeys.PausedMask() >> 3 & 1) budget = 0;
      while (sent < budget) {
        rte_mbuf* m = Ipv4Packet(0);
        ASSERT_NE(m, nullptr);
        sent += kPacketBytes;
        const TmVerdict v =
            tm.Enqueue({m, kPacketBytes, 3, 3, u.ingress_port, EcnCodepoint::kNotEct});
        if (v != TmVerdict::kQueued) {
          ++drops;
          rte_pktmbuf_free(m);
        }
      }
      u.shaper.Consume(sent);
    }
    const uint32_t n = tm.Drain(out, 64);
    for (uint32_t i = 0; i < n; ++i) {
      left_bytes += out[i]->pkt_len;
      rte_pktmbuf_free(out[i]);
    }
    for (Upstream& u : upstreams) {
      std::array<uint8_t, 60> frame;
      if (u.pfc.Poll(frame.data(), frame.size()) == 60)
        u.in_flight.push_back({clock.NowNs() + kWireDelayNs, frame});
    }
  }
  EXPECT_EQ(drops, 0u);
  const double expected = double(kRate) / 8;
  EXPECT_NEAR(double(left_bytes), expected, expected * 0.02);
  for (Upstream& u : upstreams) {
    EXPECT_GT(u.pfc.generator().counters(3).xoff_frames, 0u) << u.ingress_port;
    EXPECT_GT(u.pfc.generator().counters(3).xon_frames, 0u) << u.ingress_port;
    // Each sender could only get half the port: paused roughly half of the second.
    EXPECT_GT(u.obeys.PausedNs(3), 300'000'000u) << u.ingress_port;
    EXPECT_LT(u.obeys.PausedNs(3), 700'000'000u) << u.ingress_port;
  }
  DrainAll(clock, tm, 3);
  EXPECT_EQ(buffer.PriorityGroupBytes(1, 3) + buffer.PriorityGroupBytes(2, 3), 0u);
}

TEST(PortTrafficManagerTest, ReceivedPauseHoldsTheQueueAndStormDropRestores) {
  FakeClock clock;
  BufferAccounting buffer(Buffer(), Headroom());
  PortTrafficManager tm(clock, kEgress, EgressConfig(), &buffer, 7);
  for (int i = 0; i < 10; ++i) {
    rte_mbuf* m = Ipv4Packet(0);
    ASSERT_EQ(tm.Enqueue({m, kPacketBytes, 3, 3, 1, EcnCodepoint::kNotEct}), TmVerdict::kQueued);
  }
  // A peer pauses priority 3 for the maximum time and keeps refreshing: a storm.
  PfcFrame f;
  f.class_enable = 1u << 3;
  f.pause_quanta[3] = 0xFFFF;
  uint8_t frame[60];
  ASSERT_EQ(BuildPfcFrame(f, {2, 0, 0, 0, 0, 9}, frame, sizeof frame), 60u);
  rte_mbuf* out[64];
  uint32_t dropped_count = 0;
  uint64_t detected_at = 0;
  const uint64_t start = clock.NowNs();
  for (int ms = 0; ms < 300 && !detected_at; ++ms) {
    if (ms % 100 == 0) {
      ASSERT_EQ(tm.OnPfcFrame(frame, 60), PfcParseResult::kOk);
    }
    clock.Advance(1'000'000);
    EXPECT_EQ(tm.Drain(out, 64), 0u) << "paused queue transmitted at " << ms << " ms";
    const PfcWatchdogEvents e = tm.Housekeeping(out, 64, &dropped_count);
    if (e.storms_detected >> 3 & 1) detected_at = clock.NowNs();
  }
  ASSERT_NE(detected_at, 0u);
  EXPECT_LE(detected_at - start, 200'000'000u + 2'000'000u);
  // Drop action: the queued packets come back to be freed, new ones are refused.
  EXPECT_EQ(dropped_count, 10u);
  for (uint32_t i = 0; i < dropped_count; ++i) rte_pktmbuf_free(out[i]);
  EXPECT_EQ(buffer.QueueBytes(kEgress, 3), 0u);
  rte_mbuf* m = Ipv4Packet(0);
  EXPECT_EQ(tm.Enqueue({m, kPacketBytes, 3, 3, 1, EcnCodepoint::kNotEct}),
            TmVerdict::kDropPfcStorm);
  rte_pktmbuf_free(m);
  // The peer goes quiet: after the pause ends and 200 ms pass with no pause, the queue is restored.
  uint64_t restored_at = 0;
  for (int ms = 0; ms < 1000 && !restored_at; ++ms) {
    clock.Advance(1'000'000);
    const PfcWatchdogEvents e = tm.Housekeeping(out, 64, &dropped_count);
    if (e.storms_restored >> 3 & 1) restored_at = clock.NowNs();
  }
  ASSERT_NE(restored_at, 0u);
  EXPECT_EQ(tm.watchdog().counters(3).storms_restored, 1u);
  m = Ipv4Packet(0);
  EXPECT_EQ(tm.Enqueue({m, kPacketBytes, 3, 3, 1, EcnCodepoint::kNotEct}), TmVerdict::kQueued);
  ASSERT_EQ(tm.Drain(out, 64), 1u);
  rte_pktmbuf_free(out[0]);
}

// The frame IngressPfc puts on the wire when its priority group crosses XOFF, byte for byte.
TEST(IngressPfcTest, EmitsTheExactXoffFrameForItsPriorityGroup) {
  FakeClock clock;
  BufferAccounting buffer(Buffer(), Headroom());
  PfcGeneratorConfig pfc;
  pfc.rate_bps = kRate;
  pfc.priorities[3] = {.enabled = true,
                       .xoff_bytes = 3'000,
                       .xon_bytes = 1'000,
                       .pause_quanta = 0x1234,
                       .refresh_interval_ns = 0};
  IngressPfc ingress(clock, 2, pfc, {0x02, 0xAA, 0xBB, 0xCC, 0xDD, 0x02}, &buffer);
  uint8_t frame[64];
  EXPECT_EQ(ingress.Poll(frame, sizeof frame), 0u);
  std::vector<uint32_t> tickets(3);
  for (uint32_t& t : tickets)
    ASSERT_EQ(buffer.Admit(2, 3, 0, 3, 1'000, &t), BufferVerdict::kAdmitted);
  // Another ingress port's bytes do not count toward port 2's priority group.
  uint32_t other;
  ASSERT_EQ(buffer.Admit(1, 3, 0, 3, 1'000, &other), BufferVerdict::kAdmitted);
  ASSERT_EQ(ingress.Poll(frame, sizeof frame), 60u);
  std::vector<uint8_t> expected = {0x01, 0x80, 0xC2, 0x00, 0x00, 0x01, 0x02, 0xAA, 0xBB,
                                   0xCC, 0xDD, 0x02, 0x88, 0x08, 0x01, 0x01, 0x00, 0x08,
                                   0,    0,    0,    0,    0,    0,    0x12, 0x34};
  expected.resize(60, 0);
  EXPECT_EQ(std::vector<uint8_t>(frame, frame + 60), expected);
  // Drained to XON: the zero-time frame.
  for (uint32_t t : tickets) buffer.Release(0, 3, 1'000, t);
  ASSERT_EQ(ingress.Poll(frame, sizeof frame), 60u);
  EXPECT_EQ(frame[17], 0x08);
  EXPECT_EQ(frame[24], 0x00);
  EXPECT_EQ(frame[25], 0x00);
  buffer.Release(0, 3, 1'000, other);
}

TEST(PortTrafficManagerTest, ValidationNamesTheNestedField) {
  PortTrafficManagerConfig c = EgressConfig();
  EXPECT_TRUE(ValidatePortTrafficManagerConfig(c, "ports[0].tm").ok());
  c.wred[1].pmax = 1.5;
  absl::Status s = ValidatePortTrafficManagerConfig(c, "ports[0].tm");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("ports[0].tm.wred[1].pmax"), std::string::npos) << s;
  c = EgressConfig();
  c.shaper.shaped = false;  // and no link rate for the pause quanta
  s = ValidatePortTrafficManagerConfig(c, "ports[0].tm");
  EXPECT_NE(s.message().find("ports[0].tm.unshaped_rate_bps"), std::string::npos) << s;
  c.unshaped_rate_bps = 10'000'000'000;
  EXPECT_TRUE(ValidatePortTrafficManagerConfig(c, "ports[0].tm").ok());
  c.queues.queues[5].dwrr_weight = 0;
  s = ValidatePortTrafficManagerConfig(c, "ports[0].tm");
  EXPECT_NE(s.message().find("ports[0].tm.queues.queues[5].dwrr_weight"), std::string::npos) << s;
}

}  // namespace
}  // namespace weft::dp::tm
