#include "dataplane/tm/egress_queues.h"

#include <bit>

namespace weft::dp::tm {

EgressQueues::EgressQueues(const EgressQueuesConfig& config)
    : mask_(std::bit_ceil(config.queue_capacity_packets < 2 ? 2u : config.queue_capacity_packets) -
            1) {
  for (int tc = 0; tc < kNumTrafficClasses; ++tc) {
    rings_[tc].slots = std::make_unique<QueuedPacket[]>(mask_ + 1);
    const EgressQueueConfig& q = config.queues[tc];
    if (q.scheduling == QueueScheduling::kStrictPriority) {
      strict_mask_ |= uint8_t(1u << tc);
    } else {
      dwrr_mask_ |= uint8_t(1u << tc);
      quantum_bytes_[tc] = uint64_t(q.dwrr_weight) * config.dwrr_quantum_bytes;
    }
  }
}

QueuedPacket EgressQueues::Pop(int tc) {
  Ring& q = rings_[tc];
  const QueuedPacket p = q.slots[q.head & mask_];
  ++q.head;
  if (q.head == q.tail) nonempty_mask_ &= uint8_t(~(1u << tc));
  q.depth_bytes -= p.bytes;
  ++counters_[tc].tx_packets;
  counters_[tc].tx_bytes += p.bytes;
  return p;
}

// The first eligible DWRR queue at or after the cursor, or -1.
int EgressQueues::NextDwrrQueue(uint8_t eligible) const {
  for (int i = 0; i < kNumTrafficClasses; ++i) {
    const int tc = (dwrr_cursor_ + i) % kNumTrafficClasses;
    if (eligible & (1u << tc)) return tc;
  }
  return -1;
}

uint32_t EgressQueues::Dequeue(QueuedPacket* out, uint32_t max_packets, uint64_t budget_bytes,
                               uint8_t paused_mask, uint64_t* bytes_out) {
  uint32_t n = 0;
  uint64_t sent = 0;
  while (n < max_packets && sent < budget_bytes) {
    const uint8_t ready = nonempty_mask_ & uint8_t(~paused_mask);
    if (ready == 0) break;
    const uint8_t strict_ready = ready & strict_mask_;
    if (strict_ready) {
      const int tc = 31 - std::countl_zero(uint32_t(strict_ready));  // highest index first
      out[n] = Pop(tc);
      sent += out[n++].bytes;
      continue;
    }
    const uint8_t dwrr_ready = ready & dwrr_mask_;
    const int tc = NextDwrrQueue(dwrr_ready);
    if (tc < 0) break;
    if (tc != dwrr_cursor_ || !dwrr_turn_started_) {
      // Queues skipped on the way (empty or paused) lose their leftover credit: classic DRR does
      // not bank credit while a queue is idle.
      for (int skipped = dwrr_cursor_; skipped != tc; skipped = (skipped + 1) % kNumTrafficClasses)
        deficit_bytes_[skipped] = 0;
      dwrr_cursor_ = tc;
      dwrr_turn_started_ = true;
      deficit_bytes_[tc] += quantum_bytes_[tc];
    }
    const Ring& q = rings_[tc];
    const uint32_t head_bytes = q.slots[q.head & mask_].bytes;
    if (head_bytes <= deficit_bytes_[tc]) {
      deficit_bytes_[tc] -= head_bytes;
      out[n] = Pop(tc);
      sent += out[n++].bytes;
      if (q.tail == q.head) deficit_bytes_[tc] = 0;
      continue;
    }
    // Not enough credit for the head packet: the turn passes to the next queue.
    dwrr_cursor_ = (tc + 1) % kNumTrafficClasses;
    dwrr_turn_started_ = false;
  }
  *bytes_out = sent;
  return n;
}

uint32_t EgressQueues::Flush(int tc, QueuedPacket* out, uint32_t max_packets) {
  Ring& q = rings_[tc];
  uint32_t n = 0;
  while (n < max_packets && q.tail != q.head) {
    out[n++] = q.slots[q.head & mask_];
    q.depth_bytes -= q.slots[q.head & mask_].bytes;
    ++q.head;
  }
  if (q.head == q.tail) nonempty_mask_ &= uint8_t(~(1u << tc));
  return n;
}

}  // namespace weft::dp::tm
