#include "dataplane/lb/buckets.h"

#include <algorithm>
#include <vector>

namespace weft::dp {

uint32_t GroupBucketCount(std::span<const uint32_t> weights) {
  uint64_t total = 0;
  for (uint32_t w : weights) total += w;
  uint64_t want = total * 16;
  uint32_t n = kMinGroupBuckets;
  while (n < want && n < kMaxGroupBuckets) n <<= 1;
  return n;
}

std::vector<uint64_t> BucketQuotas(std::span<const uint32_t> weights, uint64_t n) {
  const size_t m = weights.size();
  uint64_t total = 0;
  for (uint32_t w : weights) total += w;
  std::vector<uint64_t> quota(m);
  std::vector<std::pair<uint64_t, size_t>> remainders(m);  // (remainder, member)
  uint64_t given = 0;
  for (size_t i = 0; i < m; ++i) {
    quota[i] = weights[i] * n / total;
    remainders[i] = {weights[i] * n % total, i};
    given += quota[i];
  }
  // Largest remainders take the leftover buckets; ties go to the lower index (deterministic).
  std::sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  for (size_t k = 0; given < n; ++k, ++given) ++quota[remainders[k % m].second];
  return quota;
}

void FillGroupBuckets(std::span<const uint32_t> weights, std::span<uint8_t> buckets) {
  const size_t m = weights.size();
  const uint64_t n = buckets.size();
  if (m == 0 || n == 0) return;
  std::vector<uint64_t> quota = BucketQuotas(weights, n);
  // Interleave: one bucket per member per round while it has quota left.
  size_t pos = 0;
  while (pos < n) {
    for (size_t i = 0; i < m && pos < n; ++i) {
      if (quota[i] == 0) continue;
      --quota[i];
      buckets[pos++] = static_cast<uint8_t>(i);
    }
  }
}

void RefillResilientBuckets(std::span<const int> old_to_new, std::span<const uint8_t> old_buckets,
                            std::span<const uint32_t> new_weights, std::span<uint8_t> out) {
  const size_t m = new_weights.size();
  const uint64_t n = out.size();
  if (m == 0 || n == 0) return;
  if (old_buckets.size() != n) return FillGroupBuckets(new_weights, out);
  const std::vector<uint64_t> quota = BucketQuotas(new_weights, n);
  std::vector<uint64_t> held(m, 0);
  constexpr int kFree = -1;
  std::vector<int> owner(n, kFree);
  // Keep what stays, up to each member's quota (earlier buckets first).
  for (uint64_t b = 0; b < n; ++b) {
    const uint8_t old = old_buckets[b];
    const int now = old < old_to_new.size() ? old_to_new[old] : -1;
    if (now < 0 || size_t(now) >= m || held[now] >= quota[now]) continue;
    owner[b] = now;
    ++held[now];
  }
  // Hand the freed buckets to the members below quota, spreading them round robin so that a
  // returning member's buckets are scattered over the table, not one block.
  size_t next = 0;
  for (uint64_t b = 0; b < n; ++b) {
    if (owner[b] != kFree) continue;
    for (size_t k = 0; k < m; ++k, next = (next + 1) % m) {
      if (held[next] < quota[next]) break;
    }
    owner[b] = static_cast<int>(next);
    ++held[next];
    next = (next + 1) % m;
  }
  for (uint64_t b = 0; b < n; ++b) out[b] = static_cast<uint8_t>(owner[b]);
}

}  // namespace weft::dp
