#include "dataplane/port/tap_slow_path.h"

#include <rte_mbuf.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace weft::dp {
namespace {

constexpr unsigned kBurst = 32;
constexpr int kMaxSegments = 16;

}  // namespace

absl::Status TapSlowPath::Start() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return absl::InternalError(absl::StrCat("tap: epoll_create1: ", strerror(errno)));
  for (uint16_t i = 0; i < ports_.size(); ++i) {
    if (tap_fds_[i] < 0) continue;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = i;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, tap_fds_[i], &ev) < 0)
      return absl::InternalError(absl::StrCat("tap: epoll_ctl for ", ports_.at(i).name, ": ", strerror(errno)));
  }
  stop_.store(false);
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void TapSlowPath::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (epoll_fd_ >= 0) close(epoll_fd_);
  epoll_fd_ = -1;
}

uint32_t TapSlowPath::DrainPunts(uint16_t index) {
  Port& port = ports_.at(index);
  if (port.punt_ring == nullptr) return 0;
  rte_mbuf* pkts[kBurst];
  unsigned n = rte_ring_dequeue_burst(port.punt_ring, reinterpret_cast<void**>(pkts), kBurst, nullptr);
  const int fd = tap_fds_[index];
  for (unsigned i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    bool sent = false;
    if (fd >= 0) {
      iovec iov[kMaxSegments];
      int segs = 0;
      for (rte_mbuf* s = m; s != nullptr && segs < kMaxSegments; s = s->next, ++segs)
        iov[segs] = {rte_pktmbuf_mtod(s, void*), s->data_len};
      // A TAP write is one frame; a partial chain would be a corrupt frame, so drop instead.
      sent = m->nb_segs <= kMaxSegments && writev(fd, iov, segs) == static_cast<ssize_t>(m->pkt_len);
    }
    rte_pktmbuf_free(m);
    (sent ? stats_.to_kernel : stats_.to_kernel_drops).fetch_add(1, std::memory_order_relaxed);
  }
  return n;
}

uint32_t TapSlowPath::ReadTap(uint16_t index) {
  Port& port = ports_.at(index);
  const int fd = tap_fds_[index];
  if (fd < 0 || port.inject_ring == nullptr) return 0;
  rte_mempool* pool = port_set_.pool(index);
  uint32_t moved = 0;
  for (unsigned i = 0; i < kBurst; ++i) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    if (m == nullptr) {
      // Leave the frame in the TAP queue; the kernel drops when it overflows.
      stats_.from_kernel_drops.fetch_add(1, std::memory_order_relaxed);
      break;
    }
    const uint16_t room = rte_pktmbuf_tailroom(m);
    ssize_t len = read(fd, rte_pktmbuf_mtod(m, void*), room);
    if (len <= 0) {
      rte_pktmbuf_free(m);
      break;  // EAGAIN: queue empty
    }
    if (len > room || len < static_cast<ssize_t>(sizeof(rte_ether_hdr))) {
      rte_pktmbuf_free(m);
      stats_.from_kernel_drops.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    m->data_len = static_cast<uint16_t>(len);
    m->pkt_len = static_cast<uint32_t>(len);
    m->port = port.ethdev_id;
    if (rte_ring_enqueue(port.inject_ring, m) != 0) {
      rte_pktmbuf_free(m);
      stats_.from_kernel_drops.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    stats_.from_kernel.fetch_add(1, std::memory_order_relaxed);
    ++moved;
  }
  return moved;
}

uint32_t TapSlowPath::PollOnce() {
  uint32_t moved = 0;
  for (uint16_t i = 0; i < ports_.size(); ++i) moved += DrainPunts(i) + ReadTap(i);
  return moved;
}

void TapSlowPath::Run() {
  epoll_event events[kMaxPorts];
  int wait_ms = kIdleWaitMs;
  while (!stop_.load(std::memory_order_relaxed)) {
    int ready = epoll_wait(epoll_fd_, events, kMaxPorts, wait_ms);
    uint32_t moved = 0;
    for (int e = 0; e < ready; ++e) moved += ReadTap(static_cast<uint16_t>(events[e].data.u32));
    for (uint16_t i = 0; i < ports_.size(); ++i) moved += DrainPunts(i);
    wait_ms = moved > 0 ? kBusyWaitMs : std::min(kIdleWaitMs, wait_ms * 2);
  }
}

}  // namespace weft::dp
