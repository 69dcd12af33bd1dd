#include "controlplane/kernel/address_table.h"

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_format.h"

namespace weft::cp {

absl::StatusOr<std::optional<KernelAddress>> DecodeAddressMessage(std::span<const uint8_t> msg) {
  if (msg.size() < sizeof(nlmsghdr)) return absl::InvalidArgumentError("truncated nlmsghdr");
  nlmsghdr hdr;
  std::memcpy(&hdr, msg.data(), sizeof(hdr));
  if (hdr.nlmsg_len < NLMSG_HDRLEN || hdr.nlmsg_len > msg.size()) {
    return absl::InvalidArgumentError(absl::StrFormat("nlmsg_len %d outside [%d, %d]",
                                                      hdr.nlmsg_len, NLMSG_HDRLEN, msg.size()));
  }
  if (hdr.nlmsg_type != RTM_NEWADDR && hdr.nlmsg_type != RTM_DELADDR) return std::nullopt;
  std::span<const uint8_t> body = msg.subspan(NLMSG_HDRLEN, hdr.nlmsg_len - NLMSG_HDRLEN);
  if (body.size() < sizeof(ifaddrmsg)) {
    return absl::InvalidArgumentError("address message shorter than struct ifaddrmsg");
  }
  ifaddrmsg ifa;
  std::memcpy(&ifa, body.data(), sizeof(ifa));
  if (ifa.ifa_family != AF_INET && ifa.ifa_family != AF_INET6) return std::nullopt;
  const size_t want = ifa.ifa_family == AF_INET ? 4 : 16;
  if (ifa.ifa_prefixlen > want * 8) {
    return absl::InvalidArgumentError(absl::StrFormat("ifa_prefixlen %d too long", ifa.ifa_prefixlen));
  }
  KernelAddress a;
  a.is_delete = hdr.nlmsg_type == RTM_DELADDR;
  a.ifindex = ifa.ifa_index;
  a.link_scope = ifa.ifa_scope == RT_SCOPE_LINK;
  a.prefix.length = ifa.ifa_prefixlen;
  bool have_local = false, have_address = false;
  IpAddress local, address;
  size_t off = NLMSG_ALIGN(sizeof(ifaddrmsg));
  while (off < body.size()) {
    const size_t left = body.size() - off;
    rtattr at;
    if (left < sizeof(at)) return absl::InvalidArgumentError("truncated address attribute");
    std::memcpy(&at, body.data() + off, sizeof(at));
    if (at.rta_len < sizeof(at) || at.rta_len > left) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "address attribute type %d has length %d (%d left)", at.rta_type, at.rta_len, left));
    }
    std::span<const uint8_t> p = body.subspan(off + sizeof(at), at.rta_len - sizeof(at));
    if (at.rta_type == IFA_LOCAL || at.rta_type == IFA_ADDRESS) {
      if (p.size() != want) return absl::InvalidArgumentError("IFA address does not fit the family");
      IpAddress& dst = at.rta_type == IFA_LOCAL ? local : address;
      dst.family = ifa.ifa_family == AF_INET ? Family::kIpv4 : Family::kIpv6;
      std::memcpy(dst.bytes.data(), p.data(), want);
      (at.rta_type == IFA_LOCAL ? have_local : have_address) = true;
    }
    off += std::min<size_t>(RTA_ALIGN(at.rta_len), left);
  }
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on point-to-point links.
  if (!have_local && !have_address) {
    return absl::InvalidArgumentError("address message without IFA_LOCAL/IFA_ADDRESS");
  }
  a.prefix.address = have_local ? local : address;
  return a;
}

void AddressTable::Apply(const KernelAddress& a, const std::optional<std::string>& port) {
  if (!port || a.link_scope) return;
  LocalAddressKey key{*port, a.prefix};
  const bool changed = a.is_delete ? entries_.erase(key) > 0 : entries_.insert(key).second;
  if (changed) dirty_.insert(key);
}

std::vector<LocalAddressChange> AddressTable::DrainChanges() {
  std::vector<LocalAddressChange> out;
  for (const auto& key : dirty_) out.push_back({key, entries_.contains(key)});
  dirty_.clear();
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.key < y.key; });
  return out;
}

std::vector<LocalAddressChange> AddressTable::Snapshot() const {
  std::vector<LocalAddressChange> out;
  for (const auto& key : entries_) out.push_back({key, true});
  return out;
}

}  // namespace weft::cp
