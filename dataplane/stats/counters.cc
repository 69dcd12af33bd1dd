#include "dataplane/stats/counters.h"

#include <algorithm>

namespace weft::dp {

const char* DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kTruncatedEthernet:
      return "truncated_ethernet";
    case DropReason::kTruncatedVlan:
      return "truncated_vlan";
    case DropReason::kUnsupportedEthertype:
      return "unsupported_ethertype";
    case DropReason::kDstMacMismatch:
      return "dst_mac_mismatch";
    case DropReason::kTruncatedIpv4:
      return "truncated_ipv4";
    case DropReason::kIpv4BadVersion:
      return "ipv4_bad_version";
    case DropReason::kIpv4BadIhl:
      return "ipv4_bad_ihl";
    case DropReason::kIpv4BadTotalLength:
      return "ipv4_bad_total_length";
    case DropReason::kIpv4BadChecksum:
      return "ipv4_bad_checksum";
    case DropReason::kTruncatedIpv6:
      return "truncated_ipv6";
    case DropReason::kIpv6BadVersion:
      return "ipv6_bad_version";
    case DropReason::kIpv6BadPayloadLength:
      return "ipv6_bad_payload_length";
    case DropReason::kTruncatedL4:
      return "truncated_l4";
    case DropReason::kNoRoute:
      return "no_route";
    case DropReason::kBlackhole:
      return "blackhole";
    case DropReason::kEgressPortDown:
      return "egress_port_down";
    case DropReason::kMtuExceeded:
      return "mtu_exceeded";
    case DropReason::kCoppPoliced:
      return "copp_policed";
    case DropReason::kPuntRingFull:
      return "punt_ring_full";
    case DropReason::kTxFull:
      return "tx_full";
    case DropReason::kIngressPortDown:
      return "ingress_port_down";
    case DropReason::kTmWred:
      return "tm_wred";
    case DropReason::kTmBuffer:
      return "tm_buffer";
    case DropReason::kTmQueueFull:
      return "tm_queue_full";
    case DropReason::kTmPfcStorm:
      return "tm_pfc_storm";
    case DropReason::kTmHandOffFull:
      return "tm_handoff_full";
    case DropReason::kCount:
      break;
  }
  return "unknown";
}

const char* PuntClassName(PuntClass punt_class) {
  switch (punt_class) {
    case PuntClass::kArp:
      return "arp";
    case PuntClass::kNd:
      return "nd";
    case PuntClass::kLinkLocal:
      return "link_local";
    case PuntClass::kLocal:
      return "local";
    case PuntClass::kTtlExpired:
      return "ttl_expired";
    case PuntClass::kGlean:
      return "glean";
    case PuntClass::kMulticast:
      return "multicast";
    case PuntClass::kCount:
      break;
  }
  return "unknown";
}

uint64_t PortCounterValues::total_drops() const {
  uint64_t t = 0;
  for (uint64_t d : drops) t += d;
  return t;
}

SwitchCounters::SwitchCounters(uint16_t num_ports, uint32_t max_workers, uint32_t max_group_slots)
    : num_ports_(num_ports), max_group_slots_(max_group_slots) {
  workers_.reserve(max_workers);
  for (uint32_t w = 0; w < max_workers; ++w)
    workers_.push_back(
        std::unique_ptr<WorkerCounters>(new WorkerCounters(num_ports, max_group_slots)));
}

PortCounterValues SwitchCounters::ReadPort(uint16_t port) const {
  PortCounterValues v;
  if (port >= num_ports_) return v;
  for (const auto& w : workers_) {
    const PortCountersSlot& s = w->ports_[port];
    v.rx_packets += s.rx_packets.Get();
    v.rx_bytes += s.rx_bytes.Get();
    v.tx_packets += s.tx_packets.Get();
    v.tx_bytes += s.tx_bytes.Get();
    v.punted += s.punted.Get();
    v.injected += s.injected.Get();
    v.mac_control += s.mac_control.Get();
    for (size_t r = 0; r < kNumDropReasons; ++r) v.drops[r] += s.drops[r].Get();
    for (size_t c = 0; c < kNumPuntClasses; ++c) v.punts[c] += s.punts[c].Get();
  }
  return v;
}

std::array<uint64_t, kNumDropReasons> SwitchCounters::ReadSwitchDrops() const {
  std::array<uint64_t, kNumDropReasons> drops{};
  for (uint16_t p = 0; p < num_ports_; ++p) {
    PortCounterValues v = ReadPort(p);
    for (size_t r = 0; r < kNumDropReasons; ++r) drops[r] += v.drops[r];
  }
  return drops;
}

uint64_t SwitchCounters::SumMember(size_t index, bool bytes) const {
  uint64_t t = 0;
  for (const auto& w : workers_)
    t += bytes ? w->members_[index].bytes.Get() : w->members_[index].packets.Get();
  return t;
}

void SwitchCounters::AppendMembers(const Binding& b, std::vector<MemberCounterValues>* out) const {
  for (uint32_t m = 0; m < b.num_members; ++m) {
    size_t i = size_t(b.slot) * WorkerCounters::kMembersPerSlot + m;
    MemberCounterValues v;
    v.group_id = b.group_id;
    v.member = m;
    v.packets = SumMember(i, false) - b.baseline[m].packets;
    v.bytes = SumMember(i, true) - b.baseline[m].bytes;
    out->push_back(v);
  }
}

std::vector<MemberCounterValues> SwitchCounters::ReadGroupMembers(uint32_t group_id) const {
  std::lock_guard<std::mutex> lock(bindings_mu_);
  std::vector<MemberCounterValues> out;
  for (const Binding& b : bindings_)
    if (b.group_id == group_id) AppendMembers(b, &out);
  return out;
}

std::vector<MemberCounterValues> SwitchCounters::ReadAllGroupMembers() const {
  std::lock_guard<std::mutex> lock(bindings_mu_);
  std::vector<MemberCounterValues> out;
  for (const Binding& b : bindings_) AppendMembers(b, &out);
  return out;
}

void SwitchCounters::BindGroupSlot(uint32_t slot, uint32_t group_id, uint32_t num_members) {
  if (slot >= max_group_slots_) return;  // beyond the counted slots: not counted per member
  num_members = std::min(num_members, WorkerCounters::kMembersPerSlot);
  std::lock_guard<std::mutex> lock(bindings_mu_);
  for (Binding& b : bindings_) {
    if (b.slot != slot) continue;
    if (b.group_id == group_id) {  // replace: keep counting (baselines cover all 64 members)
      b.num_members = num_members;
      return;
    }
  }
  Binding nb{slot, group_id, num_members, {}};
  for (uint32_t m = 0; m < WorkerCounters::kMembersPerSlot; ++m) {
    size_t i = size_t(slot) * WorkerCounters::kMembersPerSlot + m;
    nb.baseline.push_back({group_id, m, SumMember(i, false), SumMember(i, true)});
  }
  std::erase_if(bindings_, [&](const Binding& b) { return b.slot == slot; });
  bindings_.push_back(std::move(nb));
}

void SwitchCounters::UnbindGroupSlot(uint32_t slot) {
  std::lock_guard<std::mutex> lock(bindings_mu_);
  std::erase_if(bindings_, [&](const Binding& b) { return b.slot == slot; });
}

}  // namespace weft::dp
