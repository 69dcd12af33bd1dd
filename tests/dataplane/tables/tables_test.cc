// ForwardingTables: longest-prefix match through the published snapshot (IPv4 and IPv6), delete
// falling back to the shorter prefix, default route, local addresses, groups, and whole-batch
// validation that rejects with a message naming the entry and field and changes nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "dataplane/tables/snapshot.h"
#include "tests/dataplane/stages/test_support.h"

namespace weft::dp {
namespace {

using testing::Ip;
using testing::Mac;
using testing::Prefix;

RouteAction Nh(uint16_t port, const char* addr) {
  RouteAction a;
  a.kind = RouteKind::kNexthop;
  a.nexthop = {port, Ip(addr)};
  return a;
}
RouteAction Group(uint32_t id) {
  RouteAction a;
  a.kind = RouteKind::kGroup;
  a.group_id = id;
  return a;
}
RouteWrite Add(const char* prefix, RouteAction a, WriteOp op = WriteOp::kAdd) {
  return {op, {0, Prefix(prefix), a, ""}};
}
RouteWrite Del(const char* prefix) { return {WriteOp::kDelete, {0, Prefix(prefix), {}, ""}}; }

// Lookups in the active FIB copy as the data plane reads it.
uint64_t ActiveFib(const ForwardingTables& t, const IpAddress& a) {
  const TablesSnapshot* s = t.snapshot();
  uint64_t v = 0;
  if (a.is_v4()) {
    uint32_t ip = a.v4_host();
    rte_fib_lookup_bulk(s->fib4, &ip, &v, 1);
  } else {
    uint8_t ip[1][16];
    memcpy(ip[0], a.bytes.data(), 16);
    rte_fib6_lookup_bulk(s->fib6, ip, &v, 1);
  }
  return v;
}

class TablesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ts_ = std::make_unique<testing::TestSwitch>(4);
    t_ = ts_->sw.tables.get();
  }
  absl::Status Routes(std::vector<RouteWrite> w, const std::string& owner = "a") {
    results_.clear();
    return t_->WriteRoutes(owner, w, &results_);
  }
  // Next-hop as the data plane sees it: -1 no route, -2 drop, -3 punt, else the member's port.
  int Fib(const char* addr) {
    const uint64_t v = ActiveFib(*t_, Ip(addr));
    if (v == kFibNoRoute) return -1;
    if (v == kFibDrop) return -2;
    if (v == kFibPunt) return -3;
    const NexthopGroupView* g = t_->snapshot()->GroupFor(v);
    return g ? g->members[0].port : -4;
  }
  size_t CountRoutes() {
    size_t n = 0;
    t_->ListRoutes([&](const RouteEntry&) { return ++n, true; });
    return n;
  }

  std::unique_ptr<testing::TestSwitch> ts_;
  ForwardingTables* t_;
  std::vector<absl::Status> results_;
};

