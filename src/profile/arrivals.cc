#include "profile/arrivals.h"

#include <cmath>

namespace thaw::profile {

PoissonArrivals::PoissonArrivals(double rate_per_second, uint64_t seed)
    : engine_(seed), mean_gap_ns_(1e9 / rate_per_second) {}

int64_t PoissonArrivals::Next() {
  double uniform = static_cast<double>(engine_() >> 11) * 0x1.0p-53;  // [0, 1)
  now_ns_ += -mean_gap_ns_ * std::log1p(-uniform);
  return static_cast<int64_t>(std::llround(now_ns_));
}

}  // namespace thaw::profile
