// Load balancing: bucket fill from weights and hash spread over members.
#include <gtest/gtest.h>

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
