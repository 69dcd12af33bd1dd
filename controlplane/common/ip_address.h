// IP addresses and prefixes as weftd's RIB and decoders hold them (network byte order). weftd keeps
// its own type rather than including the data plane's: the two processes share only the API.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weft::cp {

enum class Family : uint8_t { kNone = 0, kIpv4 = 4, kIpv6 = 6 };

struct IpAddress {
  Family family = Family::kNone;
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 uses bytes[0..3], the rest stay zero

  bool is_v4() const { return family == Family::kIpv4; }
  bool is_v6() const { return family == Family::kIpv6; }
  bool empty() const { return family == Family::kNone; }
  int bits() const { return is_v4() ? 32 : is_v6() ? 128 : 0; }
  size_t byte_len() const { return is_v4() ? 4 : is_v6() ? 16 : 0; }
  auto operator<=>(const IpAddress&) const = default;
  std::string ToString() const;  // "10.0.0.1", "2001:db8::1", "" when empty
  static std::optional<IpAddress> Parse(std::string_view text);
};

struct IpPrefix {
  IpAddress address;
  uint8_t length = 0;
  auto operator<=>(const IpPrefix&) const = default;
  std::string ToString() const;  // "10.0.0.0/8"
  // "10.0.0.0/8"; host bits must be zero.
  static std::optional<IpPrefix> Parse(std::string_view text);
};

// Zeroes the bits of `a` beyond `length`.
void MaskHostBits(IpAddress& a, unsigned length);

template <typename H>
H AbslHashValue(H h, const IpAddress& a) {
  return H::combine(std::move(h), static_cast<uint8_t>(a.family), a.bytes);
}
template <typename H>
H AbslHashValue(H h, const IpPrefix& p) {
  return H::combine(std::move(h), p.address, p.length);
}

}  // namespace weft::cp
