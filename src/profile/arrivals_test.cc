#include "profile/arrivals.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace thaw::profile {
namespace {

std::vector<int64_t> Take(PoissonArrivals& arrivals, size_t n) {
  std::vector<int64_t> out(n);
  for (int64_t& t : out) t = arrivals.Next();
  return out;
}

TEST(ArrivalsTest, SameSeedSameSchedule) {
  PoissonArrivals a(200.0, 1);
  PoissonArrivals b(200.0, 1);
  PoissonArrivals c(200.0, 2);
  std::vector<int64_t> first = Take(a, 1000);
  EXPECT_EQ(first, Take(b, 1000));
  EXPECT_NE(first, Take(c, 1000));
  EXPECT_TRUE(std::is_sorted(first.begin(), first.end()));
  EXPECT_GT(first.front(), 0);
}

TEST(ArrivalsTest, GapsAreExponentialWithTheRequestedMean) {
  constexpr int kN = 200000;
  constexpr double kRate = 5000.0;  // mean gap 200 us
  PoissonArrivals arrivals(kRate, 42);
  std::vector<double> gaps;
  gaps.reserve(kN);
  int64_t previous = 0;
  for (int i = 0; i < kN; ++i) {
    int64_t t = arrivals.Next();
    gaps.push_back(static_cast<double>(t - previous));
    previous = t;
  }
  double mean = 0;
  for (double g : gaps) mean += g;
  mean /= kN;
  double var = 0;
  for (double g : gaps) var += (g - mean) * (g - mean);
  var /= kN - 1;
  EXPECT_NEAR(mean, 1e9 / kRate, 0.01 * 1e9 / kRate);  // standard error 0.22%
  EXPECT_NEAR(std::sqrt(var) / mean, 1.0, 0.02);       // exponential: CV = 1
  // Kolmogorov-Smirnov distance to the exponential CDF 1 - exp(-x / mean); the 1% critical
  // value is 1.63 / sqrt(n).
  std::sort(gaps.begin(), gaps.end());
  double d = 0;
  for (size_t i = 0; i < gaps.size(); ++i) {
    double f = 1.0 - std::exp(-gaps[i] * kRate / 1e9);
    d = std::max({d, std::abs(f - static_cast<double>(i) / kN),
                  std::abs(f - static_cast<double>(i + 1) / kN)});
  }
  EXPECT_LT(d, 1.63 / std::sqrt(static_cast<double>(kN)));
}

TEST(ArrivalsTest, CountInAWindowIsAboutRateTimesDuration) {
  // 200/s for 2 s: Poisson(400), standard deviation 20. Over 50 seeds the mean is within 1%.
  double total = 0;
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    PoissonArrivals arrivals(200.0, seed);
    int count = 0;
    while (arrivals.Next() < 2'000'000'000) ++count;
    EXPECT_NEAR(count, 400, 100) << "seed " << seed;  // 5 standard deviations
    total += count;
  }
  EXPECT_NEAR(total / 50, 400, 9);  // standard error 2.8
}

}  // namespace
}  // namespace thaw::profile
