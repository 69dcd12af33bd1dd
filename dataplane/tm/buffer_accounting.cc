#include "dataplane/tm/buffer_accounting.h"

namespace weft::dp::tm {
namespace {

constexpr uint64_t kPfcFrameBytes = 64;
constexpr uint64_t kFibreNsPerMetre = 5;

// Ticket layout: region in bits 0-1, priority group in bits 2-4, ingress port in bits 8-23,
// egress traffic class in bits 24-26 (BufferAccounting::TicketTrafficClass).
constexpr uint32_t MakeTicket(uint32_t region, int pg, uint16_t ingress_port, int tc) {
  return region | uint32_t(pg) << 2 | uint32_t(ingress_port) << 8 | uint32_t(tc) << 24;
}

}  // namespace

uint64_t DefaultHeadroomBytes(const HeadroomInputs& in) {
  const uint64_t round_trip_ns = 2 * kFibreNsPerMetre * in.cable_m;
  return BytesInNs(in.rate_bps, in.reaction_ns + round_trip_ns) + 2 * uint64_t(in.mtu_bytes) +
         kPfcFrameBytes + in.peer_burst_bytes;
}

BufferAccounting::BufferAccounting(const BufferConfig& config, uint64_t default_headroom_bytes)
    : config_(config) {
  const size_t cells = size_t(config.num_ports) * kNumTrafficClasses;
  queue_bytes_.assign(cells, 0);
  queue_shared_bytes_.assign(cells, 0);
  queue_reserve_bytes_.assign(cells, 0);
  pg_bytes_.assign(cells, 0);
  headroom_used_.assign(cells, 0);
  uint64_t carved = 0;
  for (int i = 0; i < kNumTrafficClasses; ++i) {
    const PriorityGroupBufferConfig& pg = config.priority_groups[i];
    if (pg.lossless)
      headroom_bytes_[i] = pg.headroom_bytes ? pg.headroom_bytes : default_headroom_bytes;
    carved += (config.queues[i].reserve_bytes + headroom_bytes_[i]) * config.num_ports;
  }
  shared_size_ = config.pool_bytes > carved ? config.pool_bytes - carved : 0;
}

uint64_t BufferAccounting::DynamicThresholdBytes(int tc) const {
  const uint64_t free_bytes = shared_size_ - shared_used_;
  const int a = config_.queues[tc].alpha_log2;
  return a >= 0 ? free_bytes << a : free_bytes >> -a;
}

BufferVerdict BufferAccounting::Admit(uint16_t ingress_port, int pg, uint16_t egress_port, int tc,
                                      uint32_t bytes, uint32_t* ticket) {
  const size_t q = size_t(egress_port) * kNumTrafficClasses + tc;
  const size_t g = size_t(ingress_port) * kNumTrafficClasses + pg;
  uint32_t region;
  if (queue_reserve_bytes_[q] + bytes <= config_.queues[tc].reserve_bytes) {
    region = kReserve;
    queue_reserve_bytes_[q] += bytes;
  } else if (shared_used_ + bytes <= shared_size_ &&
             queue_shared_bytes_[q] + bytes <= DynamicThresholdBytes(tc)) {
    region = kShared;
    shared_used_ += bytes;
    queue_shared_bytes_[q] += bytes;
  } else if (config_.priority_groups[pg].lossless) {
    if (headroom_used_[g] + bytes > headroom_bytes_[pg])
      return BufferVerdict::kDropHeadroomExhausted;
    region = kHeadroom;
    headroom_used_[g] += bytes;
  } else {
    return shared_used_ + bytes > shared_size_ ? BufferVerdict::kDropPoolFull
                                               : BufferVerdict::kDropQueueLimit;
  }
  queue_bytes_[q] += bytes;
  pg_bytes_[g] += bytes;
  *ticket = MakeTicket(region, pg, ingress_port, tc);
  return BufferVerdict::kAdmitted;
}

void BufferAccounting::Release(uint16_t egress_port, int tc, uint32_t bytes, uint32_t ticket) {
  const size_t q = size_t(egress_port) * kNumTrafficClasses + tc;
  const int pg = int(ticket >> 2 & 7);
  const size_t g = size_t(ticket >> 8 & 0xFFFF) * kNumTrafficClasses + pg;
  switch (ticket & 3) {
    case kReserve:
      queue_reserve_bytes_[q] -= bytes;
      break;
    case kShared:
      shared_used_ -= bytes;
      queue_shared_bytes_[q] -= bytes;
      break;
    default:
      headroom_used_[g] -= bytes;
      break;
  }
  queue_bytes_[q] -= bytes;
  pg_bytes_[g] -= bytes;
}

}  // namespace weft::dp::tm