TEST_F(TablesTest, Ipv4LongestMatchAndFallback) {
  ASSERT_TRUE(
      Routes({Add("10.0.0.0/8", Nh(1, "192.0.2.1")), Add("10.1.0.0/16", Nh(2, "192.0.2.2")),
              Add("10.1.1.0/24", Nh(3, "192.0.2.3")), Add("10.1.1.128/25", Nh(0, "192.0.2.4")),
              Add("10.1.1.77/32", Nh(2, "192.0.2.2"))})
          .ok());
  EXPECT_EQ(Fib("10.200.0.1"), 1);
  EXPECT_EQ(Fib("10.1.200.1"), 2);
  EXPECT_EQ(Fib("10.1.1.1"), 3);
  EXPECT_EQ(Fib("10.1.1.200"), 0);
  EXPECT_EQ(Fib("10.1.1.77"), 2);
  EXPECT_EQ(Fib("11.0.0.1"), -1);
  ASSERT_TRUE(Routes({Del("10.1.1.128/25")}).ok());
  EXPECT_EQ(Fib("10.1.1.200"), 3) << "falls back to the /24";
  ASSERT_TRUE(Routes({Del("10.1.1.0/24"), Del("10.1.1.77/32")}).ok());
  EXPECT_EQ(Fib("10.1.1.200"), 2) << "falls back to the /16";
  EXPECT_EQ(Fib("10.1.1.77"), 2);
  ASSERT_TRUE(Routes({Add("0.0.0.0/0", Nh(3, "192.0.2.3"))}).ok());
  EXPECT_EQ(Fib("11.0.0.1"), 3) << "default route";
  auto r = t_->LookupRoute(0, Ip("10.1.9.9"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->prefix, Prefix("10.1.0.0/16"));
  EXPECT_EQ(r->owner, "a");
  EXPECT_EQ(t_->LookupRoute(0, Ip("99.0.0.1"))->prefix, Prefix("0.0.0.0/0"));
  EXPECT_EQ(CountRoutes(), 3u);
  TableStats st = t_->Stats();
  EXPECT_EQ(st.ipv4_routes, 3u);
  EXPECT_EQ(st.route_adds, 6u);
  EXPECT_EQ(st.route_deletes, 3u);
}

TEST_F(TablesTest, Ipv6LongestMatchAndFallback) {
  ASSERT_TRUE(
      Routes({Add("2001:db8::/32", Nh(1, "fe80::1")), Add("2001:db8:1::/48", Nh(2, "fe80::2")),
              Add("2001:db8:1:2::/64", Nh(3, "2001:db8:ffff::3")),
              Add("2001:db8:1:2::8/127", Nh(0, "fe80::4"))})
          .ok());
  EXPECT_EQ(Fib("2001:db8:9::1"), 1);
  EXPECT_EQ(Fib("2001:db8:1:9::1"), 2);
  EXPECT_EQ(Fib("2001:db8:1:2::1"), 3);
  EXPECT_EQ(Fib("2001:db8:1:2::9"), 0);
  EXPECT_EQ(Fib("2001:db9::1"), -1);
  ASSERT_TRUE(Routes({Del("2001:db8:1:2::8/127"), Del("2001:db8:1:2::/64")}).ok());
  EXPECT_EQ(Fib("2001:db8:1:2::9"), 2);
  ASSERT_TRUE(Routes({Add("::/0", Nh(3, "fe80::3"))}).ok());
  EXPECT_EQ(Fib("2001:db9::1"), 3);
}

TEST_F(TablesTest, ReplaceUnchangedTouchesNothing) {
  ASSERT_TRUE(Routes({Add("10.0.0.0/8", Nh(1, "192.0.2.1"))}).ok());
  ASSERT_TRUE(Routes({Add("10.0.0.0/8", Nh(1, "192.0.2.1"), WriteOp::kReplace)}).ok());
  ASSERT_TRUE(Routes({Add("10.0.0.0/8", Nh(2, "192.0.2.1"), WriteOp::kReplace)}).ok());
  EXPECT_EQ(Fib("10.0.0.1"), 2);
  TableStats st = t_->Stats();
  EXPECT_EQ(st.route_unchanged, 1u);
  EXPECT_EQ(st.route_replaces, 1u);
}

TEST_F(TablesTest, InvalidBatchNamesEntryAndFieldAndChangesNothing) {
  ASSERT_TRUE(
      Routes({Add("10.0.0.0/8", Nh(1, "192.0.2.1")), Add("172.16.0.0/12", Nh(1, "192.0.2.1"))})
          .ok());
  ASSERT_TRUE(Routes({Add("192.168.0.0/16", Nh(1, "192.0.2.1"))}, "b").ok());
  struct Case {
    std::vector<RouteWrite> writes;
    absl::StatusCode code;
    std::string message;
  };
  RouteWrite bad_table = Add("10.5.0.0/16", Nh(1, "192.0.2.1"));
  bad_table.route.table_id = 3;
  RouteWrite too_long = Add("10.5.0.0/16", Nh(1, "192.0.2.1"));
  too_long.route.prefix.length = 33;
  const std::vector<Case> cases = {
      {{Add("10.5.0.0/16", Nh(1, "192.0.2.1")), Add("10.6.0.0/16", Nh(2, "192.0.2.1")),
        Add("10.7.0.0/16", Nh(1, "192.0.2.1")), Add("10.8.1.0/16", Nh(1, "192.0.2.1"))},
       absl::StatusCode::kInvalidArgument,
       "writes[3].route.prefix: host bits set beyond /16"},
      {{Add("10.5.0.0/16", Nh(1, "192.0.2.1")), Add("10.9.0.0/16", Group(42))},
       absl::StatusCode::kNotFound,
       "writes[1].route.action.group_id: group 42 not found"},
      {{Add("10.5.0.0/16", Nh(9, "192.0.2.1"))},
       absl::StatusCode::kInvalidArgument,
       "writes[0].route.action.nexthop.port: port 9 out of range (switch has 4 ports)"},
      {{Add("10.5.0.0/16", Nh(1, "192.0.2.1")), Del("10.5.0.0/16")},
       absl::StatusCode::kInvalidArgument,
       "writes[1].route.prefix: 10.5.0.0/16 duplicates writes[0]"},
      {{bad_table},
       absl::StatusCode::kInvalidArgument,
       "writes[0].route.table_id: table 3 does not exist (only table 0)"},
      {{too_long},
       absl::StatusCode::kInvalidArgument,
       "writes[0].route.prefix: length /33 exceeds 32"},
      {{Add("10.5.0.0/16", Nh(1, "192.0.2.1")), Add("10.0.0.0/8", Nh(2, "192.0.2.1"))},
       absl::StatusCode::kAlreadyExists,
       "writes[1].route.prefix: 10.0.0.0/8 already exists"},
      {{Del("10.99.0.0/16")},
       absl::StatusCode::kNotFound,
       "writes[0].route.prefix: 10.99.0.0/16 not found"},
      {{Add("10.5.0.0/16", Nh(1, "192.0.2.1")), Del("192.168.0.0/16")},
       absl::StatusCode::kFailedPrecondition,
       "writes[1].route.prefix: 192.168.0.0/16 is owned by \"b\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    absl::Status s = Routes(c.writes);
    EXPECT_EQ(s.code(), c.code);
    EXPECT_EQ(s.message(), c.message);
    ASSERT_EQ(results_.size(), c.writes.size());
    for (const auto& r : results_) EXPECT_FALSE(r.ok()) << "nothing of a rejected batch is applied";
    EXPECT_EQ(CountRoutes(), 3u);
    EXPECT_EQ(Fib("10.5.0.1"), 1) << "10.5/16 was not installed, 10/8 still answers";
    EXPECT_EQ(Fib("10.0.0.1"), 1);
    EXPECT_EQ(Fib("192.168.0.1"), 1);
  }
}

TEST_F(TablesTest, FibFullRollsBackTheWholeBatch) {
  ASSERT_TRUE(Routes({Add("10.0.0.0/8", Nh(1, "192.0.2.1"))}).ok());
  // Each /25 in its own /24 takes a tbl8 group: one more than the FIB has.
  std::vector<RouteWrite> w;
  std::vector<std::string> prefixes;
  const uint32_t n = testing::SmallTablesOptions().ipv4_tbl8_groups + 1;
  for (uint32_t i = 0; i < n; ++i)
    prefixes.push_back("11." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/25");
  for (const auto& p : prefixes) w.push_back(Add(p.c_str(), Nh(2, "192.0.2.2")));
  absl::Status s = Routes(w);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_NE(s.message().find("].route.prefix: FIB full"), std::string::npos) << s;
  EXPECT_EQ(CountRoutes(), 1u);
  EXPECT_EQ(Fib("11.0.0.1"), -1) << "nothing of the rejected batch is visible";
  EXPECT_EQ(Fib("11.7.200.1"), -1);
  EXPECT_EQ(Fib("10.1.2.3"), 1);
  // Both copies are intact: the next batch publishes the other copy and must still be right.
  ASSERT_TRUE(Routes({Add("12.0.0.0/8", Nh(3, "192.0.2.3"))}).ok());
  EXPECT_EQ(Fib("11.0.0.1"), -1);
  EXPECT_EQ(Fib("10.1.2.3"), 1);
  EXPECT_EQ(Fib("12.1.2.3"), 3);
  ASSERT_TRUE(Routes({Add("13.0.0.0/8", Nh(3, "192.0.2.3"))}).ok());
  EXPECT_EQ(Fib("11.0.0.1"), -1);
}

TablesOptions TinyFibOptions() {
  TablesOptions o = testing::SmallTablesOptions();
  o.ipv4_tbl8_groups = 24;
  o.ipv6_tbl8_groups = 48;
  o.max_ipv4_routes = o.max_ipv6_routes = 4096;
  return o;
}

// DPDK 22.11's rte_fib6 does not give back on delete the tbl8 groups it reserved on add (one /64
// reserves 5): with 48 groups, the 10th add of a /64 deleted 9 times would be refused. The tables
// rebuild the copy that refuses it, so route churn never fills the FIB.
TEST(TablesCapacityTest, Ipv6ChurnDoesNotFillTheFib) {
  auto created = ForwardingTables::Create(TinyFibOptions(), 1);
  ASSERT_TRUE(created.ok()) << created.status();
  ForwardingTables& t = **created;
  RouteAction drop;
  drop.kind = RouteKind::kDrop;
  for (int cycle = 0; cycle < 200; ++cycle) {
    ASSERT_TRUE(t.WriteRoutes("a", std::vector<RouteWrite>{Add("2001:db8:1:2::/64", drop)}, nullptr)
                    .ok())
        << "cycle " << cycle;
    ASSERT_EQ(ActiveFib(t, testing::Ip("2001:db8:1:2::9")), kFibDrop) << "cycle " << cycle;
    ASSERT_TRUE(
        t.WriteRoutes("a", std::vector<RouteWrite>{Del("2001:db8:1:2::/64")}, nullptr).ok());
    ASSERT_EQ(ActiveFib(t, testing::Ip("2001:db8:1:2::9")), kFibNoRoute) << "cycle " << cycle;
  }
  EXPECT_GT(t.Stats().fib_rebuilds, 0u);
  EXPECT_LT(t.Stats().fib_rebuilds, 200u) << "a rebuild only when a copy refuses";
}

// Random batches of nested IPv4 and IPv6 prefixes into FIBs with few tbl8 groups, so that many
// batches overflow them part way. After every batch, accepted or rejected, lookups must agree with
// a reference longest-prefix match over what was accepted; each accepted batch publishes the other
// copy, so both copies are checked, including ones rebuilt after a refusal. A rejection must be
// RESOURCE_EXHAUSTED naming an entry of the batch.
TEST(TablesCapacityTest, CopiesHoldWhatWasAcceptedAcrossRejectedBatches) {
  auto created = ForwardingTables::Create(TinyFibOptions(), 1);
  ASSERT_TRUE(created.ok()) << created.status();
  ForwardingTables& t = **created;

  struct Model {
    IpPrefix prefix;
    uint64_t value;
  };
  std::vector<Model> model;
  auto covers = [](const IpPrefix& p, const IpAddress& a) {
    if (p.address.is_v4() != a.is_v4()) return false;
    for (int bit = 0; bit < p.length; ++bit) {
      const int mask = 0x80 >> (bit % 8);
      if ((p.address.bytes[bit / 8] & mask) != (a.bytes[bit / 8] & mask)) return false;
    }
    return true;
  };
  auto expected = [&](const IpAddress& a) {
    int best = -1;
    uint64_t v = kFibNoRoute;
    for (const Model& m : model)
      if (m.prefix.length > best && covers(m.prefix, a)) best = m.prefix.length, v = m.value;
    return v;
  };
  std::mt19937 rng(11);
  const uint8_t v4_lengths[] = {16, 20, 24, 25, 26, 28, 32};
  const uint8_t v6_lengths[] = {40, 48, 56, 64, 72, 80, 96, 128};
  auto random_address = [&](bool v6) {
    IpAddress a = v6 ? testing::Ip("2001:db8::") : testing::Ip("10.0.0.0");
    a.bytes[v6 ? 4 : 1] = uint8_t(rng() % 4);  // few upper bits: prefixes nest and share groups
    for (int i = v6 ? 5 : 2; i < (v6 ? 16 : 4); ++i) a.bytes[i] = uint8_t(rng());
    return a;
  };
  auto mask = [](IpAddress a, int length) {
    for (int bit = length; bit < a.bits(); ++bit) a.bytes[bit / 8] &= uint8_t(~(0x80 >> (bit % 8)));
    return a;
  };
  std::vector<IpAddress> probes;
  int accepted = 0, rejected = 0;
  for (int batch = 0; batch < 400; ++batch) {
    std::vector<RouteWrite> writes;
    std::vector<Model> next = model;
    std::set<IpPrefix> seen;  // one write per prefix per batch
    const int n = 1 + int(rng() % 24);
    for (int k = 0; k < n; ++k) {
      RouteWrite w;
      const bool del = !next.empty() && rng() % 3 == 0;
      if (del) {
        w.op = WriteOp::kDelete;
        w.route.prefix = next[rng() % next.size()].prefix;
      } else {
        const bool v6 = rng() % 2;
        const uint8_t len = v6 ? v6_lengths[rng() % 8] : v4_lengths[rng() % 7];
        IpAddress a = random_address(v6);
        probes.push_back(a);
        w.route.prefix = {mask(a, len), len};
        w.route.action.kind = rng() % 2 ? RouteKind::kDrop : RouteKind::kPunt;
      }
      if (!seen.insert(w.route.prefix).second) continue;
      auto it = std::find_if(next.begin(), next.end(),
                             [&](const Model& m) { return m.prefix == w.route.prefix; });
      if (!del) w.op = it != next.end() ? WriteOp::kReplace : WriteOp::kAdd;
      if (it != next.end()) next.erase(it);
      if (!del)
        next.push_back({w.route.prefix,
                        w.route.action.kind == RouteKind::kDrop ? kFibDrop : kFibPunt});
      writes.push_back(w);
    }
    absl::Status s = t.WriteRoutes("a", writes, nullptr);
    if (s.ok()) {
      model = std::move(next);
      ++accepted;
    } else {
      ASSERT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << "batch " << batch << ": " << s;
      ASSERT_NE(s.message().find("].route.prefix: FIB full"), std::string::npos) << s;
      ++rejected;
    }
    for (int k = 0; k < 64; ++k) {
      const IpAddress a = k % 4 == 0 ? random_address(k % 8 == 0) : probes[rng() % probes.size()];
      std::string why;  // on a mismatch: what the model and the tables' maps say
      if (ActiveFib(t, a) != expected(a)) {
        for (const Model& m : model)
          if (covers(m.prefix, a))
            why += " model " + m.prefix.ToString() + "=" + std::to_string(m.value);
        if (auto r = t.LookupRoute(0, a))
          why += " maps " + r->prefix.ToString() + " kind " + std::to_string(int(r->action.kind));
      }
      ASSERT_EQ(ActiveFib(t, a), expected(a))
          << "batch " << batch << " (" << (s.ok() ? "accepted" : "rejected") << "), address "
          << a.ToString() << why;
    }
  }
  size_t routes = 0;
  t.ListRoutes([&](const RouteEntry&) { return ++routes, true; });
  EXPECT_EQ(routes, model.size());
  EXPECT_GT(accepted, 100);
  EXPECT_GT(rejected, 10) << "the FIBs must overflow for the test to mean anything";
}

TEST_F(TablesTest, GroupsValidateAndReferenceCount) {
  std::vector<absl::Status> res;
  auto groups = [&](std::vector<GroupWrite> w, const std::string& owner = "a") {
    return t_->WriteGroups(owner, w, &res);
  };
  GroupEntry g{5, {{{1, Ip("192.0.2.1")}, 1}, {{2, Ip("192.0.2.2")}, 3}}, ""};
  ASSERT_TRUE(groups({{WriteOp::kAdd, g}}).ok());
  GroupEntry bad = g;
  bad.id = 6;
  bad.members[1].weight = 0;
  absl::Status s = groups({{WriteOp::kAdd, bad}});
  EXPECT_EQ(s.message(), "writes[0].group.members[1].weight: 0 not in 1..255");
  bad.members[1] = bad.members[0];
  EXPECT_EQ(groups({{WriteOp::kAdd, bad}}).message(),
            "writes[0].group.members[1].nexthop: duplicates members[0]");
  bad.members.clear();
  EXPECT_EQ(groups({{WriteOp::kAdd, bad}}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(groups({{WriteOp::kReplace, g}}, "other").code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(t_->ListGroups().size(), 1u);

  ASSERT_TRUE(Routes({Add("10.0.0.0/8", Group(5))}).ok());
  s = groups({{WriteOp::kDelete, {5, {}, ""}}});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "writes[0].group.id: group 5 is used by 1 routes");
  EXPECT_EQ(Fib("10.0.0.1") == 1 || Fib("10.0.0.1") == 2, true);
  ASSERT_TRUE(Routes({Del("10.0.0.0/8")}).ok());
  ASSERT_TRUE(groups({{WriteOp::kDelete, {5, {}, ""}}}).ok());
  EXPECT_TRUE(t_->ListGroups().empty());
}

TEST_F(TablesTest, LocalAddressPuntsAndYieldsBackToTheRoute) {
  ASSERT_TRUE(
      Routes({Add("10.0.0.0/24", Nh(1, "10.0.0.2")), Add("10.0.0.1/32", Nh(2, "10.0.0.9"))}).ok());
  std::vector<absl::Status> res;
  ASSERT_TRUE(t_->WriteLocalAddresses(
                    "a",
                    std::vector<LocalAddressWrite>{{WriteOp::kAdd, {0, Prefix("10.0.0.1/24"), ""}}},
                    &res)
                  .ok());
  EXPECT_EQ(Fib("10.0.0.1"), -3);
  EXPECT_EQ(Fib("10.0.0.2"), 1);
  EXPECT_EQ(t_->LookupRoute(0, Ip("10.0.0.1"))->action.kind, RouteKind::kPunt);
  ASSERT_TRUE(
      t_->WriteLocalAddresses(
            "a", std::vector<LocalAddressWrite>{{WriteOp::kDelete, {0, Prefix("10.0.0.1/24"), ""}}},
            &res)
          .ok());
  EXPECT_EQ(Fib("10.0.0.1"), 2) << "the /32 route answers again";
  EXPECT_EQ(t_->ListLocalAddresses().size(), 0u);
}

TEST_F(TablesTest, NeighborsValidate) {
  std::vector<absl::Status> res;
  std::vector<NeighborWrite> w = {
      {WriteOp::kAdd, {1, Ip("10.0.0.2"), Mac(1), ""}},
      {WriteOp::kAdd, {1, Ip("10.0.0.3"), rte_ether_addr{{1, 0, 0, 0, 0, 1}}, ""}}};
  absl::Status s = t_->WriteNeighbors("a", w, &res);
  EXPECT_EQ(s.message(), "writes[1].neighbor.mac: not a unicast MAC");
  EXPECT_TRUE(t_->ListNeighbors().empty());
  w.pop_back();
  ASSERT_TRUE(t_->WriteNeighbors("a", w, &res).ok());
  ASSERT_TRUE(t_->WriteNeighbors("a", w, &res).code() == absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(t_->ListNeighbors().size(), 1u);
}

}  // namespace
}  // namespace weft::dp
