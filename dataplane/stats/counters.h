// SwitchCounters: every packet counter of one switch instance. Each worker owns a cache-aligned
// slot and writes it without atomics-with-locking (relaxed load+store, a plain add on x86); readers
// sum the slots on demand, so counting costs the fast path one add and no shared cache line.
//
// Contract for readers (API, metrics, tests): values are monotonic since construction, summed over
// all workers; a read may miss the last few increments of a burst in flight.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace weft::dp {

// Why a packet was dropped. Names (DropReasonName) are stable snake_case used by the API and tests.
enum class DropReason : uint8_t {
  kTruncatedEthernet,
  kTruncatedVlan,
  kUnsupportedEthertype,
  kDstMacMismatch,  // unicast frame not addressed to the ingress port's MAC
  kTruncatedIpv4,
  kIpv4BadVersion,
  kIpv4BadIhl,
  kIpv4BadTotalLength,
  kIpv4BadChecksum,
  kTruncatedIpv6,
  kIpv6BadVersion,
  kIpv6BadPayloadLength,
  kTruncatedL4,
  kNoRoute,
  kBlackhole,       // route with a drop action
  kEgressPortDown,  // every member of the chosen group is on a down port
  kMtuExceeded,
  kCoppPoliced,      // punt above its class's CoPP rate
  kPuntRingFull,     // punt ring to the TAP full, or the port has no TAP twin
  kTxFull,           // the egress tx queue did not take the packet
  kIngressPortDown,  // received on a port that is admin or oper down
  // Traffic manager (attributed to the egress port):
  kTmWred,         // non-ECT packet dropped by its queue's WRED curve
  kTmBuffer,       // buffer admission refused (queue's dynamic threshold, pool, or headroom)
  kTmQueueFull,    // the queue's ring is full
  kTmPfcStorm,     // the queue is in a PFC storm with action drop
  kTmHandOffFull,  // the ring to the worker owning the traffic manager is full
  kCount
};
inline constexpr size_t kNumDropReasons = static_cast<size_t>(DropReason::kCount);
const char* DropReasonName(DropReason reason);

// Why a packet went to the kernel (TAP twin). Each class has its own CoPP policer.
enum class PuntClass : uint8_t {
  kArp,
  kNd,          // IPv6 ND and IPv6 multicast
  kLinkLocal,   // fe80::/10, 169.254/16 destinations
  kLocal,       // to one of the switch's addresses (or a punt route)
  kTtlExpired,  // TTL / hop limit <= 1
  kGlean,       // next hop without a resolved neighbour: the kernel resolves it
  kMulticast,   // L2 broadcast/multicast that is not ARP/ND, IPv4 multicast/broadcast
  kCount
};
inline constexpr size_t kNumPuntClasses = static_cast<size_t>(PuntClass::kCount);
const char* PuntClassName(PuntClass punt_class);

// One monotonic counter written by exactly one thread.
class alignas(8) SingleWriterCounter {
 public:
  void Add(uint64_t n) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  uint64_t Get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

struct alignas(64) PortCountersSlot {
  SingleWriterCounter rx_packets, rx_bytes, tx_packets, tx_bytes;
  SingleWriterCounter punted;                  // handed to the TAP's punt ring
  SingleWriterCounter injected;                // from the TAP, sent out of the port
  SingleWriterCounter mac_control;             // MAC-control (PFC) frames consumed at parse
  SingleWriterCounter drops[kNumDropReasons];  // attributed to the ingress port (tx_full: egress)
  SingleWriterCounter punts[kNumPuntClasses];  // by class, before the policer
};

struct MemberCountersSlot {
  SingleWriterCounter packets, bytes;
};

// What one worker writes; the fast path holds a pointer to it.
class WorkerCounters {
 public:
  PortCountersSlot& port(uint16_t p) { return ports_[p]; }
  // `slot` is the next-hop group's internal slot (TablesSnapshot), `member` its member index.
  void CountMember(uint32_t slot, uint32_t member, uint64_t bytes) {
    size_t i = size_t(slot) * kMembersPerSlot + member;
    if (i < members_.size()) {
      members_[i].packets.Add(1);
      members_[i].bytes.Add(bytes);
    }
  }

  static constexpr uint32_t kMembersPerSlot = 64;  // = kMaxGroupMembers

 private:
  friend class SwitchCounters;
  WorkerCounters(uint16_t num_ports, uint32_t max_group_slots)
      : ports_(num_ports), members_(size_t(max_group_slots) * kMembersPerSlot) {}
  std::vector<PortCountersSlot> ports_;
  std::vector<MemberCountersSlot> members_;
};

struct PortCounterValues {
  uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
  uint64_t punted = 0, injected = 0, mac_control = 0;
  std::array<uint64_t, kNumDropReasons> drops{};
  std::array<uint64_t, kNumPuntClasses> punts{};
  uint64_t total_drops() const;
};

struct MemberCounterValues {
  uint32_t group_id = 0;
  uint32_t member = 0;  // index in the group's member list as last written
  uint64_t packets = 0, bytes = 0;
};

class SwitchCounters {
 public:
  // max_group_slots bounds the group slots counted per member (slots are dense, lowest first).
  SwitchCounters(uint16_t num_ports, uint32_t max_workers, uint32_t max_group_slots = 4096);
  SwitchCounters(const SwitchCounters&) = delete;
  SwitchCounters& operator=(const SwitchCounters&) = delete;

  uint16_t num_ports() const { return num_ports_; }
  uint32_t max_workers() const { return static_cast<uint32_t>(workers_.size()); }
  // The slot worker `worker_index` writes (< max_workers()).
  WorkerCounters* worker(uint32_t worker_index) { return workers_[worker_index].get(); }

  // Reads: summed over workers.
  PortCounterValues ReadPort(uint16_t port) const;
  std::array<uint64_t, kNumDropReasons> ReadSwitchDrops() const;
  // Members of a client group id; empty if the group is unknown.
  std::vector<MemberCounterValues> ReadGroupMembers(uint32_t group_id) const;
  std::vector<MemberCounterValues> ReadAllGroupMembers() const;

  // Called by the tables' writer when a client group takes or leaves a slot. Binding a slot
  // resets its member counters (a new group starts from zero); a replace keeps them.
  void BindGroupSlot(uint32_t slot, uint32_t group_id, uint32_t num_members);
  void UnbindGroupSlot(uint32_t slot);

 private:
  struct Binding {
    uint32_t slot, group_id, num_members;
    std::vector<MemberCounterValues> baseline;  // sums at bind time, subtracted on read
  };
  uint64_t SumMember(size_t index, bool bytes) const;
  void AppendMembers(const Binding& b, std::vector<MemberCounterValues>* out) const;

  uint16_t num_ports_;
  uint32_t max_group_slots_;
  std::vector<std::unique_ptr<WorkerCounters>> workers_;
  mutable std::mutex bindings_mu_;
  std::vector<Binding> bindings_;  // few hundred groups at most in practice
};

}  // namespace weft::dp
