#include "dataplane/port/impairments.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace weft::dp {
namespace {

inline uint64_t NextRandom(uint64_t& s) {  // xorshift64
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}

template <typename T>
T RelaxedRead(const T& v) {
  return __atomic_load_n(&v, __ATOMIC_RELAXED);
}
template <typename T>
void RelaxedAdd(T& v, T n) {
  __atomic_store_n(&v, v + n, __ATOMIC_RELAXED);
}

}  // namespace

PortImpairments::PortImpairments(uint16_t num_ports, uint32_t num_workers,
                                 uint32_t delay_line_size)
    : num_ports_(num_ports),
      num_workers_(num_workers ? num_workers : 1),
      line_size_(delay_line_size ? delay_line_size : 1),
      slots_(new WorkerPort[size_t(num_workers_) * num_ports_]),
      rng_(num_workers_),
      line_mask_(num_workers_, 0),
      pkt_store_(size_t(num_workers_) * num_ports_ * line_size_, nullptr),
      time_store_(size_t(num_workers_) * num_ports_ * line_size_, 0) {
  for (uint16_t p = 0; p < kMaxPorts; ++p) {
    loss_threshold_[p].store(0);
    loss_all_[p].store(false);
    delay_ns_[p].store(0);
  }
  for (uint32_t w = 0; w < num_workers_; ++w) {
    rng_[w] = 0x9e3779b97f4a7c15ULL * (w + 1);
    for (uint16_t p = 0; p < num_ports_; ++p) {
      const size_t base = (size_t(w) * num_ports_ + p) * line_size_;
      wp(w, p).line.pkts = &pkt_store_[base];
      wp(w, p).line.release_ns = &time_store_[base];
    }
  }
}

PortImpairments::~PortImpairments() {
  // Packets still in delay lines go back to their pools.
  for (uint32_t w = 0; w < num_workers_; ++w)
    for (uint16_t p = 0; p < num_ports_; ++p) {
      DelayLine& l = wp(w, p).line;
      for (; l.head != l.tail; ++l.head) rte_pktmbuf_free(l.pkts[l.head % line_size_]);
    }
}

absl::Status PortImpairments::Set(uint16_t port, double loss_ratio, uint32_t delay_us) {
  if (port >= num_ports_) return absl::NotFoundError(absl::StrCat("port index ", port));
  if (!(loss_ratio >= 0.0 && loss_ratio <= 1.0))
    return absl::InvalidArgumentError(absl::StrCat("loss_ratio: ", loss_ratio, " not in 0..1"));
  if (delay_us > kMaxDelayUs)
    return absl::InvalidArgumentError(
        absl::StrCat("delay_us: ", delay_us, " exceeds ", kMaxDelayUs));
  loss_all_[port].store(loss_ratio >= 1.0, std::memory_order_relaxed);
  loss_threshold_[port].store(static_cast<uint32_t>(std::ldexp(loss_ratio, 32) >= 4294967295.0
                                                        ? 4294967295u
                                                        : std::ldexp(loss_ratio, 32)),
                              std::memory_order_relaxed);
  delay_ns_[port].store(uint64_t(delay_us) * 1000, std::memory_order_relaxed);
  const uint64_t bit = uint64_t{1} << port;
  if (loss_ratio > 0 || delay_us > 0)
    active_.fetch_or(bit, std::memory_order_relaxed);
  else
    active_.fetch_and(~bit, std::memory_order_relaxed);
  return absl::OkStatus();
}

double PortImpairments::loss_ratio(uint16_t port) const {
  if (port >= num_ports_) return 0;
  if (loss_all_[port].load(std::memory_order_relaxed)) return 1.0;
  return std::ldexp(double(loss_threshold_[port].load(std::memory_order_relaxed)), -32);
}

uint32_t PortImpairments::delay_us(uint16_t port) const {
  return port < num_ports_ ? uint32_t(delay_ns_[port].load(std::memory_order_relaxed) / 1000) : 0;
}

ImpairmentCounterValues PortImpairments::ReadCounters(uint16_t port) const {
  ImpairmentCounterValues v;
  if (port >= num_ports_) return v;
  for (uint32_t w = 0; w < num_workers_; ++w) {
    const WorkerPort& s = slots_[size_t(w) * num_ports_ + port];
    v.lost += RelaxedRead(s.lost);
    v.delayed += RelaxedRead(s.delayed);
    v.delay_overflow += RelaxedRead(s.delay_overflow);
  }
  return v;
}

uint16_t PortImpairments::Apply(uint32_t w, uint16_t port, rte_mbuf** pkts, uint16_t n,
                                uint64_t now_ns) {
  w %= num_workers_;
  WorkerPort& s = wp(w, port);
  const bool all = loss_all_[port].load(std::memory_order_relaxed);
  const uint32_t threshold = loss_threshold_[port].load(std::memory_order_relaxed);
  const uint64_t delay = delay_ns_[port].load(std::memory_order_relaxed);
  uint64_t& rng = rng_[w];
  rte_mbuf* to_free[64];
  uint16_t nfree = 0, keep = 0, lost = 0, delayed = 0, overflow = 0;
  DelayLine& l = s.line;
  for (uint16_t i = 0; i < n; ++i) {
    if (all || (threshold && uint32_t(NextRandom(rng) >> 32) < threshold)) {
      ++lost;
    } else if (delay == 0 && l.head == l.tail) {
      pkts[keep++] = pkts[i];  // nothing held: leaves now, order kept
      continue;
    } else if (l.tail - l.head >= line_size_) {
      ++overflow;
    } else {
      // Delay 0 behind held packets still queues, so a delay change never reorders.
      l.pkts[l.tail % line_size_] = pkts[i];
      l.release_ns[l.tail % line_size_] = now_ns + delay;
      ++l.tail;
      ++delayed;
      continue;
    }
    to_free[nfree++] = pkts[i];
    if (nfree == 64) {
      rte_pktmbuf_free_bulk(to_free, nfree);
      nfree = 0;
    }
  }
  if (nfree) rte_pktmbuf_free_bulk(to_free, nfree);
  if (lost) RelaxedAdd<uint64_t>(s.lost, lost);
  if (delayed) RelaxedAdd<uint64_t>(s.delayed, delayed);
  if (overflow) RelaxedAdd<uint64_t>(s.delay_overflow, overflow);
  if (l.head != l.tail) line_mask_[w] |= uint64_t{1} << port;
  return keep;
}

uint16_t PortImpairments::ReleaseDue(uint32_t w, uint16_t port, uint64_t now_ns, rte_mbuf** out,
                                     uint16_t max) {
  w %= num_workers_;
  DelayLine& l = wp(w, port).line;
  uint16_t k = 0;
  while (k < max && l.head != l.tail && l.release_ns[l.head % line_size_] <= now_ns) {
    out[k++] = l.pkts[l.head % line_size_];
    ++l.head;
  }
  if (l.head == l.tail) line_mask_[w] &= ~(uint64_t{1} << port);
  return k;
}

}  // namespace weft::dp
