// Open-loop arrival schedules for load generation: a Poisson process (independent exponential
// gaps between arrivals) drawn from a seeded generator, so a run can be repeated exactly, as
// FaaSProfiler and SeBS drive functions. Thread-compatible.
#pragma once

#include <cstdint>
#include <random>

namespace thaw::profile {

class PoissonArrivals {
 public:
  // rate_per_second > 0. The same seed gives the same schedule on every platform: the gaps are
  // -ln(1 - U) / rate with U built from the top 53 bits of a std::mt19937_64 draw.
  PoissonArrivals(double rate_per_second, uint64_t seed);

  // The next arrival, in nanoseconds after the start (non-decreasing; the first one is one gap
  // after the start).
  int64_t Next();

 private:
  std::mt19937_64 engine_;
  double mean_gap_ns_;
  double now_ns_ = 0;
};

}  // namespace thaw::profile
