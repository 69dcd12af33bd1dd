// IP addresses and prefixes as the data plane's tables hold them (network byte order).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <string>

namespace weft::dp {

enum class Family : uint8_t { kIpv4 = 4, kIpv6 = 6 };

struct IpAddress {
  Family family = Family::kIpv4;
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 uses bytes[0..3], the rest stay zero

  static IpAddress V4(uint32_t host_order) {
    IpAddress a;
    a.bytes[0] = host_order >> 24;
    a.bytes[1] = host_order >> 16;
    a.bytes[2] = host_order >> 8;
    a.bytes[3] = host_order;
    return a;
  }
  uint32_t v4_host() const {
    return uint32_t(bytes[0]) << 24 | uint32_t(bytes[1]) << 16 | uint32_t(bytes[2]) << 8 | bytes[3];
  }
  bool is_v4() const { return family == Family::kIpv4; }
  int bits() const { return is_v4() ? 32 : 128; }
  auto operator<=>(const IpAddress&) const = default;
  std::string ToString() const;  // "10.0.0.1" or "2001:db8::1"
};

struct IpPrefix {
  IpAddress address;
  uint8_t length = 0;
  auto operator<=>(const IpPrefix&) const = default;
  std::string ToString() const;  // "10.0.0.0/8"
};

// Hash functors for absl/std containers.
struct IpAddressHash {
  size_t operator()(const IpAddress& a) const;
};
struct IpPrefixHash {
  size_t operator()(const IpPrefix& p) const;
};

}  // namespace weft::dp
