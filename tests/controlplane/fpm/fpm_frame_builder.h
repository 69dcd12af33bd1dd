// Test helper: builds netlink messages and FPM frames byte by byte, the way zebra's dplane_fpm_nl
// lays them out, so decoder tests can state exactly what is on the wire.
#pragma once

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

namespace weft::cp::fpm::testing {

using Bytes = std::vector<uint8_t>;

class NetlinkMessageBuilder {
 public:
  NetlinkMessageBuilder(uint16_t type, uint16_t flags) {
    nlmsghdr h{};
    h.nlmsg_type = type;
    h.nlmsg_flags = flags;
    Put(&h, sizeof(h));
  }
  NetlinkMessageBuilder& Put(const void* data, size_t len) {
    const auto* p = static_cast<const uint8_t*>(data);
    bytes_.insert(bytes_.end(), p, p + len);
    bytes_.resize(NLMSG_ALIGN(bytes_.size()), 0);
    return *this;
  }
  NetlinkMessageBuilder& Attr(uint16_t type, const void* data, size_t len) {
    rtattr a{};
    a.rta_len = static_cast<uint16_t>(sizeof(rtattr) + len);
    a.rta_type = type;
    const size_t at = bytes_.size();
    bytes_.resize(at + sizeof(a));
    std::memcpy(bytes_.data() + at, &a, sizeof(a));
    return Put(data, len);
  }
  NetlinkMessageBuilder& U32(uint16_t type, uint32_t v) { return Attr(type, &v, sizeof(v)); }
  NetlinkMessageBuilder& Addr(uint16_t type, const std::string& text) {
    uint8_t buf[16];
    if (inet_pton(AF_INET, text.c_str(), buf) == 1) return Attr(type, buf, 4);
    inet_pton(AF_INET6, text.c_str(), buf);
    return Attr(type, buf, 16);
  }
  // Raw bytes with no alignment, for malformed messages.
  NetlinkMessageBuilder& Raw(const Bytes& raw) {
    bytes_.insert(bytes_.end(), raw.begin(), raw.end());
    return *this;
  }
  Bytes Finish() const {
    Bytes out = bytes_;
    const uint32_t len = static_cast<uint32_t>(out.size());
    std::memcpy(out.data(), &len, sizeof(len));
    return out;
  }

 private:
  Bytes bytes_;
};

inline NetlinkMessageBuilder RouteBuilder(bool del, uint8_t family, uint8_t dst_len,
                                          uint8_t type = RTN_UNICAST, uint8_t protocol = 196,
                                          uint8_t table = RT_TABLE_MAIN) {
  NetlinkMessageBuilder b(del ? RTM_DELROUTE : RTM_NEWROUTE,
                          NLM_F_REQUEST | (del ? 0 : NLM_F_CREATE | NLM_F_REPLACE));
  rtmsg r{};
  r.rtm_family = family;
  r.rtm_dst_len = dst_len;
  r.rtm_table = table;
  r.rtm_protocol = protocol;
  r.rtm_type = type;
  b.Put(&r, sizeof(r));
  return b;
}

inline NetlinkMessageBuilder NexthopBuilder(bool del, uint8_t family, uint32_t id) {
  NetlinkMessageBuilder b(del ? RTM_DELNEXTHOP : RTM_NEWNEXTHOP, NLM_F_REQUEST);
  nhmsg n{};
  n.nh_family = family;
  n.nh_protocol = 11;
  b.Put(&n, sizeof(n));
  b.U32(NHA_ID, id);
  return b;
}

// struct rtnexthop + RTA_GATEWAY, as one RTA_MULTIPATH entry.
inline Bytes MultipathEntry(uint32_t ifindex, uint8_t hops, const std::string& gateway) {
  NetlinkMessageBuilder gw(0, 0);  // reuse the attribute writer, then drop the nlmsghdr
  gw.Addr(RTA_GATEWAY, gateway);
  Bytes attr = gw.Finish();
  attr.erase(attr.begin(), attr.begin() + NLMSG_HDRLEN);
  rtnexthop nh{};
  nh.rtnh_len = static_cast<uint16_t>(sizeof(nh) + attr.size());
  nh.rtnh_hops = hops;
  nh.rtnh_ifindex = static_cast<int>(ifindex);
  Bytes out(sizeof(nh) + attr.size());
  std::memcpy(out.data(), &nh, sizeof(nh));
  std::memcpy(out.data() + sizeof(nh), attr.data(), attr.size());
  return out;
}

inline Bytes Frame(std::initializer_list<Bytes> messages, uint8_t version = 1, uint8_t type = 1) {
  Bytes out = {version, type, 0, 0};
  for (const Bytes& m : messages) out.insert(out.end(), m.begin(), m.end());
  out[2] = static_cast<uint8_t>(out.size() >> 8);
  out[3] = static_cast<uint8_t>(out.size());
  return out;
}

inline Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace weft::cp::fpm::testing
