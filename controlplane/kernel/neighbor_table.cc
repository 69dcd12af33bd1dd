#include "controlplane/kernel/neighbor_table.h"

#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_format.h"

namespace weft::cp {

bool KernelNeighbor::usable() const {
  constexpr uint16_t kUsable =
      NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | NUD_NOARP;
  // Multicast entries (IPv6 ff02::/16 NOARP with 33:33:.. MACs, IPv4 224/4) are not next hops.
  const bool multicast_address =
      address.is_v4() ? (address.bytes[0] & 0xf0) == 0xe0 : address.bytes[0] == 0xff;
  return !is_delete && mac.has_value() && ((*mac)[0] & 1) == 0 && !multicast_address &&
         (state & kUsable) != 0;
}

absl::StatusOr<std::optional<KernelNeighbor>> DecodeNeighborMessage(std::span<const uint8_t> msg) {
  if (msg.size() < sizeof(nlmsghdr)) return absl::InvalidArgumentError("truncated nlmsghdr");
  nlmsghdr hdr;
  std::memcpy(&hdr, msg.data(), sizeof(hdr));
  if (hdr.nlmsg_len < NLMSG_HDRLEN || hdr.nlmsg_len > msg.size()) {
    return absl::InvalidArgumentError(absl::StrFormat("nlmsg_len %d outside [%d, %d]",
                                                      hdr.nlmsg_len, NLMSG_HDRLEN, msg.size()));
  }
  if (hdr.nlmsg_type != RTM_NEWNEIGH && hdr.nlmsg_type != RTM_DELNEIGH) return std::nullopt;
  std::span<const uint8_t> body = msg.subspan(NLMSG_HDRLEN, hdr.nlmsg_len - NLMSG_HDRLEN);
  if (body.size() < sizeof(ndmsg)) {
    return absl::InvalidArgumentError("neighbour message shorter than struct ndmsg");
  }
  ndmsg nd;
  std::memcpy(&nd, body.data(), sizeof(nd));
  if (nd.ndm_family != AF_INET && nd.ndm_family != AF_INET6) return std::nullopt;
  KernelNeighbor n;
  n.is_delete = hdr.nlmsg_type == RTM_DELNEIGH;
  n.ifindex = static_cast<uint32_t>(nd.ndm_ifindex);
  n.state = nd.ndm_state;
  bool has_dst = false;
  size_t off = NLMSG_ALIGN(sizeof(ndmsg));
  while (off < body.size()) {
    const size_t left = body.size() - off;
    rtattr a;
    if (left < sizeof(a)) return absl::InvalidArgumentError("truncated neighbour attribute");
    std::memcpy(&a, body.data() + off, sizeof(a));
    if (a.rta_len < sizeof(a) || a.rta_len > left) {
      return absl::InvalidArgumentError(
          absl::StrFormat("neighbour attribute type %d has length %d (%d left)", a.rta_type,
                          a.rta_len, left));
    }
    std::span<const uint8_t> p = body.subspan(off + sizeof(a), a.rta_len - sizeof(a));
    if (a.rta_type == NDA_DST) {
      const size_t want = nd.ndm_family == AF_INET ? 4 : 16;
      if (p.size() != want) return absl::InvalidArgumentError("NDA_DST does not fit the family");
      n.address.family = nd.ndm_family == AF_INET ? Family::kIpv4 : Family::kIpv6;
      std::memcpy(n.address.bytes.data(), p.data(), want);
      has_dst = true;
    } else if (a.rta_type == NDA_LLADDR && p.size() == 6) {
      MacAddress mac;
      std::memcpy(mac.data(), p.data(), 6);
      n.mac = mac;
    }
    off += std::min<size_t>(RTA_ALIGN(a.rta_len), left);
  }
  if (!has_dst) return absl::InvalidArgumentError("neighbour message without NDA_DST");
  return n;
}

void NeighborTable::Apply(const KernelNeighbor& n, const std::optional<std::string>& port) {
  if (!port) return;
  NeighborKey key{*port, n.address};
  if (!n.is_delete && (n.state & (NUD_PERMANENT | NUD_NOARP)) != 0) {
    static_.insert(key);
  } else {
    static_.erase(key);
  }
  auto it = entries_.find(key);
  if (n.usable()) {
    if (it != entries_.end() && it->second == *n.mac) return;
    entries_[key] = *n.mac;
    dirty_.insert(key);
  } else if (n.is_delete || (n.state & NUD_FAILED) != 0) {
    // INCOMPLETE/PROBE without an answer keep the last MAC: the data plane goes on forwarding
    // while the kernel re-resolves. Only a failure or a delete removes it.
    if (it == entries_.end()) return;
    entries_.erase(it);
    dirty_.insert(key);
  }
}

std::vector<NeighborChange> NeighborTable::DrainChanges() {
  std::vector<NeighborChange> out;
  for (const auto& key : dirty_) {
    auto it = entries_.find(key);
    out.push_back({key, it == entries_.end() ? std::nullopt : std::optional(it->second)});
  }
  dirty_.clear();
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return out;
}

std::vector<NeighborChange> NeighborTable::Snapshot() const {
  std::vector<NeighborChange> out;
  for (const auto& [key, mac] : entries_) out.push_back({key, mac});
  return out;
}

}  // namespace weft::cp
