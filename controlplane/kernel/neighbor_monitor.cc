#include "controlplane/kernel/neighbor_monitor.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "absl/strings/str_format.h"

namespace weft::cp {

NeighborMonitor::NeighborMonitor(NeighborTable& table, std::mutex& mutex,
                                 PortOfIfindex port_of_ifindex, std::function<void()> on_change)
    : table_(table),
      mutex_(mutex),
      port_of_ifindex_(std::move(port_of_ifindex)),
      on_change_(std::move(on_change)) {}

NeighborMonitor::~NeighborMonitor() {
  if (fd_ >= 0) close(fd_);
  if (stop_fd_ >= 0) close(stop_fd_);
}

absl::Status NeighborMonitor::Start() {
  fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd_ < 0) return absl::InternalError(absl::StrFormat("rtnetlink socket: %s", strerror(errno)));
  int rcvbuf = 8 << 20;
  setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_NEIGH;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    return absl::InternalError(absl::StrFormat("rtnetlink bind: %s", strerror(errno)));
  }
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd_ < 0 || !RequestDump()) return absl::InternalError("rtnetlink neighbour dump failed");
  return absl::OkStatus();
}

bool NeighborMonitor::RequestDump() {
  struct {
    nlmsghdr h;
    ndmsg nd;
  } req{};
  req.h.nlmsg_len = sizeof(req);
  req.h.nlmsg_type = RTM_GETNEIGH;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = seq_++;
  req.nd.ndm_family = AF_UNSPEC;
  return send(fd_, &req, sizeof(req), 0) == static_cast<ssize_t>(sizeof(req));
}

void NeighborMonitor::Stop() {
  uint64_t one = 1;
  if (stop_fd_ >= 0) (void)!write(stop_fd_, &one, sizeof(one));
}

void NeighborMonitor::Run() {
  std::vector<uint8_t> buf(1 << 20);
  bool dump_pending = false;
  while (true) {
    pollfd fds[2] = {{stop_fd_, POLLIN, 0}, {fd_, POLLIN, 0}};
    if (poll(fds, 2, dump_pending ? 100 : -1) < 0 && errno != EINTR) return;
    if (fds[0].revents) return;
    // A dump refused while another is running (EBUSY) is retried here.
    if (dump_pending) dump_pending = !RequestDump();
    if (!(fds[1].revents & POLLIN)) continue;
    bool changed = false;
    while (true) {
      ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
      if (n < 0) {
        // Overrun: events were lost, the table may be wrong; read it again from a dump.
        if (errno == ENOBUFS) dump_pending = !RequestDump();
        break;
      }
      std::lock_guard lock(mutex_);
      size_t off = 0;
      while (off + sizeof(nlmsghdr) <= static_cast<size_t>(n)) {
        nlmsghdr h;
        std::memcpy(&h, buf.data() + off, sizeof(h));
        if (h.nlmsg_len < sizeof(h) || off + h.nlmsg_len > static_cast<size_t>(n)) break;
        if (h.nlmsg_type == NLMSG_ERROR) {
          nlmsgerr e;
          std::memcpy(&e, buf.data() + off + NLMSG_HDRLEN,
                      std::min<size_t>(sizeof(e), h.nlmsg_len - NLMSG_HDRLEN));
          if (e.error == -EBUSY) dump_pending = true;
        }
        auto decoded = DecodeNeighborMessage(std::span(buf).subspan(off, h.nlmsg_len));
        if (!decoded.ok()) {
          ++decode_errors_;
        } else if (decoded->has_value()) {
          table_.Apply(**decoded, port_of_ifindex_((*decoded)->ifindex));
          changed = true;
        }
        off += NLMSG_ALIGN(h.nlmsg_len);
      }
    }
    if (changed && on_change_) on_change_();
  }
}

}  // namespace weft::cp
