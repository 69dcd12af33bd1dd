#include "dataplane/common/ip.h"

#include <arpa/inet.h>

namespace weft::dp {

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes.data(), buf, sizeof(buf));
  return buf;
}

std::string IpPrefix::ToString() const { return address.ToString() + "/" + std::to_string(length); }

size_t IpAddressHash::operator()(const IpAddress& a) const {
  uint64_t w[2];
  std::memcpy(w, a.bytes.data(), 16);
  return (w[0] * 0x9e3779b97f4a7c15ULL) ^ (w[1] + static_cast<uint8_t>(a.family)) * 0xc2b2ae3d27d4eb4fULL;
}

size_t IpPrefixHash::operator()(const IpPrefix& p) const {
  return IpAddressHash()(p.address) * 31 + p.length;
}

}  // namespace weft::dp
