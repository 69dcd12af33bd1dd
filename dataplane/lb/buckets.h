// Bucket arrays of next-hop groups: a power-of-two array of member indices, filled in proportion
// to the members' weights, so that selection is `buckets[hash & mask]` (as VPP's load_balance).
#pragma once

#include <cstdint>
#include <span>

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

}  // namespace weft::dp
