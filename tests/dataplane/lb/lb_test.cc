// Load balancing: bucket fill from weights and hash spread over members.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <vector>

#include "dataplane/lb/buckets.h"
#include "dataplane/lb/flow_hash.h"

namespace weft::dp {
namespace {

std::vector<uint32_t> Shares(std::span<const uint32_t> weights) {
  std::vector<uint8_t> buckets(GroupBucketCount(weights));
  FillGroupBuckets(weights, buckets);
  std::vector<uint32_t> shares(weights.size());
  for (uint8_t b : buckets) ++shares.at(b);
  return shares;
}

TEST(GroupBucketsTest, CountIsPowerOfTwoWithinBounds) {
  for (std::vector<uint32_t> w :
       {std::vector<uint32_t>{1}, {1, 1}, {255, 255, 255, 255}, std::vector<uint32_t>(64, 255)}) {
    uint32_t n = GroupBucketCount(w);
    EXPECT_EQ(n & (n - 1), 0u);
    EXPECT_GE(n, kMinGroupBuckets);
    EXPECT_LE(n, kMaxGroupBuckets);
  }
}

TEST(GroupBucketsTest, SharesFollowWeights) {
  const std::vector<std::vector<uint32_t>> cases = {{1, 1},   {1, 1, 1, 1}, {1, 3},   {2, 1, 1},
                                                    {1, 255}, {3, 5, 7},    {1, 1, 1}};
  for (const auto& w : cases) {
    auto shares = Shares(w);
    uint64_t total_w = 0, total_b = 0;
    for (size_t i = 0; i < w.size(); ++i) total_w += w[i], total_b += shares[i];
    for (size_t i = 0; i < w.size(); ++i) {
      double expect = double(w[i]) * total_b / total_w;
      EXPECT_NEAR(shares[i], expect, 1.0) << "member " << i << " of " << w.size();
      EXPECT_GT(shares[i], 0u) << "every member gets a bucket";
    }
  }
}

TEST(GroupBucketsTest, MembersAreInterleaved) {
  std::vector<uint32_t> w = {1, 1};
  std::vector<uint8_t> buckets(GroupBucketCount(w));
  FillGroupBuckets(w, buckets);
  for (size_t i = 1; i < buckets.size(); ++i) EXPECT_NE(buckets[i], buckets[i - 1]);
}

// 10k random flows through hash -> bucket -> member.
std::vector<uint32_t> Spread(std::span<const uint32_t> weights, uint32_t seed, uint32_t fields,
                             int flows = 10000) {
  std::vector<uint8_t> buckets(GroupBucketCount(weights));
  FillGroupBuckets(weights, buckets);
  std::vector<uint32_t> hits(weights.size());
  std::mt19937 rng(42);
  for (int f = 0; f < flows; ++f) {
    uint32_t src = rng(), dst = rng();
    FlowFields ff;
    ff.src = reinterpret_cast<const uint8_t*>(&src);
    ff.dst = reinterpret_cast<const uint8_t*>(&dst);
    ff.proto = 17;
    ff.src_port = uint16_t(rng());
    ff.dst_port = 4791;
    ++hits[buckets[FlowHash(ff, fields, seed) & (buckets.size() - 1)]];
  }
  return hits;
}

TEST(FlowHashTest, EqualMembersSplitEvenly) {
  HashConfig def;
  for (size_t m : {2u, 4u}) {
    std::vector<uint32_t> w(m, 1);
    auto hits = Spread(w, 0, def.fields);
    for (size_t i = 0; i < m; ++i)
      EXPECT_NEAR(hits[i], 10000.0 / m, 10000.0 / m * 0.05) << m << " members, member " << i;
  }
}

TEST(FlowHashTest, WeightsAreRespected) {
  std::vector<uint32_t> w = {1, 3};
  auto hits = Spread(w, 7, HashConfig{}.fields);
  EXPECT_NEAR(hits[1] / double(hits[0] + hits[1]), 0.75, 0.03);
}

TEST(FlowHashTest, FieldsAndSeedChangeTheHash) {
  uint32_t src = 0x0a000001, dst = 0x0a000002;
  FlowFields f;
  f.src = reinterpret_cast<const uint8_t*>(&src);
  f.dst = reinterpret_cast<const uint8_t*>(&dst);
  f.proto = 6;
  f.src_port = 1;
  f.dst_port = 2;
  const uint32_t all = HashConfig{}.fields;
  EXPECT_NE(FlowHash(f, all, 0), FlowHash(f, all, 1)) << "seed";
  FlowFields g = f;
  g.src_port = 3;
  EXPECT_NE(FlowHash(f, all, 0), FlowHash(g, all, 0)) << "source port selected";
  EXPECT_EQ(FlowHash(f, kHashSrcIp | kHashDstIp, 0), FlowHash(g, kHashSrcIp | kHashDstIp, 0))
      << "source port not selected";
  g = f;
  g.roce_qp = 0x1234;
  EXPECT_EQ(FlowHash(f, all, 0), FlowHash(g, all, 0));
  EXPECT_NE(FlowHash(f, all | kHashRoceQp, 0), FlowHash(g, all | kHashRoceQp, 0))
      << "RoCE QP selected";
}

}  // namespace
}  // namespace weft::dp

