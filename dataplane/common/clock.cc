#include "dataplane/common/clock.h"

#include <time.h>

namespace weft::dp {

uint64_t MonotonicClock::NowNs() const {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ULL + uint64_t(ts.tv_nsec);
}

}  // namespace weft::dp
