// Bucket arrays of next-hop groups: a power-of-two array of member indices, filled in proportion
// to the members' weights, so that selection is `buckets[hash & mask]` (as VPP's load_balance).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace weft::dp {

inline constexpr uint32_t kMinGroupBuckets = 64;
inline constexpr uint32_t kMaxGroupBuckets = 4096;

// Power of two >= 16 x total weight (so a weight share is kept within ~1/16 of a unit), clamped to
// [kMinGroupBuckets, kMaxGroupBuckets].
uint32_t GroupBucketCount(std::span<const uint32_t> weights);

// Fills `buckets` (size a power of two) with member indices: member i gets round(w_i * n / W)
// buckets (largest remainder, so the counts sum to n), interleaved rather than in blocks.
// weights: 1..255 each, at most 255 entries (indices fit uint8_t).
void FillGroupBuckets(std::span<const uint32_t> weights, std::span<uint8_t> buckets);

// Resilient groups keep one bucket table for their whole life (kResilientBuckets entries) and
// change it as little as a membership change allows:
// - a bucket whose member stays keeps it unless that member holds more than its new quota;
// - the buckets of a member that left, and the excess of members above quota, go to the members
//   below quota (lowest bucket index first, so the result is deterministic).
// So removing a member moves exactly its buckets, and a member (re)joining takes only its fair
// share, taken from the members above their new quota. Quotas are FillGroupBuckets' (largest
// remainder of weight * n / total).
// `old_to_new[i]`: new index of old member i, or -1 if it left. `old_buckets` may be empty (a new
// group: plain interleaved fill). `out.size()` is the table size (old_buckets.size() if given).
inline constexpr uint32_t kResilientBuckets = 1024;
void RefillResilientBuckets(std::span<const int> old_to_new, std::span<const uint8_t> old_buckets,
                            std::span<const uint32_t> new_weights, std::span<uint8_t> out);

// Member quotas for n buckets: round(w_i * n / W) by largest remainder (ties to the lower index).
std::vector<uint64_t> BucketQuotas(std::span<const uint32_t> weights, uint64_t n);

}  // namespace weft::dp