namespace weft::dp {
namespace {

// Pearson's chi-square of observed counts against a uniform spread.
double ChiSquare(const std::vector<uint32_t>& hits) {
  double total = 0;
  for (uint32_t h : hits) total += h;
  const double expect = total / hits.size();
  double chi = 0;
  for (uint32_t h : hits) chi += (h - expect) * (h - expect) / expect;
  return chi;
}
// Upper 0.1% points of the chi-square distribution, by degrees of freedom.
double ChiCritical(size_t dof) {
  switch (dof) {
    case 1: return 10.83;
    case 3: return 16.27;
    case 7: return 24.32;
    case 15: return 37.70;
  }
  return 1e9;
}

// Spread of flows that differ only in what `vary` changes, through hash -> buckets -> member.
template <typename Vary>
std::vector<uint32_t> SpreadOf(size_t members, uint32_t fields, uint32_t seed, Vary vary,
                               bool v6 = false, int flows = 20000) {
  std::vector<uint32_t> w(members, 1);
  std::vector<uint8_t> buckets(GroupBucketCount(w));
  FillGroupBuckets(w, buckets);
  std::vector<uint32_t> hits(members);
  std::mt19937 rng(1234);
  for (int i = 0; i < flows; ++i) {
    uint8_t src[16] = {10, 0, 0, 1}, dst[16] = {10, 0, 1, 1};
    FlowFields f;
    f.src = src;
    f.dst = dst;
    f.addr_len = v6 ? 16 : 4;
    f.proto = 17;
    f.src_port = 49152;
    f.dst_port = 4791;
    vary(f, src, dst, rng);
    ++hits[buckets[FlowHash(f, fields, seed) & (buckets.size() - 1)]];
  }
  return hits;
}

TEST(FlowHashChiSquareTest, FiveTupleSpreadIsUniform) {
  for (size_t m : {2u, 4u, 8u, 16u}) {
    auto hits = SpreadOf(m, HashConfig{}.fields, 0x5eed, [](FlowFields& f, uint8_t* src,
                                                             uint8_t* dst, std::mt19937& rng) {
      uint32_t a = rng(), b = rng();
      std::memcpy(src, &a, 4);
      std::memcpy(dst, &b, 4);
      f.src_port = uint16_t(rng());
    });
    EXPECT_LT(ChiSquare(hits), ChiCritical(m - 1)) << m << " members";
  }
}

TEST(FlowHashChiSquareTest, SourcePortAloneSpreads) {
  // Same addresses, only the source port differs (one host, many connections).
  auto hits = SpreadOf(8, HashConfig{}.fields, 7, [](FlowFields& f, uint8_t*, uint8_t*,
                                                      std::mt19937& rng) {
    f.src_port = uint16_t(rng());
  });
  EXPECT_LT(ChiSquare(hits), ChiCritical(7));
}

TEST(FlowHashChiSquareTest, RoceQpSpreadsOnlyWhenSelected) {
  // RoCEv2 between two hosts: one 5-tuple, many queue pairs.
  auto vary_qp = [](FlowFields& f, uint8_t*, uint8_t*, std::mt19937& rng) {
    f.roce_qp = rng() & 0xffffff;
  };
  auto with_qp = SpreadOf(8, HashConfig{}.fields | kHashRoceQp, 3, vary_qp);
  EXPECT_LT(ChiSquare(with_qp), ChiCritical(7));
  auto without = SpreadOf(8, HashConfig{}.fields, 3, vary_qp);
  EXPECT_EQ(*std::max_element(without.begin(), without.end()), 20000u)
      << "without the QP field every QP of the 5-tuple takes one member";
}

TEST(FlowHashChiSquareTest, Ipv6FlowLabelSpreadsOnlyWhenSelected) {
  auto vary_label = [](FlowFields& f, uint8_t*, uint8_t*, std::mt19937& rng) {
    f.flow_label = rng() & 0xfffff;
  };
  const uint32_t v6_fields = kHashSrcIp | kHashDstIp | kHashFlowLabel;
  auto with_label = SpreadOf(4, v6_fields, 11, vary_label, true);
  EXPECT_LT(ChiSquare(with_label), ChiCritical(3));
  auto without = SpreadOf(4, kHashSrcIp | kHashDstIp, 11, vary_label, true);
  EXPECT_EQ(*std::max_element(without.begin(), without.end()), 20000u);
}

TEST(FlowHashTest, SeedChangesTheMemberOfFixedFlows) {
  // Per-switch seed: the same flows land differently on two switches (no polarisation).
  std::vector<uint32_t> w(4, 1);
  std::vector<uint8_t> buckets(GroupBucketCount(w));
  FillGroupBuckets(w, buckets);
  int differ = 0;
  for (uint16_t port = 1000; port < 1100; ++port) {
    uint32_t src = 0x0100000a, dst = 0x0200000a;
    FlowFields f;
    f.src = reinterpret_cast<const uint8_t*>(&src);
    f.dst = reinterpret_cast<const uint8_t*>(&dst);
    f.proto = 6;
    f.src_port = port;
    f.dst_port = 80;
    const uint32_t mask = uint32_t(buckets.size() - 1);
    differ += buckets[FlowHash(f, HashConfig{}.fields, 1) & mask] !=
              buckets[FlowHash(f, HashConfig{}.fields, 2) & mask];
  }
  EXPECT_GT(differ, 50) << "about 3/4 of 100 flows should move between seeds";
}

TEST(FlowHashTest, SymmetricHashIsTheSameBothWays) {
  std::mt19937 rng(5);
  const uint32_t sym = HashConfig{}.fields | kHashSymmetric;
  int asymmetric_differs = 0;
  for (int i = 0; i < 1000; ++i) {
    uint8_t a[16], b[16];
    for (auto& x : a) x = uint8_t(rng());
    for (auto& x : b) x = uint8_t(rng());
    for (uint8_t len : {uint8_t(4), uint8_t(16)}) {
      FlowFields fwd;
      fwd.src = a;
      fwd.dst = b;
      fwd.addr_len = len;
      fwd.proto = 6;
      fwd.src_port = uint16_t(rng());
      fwd.dst_port = uint16_t(rng());
      FlowFields rev = fwd;
      std::swap(rev.src, rev.dst);
      std::swap(rev.src_port, rev.dst_port);
      EXPECT_EQ(FlowHash(fwd, sym, 9), FlowHash(rev, sym, 9));
      asymmetric_differs += FlowHash(fwd, HashConfig{}.fields, 9) !=
                            FlowHash(rev, HashConfig{}.fields, 9);
    }
  }
  EXPECT_GT(asymmetric_differs, 1900) << "without the option the directions hash apart";
}

// ---- resilient buckets -------------------------------------------------------------------------

std::vector<uint8_t> Resilient(std::span<const int> old_to_new, std::span<const uint8_t> old,
                               std::vector<uint32_t> weights) {
  std::vector<uint8_t> out(kResilientBuckets);
  RefillResilientBuckets(old_to_new, old, weights, out);
  return out;
}

std::vector<uint32_t> Count(const std::vector<uint8_t>& b, size_t m) {
  std::vector<uint32_t> c(m);
  for (uint8_t x : b) ++c.at(x);
  return c;
}

TEST(ResilientBucketsTest, RemovalMovesExactlyTheRemovedMembersBuckets) {
  const auto t4 = Resilient({}, {}, {1, 1, 1, 1});
  EXPECT_EQ(Count(t4, 4), (std::vector<uint32_t>{256, 256, 256, 256}));
  // Member 2 leaves: old 0,1,3 -> new 0,1,2.
  const std::vector<int> map = {0, 1, -1, 2};
  const auto t3 = Resilient(map, t4, {1, 1, 1});
  size_t moved = 0;
  for (size_t b = 0; b < t4.size(); ++b) {
    if (t4[b] == 2) {
      ++moved;
      continue;
    }
    EXPECT_EQ(t3[b], map[t4[b]]) << "bucket " << b << " of a staying member moved";
  }
  EXPECT_EQ(moved, 256u);
  auto c = Count(t3, 3);
  for (uint32_t x : c) EXPECT_NEAR(x, 1024 / 3.0, 1.0);
}

TEST(ResilientBucketsTest, ReturnTakesOnlyAFairShare) {
  const auto t4 = Resilient({}, {}, {1, 1, 1, 1});
  const auto t3 = Resilient(std::vector<int>{0, 1, -1, 2}, t4, {1, 1, 1});
  // The member comes back (at the end of the list): old 0,1,2 -> new 0,1,2; new member 3.
  const auto back = Resilient(std::vector<int>{0, 1, 2}, t3, {1, 1, 1, 1});
  EXPECT_EQ(Count(back, 4), (std::vector<uint32_t>{256, 256, 256, 256}));
  size_t changed = 0;
  for (size_t b = 0; b < t3.size(); ++b) {
    if (back[b] != t3[b]) {
      ++changed;
      EXPECT_EQ(back[b], 3) << "a bucket moved between members that stayed";
    }
  }
  EXPECT_EQ(changed, 256u) << "exactly the returning member's share moves";
}

TEST(ResilientBucketsTest, WeightsAreKept) {
  const auto t = Resilient({}, {}, {1, 3});
  EXPECT_EQ(Count(t, 2), (std::vector<uint32_t>{256, 768}));
  const auto t2 = Resilient(std::vector<int>{0, 1}, t, {1, 1});
  EXPECT_EQ(Count(t2, 2), (std::vector<uint32_t>{512, 512}));
  size_t changed = 0;
  for (size_t b = 0; b < t.size(); ++b) changed += t[b] != t2[b];
  EXPECT_EQ(changed, 256u) << "only the excess of the member whose weight fell moves";
}

}  // namespace
}  // namespace weft::dp
