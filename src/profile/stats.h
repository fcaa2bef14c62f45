// Latency statistics over one sample: nearest-rank percentiles with distribution-free 95%
// confidence intervals (order statistics, exact binomial coverage), moments, a log-spaced
// histogram, an empirical CDF for plotting and normality tests, plus their JSON form.
// Samples are milliseconds as double (MillisFromNanos converts clock readings).
// Pure functions over values: thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace thaw::profile {

inline double MillisFromNanos(int64_t nanos) { return static_cast<double>(nanos) / 1e6; }

// The level of every confidence interval here.
inline constexpr double kConfidence = 0.95;
// Normality is tested only from this many samples on (the tests' approximations need it).
inline constexpr int64_t kMinNormalitySamples = 20;

struct PercentileEstimate {
  double p = 0;      // 0.5 for the median, 0.999 for p99.9
  double value = 0;  // nearest rank: the ceil(p*n)-th smallest sample
  // [ci_low, ci_high] are two order statistics X(l) <= X(u) chosen so that they bracket the
  // true p-quantile with probability ci_coverage, whatever the distribution (the number of
  // samples below the quantile is Binomial(n, p)). ci_coverage >= kConfidence unless the
  // sample is too small for that (p99.9 needs about 3,000 samples): then the interval is
  // [min, max] and ci_coverage says what it is worth.
  double ci_low = 0;
  double ci_high = 0;
  double ci_coverage = 0;
};

struct HistogramBucket {
  double low = 0;  // bucket covers [low, high)
  double high = 0;
  int64_t count = 0;
};

// Buckets with edges at 10^(k / buckets_per_decade) ms, contiguous from the one holding the
// minimum to the one holding the maximum; counts sum to the sample size. Samples below 1 ns
// (1e-6 ms), including zero, are counted in the bucket of 1e-6 ms.
struct Histogram {
  int buckets_per_decade = 10;
  std::vector<HistogramBucket> buckets;
};

struct CdfPoint {
  double value = 0;     // a sample value (ms)
  double fraction = 0;  // fraction of the samples <= value, in (0, 1]
};

struct NormalityTest {
  bool tested = false;  // false below kMinNormalitySamples or when all samples are equal
  double statistic = 0;
  double p_value = 1;  // from chi-square with 2 degrees of freedom: exp(-statistic / 2)
};

enum class NormalityVerdict { kNotTested, kNormal, kNotNormal };

struct Summary {
  int64_t count = 0;
  // The fields below are meaningful only when count > 0.
  double min = 0;
  double mean = 0;
  double stddev = 0;  // sample standard deviation (n - 1); 0 for a single sample
  double max = 0;
  std::vector<PercentileEstimate> percentiles;  // in SummaryOptions::percentiles order
  // Moment estimates g1 = m3 / m2^1.5 and g2 = m4 / m2^2 - 3 (m_k the central moments with
  // divisor n, as Jarque-Bera uses them); 0 for a constant sample.
  double skewness = 0;
  double excess_kurtosis = 0;
  NormalityTest jarque_bera;
  NormalityTest dagostino_k2;  // D'Agostino-Pearson omnibus test; decides the verdict
  NormalityVerdict verdict = NormalityVerdict::kNotTested;
  Histogram histogram;
  std::vector<CdfPoint> cdf;

  // The estimate for p (compared within 1e-9), or nullptr.
  const PercentileEstimate* Percentile(double p) const;
};

struct SummaryOptions {
  std::vector<double> percentiles = {0.5, 0.9, 0.99, 0.999};
  int buckets_per_decade = 10;
  size_t max_cdf_points = 200;
};

// Summarizes a sample (any order). InvalidArgument for a NaN or infinite value, a percentile
// outside (0, 1), buckets_per_decade outside [1, 100] or max_cdf_points below 2. An empty
// sample gives count 0.
StatusOr<Summary> Summarize(std::vector<double> values_ms, const SummaryOptions& options = {});

// ---- Building blocks (used by Summarize; exposed for tests and other reports) ----------------

// The 0-based index of the nearest-rank p-quantile in n sorted samples: ceil(p*n) - 1, clamped.
size_t NearestRankIndex(size_t n, double p);

struct RankInterval {
  size_t low = 0;  // 0-based indexes into the sorted sample: [X(low+1), X(high+1)]
  size_t high = 0;
  double coverage = 0;  // P(low+1 <= B <= high) for B ~ Binomial(n, p)
};

// The shortest order-statistic interval for the p-quantile holding at least `confidence`: the
// set of values of B ~ Binomial(n, p) is grown from the mode, one more likely neighbour at a
// time (for large n this is the normal approximation np -/+ 1.96 sqrt(np(1-p))). B = 0 and
// B = n cannot be bracketed by samples, so for small n the coverage may stay below the level.
RankInterval QuantileConfidenceRanks(size_t n, double p, double confidence = kConfidence);

// Jarque-Bera: n/6 * (g1^2 + g2^2/4).
NormalityTest JarqueBera(int64_t n, double skewness, double excess_kurtosis);
// D'Agostino-Pearson K^2 = Z1^2 + Z2^2 from D'Agostino's skewness test and the Anscombe-Glynn
// kurtosis test (the same transforms as scipy.stats.normaltest).
NormalityTest DagostinoK2(int64_t n, double skewness, double excess_kurtosis);

// sorted must be ascending and non-empty.
Histogram LogHistogram(const std::vector<double>& sorted, int buckets_per_decade);
// At most max_points points of the step function, ascending, first at the minimum and last at
// (maximum, 1): all distinct samples when few, else half spaced evenly in probability and half
// evenly in log(1 - fraction), which keeps the tail visible. sorted must be ascending.
std::vector<CdfPoint> EmpiricalCdf(const std::vector<double>& sorted, size_t max_points);

// "p50", "p90", "p99", "p99.9".
std::string PercentileLabel(double p);
// "normal", "not normal at 5%", "not tested".
std::string_view VerdictName(NormalityVerdict verdict);

// {"unit":"ms","count":N,"min","mean","stddev","max","percentiles":{"p50":{"value","ci95":[lo,
// hi],"ci_coverage"},...},"skewness","excess_kurtosis","normality":{"jarque_bera":{"statistic",
// "p_value"},"dagostino_k2":{...},"verdict"},"histogram":{"scale":"log10","buckets_per_decade",
// "buckets":[{"low","high","count"}]},"cdf":[{"value","fraction"}]}. With count 0 only unit and
// count; an untested normality statistic is null.
nlohmann::json ToJson(const Summary& summary);

}  // namespace thaw::profile
