// Control-side logging of weft-dataplane: one line per event on stderr, prefixed with UTC time and
// the subsystem ("port", "tap", "link", "eal", ...). Never used on the per-packet path.
#pragma once

#include <string_view>

#include "absl/strings/str_format.h"

namespace weft::dp {

void LogLine(std::string_view subsystem, std::string_view message);

template <typename... Args>
void Log(std::string_view subsystem, const absl::FormatSpec<Args...>& format, const Args&... args) {
  LogLine(subsystem, absl::StrFormat(format, args...));
}

}  // namespace weft::dp
