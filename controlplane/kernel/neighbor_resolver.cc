#include "controlplane/kernel/neighbor_resolver.h"

#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_format.h"

namespace weft::cp {

NeighborResolver::NeighborResolver(const Rib& rib, const NeighborTable& neighbors,
                                   std::mutex& mutex, IfindexOfPort ifindex_of_port,
                                   std::chrono::milliseconds retry)
    : rib_(rib),
      neighbors_(neighbors),
      mutex_(mutex),
      ifindex_of_port_(std::move(ifindex_of_port)),
      retry_(retry) {}

NeighborResolver::~NeighborResolver() {
  if (fd_ >= 0) close(fd_);
}

absl::Status NeighborResolver::Open() {
  fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd_ < 0) return absl::InternalError(absl::StrFormat("rtnetlink socket: %s", strerror(errno)));
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
    return absl::InternalError(absl::StrFormat("rtnetlink bind: %s", strerror(errno)));
  }
  return absl::OkStatus();
}

std::vector<NeighborKey> NeighborResolver::Due(Clock::time_point now) {
  std::vector<NeighborKey> due;
  absl::flat_hash_set<NeighborKey> in_use;
  rib_.ForEachNexthopInUse([&](const std::string& port, const IpAddress& address) {
    NeighborKey key{port, address};
    if (neighbors_.IsStatic(key)) return;
    in_use.insert(key);
    auto it = asked_.find(key);
    if (it == asked_.end()) {
      asked_.emplace(key, now);
      due.push_back(std::move(key));
    } else if (!neighbors_.Contains(key) && now - it->second >= retry_) {
      it->second = now;
      due.push_back(std::move(key));
    }
  });
  absl::erase_if(asked_, [&](const auto& entry) { return !in_use.contains(entry.first); });
  return due;
}

void NeighborResolver::Tick() {
  const Clock::time_point now = Clock::now();
  if (fd_ < 0 || now - last_tick_ < std::chrono::milliseconds(100)) return;
  last_tick_ = now;
  std::vector<NeighborKey> due;
  {
    std::lock_guard lock(mutex_);
    due = Due(now);
  }
  for (const NeighborKey& key : due) {
    const uint32_t ifindex = ifindex_of_port_(key.port);
    if (ifindex == 0) continue;
    // What `ip neigh replace ADDR dev PORT managed` sends: state NONE keeps a known MAC and state
    // as they are; the flag makes the kernel resolve now and keep the entry resolved.
    struct {
      nlmsghdr h;
      ndmsg nd;
      uint8_t attrs[64];
    } req{};
    req.h.nlmsg_type = RTM_NEWNEIGH;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE;
    req.h.nlmsg_seq = seq_++;
    req.nd.ndm_family = key.address.is_v4() ? AF_INET : AF_INET6;
    req.nd.ndm_ifindex = static_cast<int>(ifindex);
    req.nd.ndm_state = NUD_NONE;
    size_t len = NLMSG_LENGTH(sizeof(ndmsg));
    auto add = [&](uint16_t type, const void* data, size_t size) {
      rtattr a{static_cast<uint16_t>(RTA_LENGTH(size)), type};
      auto* at = reinterpret_cast<uint8_t*>(&req) + NLMSG_ALIGN(len);
      std::memcpy(at, &a, sizeof(a));
      std::memcpy(at + RTA_LENGTH(0), data, size);
      len = NLMSG_ALIGN(len) + RTA_ALIGN(a.rta_len);
    };
    add(NDA_DST, key.address.bytes.data(), key.address.byte_len());
    const uint32_t ext = NTF_EXT_MANAGED;
    add(NDA_FLAGS_EXT, &ext, sizeof(ext));
    req.h.nlmsg_len = static_cast<uint32_t>(len);
    if (send(fd_, &req, len, 0) == static_cast<ssize_t>(len)) ++requests_;
  }
  // Errors come back without NLM_F_ACK (e.g. a kernel without managed neighbours): count them.
  uint8_t buf[8192];
  ssize_t n;
  while ((n = recv(fd_, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
    for (size_t off = 0; off + sizeof(nlmsghdr) <= static_cast<size_t>(n);) {
      nlmsghdr h;
      std::memcpy(&h, buf + off, sizeof(h));
      if (h.nlmsg_len < sizeof(h)) break;
      if (h.nlmsg_type == NLMSG_ERROR && off + NLMSG_LENGTH(sizeof(nlmsgerr)) <= size_t(n)) {
        nlmsgerr e;
        std::memcpy(&e, buf + off + NLMSG_HDRLEN, sizeof(e));
        if (e.error != 0) ++refused_;
      }
      off += NLMSG_ALIGN(h.nlmsg_len);
    }
  }
}

}  // namespace weft::cp
