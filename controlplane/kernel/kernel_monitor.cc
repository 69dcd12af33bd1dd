#include "controlplane/kernel/kernel_monitor.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_format.h"

namespace weft::cp {

KernelMonitor::KernelMonitor(NeighborTable& neighbors, AddressTable& addresses, std::mutex& mutex,
                             PortOfIfindex port_of_ifindex, std::function<void()> on_change)
    : neighbors_(neighbors),
      addresses_(addresses),
      mutex_(mutex),
      port_of_ifindex_(std::move(port_of_ifindex)),
      on_change_(std::move(on_change)) {}

KernelMonitor::~KernelMonitor() {
  if (fd_ >= 0) close(fd_);
  if (stop_fd_ >= 0) close(stop_fd_);
}

absl::Status KernelMonitor::Start() {
  fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd_ < 0) return absl::InternalError(absl::StrFormat("rtnetlink socket: %s", strerror(errno)));
  int rcvbuf = 8 << 20;
  setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_NEIGH | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    return absl::InternalError(absl::StrFormat("rtnetlink bind: %s", strerror(errno)));
  }
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd_ < 0) return absl::InternalError("eventfd failed");
  QueueFullDump();
  if (!SendNextDump()) return absl::InternalError("rtnetlink dump request failed");
  return absl::OkStatus();
}

void KernelMonitor::QueueFullDump() {
  dumps_ = {RTM_GETADDR, RTM_GETNEIGH};
}

bool KernelMonitor::SendNextDump() {
  if (dump_running_ || dumps_.empty()) return true;
  struct {
    nlmsghdr h;
    rtgenmsg g;
  } req{};
  req.h.nlmsg_len = NLMSG_LENGTH(sizeof(rtgenmsg));
  req.h.nlmsg_type = dumps_.front();
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = seq_++;
  req.g.rtgen_family = AF_UNSPEC;
  if (send(fd_, &req, req.h.nlmsg_len, 0) != static_cast<ssize_t>(req.h.nlmsg_len)) return false;
  dumps_.pop_front();
  dump_running_ = true;
  return true;
}

void KernelMonitor::Stop() {
  uint64_t one = 1;
  if (stop_fd_ >= 0) (void)!write(stop_fd_, &one, sizeof(one));
}

bool KernelMonitor::Handle(std::span<const uint8_t> message) {
  auto neighbor = DecodeNeighborMessage(message);
  if (!neighbor.ok()) {
    ++decode_errors_;
    return false;
  }
  if (neighbor->has_value()) {
    const std::optional<std::string> port = port_of_ifindex_((*neighbor)->ifindex);
    neighbors_.Apply(**neighbor, port);
    if (port && rib_ != nullptr) UpdateHostRoute(*port, (*neighbor)->address);
    return true;
  }
  auto address = DecodeAddressMessage(message);
  if (!address.ok()) {
    ++decode_errors_;
    return false;
  }
  if (address->has_value()) {
    addresses_.Apply(**address, port_of_ifindex_((*address)->ifindex));
    return true;
  }
  return false;
}

void KernelMonitor::UpdateHostRoute(const std::string& port, const IpAddress& address) {
  const auto& b = address.bytes;
  const bool link_local = address.is_v4() ? (b[0] == 169 && b[1] == 254)
                                          : (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
  if (link_local) return;
  const RouteKey key{0, IpPrefix{address, static_cast<uint8_t>(address.bits())}};
  if (neighbors_.Contains(NeighborKey{port, address})) {
    rib_->Set(RouteSource::kNeighbor, key, MakeForward({PortNexthop{port, address, 1}}));
  } else {
    const RibEntry* e = rib_->Find(key);
    if (e == nullptr) return;
    auto it = e->candidates.find(RouteSource::kNeighbor);
    // Only the host route this port's neighbour made (another port may hold the same address).
    if (it != e->candidates.end() && it->second.nexthops.size() == 1 &&
        it->second.nexthops[0].port == port) {
      rib_->Remove(RouteSource::kNeighbor, key);
    }
  }
}

void KernelMonitor::Run() {
  std::vector<uint8_t> buf(1 << 20);
  while (true) {
    pollfd fds[2] = {{stop_fd_, POLLIN, 0}, {fd_, POLLIN, 0}};
    if (poll(fds, 2, tick_ ? 200 : 1000) < 0 && errno != EINTR) return;
    if (fds[0].revents) return;
    bool changed = false;
    while (true) {
      ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
      if (n < 0) {
        // Overrun: events were lost; read everything again.
        if (errno == ENOBUFS) {
          dump_running_ = false;
          QueueFullDump();
        }
        break;
      }
      std::lock_guard lock(mutex_);
      size_t off = 0;
      while (off + sizeof(nlmsghdr) <= static_cast<size_t>(n)) {
        nlmsghdr h;
        std::memcpy(&h, buf.data() + off, sizeof(h));
        if (h.nlmsg_len < sizeof(h) || off + h.nlmsg_len > static_cast<size_t>(n)) break;
        if (h.nlmsg_type == NLMSG_DONE || h.nlmsg_type == NLMSG_ERROR) {
          dump_running_ = false;  // the dump ended (or was refused: retried below)
        } else if (Handle(std::span(buf).subspan(off, h.nlmsg_len))) {
          changed = true;
        }
        off += NLMSG_ALIGN(h.nlmsg_len);
      }
    }
    SendNextDump();
    if (changed && on_change_) on_change_();
    // Only with the tables complete (no dump pending) and after the events read so far: the
    // resolver must not act on a neighbour state the kernel already changed (a managed request
    // on a permanent entry would undo it).
    if (tick_ && dumps_.empty() && !dump_running_) tick_();
  }
}

}  // namespace weft::cp
