#include "profile/stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace thaw::profile {

namespace {

// Samples below this (1 ns) share the histogram's lowest bucket; log10 needs a positive value.
constexpr double kHistogramFloorMs = 1e-6;
constexpr double kPercentileMatch = 1e-9;
constexpr double kAlpha = 1.0 - kConfidence;

// Binomial(n, p) probabilities over the window [first, first + pmf.size()) that holds all but
// a negligible mass (ten standard deviations either side of the mean).
struct BinomialWindow {
  int64_t first = 0;
  std::vector<double> cumulative;  // cumulative[i] = P(B <= first + i)

  // P(B <= k).
  double Cdf(int64_t k) const {
    if (k < first) return 0.0;
    auto i = static_cast<size_t>(k - first);
    return i < cumulative.size() ? cumulative[i] : 1.0;
  }
};

BinomialWindow MakeBinomialWindow(int64_t n, double p) {
  double nd = static_cast<double>(n);
  double sigma = std::sqrt(nd * p * (1.0 - p));
  auto low = static_cast<int64_t>(std::floor(nd * p - 10.0 * sigma - 10.0));
  auto high = static_cast<int64_t>(std::ceil(nd * p + 10.0 * sigma + 10.0));
  low = std::max<int64_t>(low, 0);
  high = std::min(high, n);
  BinomialWindow window;
  window.first = low;
  window.cumulative.reserve(static_cast<size_t>(high - low + 1));
  double log_n_factorial = std::lgamma(nd + 1.0);
  double log_p = std::log(p);
  double log_q = std::log1p(-p);
  double sum = 0.0;
  for (int64_t k = low; k <= high; ++k) {
    auto kd = static_cast<double>(k);
    double log_pmf = log_n_factorial - std::lgamma(kd + 1.0) - std::lgamma(nd - kd + 1.0) +
                     kd * log_p + (nd - kd) * log_q;
    sum += std::exp(log_pmf);
    window.cumulative.push_back(std::min(sum, 1.0));
  }
  return window;
}

std::string FormatNumber(double value) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", value);
  return buf;
}

nlohmann::json TestJson(const NormalityTest& test) {
  if (!test.tested) return {{"statistic", nullptr}, {"p_value", nullptr}};
  return {{"statistic", test.statistic}, {"p_value", test.p_value}};
}

double HistogramEdge(int64_t k, int buckets_per_decade) {
  return std::pow(10.0, static_cast<double>(k) / buckets_per_decade);
}

// The k with edge(k) <= value < edge(k + 1); log10 is corrected at exact edges.
int64_t HistogramIndex(double value, int buckets_per_decade) {
  value = std::max(value, kHistogramFloorMs);
  auto k = static_cast<int64_t>(std::floor(std::log10(value) * buckets_per_decade));
  while (HistogramEdge(k + 1, buckets_per_decade) <= value) ++k;
  while (HistogramEdge(k, buckets_per_decade) > value) --k;
  return k;
}

}  // namespace

const PercentileEstimate* Summary::Percentile(double p) const {
  for (const PercentileEstimate& estimate : percentiles) {
    if (std::abs(estimate.p - p) < kPercentileMatch) return &estimate;
  }
  return nullptr;
}

size_t NearestRankIndex(size_t n, double p) {
  if (n == 0) return 0;
  auto rank = static_cast<int64_t>(std::ceil(p * static_cast<double>(n) - kPercentileMatch));
  rank = std::clamp<int64_t>(rank, 1, static_cast<int64_t>(n));
  return static_cast<size_t>(rank - 1);
}

