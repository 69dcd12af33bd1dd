#include "dataplane/port/link_monitor.h"

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <rte_ethdev.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "dataplane/port/tap.h"
#include "dataplane/runtime/log.h"

namespace weft::dp {
namespace {

constexpr uint32_t kDumpSeq = 1;

int NameAttr(const nlattr* attr, void* data) {
  if (mnl_attr_get_type(attr) == IFLA_IFNAME && mnl_attr_validate(attr, MNL_TYPE_STRING) >= 0)
    *static_cast<const char**>(data) = mnl_attr_get_str(attr);
  return MNL_CB_OK;
}

}  // namespace

absl::Status LinkMonitor::Start() {
  bool any_netdev = false;
  for (uint16_t i = 0; i < ports_.size(); ++i) {
    const Port& port = ports_.at(i);
    if (port.link_netdev.empty()) continue;
    any_netdev = true;
    if (!NetdevExists(port.link_netdev))
      return absl::NotFoundError(
          absl::StrCat("port ", port.name, ": link_netdev ", port.link_netdev, " does not exist"));
  }
  if (any_netdev) {
    nl_ = mnl_socket_open(NETLINK_ROUTE);
    if (nl_ == nullptr || mnl_socket_bind(nl_, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0)
      return absl::InternalError(absl::StrCat("link: rtnetlink socket: ", strerror(errno)));
    // Subscribe first, then dump: a change between the two is seen either way.
    std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = RTM_GETLINK;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = kDumpSeq;
    auto* gen = static_cast<rtgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtgenmsg)));
    gen->rtgen_family = AF_UNSPEC;
    if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0)
      return absl::InternalError(absl::StrCat("link: rtnetlink dump: ", strerror(errno)));
    for (bool done = false; !done;) {
      ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
      if (n <= 0) return absl::InternalError(absl::StrCat("link: rtnetlink dump: ", strerror(errno)));
      done = HandleMessages(buf.data(), static_cast<size_t>(n));
    }
  }
  PollPmdLinks();
  stop_.store(false);
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void LinkMonitor::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (nl_ != nullptr) mnl_socket_close(nl_);
  nl_ = nullptr;
}

bool LinkMonitor::HandleMessages(const char* buf, size_t len) {
  bool done = false;
  int remaining = static_cast<int>(len);
  for (auto* h = reinterpret_cast<const nlmsghdr*>(buf); mnl_nlmsg_ok(h, remaining);
       h = mnl_nlmsg_next(h, &remaining)) {
    if (h->nlmsg_type == NLMSG_DONE) {
      done = true;
      continue;
    }
    if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) continue;
    const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(h));
    const char* name = nullptr;
    mnl_attr_parse(h, sizeof(*ifi), NameAttr, &name);
    if (name == nullptr) continue;
    const bool up = h->nlmsg_type == RTM_NEWLINK && (ifi->ifi_flags & IFF_UP) &&
                    (ifi->ifi_flags & IFF_LOWER_UP);
    for (uint16_t i = 0; i < ports_.size(); ++i) {
      Port& port = ports_.at(i);
      if (port.link_netdev != name || port.oper_up.load() == up) continue;
      Log("link", "%s: %s carrier %s", port.name, name, up ? "up" : "down");
      on_change_(i, up);
    }
  }
  return done;
}

void LinkMonitor::PollPmdLinks() {
  for (uint16_t i = 0; i < ports_.size(); ++i) {
    Port& port = ports_.at(i);
    if (!port.link_netdev.empty()) continue;
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(port.ethdev_id, &link) != 0) continue;
    const bool up = link.link_status == RTE_ETH_LINK_UP;
    if (port.oper_up.load() == up) continue;
    Log("link", "%s: PMD link %s", port.name, up ? "up" : "down");
    on_change_(i, up);
  }
}

void LinkMonitor::Run() {
  std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
  while (!stop_.load()) {
    if (nl_ != nullptr) {
      pollfd p{mnl_socket_get_fd(nl_), POLLIN, 0};
      if (poll(&p, 1, kPmdPollMs) > 0) {
        ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
        if (n > 0) {
          HandleMessages(buf.data(), static_cast<size_t>(n));
        } else if (n < 0 && errno == ENOBUFS) {
          // Lost notifications: our view may be stale. Re-read the state of every netdev we watch.
          Log("link", "rtnetlink overrun; re-reading link states");
          for (uint16_t i = 0; i < ports_.size(); ++i) {
            Port& port = ports_.at(i);
            if (port.link_netdev.empty()) continue;
            const bool up = NetdevExists(port.link_netdev) && NetdevRunning(port.link_netdev);
            if (up != port.oper_up.load()) on_change_(i, up);
          }
        }
      }
    } else {
      poll(nullptr, 0, kPmdPollMs);
    }
    PollPmdLinks();
  }
}

}  // namespace weft::dp
