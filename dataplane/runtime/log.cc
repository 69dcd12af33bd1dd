#include "dataplane/runtime/log.h"

#include <time.h>
#include <unistd.h>

#include <string>

namespace weft::dp {

void LogLine(std::string_view subsystem, std::string_view message) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm utc;
  gmtime_r(&ts.tv_sec, &utc);
  char stamp[32];
  strftime(stamp, sizeof(stamp), "%H:%M:%S", &utc);
  // One write() per line so lines of concurrent threads do not interleave.
  std::string line = absl::StrFormat("%s.%03ld weft-dataplane %s: %s\n", stamp, ts.tv_nsec / 1000000,
                                     subsystem, message);
  ssize_t ignored = write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace weft::dp
