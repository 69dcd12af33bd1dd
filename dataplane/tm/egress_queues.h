// EgressQueues: the 8 queues of one egress port and their scheduler. Queues are fixed-capacity
// rings of packet pointers allocated at construction; nothing allocates afterwards. The worker that
// owns the port is the only user, so there are no atomics and no locks.
//
// Scheduling: strict-priority queues are served first, the higher queue index first; the remaining
// (DWRR) queues share what is left by deficit weighted round robin, each receiving
// weight x quantum_bytes of credit per round. Queues whose priority is paused (received PFC) are
// skipped and keep their packets.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "dataplane/tm/tm_types.h"

struct rte_mbuf;

namespace weft::dp::tm {

enum class QueueScheduling : uint8_t { kStrictPriority, kDwrr };

struct EgressQueueConfig {
  QueueScheduling scheduling = QueueScheduling::kDwrr;
  uint32_t dwrr_weight = 1;  // relative share among DWRR queues
};

struct EgressQueuesConfig {
  uint32_t queue_capacity_packets = 1024;  // per queue; rounded up to a power of two
  uint32_t dwrr_quantum_bytes = 1500;      // credit per weight unit per round (>= MTU is best)
  std::array<EgressQueueConfig, kNumTrafficClasses> queues{};
};

// One queued packet. `bytes` is its length as accounted (the mbuf is not touched at dequeue);
// `admission` is opaque to the queues and handed back at dequeue (BufferAccounting's ticket).
struct QueuedPacket {
  rte_mbuf* mbuf;
  uint32_t bytes;
  uint32_t admission;
};

struct EgressQueueCounters {
  uint64_t tx_packets = 0;
  uint64_t tx_bytes = 0;
  uint64_t full_drops = 0;       // Enqueue refused: ring full
  uint64_t watermark_bytes = 0;  // highest depth seen
};

class EgressQueues {
 public:
  // config must have passed ValidateEgressQueuesConfig.
  explicit EgressQueues(const EgressQueuesConfig& config);

  // Appends a packet to queue `tc`; false (and counted) when the ring is full. The caller keeps
  // ownership of a refused mbuf.
  bool Enqueue(int tc, rte_mbuf* mbuf, uint32_t bytes, uint32_t admission) {
    Ring& q = rings_[tc];
    if (q.tail - q.head > mask_) {
      ++counters_[tc].full_drops;
      return false;
    }
    q.slots[q.tail & mask_] = QueuedPacket{mbuf, bytes, admission};
    ++q.tail;
    nonempty_mask_ |= uint8_t(1u << tc);
    q.depth_bytes += bytes;
    if (q.depth_bytes > counters_[tc].watermark_bytes)
      counters_[tc].watermark_bytes = q.depth_bytes;
    return true;
  }

  // Takes up to `max_packets` packets in scheduling order while `budget_bytes` remains (the last
  // one may overshoot it; see PortShaper). Queues whose bit is set in `paused_mask` are skipped.
  // Returns the count written to `out`; *bytes_out is their total length.
  uint32_t Dequeue(QueuedPacket* out, uint32_t max_packets, uint64_t budget_bytes,
                   uint8_t paused_mask, uint64_t* bytes_out);

  // Removes every packet of queue `tc` into `out` (up to max), e.g. for a PFC-storm drop action.
  uint32_t Flush(int tc, QueuedPacket* out, uint32_t max_packets);

  uint64_t depth_bytes(int tc) const { return rings_[tc].depth_bytes; }
  uint32_t depth_packets(int tc) const { return rings_[tc].tail - rings_[tc].head; }
  uint8_t nonempty_mask() const { return nonempty_mask_; }
  uint32_t capacity_packets() const { return mask_ + 1; }
  const EgressQueueCounters& counters(int tc) const { return counters_[tc]; }

 private:
  struct Ring {
    std::unique_ptr<QueuedPacket[]> slots;
    uint32_t head = 0;  // free-running indices; tail - head = packets queued
    uint32_t tail = 0;
    uint64_t depth_bytes = 0;
  };

  QueuedPacket Pop(int tc);
  int NextDwrrQueue(uint8_t eligible) const;

  uint32_t mask_;
  std::array<Ring, kNumTrafficClasses> rings_;
  std::array<EgressQueueCounters, kNumTrafficClasses> counters_{};
  uint8_t nonempty_mask_ = 0;  // bit tc: queue tc holds packets
  uint8_t strict_mask_ = 0;
  uint8_t dwrr_mask_ = 0;
  std::array<uint64_t, kNumTrafficClasses> quantum_bytes_{};
  std::array<uint64_t, kNumTrafficClasses> deficit_bytes_{};
  int dwrr_cursor_ = 0;             // queue whose turn it is
  bool dwrr_turn_started_ = false;  // its quantum was already granted for this turn
};

}  // namespace weft::dp::tm
