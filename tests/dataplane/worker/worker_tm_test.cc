// The traffic manager wired into two RunWorker threads on real net_ring ethdevs (real time):
// worker 0 owns the switch's traffic manager (it polls rx queue 0 of port 0), worker 1 polls ports
// 1 and 2 and hands its packets and PFC frames over. Port 2 is shaped at 8 Mb/s with ECN on queue 0
// and obeys PFC on priority 0; port 0 sends PFC for priority group 0.
//   - ECT packets from both workers leave port 2 at the shaped rate, from worker 0's tx queue only,
//     marked CE once the queue is past Kmax; the CE count equals the ecn_marked counter, the
//     IPv4 checksums stay valid; port 0 sent XOFF while its priority group was above XOFF, then XON.
//   - A PFC frame received on port 2 stops priority 0 until a zero-time frame resumes it.
//   - A pause that lasts past the watchdog's detection time is a storm (event, queued packets
//     dropped), restored after the restoration time without pause.
#include <gtest/gtest.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ring.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "dataplane/tm/pfc_frame.h"
#include "dataplane/tm/switch_tm.h"
#include "dataplane/worker/worker.h"
#include "tests/dataplane/stages/test_support.h"

namespace weft::dp {
namespace {

using testing::BuildPacket;
using testing::Ip;
using testing::Mac;
using testing::PacketSpec;
using testing::Prefix;

struct RingPort {
  rte_ring* rx = nullptr;
  rte_ring* tx[2] = {nullptr, nullptr};  // one per worker
  uint16_t ethdev = 0;
};

RingPort MakeRingPort(const std::string& name) {
  RingPort p;
  p.rx = rte_ring_create((name + "r").c_str(), 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  for (int q = 0; q < 2; ++q)
    p.tx[q] = rte_ring_create((name + "t" + std::to_string(q)).c_str(), 1024, SOCKET_ID_ANY,
                              RING_F_SP_ENQ | RING_F_SC_DEQ);
  const int id = rte_eth_from_rings(name.c_str(), &p.rx, 1, p.tx, 2, SOCKET_ID_ANY);
  EXPECT_GE(id, 0);
  p.ethdev = static_cast<uint16_t>(id);
  rte_eth_conf conf{};
  EXPECT_EQ(rte_eth_dev_configure(p.ethdev, 1, 2, &conf), 0);
  EXPECT_EQ(rte_eth_rx_queue_setup(p.ethdev, 0, 1024, SOCKET_ID_ANY, nullptr, testing::TestPool()),
            0);
  for (uint16_t q = 0; q < 2; ++q)
    EXPECT_EQ(rte_eth_tx_queue_setup(p.ethdev, q, 1024, SOCKET_ID_ANY, nullptr), 0);
  EXPECT_EQ(rte_eth_dev_start(p.ethdev), 0);
  return p;
}

template <typename F>
bool WaitFor(F&& done, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  return done();
}

std::vector<rte_mbuf*> Drain(rte_ring* r) {
  std::vector<rte_mbuf*> out(rte_ring_count(r));
  const unsigned n =
      rte_ring_dequeue_burst(r, reinterpret_cast<void**>(out.data()), out.size(), nullptr);
  out.resize(n);
  return out;
}

std::vector<uint8_t> EctFrame(size_t payload, uint8_t in_port) {
  PacketSpec spec;
  spec.dst_mac = Mac(uint8_t(0xa0 + in_port));  // the ingress port's MAC
  spec.dst = "198.51.100.7";
  spec.payload = payload;
  std::vector<uint8_t> f = BuildPacket(spec);
  f[14 + 1] |= 2;  // ECT(0)
  testing::FixIpv4Checksum(f);
  return f;
}

rte_mbuf* PfcMbuf(uint8_t priority, uint16_t quanta) {
  tm::PfcFrame frame;
  frame.class_enable = uint8_t(1u << priority);
  frame.pause_quanta[priority] = quanta;
  uint8_t buf[64];
  const size_t len = tm::BuildPfcFrame(frame, {2, 0, 0, 0, 0, 0x99}, buf, sizeof(buf));
  return testing::ToMbuf(std::vector<uint8_t>(buf, buf + len));
}

struct StormEvent {
  uint16_t port;
  int priority;
  bool detected;
};

TEST(WorkerTrafficManagerTest, TwoWorkersShapeMarkPauseAndWatchdog) {
  testing::TestSwitch ts(3, 2);
  ts.sw.load = std::make_unique<PortLoadTable>(2);
  RingPort rp[3] = {MakeRingPort("wtm0"), MakeRingPort("wtm1"), MakeRingPort("wtm2")};
  for (int i = 0; i < 3; ++i) ts.sw.ports.at(i).ethdev_id = rp[i].ethdev;

  MonotonicClock clock;
  std::mutex events_mu;
  std::vector<StormEvent> events;
  std::vector<rte_ether_addr> macs;
  for (int i = 0; i < 3; ++i) macs.push_back(ts.sw.ports.at(i).mac);
  auto created = tm::SwitchTrafficManager::Create(
      clock, 3, macs, "wtm", [&](uint16_t port, int priority, bool detected) {
        std::lock_guard<std::mutex> lock(events_mu);
        events.push_back({port, priority, detected});
      });
  ASSERT_TRUE(created.ok()) << created.status();
  ts.sw.tm = *std::move(created);
  tm::SwitchTrafficManager& stm = *ts.sw.tm;

  ForwardingTables& t = *ts.sw.tables;
  ASSERT_TRUE(t.WriteNeighbors(
                   "t",
                   std::vector<NeighborWrite>{{WriteOp::kAdd, {2, Ip("10.2.0.2"), Mac(0xb2), ""}}},
                   nullptr)
                  .ok());
  RouteWrite r{WriteOp::kAdd,
               {0, Prefix("198.51.100.0/24"), {RouteKind::kNexthop, 0, {2, Ip("10.2.0.2")}}, ""}};
  ASSERT_TRUE(t.WriteRoutes("t", std::vector<RouteWrite>{r}, nullptr).ok());

  constexpr uint64_t kRate = 8'000'000;  // 1 MB/s
  constexpr uint64_t kBurst = 2000;
  tm::SwitchTmSettings s = stm.DefaultSettings();
  tm::PortTmSettings& egress = s.ports[2];
  egress.enabled = true;
  egress.egress.shaper = {true, kRate, kBurst};
  egress.egress.unshaped_rate_bps = kRate;
  egress.egress.wred[0] = {true, 2000, 2001, 1.0, tm::NonEctAction::kTailDrop};
  egress.egress.pfc_rx_enabled_mask = 1;
  egress.egress.watchdog = {true, 300'000'000, 100'000'000, tm::PfcStormAction::kDrop};
  tm::PortTmSettings& ingress = s.ports[0];
  ingress.enabled = true;
  ingress.egress.shaper.shaped = false;
  ingress.egress.unshaped_rate_bps = kRate;
  ingress.pfc.rate_bps = kRate;
  ingress.pfc.priorities[0] = {true, 3000, 1000, 0xFFFF, 0};
  s.buffer.priority_groups[0].lossless = true;
  s.default_headroom_bytes = 20000;
  s.ports[1].enabled = false;
  ASSERT_TRUE(stm.Apply(s).ok());  // no worker yet: installed at once
  ASSERT_TRUE(stm.PortEnabled(2));

  std::atomic<bool> stop{false};
  WorkerContext ctx[2];
  ctx[0].worker_index = 0;
  ctx[0].queues = {{&ts.sw, 0, 0}};
  ctx[1].worker_index = 1;
  ctx[1].queues = {{&ts.sw, 1, 0}, {&ts.sw, 2, 0}};
  for (auto& c : ctx) c.stop = &stop;
  int rc[2] = {-99, -99};
  std::thread workers[2] = {std::thread([&] { rc[0] = RunWorker(&ctx[0]); }),
                            std::thread([&] { rc[1] = RunWorker(&ctx[1]); })};

  // A configuration applied while the workers run goes through the owner (same settings).
  ASSERT_TRUE(stm.Apply(s).ok());

  // ECN, shaping, hand-off: 20 packets in on port 0 (owner), 20 on port 1 (hand-off).
  const std::vector<uint8_t> frame0 = EctFrame(500, 0), frame = EctFrame(500, 1);
  const size_t bytes_out = frame.size();  // rewrite keeps the length (untagged)
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(rte_ring_enqueue(rp[0].rx, testing::ToMbuf(frame0)), 0);
    ASSERT_EQ(rte_ring_enqueue(rp[1].rx, testing::ToMbuf(frame)), 0);
  }
  ASSERT_TRUE(WaitFor([&] { return rte_ring_count(rp[2].tx[0]) == 40; })) << [&] {
    std::string s = std::to_string(rte_ring_count(rp[2].tx[0])) + " out;";
    for (uint16_t p = 0; p < 3; ++p) {
      const PortCounterValues v = ts.sw.counters->ReadPort(p);
      s += " port " + std::to_string(p) + " rx " + std::to_string(v.rx_packets) + " tx " +
           std::to_string(v.tx_packets);
      for (size_t r = 0; r < kNumDropReasons; ++r)
        if (v.drops[r]) s += std::string(" ") + DropReasonName(DropReason(r)) + "=" +
                             std::to_string(v.drops[r]);
    }
    return s;
  }();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double expect = double(40 * bytes_out - kBurst) / (kRate / 8);
  std::printf("40 x %zu bytes at 8 Mb/s: %.1f ms (shaped minimum %.1f ms)\n", bytes_out,
              elapsed * 1e3, expect * 1e3);
  EXPECT_GE(elapsed, 0.95 * expect);
  EXPECT_EQ(rte_ring_count(rp[2].tx[1]), 0u) << "only the owner transmits on a TM port";
  int ce = 0;
  for (rte_mbuf* m : Drain(rp[2].tx[0])) {
    const uint8_t* ip = rte_pktmbuf_mtod(m, uint8_t*) + 14;
    EXPECT_EQ(rte_raw_cksum(ip, 20), 0xffff) << "IPv4 checksum after CE";
    EXPECT_NE(ip[1] & 3, 0) << "ECT stays ECT or becomes CE";
    ce += (ip[1] & 3) == 3;
    rte_pktmbuf_free(m);
  }
  ASSERT_TRUE(WaitFor([&] { return stm.ReadPortStats(2).queues[0].tx_packets == 40; }));
  tm::TmPortStats st = stm.ReadPortStats(2);
  EXPECT_EQ(st.queues[0].ecn_marked, uint64_t(ce));
  EXPECT_GE(ce, 20) << "the queue is past Kmax for most of the burst";
  EXPECT_LT(ce, 40) << "the first packets found the queue below Kmin";
  EXPECT_GT(st.queues[0].watermark_bytes, 2001u);
  EXPECT_EQ(ts.sw.counters->ReadPort(2).tx_packets, 40u);

  // Port 0 (ingress of 20 of them, XOFF at 3000 bytes) paused priority 0 and resumed it.
  ASSERT_TRUE(WaitFor([&] { return stm.ReadPortStats(0).priorities[0].pfc_xon_sent >= 1; }));
  std::vector<rte_mbuf*> pfc = Drain(rp[0].tx[0]);
  ASSERT_GE(pfc.size(), 2u);
  for (size_t i = 0; i < pfc.size(); ++i) {
    tm::PfcFrame f;
    ASSERT_EQ(tm::ParsePfcFrame(rte_pktmbuf_mtod(pfc[i], uint8_t*), rte_pktmbuf_data_len(pfc[i]),
                                &f),
              tm::PfcParseResult::kOk);
    EXPECT_EQ(0, memcmp(rte_pktmbuf_mtod(pfc[i], uint8_t*) + 6, macs[0].addr_bytes, 6));
    EXPECT_EQ(f.class_enable, 1);
    EXPECT_EQ(f.pause_quanta[0], i + 1 < pfc.size() ? 0xFFFF : 0) << "XOFF..., then XON";
    rte_pktmbuf_free(pfc[i]);
  }
  EXPECT_EQ(stm.ReadPortStats(0).priorities[0].pfc_xoff_sent + 1, pfc.size());

  // Received PFC on port 2 (through worker 1's hand-off) stops priority 0 until XON.
  ASSERT_EQ(rte_ring_enqueue(rp[2].rx, PfcMbuf(0, 0xFFFF)), 0);
  ASSERT_TRUE(WaitFor([&] { return stm.ReadPortStats(2).priorities[0].pfc_received == 1; }));
  for (int i = 0; i < 10; ++i) ASSERT_EQ(rte_ring_enqueue(rp[1].rx, testing::ToMbuf(frame)), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_EQ(rte_ring_count(rp[2].tx[0]), 0u) << "paused";
  EXPECT_EQ(stm.ReadPortStats(2).queues[0].depth_packets, 10u);
  ASSERT_EQ(rte_ring_enqueue(rp[2].rx, PfcMbuf(0, 0)), 0);
  ASSERT_TRUE(WaitFor([&] { return rte_ring_count(rp[2].tx[0]) == 10; }));
  for (rte_mbuf* m : Drain(rp[2].tx[0])) rte_pktmbuf_free(m);
  ASSERT_TRUE(WaitFor([&] { return stm.ReadPortStats(2).priorities[0].pfc_received == 2; }));
  st = stm.ReadPortStats(2);
  EXPECT_GE(st.priorities[0].paused_ns, 50'000'000u);
  EXPECT_EQ(st.priorities[0].storms_detected, 0u) << "60 ms is below the 300 ms detection";

  // A pause that does not end: a storm within detection time + a poll, queued packets dropped.
  const auto storm_start = std::chrono::steady_clock::now();
  ASSERT_EQ(rte_ring_enqueue(rp[2].rx, PfcMbuf(0, 0xFFFF)), 0);
  ASSERT_TRUE(WaitFor([&] { return stm.ReadPortStats(2).priorities[0].pfc_received == 3; }));
  for (int i = 0; i < 5; ++i) ASSERT_EQ(rte_ring_enqueue(rp[1].rx, testing::ToMbuf(frame)), 0);
  ASSERT_TRUE(WaitFor([&] { return stm.ReadPortStats(2).priorities[0].storms_detected == 1; }));
  const double detected_after =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - storm_start).count();
  std::printf("storm detected after %.0f ms (detection time 300 ms)\n", detected_after * 1e3);
  EXPECT_GE(detected_after, 0.29);
  ASSERT_TRUE(WaitFor([&] { return stm.ReadPortStats(2).queues[0].storm_drops >= 5; }));
  EXPECT_EQ(ts.sw.counters->ReadPort(2).drops[size_t(DropReason::kTmPfcStorm)], 5u);
  ASSERT_EQ(rte_ring_enqueue(rp[2].rx, PfcMbuf(0, 0)), 0);
  ASSERT_TRUE(WaitFor([&] { return stm.ReadPortStats(2).priorities[0].storms_restored == 1; }));
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(events_mu);
    return events.size() == 2;
  }));
  {
    std::lock_guard<std::mutex> lock(events_mu);
    EXPECT_EQ(events[0].port, 2);
    EXPECT_EQ(events[0].priority, 0);
    EXPECT_TRUE(events[0].detected);
    EXPECT_FALSE(events[1].detected);
  }
  EXPECT_EQ(rte_ring_count(rp[2].tx[1]), 0u);

  stop = true;
  for (auto& w : workers) w.join();
  EXPECT_EQ(rc[0], 0);
  EXPECT_EQ(rc[1], 0);
  ts.sw.tm.reset();
  for (auto& p : rp) {
    for (rte_ring* r : {p.tx[0], p.tx[1]})
      for (rte_mbuf* m : Drain(r)) rte_pktmbuf_free(m);
    rte_eth_dev_stop(p.ethdev);
    rte_eth_dev_close(p.ethdev);
    rte_ring_free(p.rx);
    for (rte_ring* r : p.tx) rte_ring_free(r);
  }
}

}  // namespace
}  // namespace weft::dp
