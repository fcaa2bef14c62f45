#include "base/clock.h"

#include <time.h>

namespace thaw {
namespace {
int64_t Read(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}
}  // namespace

int64_t SystemClock::MonotonicNanos() const { return Read(CLOCK_MONOTONIC); }
int64_t SystemClock::RealtimeNanos() const { return Read(CLOCK_REALTIME); }
const SystemClock& SystemClock::Get() {
  static const SystemClock clock;
  return clock;
}

}  // namespace thaw