RankInterval QuantileConfidenceRanks(size_t n, double p, double confidence) {
  if (n == 0) return {};
  // B, the number of samples below the true quantile, is Binomial(n, p); X(l) <= q <= X(u)
  // exactly when l <= B <= u - 1. Equal tails: the largest l with P(B < l) <= alpha/2 and the
  // smallest u with P(B >= u) <= alpha/2, kept within the sample's ranks 1..n.
  auto count = static_cast<int64_t>(n);
  double tail = (1.0 - confidence) / 2.0;
  BinomialWindow window = MakeBinomialWindow(count, p);
  // The scans start at the window's edges: outside it the CDF is 0 or 1.
  auto window_end = window.first + static_cast<int64_t>(window.cumulative.size());
  int64_t low_rank = std::clamp<int64_t>(window.first, 1, count);
  while (low_rank < count && window.Cdf(low_rank) <= tail) ++low_rank;  // P(B < low_rank + 1)
  int64_t high_rank = std::clamp<int64_t>(window_end + 1, 1, count);
  while (high_rank > 1 && 1.0 - window.Cdf(high_rank - 2) <= tail) --high_rank;
  high_rank = std::max(high_rank, low_rank);
  RankInterval interval;
  interval.low = static_cast<size_t>(low_rank - 1);
  interval.high = static_cast<size_t>(high_rank - 1);
  interval.coverage =
      std::max(0.0, window.Cdf(high_rank - 1) - window.Cdf(low_rank - 1));  // P(l <= B <= u-1)
  return interval;
}

NormalityTest JarqueBera(int64_t n, double skewness, double excess_kurtosis) {
  NormalityTest test;
  if (n < kMinNormalitySamples) return test;
  test.tested = true;
  test.statistic = static_cast<double>(n) / 6.0 *
                   (skewness * skewness + excess_kurtosis * excess_kurtosis / 4.0);
  test.p_value = std::exp(-test.statistic / 2.0);
  return test;
}

NormalityTest DagostinoK2(int64_t n, double skewness, double excess_kurtosis) {
  NormalityTest test;
  if (n < kMinNormalitySamples) return test;
  auto nd = static_cast<double>(n);
  // D'Agostino (1970): the skewness transformed to a standard normal Z1.
  double y = skewness * std::sqrt((nd + 1.0) * (nd + 3.0) / (6.0 * (nd - 2.0)));
  double beta2 = 3.0 * (nd * nd + 27.0 * nd - 70.0) * (nd + 1.0) * (nd + 3.0) /
                 ((nd - 2.0) * (nd + 5.0) * (nd + 7.0) * (nd + 9.0));
  double w2 = -1.0 + std::sqrt(2.0 * (beta2 - 1.0));
  double delta = 1.0 / std::sqrt(0.5 * std::log(w2));
  double alpha = std::sqrt(2.0 / (w2 - 1.0));
  if (y == 0.0) y = 1.0;  // as scipy: Z1 = delta * asinh(1 / alpha) for an exactly zero skew
  double ya = y / alpha;
  double z1 = delta * std::log(ya + std::sqrt(ya * ya + 1.0));
  // Anscombe and Glynn (1983): the kurtosis b2 = g2 + 3 transformed to a standard normal Z2.
  double b2 = excess_kurtosis + 3.0;
  double mean_b2 = 3.0 * (nd - 1.0) / (nd + 1.0);
  double var_b2 =
      24.0 * nd * (nd - 2.0) * (nd - 3.0) / ((nd + 1.0) * (nd + 1.0) * (nd + 3.0) * (nd + 5.0));
  double x = (b2 - mean_b2) / std::sqrt(var_b2);
  double sqrt_beta1 = 6.0 * (nd * nd - 5.0 * nd + 2.0) / ((nd + 7.0) * (nd + 9.0)) *
                      std::sqrt(6.0 * (nd + 3.0) * (nd + 5.0) / (nd * (nd - 2.0) * (nd - 3.0)));
  double a = 6.0 + 8.0 / sqrt_beta1 *
                       (2.0 / sqrt_beta1 + std::sqrt(1.0 + 4.0 / (sqrt_beta1 * sqrt_beta1)));
  double term1 = 1.0 - 2.0 / (9.0 * a);
  double denom = 1.0 + x * std::sqrt(2.0 / (a - 4.0));
  if (denom == 0.0) return test;  // the transform is undefined there; leave it untested
  double term2 = std::cbrt((1.0 - 2.0 / a) / denom);  // cbrt keeps denom's sign, as scipy
  double z2 = (term1 - term2) / std::sqrt(2.0 / (9.0 * a));
  test.tested = true;
  test.statistic = z1 * z1 + z2 * z2;
  test.p_value = std::exp(-test.statistic / 2.0);
  return test;
}

