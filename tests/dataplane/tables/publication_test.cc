// Table publication under concurrent lookups: a reader thread registered with the tables' QSBR
// looks up probe addresses through snapshot() in a loop while the writer churns routes (adds,
// replaces, deletes, including /25s whose delete frees tbl8 groups). Every probe is covered by
// a /16 that never changes, so the reader must always see one of the next hops some version of
// the table gave that address -- never no-route, never a freed or foreign group.
#include <gtest/gtest.h>
#include <rte_rcu_qsbr.h>

#include <atomic>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "dataplane/tables/snapshot.h"
#include "tests/dataplane/stages/test_support.h"

namespace weft::dp {
namespace {

using testing::Ip;
using testing::Prefix;

constexpr int kI = 16, kJ = 16;

// Next hop 192.<level>.<i>.<j> with MAC 02:<level>:<i>:<j>:00:01: the MAC says which route it is.
std::string NhAddr(int level, int i, int j) { return absl::StrCat("192.", level, ".", i, ".", j); }
rte_ether_addr NhMac(int level, int i, int j) {
  return rte_ether_addr{{0x02, uint8_t(level), uint8_t(i), uint8_t(j), 0, 1}};
}
RouteWrite Route(WriteOp op, const std::string& prefix, int level, int i, int j) {
  RouteWrite w;
  w.op = op;
  w.route.prefix = Prefix(prefix);
  w.route.action.kind = RouteKind::kNexthop;
  w.route.action.nexthop = {1, Ip(NhAddr(level, i, j))};
  return w;
}

TEST(PublicationTest, ReaderNeverSeesAWrongNextHopWhileRoutesChurn) {
  testing::TestSwitch ts(2);
  ForwardingTables& t = *ts.sw.tables;
  // Neighbours for every next hop; /16 per i (level 1, j = 0) stays for the whole test.
  std::vector<NeighborWrite> neighbors;
  std::vector<RouteWrite> base;
  for (int i = 0; i < kI; ++i) {
    neighbors.push_back({WriteOp::kAdd, {1, Ip(NhAddr(1, i, 0)), NhMac(1, i, 0), ""}});
    base.push_back(Route(WriteOp::kAdd, absl::StrCat("10.", i, ".0.0/16"), 1, i, 0));
    for (int j = 0; j < kJ; ++j)
      for (int level : {2, 3, 4})
        neighbors.push_back({WriteOp::kAdd, {1, Ip(NhAddr(level, i, j)), NhMac(level, i, j), ""}});
  }
  ASSERT_TRUE(t.WriteNeighbors("w", neighbors, nullptr).ok());
  ASSERT_TRUE(t.WriteRoutes("w", base, nullptr).ok());

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> lookups{0}, wrong{0};
  std::string first_wrong;
  rte_rcu_qsbr* qsbr = t.qsbr();
  ASSERT_EQ(rte_rcu_qsbr_thread_register(qsbr, 0), 0);
  std::thread reader([&] {
    rte_rcu_qsbr_thread_online(qsbr, 0);
    uint32_t ips[kI * kJ];
    uint64_t values[kI * kJ];
    for (int i = 0; i < kI; ++i)
      for (int j = 0; j < kJ; ++j)
        ips[i * kJ + j] = Ip(absl::StrCat("10.", i, ".", j, ".200")).v4_host();
    while (!stop.load(std::memory_order_relaxed)) {
      const TablesSnapshot* s = t.snapshot();
      rte_fib_lookup_bulk(s->fib4, ips, values, kI * kJ);
      for (int k = 0; k < kI * kJ; ++k) {
        const int i = k / kJ, j = k % kJ;
        const NexthopGroupView* g = s->GroupFor(values[k]);
        bool ok = false;
        if (g != nullptr && g->num_members == 1 && g->members[0].resolved) {
          const rte_ether_addr& mac = g->members[0].dst_mac;
          for (int level : {1, 2, 3, 4}) {
            rte_ether_addr want = NhMac(level, i, level == 1 ? 0 : j);
            ok = ok || rte_is_same_ether_addr(&mac, &want);
          }
        }
        if (!ok && wrong.fetch_add(1) == 0)
          first_wrong = absl::StrCat("10.", i, ".", j, ".200 -> value ", values[k]);
      }
      lookups.fetch_add(1, std::memory_order_relaxed);
      rte_rcu_qsbr_quiescent(qsbr, 0);
    }
    rte_rcu_qsbr_thread_offline(qsbr, 0);
  });

  // Writer: random batches over the /24 (levels 2, 3 by replace) and /25 (level 4) of each probe.
  while (lookups.load() == 0) std::this_thread::yield();  // churn while the reader runs
  std::mt19937 rng(1);
  std::vector<int> state24(kI * kJ, 0), state25(kI * kJ, 0);  // 0 absent, else level
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  int batches = 0;
  while (std::chrono::steady_clock::now() < deadline || batches < 50) {
    std::vector<RouteWrite> batch;
    std::vector<bool> used(kI * kJ, false);
    for (int n = 0; n < 64; ++n) {
      const int k = int(rng() % (kI * kJ));
      if (used[k]) continue;
      used[k] = true;
      const int i = k / kJ, j = k % kJ;
      if (rng() % 2) {
        const std::string p = absl::StrCat("10.", i, ".", j, ".0/24");
        if (state24[k] == 0)
          batch.push_back(Route(WriteOp::kAdd, p, state24[k] = 2, i, j));
        else if (rng() % 2)
          batch.push_back(Route(WriteOp::kReplace, p, state24[k] = 5 - state24[k], i, j));
        else
          batch.push_back({WriteOp::kDelete, {0, Prefix(p), {}, ""}}), state24[k] = 0;
      } else {
        const std::string p = absl::StrCat("10.", i, ".", j, ".128/25");
        if (state25[k] == 0)
          batch.push_back(Route(WriteOp::kAdd, p, state25[k] = 4, i, j));
        else
          batch.push_back({WriteOp::kDelete, {0, Prefix(p), {}, ""}}), state25[k] = 0;
      }
    }
    std::vector<absl::Status> results;
    absl::Status s = t.WriteRoutes("w", batch, &results);
    ASSERT_TRUE(s.ok()) << s;
    ++batches;
  }
  stop = true;
  reader.join();
  rte_rcu_qsbr_thread_unregister(qsbr, 0);
  EXPECT_EQ(wrong.load(), 0u) << first_wrong;
  EXPECT_GT(lookups.load(), 100u) << "the reader really ran alongside the writer";
  EXPECT_GE(batches, 50);
  // And at rest the table equals the writer's last state.
  for (int k = 0; k < kI * kJ; ++k) {
    const int i = k / kJ, j = k % kJ;
    auto r = t.LookupRoute(0, Ip(absl::StrCat("10.", i, ".", j, ".200")));
    ASSERT_TRUE(r.has_value());
    const int expect_len = state25[k] ? 25 : state24[k] ? 24 : 16;
    EXPECT_EQ(r->prefix.length, expect_len);
  }
  std::printf("publication: %d batches, %llu reader passes over %d probes\n", batches,
              static_cast<unsigned long long>(lookups.load()), kI * kJ);
}

// Groups and neighbours change under the reader: every replace frees the old group object after
// a grace period, so a reader that still held it would read freed memory (ASan) or a foreign MAC.
TEST(PublicationTest, GroupAndNeighbourChurnUnderLookups) {
  testing::TestSwitch ts(4);
  ForwardingTables& t = *ts.sw.tables;
  auto member = [](int k) {
    return GroupMember{{uint16_t(k % 4), Ip(NhAddr(7, 0, k))}, uint32_t(1 + k % 3)};
  };
  std::vector<NeighborWrite> neighbors;
  for (int k = 0; k < 8; ++k)
    neighbors.push_back(
        {WriteOp::kAdd, {uint16_t(k % 4), Ip(NhAddr(7, 0, k)), NhMac(7, 0, k), ""}});
  ASSERT_TRUE(t.WriteNeighbors("w", neighbors, nullptr).ok());
  GroupEntry g{9, {member(0), member(1)}, ""};
  ASSERT_TRUE(t.WriteGroups("w", std::vector<GroupWrite>{{WriteOp::kAdd, g}}, nullptr).ok());
  RouteWrite r;
  r.op = WriteOp::kAdd;
  r.route.prefix = Prefix("10.0.0.0/8");
  r.route.action.kind = RouteKind::kGroup;
  r.route.action.group_id = 9;
  ASSERT_TRUE(t.WriteRoutes("w", std::vector<RouteWrite>{r}, nullptr).ok());

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> lookups{0}, wrong{0};
  rte_rcu_qsbr* qsbr = t.qsbr();
  ASSERT_EQ(rte_rcu_qsbr_thread_register(qsbr, 1), 0);
  std::thread reader([&] {
    rte_rcu_qsbr_thread_online(qsbr, 1);
    uint32_t ip = Ip("10.1.2.3").v4_host();
    while (!stop.load(std::memory_order_relaxed)) {
      const TablesSnapshot* s = t.snapshot();
      uint64_t v = 0;
      rte_fib_lookup_bulk(s->fib4, &ip, &v, 1);
      const NexthopGroupView* gv = s->GroupFor(v);
      bool ok = gv != nullptr && gv->group_id == 9 && gv->num_members >= 1;
      const uint32_t stride = (gv ? gv->bucket_mask + 1u : 64u) / 64u;  // 64 buckets a pass
      for (uint32_t b = 0; ok && b <= gv->bucket_mask; b += stride) {
        const GroupMemberView& m = gv->members[gv->buckets[b]];
        if (!m.resolved) continue;  // a neighbour being deleted: glean is a valid answer
        bool known = false;
        for (int k = 0; k < 8; ++k) {
          rte_ether_addr want = NhMac(7, 0, k);
          known = known || (rte_is_same_ether_addr(&m.dst_mac, &want) && m.port == k % 4);
        }
        ok = known;
      }
      if (!ok) wrong.fetch_add(1);
      lookups.fetch_add(1, std::memory_order_relaxed);
      rte_rcu_qsbr_quiescent(qsbr, 1);
    }
    rte_rcu_qsbr_thread_offline(qsbr, 1);
  });
  std::mt19937 rng(5);
  // Churn only once the reader runs, and keep going until it has made a good number of passes.
  while (lookups.load() == 0) std::this_thread::yield();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int round = 0;
  for (; round < 100 || (lookups.load() < 300 && std::chrono::steady_clock::now() < deadline);
       ++round) {
    GroupEntry next{9, {}, ""};
    const int n = 1 + int(rng() % 6);
    for (int k = 0; k < 8 && int(next.members.size()) < n; ++k)
      if (rng() % 2) next.members.push_back(member(k));
    if (next.members.empty()) next.members.push_back(member(int(rng() % 8)));
    ASSERT_TRUE(
        t.WriteGroups("w", std::vector<GroupWrite>{{WriteOp::kReplace, next}}, nullptr).ok());
    const int k = int(rng() % 8);  // flap one neighbour: glean <-> resolved republishes the group
    NeighborWrite nw{round % 2 ? WriteOp::kAdd : WriteOp::kDelete,
                     {uint16_t(k % 4), Ip(NhAddr(7, 0, k)), NhMac(7, 0, k), ""}};
    if (round % 2 == 0) {
      ASSERT_TRUE(t.WriteNeighbors("w", std::vector<NeighborWrite>{nw}, nullptr).ok());
      nw.op = WriteOp::kAdd;
      ASSERT_TRUE(t.WriteNeighbors("w", std::vector<NeighborWrite>{nw}, nullptr).ok());
    }
  }
  stop = true;
  reader.join();
  rte_rcu_qsbr_thread_unregister(qsbr, 1);
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_GE(lookups.load(), 300u);
  EXPECT_EQ(t.Stats().group_replaces + t.Stats().group_unchanged, uint64_t(round));
}

}  // namespace
}  // namespace weft::dp
