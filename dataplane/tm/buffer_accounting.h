// BufferAccounting: the packet buffer of one switch instance, shared by all its egress queues, the
// way a shared-memory switch ASIC accounts it:
//   - each egress queue first uses its reserve (guaranteed, never shared);
//   - beyond it, a queue draws from the shared pool while its shared use stays under the dynamic
//     threshold alpha x (shared pool still free), alpha = 2^alpha_log2 per queue (SONiC's
//     dynamic_th), so one congested queue cannot starve the others;
//   - a packet of a lossless priority group that the shared pool refuses lands in the headroom of
//     its (ingress port, priority group): the bytes still in flight after a PFC XOFF. Lossless
//     packets are only dropped when that headroom is exhausted (a misbehaving peer).
// Per (ingress port, priority group) occupancy drives PfcGenerator's XOFF/XON.
//
// Contract: single writer (the worker that owns the switch instance's ports). Admit() returns a
// ticket the caller keeps with the packet (QueuedPacket::admission) and hands to Release() when the
// packet leaves or is dropped after admission. No allocation after construction.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dataplane/tm/tm_types.h"

namespace weft::dp::tm {

struct QueueBufferConfig {
  uint64_t reserve_bytes = 0;  // guaranteed to this queue on every egress port
  int alpha_log2 = 0;          // dynamic threshold alpha = 2^alpha_log2, in [-7, 3]
};

struct PriorityGroupBufferConfig {
  bool lossless = false;
  uint64_t headroom_bytes =
      0;  // per ingress port; 0 on a lossless group means DefaultHeadroomBytes
};

struct BufferConfig {
  uint64_t pool_bytes = 0;  // the whole buffer of the switch instance
  uint16_t num_ports = 0;
  std::array<QueueBufferConfig, kNumTrafficClasses> queues{};
  std::array<PriorityGroupBufferConfig, kNumTrafficClasses> priority_groups{};
};

// Inputs of the default headroom of a lossless priority group.
struct HeadroomInputs {
  uint64_t rate_bps = 0;             // shaped rate of the port
  uint32_t mtu_bytes = 9216;         // largest frame either side may be sending
  uint32_t cable_m = 100;            // cable length; light in fibre: 5 ns per metre
  uint64_t reaction_ns = 2'000'000;  // our poll loop + sleep back-off + PMD rings + the peer's own
                                     // reaction; at least 2 ms for a software switch
  uint64_t peer_burst_bytes = 0;     // the peer's shaper burst: already dequeued when it pauses
};

// Bytes that can still arrive after XOFF is decided: the reaction time and the cable round trip at
// the shaped rate, the frame the peer is sending and ours delaying the PFC frame (2 MTU), the
// PFC frame itself, and the burst the peer had already released from its shaper.
uint64_t DefaultHeadroomBytes(const HeadroomInputs& in);

enum class BufferVerdict : uint8_t {
  kAdmitted,
  kDropQueueLimit,        // lossy: over its queue's dynamic threshold
  kDropPoolFull,          // lossy: shared pool exhausted
  kDropHeadroomExhausted  // lossless: the peer kept sending past its headroom
};

class BufferAccounting {
 public:
  // config must have passed ValidateBufferConfig. `default_headroom_bytes` replaces 0 headrooms of
  // lossless priority groups.
  BufferAccounting(const BufferConfig& config, uint64_t default_headroom_bytes);

  // Accounts `bytes` for a packet from (ingress_port, pg) to queue `tc` of `egress_port`. On
  // kAdmitted, *ticket identifies where the bytes went; pass it to Release().
  BufferVerdict Admit(uint16_t ingress_port, int pg, uint16_t egress_port, int tc, uint32_t bytes,
                      uint32_t* ticket);
  void Release(uint16_t egress_port, int tc, uint32_t bytes, uint32_t ticket);
  // The egress traffic class a ticket was admitted to.
  static int TicketTrafficClass(uint32_t ticket) { return int(ticket >> 24 & 7); }

  // Bytes buffered for packets that came in on (ingress_port, pg), headroom included: what PFC
  // XOFF/XON compares against.
  uint64_t PriorityGroupBytes(uint16_t ingress_port, int pg) const {
    return pg_bytes_[ingress_port * kNumTrafficClasses + pg];
  }
  uint64_t HeadroomUsedBytes(uint16_t ingress_port, int pg) const {
    return headroom_used_[ingress_port * kNumTrafficClasses + pg];
  }
  uint64_t QueueBytes(uint16_t egress_port, int tc) const {
    return queue_bytes_[egress_port * kNumTrafficClasses + tc];
  }
  uint64_t shared_pool_bytes() const { return shared_size_; }
  uint64_t shared_used_bytes() const { return shared_used_; }
  // Dynamic threshold a queue's shared use is compared with right now.
  uint64_t DynamicThresholdBytes(int tc) const;

 private:
  enum Region : uint32_t { kReserve = 0, kShared = 1, kHeadroom = 2 };

  BufferConfig config_;
  uint64_t shared_size_ = 0;
  uint64_t shared_used_ = 0;
  std::array<uint64_t, kNumTrafficClasses> headroom_bytes_{};
  std::vector<uint64_t> queue_bytes_;          // [egress_port][tc], all regions
  std::vector<uint64_t> queue_shared_bytes_;   // [egress_port][tc], shared region only
  std::vector<uint64_t> queue_reserve_bytes_;  // [egress_port][tc], reserve region only
  std::vector<uint64_t> pg_bytes_;             // [ingress_port][pg], all regions
  std::vector<uint64_t> headroom_used_;        // [ingress_port][pg]
};

}  // namespace weft::dp::tm
