#include "controlplane/common/ip_address.h"

#include <arpa/inet.h>

#include <charconv>

namespace weft::cp {

std::string IpAddress::ToString() const {
  if (empty()) return "";
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes.data(), buf, sizeof(buf));
  return buf;
}

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  std::string s(text);
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = Family::kIpv4;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = Family::kIpv6;
    return a;
  }
  return std::nullopt;
}

std::string IpPrefix::ToString() const {
  return address.ToString() + "/" + std::to_string(length);
}

std::optional<IpPrefix> IpPrefix::Parse(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto addr = IpAddress::Parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  std::string_view len_text = text.substr(slash + 1);
  unsigned len = 0;
  auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (ec != std::errc() || end != len_text.data() + len_text.size() ||
      len > static_cast<unsigned>(addr->bits())) {
    return std::nullopt;
  }
  IpAddress masked = *addr;
  MaskHostBits(masked, len);
  if (masked != *addr) return std::nullopt;
  return IpPrefix{*addr, static_cast<uint8_t>(len)};
}

void MaskHostBits(IpAddress& a, unsigned length) {
  for (unsigned i = 0; i < 16; ++i) {
    unsigned first_bit = i * 8;
    if (first_bit >= length) {
      a.bytes[i] = 0;
    } else if (length - first_bit < 8) {
      a.bytes[i] &= static_cast<uint8_t>(0xff << (8 - (length - first_bit)));
    }
  }
}

}  // namespace weft::cp
