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

void FillGroupBuckets(std::span<const uint32_t> weights, std::span<uint8_t> buckets) {
  const size_t m = weights.size();
  const uint64_t n = buckets.size();
  if (m == 0 || n == 0) return;
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

}  // namespace weft::dp
