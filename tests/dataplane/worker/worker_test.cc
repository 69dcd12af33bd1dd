// RunWorker on real net_ring ethdevs (rte_eth_from_rings): packets in on port 0's rx ring come
// out of port 1's tx ring rewritten, punts land on the punt ring, the inject ring drains out of
// its port, table writes complete while the worker runs (it reports quiescent states), and an
// idle worker backs off to sleeping (well under 5% of a core).
#include "dataplane/worker/worker.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/dataplane/stages/test_support.h"

namespace weft::dp {
namespace {

using testing::BuildPacket;
using testing::Ip;
using testing::Mac;
using testing::PacketSpec;
using testing::Prefix;

struct RingPort {
  rte_ring* rx = nullptr;  // the test enqueues here, the worker receives
  rte_ring* tx = nullptr;  // the worker transmits here, the test dequeues
  uint16_t ethdev = 0;
};

RingPort MakeRingPort(const std::string& name) {
  RingPort p;
  p.rx =
      rte_ring_create((name + "_rx").c_str(), 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  p.tx =
      rte_ring_create((name + "_tx").c_str(), 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  int id = rte_eth_from_rings(name.c_str(), &p.rx, 1, &p.tx, 1, SOCKET_ID_ANY);
  EXPECT_GE(id, 0);
  p.ethdev = static_cast<uint16_t>(id);
  rte_eth_conf conf{};
  EXPECT_EQ(rte_eth_dev_configure(p.ethdev, 1, 1, &conf), 0);
  EXPECT_EQ(rte_eth_rx_queue_setup(p.ethdev, 0, 1024, SOCKET_ID_ANY, nullptr, testing::TestPool()),
            0);
  EXPECT_EQ(rte_eth_tx_queue_setup(p.ethdev, 0, 1024, SOCKET_ID_ANY, nullptr), 0);
  EXPECT_EQ(rte_eth_dev_start(p.ethdev), 0);
  return p;
}

template <typename F>
bool WaitFor(F&& done, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

double ThreadCpuSeconds(pthread_t t) {
  clockid_t cid;
  pthread_getcpuclockid(t, &cid);
  timespec ts{};
  clock_gettime(cid, &ts);
  return double(ts.tv_sec) + ts.tv_nsec / 1e9;
}

TEST(WorkerTest, ForwardsPuntsInjectsAndSleepsWhenIdle) {
  static int run = 0;
  const std::string tag = "wt" + std::to_string(run++);
  testing::TestSwitch ts(2, 1);
  RingPort rp[2] = {MakeRingPort(tag + "p0"), MakeRingPort(tag + "p1")};
  rte_ring* punt = rte_ring_create((tag + "punt").c_str(), 64, SOCKET_ID_ANY, RING_F_SC_DEQ);
  rte_ring* inject =
      rte_ring_create((tag + "inj").c_str(), 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  for (int i = 0; i < 2; ++i) ts.sw.ports.at(i).ethdev_id = rp[i].ethdev;
  ts.sw.ports.at(0).punt_ring = punt;
  ts.sw.ports.at(1).inject_ring = inject;
  ForwardingTables& t = *ts.sw.tables;
  ASSERT_TRUE(t.WriteNeighbors(
                   "t",
                   std::vector<NeighborWrite>{{WriteOp::kAdd, {1, Ip("10.1.0.2"), Mac(0xb1), ""}}},
                   nullptr)
                  .ok());
  RouteWrite r{WriteOp::kAdd,
               {0, Prefix("198.51.100.0/24"), {RouteKind::kNexthop, 0, {1, Ip("10.1.0.2")}}, ""}};
  ASSERT_TRUE(t.WriteRoutes("t", std::vector<RouteWrite>{r}, nullptr).ok());

  std::atomic<bool> stop{false};
  WorkerContext ctx;
  ctx.worker_index = 0;
  ctx.queues = {{&ts.sw, 0, 0}, {&ts.sw, 1, 0}};
  ctx.stop = &stop;
  int worker_rc = -99;
  std::thread worker([&] { worker_rc = RunWorker(&ctx); });

  // Forwarding: 100 packets in on port 0, out of port 1 rewritten.
  PacketSpec spec;
  spec.dst = "198.51.100.7";
  const auto frame = BuildPacket(spec);
  for (int i = 0; i < 100; ++i) {
    rte_mbuf* m = testing::ToMbuf(frame);
    ASSERT_EQ(rte_ring_enqueue(rp[0].rx, m), 0);
  }
  ASSERT_TRUE(WaitFor([&] { return rte_ring_count(rp[1].tx) == 100; })) << rte_ring_count(rp[1].tx);
  rte_mbuf* out[128];
  unsigned n = rte_ring_dequeue_burst(rp[1].tx, reinterpret_cast<void**>(out), 128, nullptr);
  ASSERT_EQ(n, 100u);
  EXPECT_EQ(0, memcmp(rte_pktmbuf_mtod(out[0], uint8_t*), Mac(0xb1).addr_bytes, 6));
  EXPECT_EQ(rte_pktmbuf_mtod(out[0], uint8_t*)[14 + 8], 63);
  rte_pktmbuf_free_bulk(out, n);

  // A table write completes while the worker runs (it reports quiescent states or sleeps offline).
  RouteWrite r2{WriteOp::kAdd,
                {0, Prefix("198.51.101.0/24"), {RouteKind::kNexthop, 0, {1, Ip("10.1.0.2")}}, ""}};
  ASSERT_TRUE(t.WriteRoutes("t", std::vector<RouteWrite>{r2}, nullptr).ok());

  // Punt: an ARP request reaches port 0's punt ring.
  PacketSpec arp;
  arp.ethertype = 0x0806;
  arp.dst_mac = rte_ether_addr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
  ASSERT_EQ(rte_ring_enqueue(rp[0].rx, testing::ToMbuf(BuildPacket(arp))), 0);
  ASSERT_TRUE(WaitFor([&] { return rte_ring_count(punt) == 1; }));
  void* punted = nullptr;
  ASSERT_EQ(rte_ring_dequeue(punt, &punted), 0);
  rte_pktmbuf_free(static_cast<rte_mbuf*>(punted));

  // Inject: what the kernel wrote to port 1's TAP leaves through port 1.
  ASSERT_EQ(rte_ring_enqueue(inject, testing::ToMbuf(frame)), 0);
  ASSERT_TRUE(WaitFor([&] { return rte_ring_count(rp[1].tx) == 1; }));
  n = rte_ring_dequeue_burst(rp[1].tx, reinterpret_cast<void**>(out), 128, nullptr);
  EXPECT_EQ(0, memcmp(rte_pktmbuf_mtod(out[0], uint8_t*), frame.data(), frame.size()))
      << "injected frames leave unchanged";
  rte_pktmbuf_free_bulk(out, n);

  PortCounterValues p0 = ts.sw.counters->ReadPort(0), p1 = ts.sw.counters->ReadPort(1);
  EXPECT_EQ(p0.rx_packets, 101u);
  EXPECT_EQ(p0.punted, 1u);
  EXPECT_EQ(p1.tx_packets, 101u);
  EXPECT_EQ(p1.tx_bytes, 101u * frame.size());
  EXPECT_EQ(p1.injected, 1u);

  // A port that is down forwards nothing it receives.
  ts.sw.ports.at(0).up = false;
  for (int i = 0; i < 3; ++i) ASSERT_EQ(rte_ring_enqueue(rp[0].rx, testing::ToMbuf(frame)), 0);
  ASSERT_TRUE(WaitFor([&] {
    return ts.sw.counters->ReadPort(0).drops[size_t(DropReason::kIngressPortDown)] == 3;
  }));
  EXPECT_EQ(rte_ring_count(rp[1].tx), 0u);

  // Idle: after the back-off ramps up, the worker uses well under 5% of a core.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const double cpu0 = ThreadCpuSeconds(worker.native_handle());
  const auto wall0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const double cpu = ThreadCpuSeconds(worker.native_handle()) - cpu0;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  std::printf("idle worker: %.2f%% of a core\n", 100.0 * cpu / wall);
  EXPECT_LT(cpu / wall, 0.05);

  stop = true;
  worker.join();
  EXPECT_EQ(worker_rc, 0);
  for (auto& p : rp) {
    rte_eth_dev_stop(p.ethdev);
    rte_eth_dev_close(p.ethdev);
    rte_ring_free(p.rx);
    rte_ring_free(p.tx);
  }
  rte_ring_free(punt);
  rte_ring_free(inject);
}

}  // namespace
}  // namespace weft::dp