Histogram LogHistogram(const std::vector<double>& sorted, int buckets_per_decade) {
  Histogram histogram;
  histogram.buckets_per_decade = buckets_per_decade;
  if (sorted.empty()) return histogram;
  int64_t first = HistogramIndex(sorted.front(), buckets_per_decade);
  int64_t last = HistogramIndex(sorted.back(), buckets_per_decade);
  size_t next = 0;
  for (int64_t k = first; k <= last; ++k) {
    HistogramBucket bucket{HistogramEdge(k, buckets_per_decade),
                           HistogramEdge(k + 1, buckets_per_decade), 0};
    while (next < sorted.size() &&
           (k == last || HistogramIndex(sorted[next], buckets_per_decade) == k)) {
      ++bucket.count;
      ++next;
    }
    histogram.buckets.push_back(bucket);
  }
  return histogram;
}

std::vector<CdfPoint> EmpiricalCdf(const std::vector<double>& sorted, size_t max_points) {
  std::vector<CdfPoint> points;
  size_t n = sorted.size();
  if (n == 0 || max_points < 2) return points;
  std::set<size_t> indexes;
  if (n <= max_points) {
    for (size_t i = 0; i < n; ++i) indexes.insert(i);
  } else {
    // Index 0 and n - 1 are always in; the rest is split between the two spacings.
    size_t half = (max_points - 2) / 2;
    auto nd = static_cast<double>(n);
    indexes.insert(0);
    indexes.insert(n - 1);
    for (size_t j = 1; j <= half; ++j) {
      double fraction = static_cast<double>(j) / static_cast<double>(half + 1);
      indexes.insert(NearestRankIndex(n, fraction));
    }
    // Tail fractions 1 - f from 0.1 down to 1/n, evenly in log scale.
    double log_high = std::log(0.1);
    double log_low = std::log(1.0 / nd);
    for (size_t j = 0; j < half && log_low < log_high; ++j) {
      double t = static_cast<double>(j) / static_cast<double>(half > 1 ? half - 1 : 1);
      double upper_tail = std::exp(log_high + t * (log_low - log_high));
      indexes.insert(NearestRankIndex(n, 1.0 - upper_tail));
    }
  }
  for (size_t i : indexes) {
    // A run of equal samples is one step: report it at its last index.
    auto end = std::upper_bound(sorted.begin(), sorted.end(), sorted[i]);
    auto count = static_cast<size_t>(end - sorted.begin());
    double fraction = static_cast<double>(count) / static_cast<double>(n);
    if (!points.empty() && points.back().value == sorted[i]) continue;
    points.push_back({sorted[i], fraction});
  }
  return points;
}

std::string PercentileLabel(double p) { return "p" + FormatNumber(p * 100.0); }

std::string_view VerdictName(NormalityVerdict verdict) {
  switch (verdict) {
    case NormalityVerdict::kNormal:
      return "normal";
    case NormalityVerdict::kNotNormal:
      return "not normal at 5%";
    case NormalityVerdict::kNotTested:
      break;
  }
  return "not tested";
}

StatusOr<Summary> Summarize(std::vector<double> values_ms, const SummaryOptions& options) {
  for (double p : options.percentiles) {
    if (!(p > 0.0 && p < 1.0)) {
      return Status::InvalidArgument("percentile must be in (0, 1), got " + FormatNumber(p));
    }
  }
  if (options.buckets_per_decade < 1 || options.buckets_per_decade > 100) {
    return Status::InvalidArgument("buckets_per_decade must be in [1, 100]");
  }
  if (options.max_cdf_points < 2) return Status::InvalidArgument("max_cdf_points must be >= 2");
  for (double v : values_ms) {
    if (!std::isfinite(v)) return Status::InvalidArgument("sample is not a finite number");
  }
  Summary summary;
  summary.count = static_cast<int64_t>(values_ms.size());
  if (values_ms.empty()) return summary;
  std::sort(values_ms.begin(), values_ms.end());
  const std::vector<double>& sorted = values_ms;
  size_t n = sorted.size();
  auto nd = static_cast<double>(n);
  summary.min = sorted.front();
  summary.max = sorted.back();

  // Two passes: the mean, then the central moments around it.
  double sum = 0.0;
  for (double v : sorted) sum += v;
  summary.mean = sum / nd;
  double m2 = 0.0;
  double m3 = 0.0;
  double m4 = 0.0;
  for (double v : sorted) {
    double d = v - summary.mean;
    double d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  summary.stddev = n > 1 ? std::sqrt(m2 / (nd - 1.0)) : 0.0;
  bool constant = summary.min == summary.max;
  if (!constant) {
    m2 /= nd;
    m3 /= nd;
    m4 /= nd;
    summary.skewness = m3 / std::pow(m2, 1.5);
    summary.excess_kurtosis = m4 / (m2 * m2) - 3.0;
    summary.jarque_bera = JarqueBera(summary.count, summary.skewness, summary.excess_kurtosis);
    summary.dagostino_k2 = DagostinoK2(summary.count, summary.skewness, summary.excess_kurtosis);
  }
  if (summary.dagostino_k2.tested) {
    summary.verdict = summary.dagostino_k2.p_value < kAlpha ? NormalityVerdict::kNotNormal
                                                            : NormalityVerdict::kNormal;
  }

  for (double p : options.percentiles) {
    PercentileEstimate estimate;
    estimate.p = p;
    estimate.value = sorted[NearestRankIndex(n, p)];
    RankInterval ranks = QuantileConfidenceRanks(n, p);
    estimate.ci_low = sorted[ranks.low];
    estimate.ci_high = sorted[ranks.high];
    estimate.ci_coverage = ranks.coverage;
    summary.percentiles.push_back(estimate);
  }
  summary.histogram = LogHistogram(sorted, options.buckets_per_decade);
  summary.cdf = EmpiricalCdf(sorted, options.max_cdf_points);
  return summary;
}

nlohmann::json ToJson(const Summary& summary) {
  nlohmann::json out = {{"unit", "ms"}, {"count", summary.count}};
  if (summary.count == 0) return out;
  out["min"] = summary.min;
  out["mean"] = summary.mean;
  out["stddev"] = summary.stddev;
  out["max"] = summary.max;
  nlohmann::json percentiles = nlohmann::json::object();
  for (const PercentileEstimate& e : summary.percentiles) {
    percentiles[PercentileLabel(e.p)] = {
        {"value", e.value}, {"ci95", {e.ci_low, e.ci_high}}, {"ci_coverage", e.ci_coverage}};
  }
  out["percentiles"] = std::move(percentiles);
  out["skewness"] = summary.skewness;
  out["excess_kurtosis"] = summary.excess_kurtosis;
  out["normality"] = {{"jarque_bera", TestJson(summary.jarque_bera)},
                      {"dagostino_k2", TestJson(summary.dagostino_k2)},
                      {"verdict", VerdictName(summary.verdict)}};
  nlohmann::json buckets = nlohmann::json::array();
  for (const HistogramBucket& b : summary.histogram.buckets) {
    buckets.push_back({{"low", b.low}, {"high", b.high}, {"count", b.count}});
  }
  out["histogram"] = {{"scale", "log10"},
                      {"buckets_per_decade", summary.histogram.buckets_per_decade},
                      {"buckets", std::move(buckets)}};
  nlohmann::json cdf = nlohmann::json::array();
  for (const CdfPoint& point : summary.cdf) {
    cdf.push_back({{"value", point.value}, {"fraction", point.fraction}});
  }
  out["cdf"] = std::move(cdf);
  return out;
}

}  // namespace thaw::profile
