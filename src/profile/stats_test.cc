#include "profile/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <gtest/gtest.h>

namespace thaw::profile {
namespace {

// Deterministic draws from a fixed-seed mt19937_64 (std's distributions are not specified
// bit for bit across standard libraries, so the transforms are written out).
class Draws {
 public:
  explicit Draws(uint64_t seed) : engine_(seed) {}
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }  // [0, 1)
  double Exponential(double mean) { return -mean * std::log1p(-Uniform()); }
  double Normal(double mean, double sd) {  // Box-Muller
    double u1 = 1.0 - Uniform();
    double u2 = Uniform();
    return mean + sd * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }

 private:
  std::mt19937_64 engine_;
};

Summary MustSummarize(std::vector<double> values, const SummaryOptions& options = {}) {
  StatusOr<Summary> summary = Summarize(std::move(values), options);
  EXPECT_TRUE(summary.ok()) << summary.status().ToString();
  return summary.ok() ? *summary : Summary{};
}

std::vector<double> OneToHundredShuffled() {
  std::vector<double> values(100);
  std::iota(values.begin(), values.end(), 1.0);
  std::shuffle(values.begin(), values.end(), std::mt19937_64(7));
  return values;
}

TEST(StatsTest, UniformOneToHundred) {
  Summary s = MustSummarize(OneToHundredShuffled());
  EXPECT_EQ(s.count, 100);
  EXPECT_EQ(s.min, 1.0);
  EXPECT_EQ(s.max, 100.0);
  EXPECT_DOUBLE_EQ(s.mean, 50.5);
  EXPECT_NEAR(s.stddev, std::sqrt(100.0 * 101.0 / 12.0), 1e-12);
  ASSERT_EQ(s.percentiles.size(), 4u);
  EXPECT_EQ(s.Percentile(0.5)->value, 50.0);
  EXPECT_EQ(s.Percentile(0.9)->value, 90.0);
  EXPECT_EQ(s.Percentile(0.99)->value, 99.0);
  EXPECT_EQ(s.Percentile(0.999)->value, 100.0);
  EXPECT_EQ(s.Percentile(0.75), nullptr);
  // Symmetric: no skew; a flat distribution has excess kurtosis -6(n^2+1)/(5(n^2-1)).
  EXPECT_NEAR(s.skewness, 0.0, 1e-12);
  EXPECT_NEAR(s.excess_kurtosis, -6.0 * 10001.0 / (5.0 * 9999.0), 1e-12);
  // Order-statistic intervals (checked against scipy.stats.binom).
  EXPECT_EQ(s.Percentile(0.5)->ci_low, 40.0);
  EXPECT_EQ(s.Percentile(0.5)->ci_high, 61.0);
  EXPECT_NEAR(s.Percentile(0.5)->ci_coverage, 0.9647997997822952, 1e-9);
  EXPECT_EQ(s.Percentile(0.9)->ci_low, 84.0);
  EXPECT_EQ(s.Percentile(0.9)->ci_high, 96.0);
  // 100 samples cannot give a 95% interval for p99: it is [97, 100] and says so.
  EXPECT_EQ(s.Percentile(0.99)->ci_low, 97.0);
  EXPECT_EQ(s.Percentile(0.99)->ci_high, 100.0);
  EXPECT_NEAR(s.Percentile(0.99)->ci_coverage, 0.6155936222821211, 1e-9);
}

TEST(StatsTest, NearestRank) {
  EXPECT_EQ(NearestRankIndex(100, 0.5), 49u);
  EXPECT_EQ(NearestRankIndex(100, 0.999), 99u);
  EXPECT_EQ(NearestRankIndex(1, 0.5), 0u);
  EXPECT_EQ(NearestRankIndex(10, 0.01), 0u);
  EXPECT_EQ(NearestRankIndex(1000, 0.999), 998u);  // 0.999 * 1000 is not exactly 999 in binary
}

TEST(StatsTest, ConfidenceRanksMatchBinomial) {
  // Reference values: equal-tailed ranks and coverage from scipy.stats.binom.
  struct Case {
    size_t n;
    double p;
    size_t low_rank;
    size_t high_rank;
    double coverage;
  };
  const Case cases[] = {
      {100, 0.5, 40, 61, 0.9647997997822952},
      {100, 0.9, 84, 96, 0.955690107191223},
      {1000, 0.999, 997, 1000, 0.6133777417786758},
      {2000, 0.999, 1995, 2000, 0.8482905941826386},
      {10000, 0.999, 9983, 9997, 0.9754574618536163},
      {1, 0.5, 1, 1, 0.0},
      {2, 0.5, 1, 2, 0.5},
      {20, 0.5, 6, 15, 0.9586105346679688},
      {1000000, 0.5, 499020, 500981, 0.9501210313476314},
  };
  for (const Case& c : cases) {
    RankInterval r = QuantileConfidenceRanks(c.n, c.p);
    EXPECT_EQ(r.low + 1, c.low_rank) << c.n << " " << c.p;
    EXPECT_EQ(r.high + 1, c.high_rank) << c.n << " " << c.p;
    EXPECT_NEAR(r.coverage, c.coverage, 1e-7) << c.n << " " << c.p;
  }
}

TEST(StatsTest, ConfidenceIntervalsCoverTheTrueQuantileInSimulation) {
  // 2,000 samples of 200 exponentials (mean 1): the true p-quantile is -ln(1 - p).
  Draws draws(42);
  const double ps[] = {0.5, 0.9};
  int covered[2] = {0, 0};
  double coverage[2] = {0, 0};
  constexpr int kTrials = 2000;
  for (int trial = 0; trial < kTrials; ++trial) {
    std::vector<double> sample(200);
    for (double& v : sample) v = draws.Exponential(1.0);
    Summary s = MustSummarize(sample);
    for (int i = 0; i < 2; ++i) {
      const PercentileEstimate* e = s.Percentile(ps[i]);
      double truth = -std::log1p(-ps[i]);
      if (e->ci_low <= truth && truth <= e->ci_high) ++covered[i];
      coverage[i] = e->ci_coverage;
    }
  }
  for (int i = 0; i < 2; ++i) {
    double rate = static_cast<double>(covered[i]) / kTrials;
    EXPECT_GE(coverage[i], kConfidence);
    // Standard error of the rate is about 0.005.
    EXPECT_NEAR(rate, coverage[i], 0.02) << "p=" << ps[i];
  }
}

TEST(StatsTest, MomentsAndTestsMatchScipy) {
  // scipy.stats.skew / kurtosis / jarque_bera / normaltest on the same 25 values.
  std::vector<double> x = {1.2, 0.8,  3.4, 2.2,  0.9, 1.1,  5.6,  1.3, 0.7,  2.9, 1.0,  1.4, 0.95,
                           8.2, 1.05, 1.6, 0.85, 2.4, 1.15, 1.25, 3.1, 0.75, 1.9, 1.35, 12.5};
  Summary s = MustSummarize(x);
  EXPECT_NEAR(s.mean, 2.382, 1e-12);
  EXPECT_NEAR(s.stddev, 2.712543394430155, 1e-12);
  EXPECT_NEAR(s.skewness, 2.6182073053445873, 1e-12);
  EXPECT_NEAR(s.excess_kurtosis, 6.4520097634052025, 1e-12);
  ASSERT_TRUE(s.jarque_bera.tested);
  EXPECT_NEAR(s.jarque_bera.statistic, 71.9254874605366, 1e-9);
  EXPECT_NEAR(s.jarque_bera.p_value, 2.4075695607730893e-16, 1e-24);
  ASSERT_TRUE(s.dagostino_k2.tested);
  EXPECT_NEAR(s.dagostino_k2.statistic, 32.90221760357815, 1e-9);
  EXPECT_NEAR(s.dagostino_k2.p_value, 7.167607680941656e-08, 1e-15);
  EXPECT_EQ(s.verdict, NormalityVerdict::kNotNormal);
  EXPECT_EQ(VerdictName(s.verdict), "not normal at 5%");
}

TEST(StatsTest, NormalityRejectsExponentialAcceptsNormal) {
  Draws draws(2024);
  std::vector<double> exponential(10000);
  for (double& v : exponential) v = draws.Exponential(2.0);
  Summary e = MustSummarize(exponential);
  EXPECT_NEAR(e.skewness, 2.0, 0.2);  // exponential: skewness 2, excess kurtosis 6
  EXPECT_NEAR(e.excess_kurtosis, 6.0, 1.5);
  EXPECT_LT(e.jarque_bera.p_value, 1e-10);
  EXPECT_LT(e.dagostino_k2.p_value, 1e-10);
  EXPECT_EQ(e.verdict, NormalityVerdict::kNotNormal);

  std::vector<double> normal(10000);
  for (double& v : normal) v = draws.Normal(10.0, 1.0);
  Summary n = MustSummarize(normal);
  EXPECT_NEAR(n.skewness, 0.0, 0.1);
  EXPECT_NEAR(n.excess_kurtosis, 0.0, 0.2);
  EXPECT_GT(n.jarque_bera.p_value, 0.05);
  EXPECT_GT(n.dagostino_k2.p_value, 0.05);
  EXPECT_EQ(n.verdict, NormalityVerdict::kNormal);
  EXPECT_EQ(VerdictName(n.verdict), "normal");
}

TEST(StatsTest, SymmetricSampleHasNoSkew) {
  Draws draws(5);
  std::vector<double> values;
  for (int i = 0; i < 500; ++i) {
    double d = draws.Exponential(1.0);
    values.push_back(10.0 + d);
    values.push_back(10.0 - d);  // mirrored: exactly symmetric around 10
  }
  Summary s = MustSummarize(values);
  EXPECT_NEAR(s.skewness, 0.0, 1e-9);
  EXPECT_NEAR(s.mean, 10.0, 1e-12);
}

TEST(StatsTest, SmallAndConstantSamplesAreNotTested) {
  Summary one = MustSummarize({3.5});
  EXPECT_EQ(one.count, 1);
  EXPECT_EQ(one.min, 3.5);
  EXPECT_EQ(one.stddev, 0.0);
  EXPECT_EQ(one.Percentile(0.5)->value, 3.5);
  EXPECT_EQ(one.Percentile(0.5)->ci_coverage, 0.0);
  EXPECT_EQ(one.verdict, NormalityVerdict::kNotTested);
  EXPECT_EQ(VerdictName(one.verdict), "not tested");

  Summary constant = MustSummarize(std::vector<double>(50, 2.0));
  EXPECT_EQ(constant.stddev, 0.0);
  EXPECT_EQ(constant.skewness, 0.0);
  EXPECT_FALSE(constant.jarque_bera.tested);
  EXPECT_EQ(constant.verdict, NormalityVerdict::kNotTested);

  std::vector<double> nineteen(19);
  std::iota(nineteen.begin(), nineteen.end(), 1.0);
  EXPECT_FALSE(MustSummarize(nineteen).dagostino_k2.tested);
}

TEST(StatsTest, EmptyAndInvalidInput) {
  Summary empty = MustSummarize({});
  EXPECT_EQ(empty.count, 0);
  EXPECT_TRUE(empty.percentiles.empty());
  EXPECT_EQ(ToJson(empty), (nlohmann::json{{"unit", "ms"}, {"count", 0}}));

  EXPECT_EQ(Summarize({1.0, NAN}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Summarize({1.0, INFINITY}).status().code(), StatusCode::kInvalidArgument);
  SummaryOptions bad_p;
  bad_p.percentiles = {1.0};
  EXPECT_EQ(Summarize({1.0}, bad_p).status().code(), StatusCode::kInvalidArgument);
  SummaryOptions bad_buckets;
  bad_buckets.buckets_per_decade = 0;
  EXPECT_EQ(Summarize({1.0}, bad_buckets).status().code(), StatusCode::kInvalidArgument);
}

TEST(StatsTest, LogHistogram) {
  // Edges at 10^(k/10): 1, 1.2589..., 1.5849..., ...; 1.0 sits on an edge.
  Histogram h = LogHistogram({1.0, 1.1, 1.3, 9.99, 10.0, 10.0}, 10);
  ASSERT_EQ(h.buckets.size(), 11u);
  EXPECT_DOUBLE_EQ(h.buckets.front().low, 1.0);
  EXPECT_DOUBLE_EQ(h.buckets.back().low, 10.0);
  EXPECT_EQ(h.buckets[0].count, 2);  // 1.0, 1.1
  EXPECT_EQ(h.buckets[1].count, 1);  // 1.3
  EXPECT_EQ(h.buckets[9].count, 1);  // 9.99 in [7.94, 10)
  EXPECT_EQ(h.buckets[10].count, 2);
  for (size_t i = 1; i < h.buckets.size(); ++i) {
    EXPECT_DOUBLE_EQ(h.buckets[i].low, h.buckets[i - 1].high);  // contiguous
  }

  // Zero and sub-nanosecond values go to the 1e-6 ms bucket.
  Histogram tiny = LogHistogram({0.0, 1e-9, 2e-6}, 1);
  ASSERT_EQ(tiny.buckets.size(), 1u);
  EXPECT_DOUBLE_EQ(tiny.buckets[0].low, 1e-6);
  EXPECT_EQ(tiny.buckets[0].count, 3);
}

TEST(StatsTest, HistogramCountsSumToSampleSize) {
  Draws draws(9);
  std::vector<double> values(5000);
  for (double& v : values) v = 0.15 + draws.Exponential(0.05) * (draws.Uniform() < 0.01 ? 100 : 1);
  Summary s = MustSummarize(values);
  int64_t total = 0;
  for (const HistogramBucket& b : s.histogram.buckets) {
    total += b.count;
    EXPECT_LT(b.low, b.high);
  }
  EXPECT_EQ(total, 5000);
  EXPECT_LE(s.histogram.buckets.front().low, s.min);
  EXPECT_GT(s.histogram.buckets.back().high, s.max);
  EXPECT_GT(s.histogram.buckets.front().count, 0);
  EXPECT_GT(s.histogram.buckets.back().count, 0);
}

TEST(StatsTest, EmpiricalCdf) {
  std::vector<double> few = {1.0, 2.0, 2.0, 3.0};
  std::vector<CdfPoint> points = EmpiricalCdf(few, 200);
  ASSERT_EQ(points.size(), 3u);  // the tie is one step
  EXPECT_EQ(points[0].value, 1.0);
  EXPECT_DOUBLE_EQ(points[0].fraction, 0.25);
  EXPECT_EQ(points[1].value, 2.0);
  EXPECT_DOUBLE_EQ(points[1].fraction, 0.75);
  EXPECT_DOUBLE_EQ(points[2].fraction, 1.0);

  Draws draws(11);
  std::vector<double> many(100000);
  for (double& v : many) v = draws.Exponential(1.0);
  std::sort(many.begin(), many.end());
  std::vector<CdfPoint> cdf = EmpiricalCdf(many, 200);
  ASSERT_LE(cdf.size(), 200u);
  ASSERT_GE(cdf.size(), 150u);
  EXPECT_EQ(cdf.front().value, many.front());
  EXPECT_DOUBLE_EQ(cdf.front().fraction, 1e-5);
  EXPECT_EQ(cdf.back().value, many.back());
  EXPECT_DOUBLE_EQ(cdf.back().fraction, 1.0);
  for (size_t i = 1; i < cdf.size(); ++i) {
    EXPECT_GT(cdf[i].value, cdf[i - 1].value);
    EXPECT_GT(cdf[i].fraction, cdf[i - 1].fraction);
  }
  // The tail is sampled: points beyond p99.9 exist.
  int tail_points = 0;
  for (const CdfPoint& p : cdf) tail_points += p.fraction > 0.999 ? 1 : 0;
  EXPECT_GE(tail_points, 20);
}

TEST(StatsTest, Labels) {
  EXPECT_EQ(PercentileLabel(0.5), "p50");
  EXPECT_EQ(PercentileLabel(0.9), "p90");
  EXPECT_EQ(PercentileLabel(0.99), "p99");
  EXPECT_EQ(PercentileLabel(0.999), "p99.9");
}

TEST(StatsTest, Json) {
  Summary s = MustSummarize(OneToHundredShuffled());
  nlohmann::json j = ToJson(s);
  EXPECT_EQ(j["unit"], "ms");
  EXPECT_EQ(j["count"], 100);
  EXPECT_EQ(j["min"], 1.0);
  EXPECT_EQ(j["max"], 100.0);
  EXPECT_EQ(j["percentiles"]["p50"]["value"], 50.0);
  EXPECT_EQ(j["percentiles"]["p50"]["ci95"], (nlohmann::json{40.0, 61.0}));
  EXPECT_TRUE(j["percentiles"]["p99.9"]["ci_coverage"].is_number());
  // A flat sample: K^2 sees the light tails (scipy: 34.6736, p 2.96e-8), JB barely (0.0497).
  EXPECT_EQ(j["normality"]["verdict"], "not normal at 5%");
  EXPECT_NEAR(j["normality"]["dagostino_k2"]["statistic"].get<double>(), 34.673555743797884, 1e-9);
  EXPECT_NEAR(j["normality"]["jarque_bera"]["p_value"].get<double>(), 0.04972734778182201, 1e-12);
  EXPECT_TRUE(j["normality"]["jarque_bera"]["p_value"].is_number());
  EXPECT_EQ(j["histogram"]["scale"], "log10");
  int64_t total = 0;
  for (const auto& b : j["histogram"]["buckets"]) total += b["count"].get<int64_t>();
  EXPECT_EQ(total, 100);
  EXPECT_EQ(j["cdf"].size(), 100u);
  EXPECT_EQ(j["cdf"].back()["fraction"], 1.0);

  nlohmann::json small = ToJson(MustSummarize({1.0, 2.0}));
  EXPECT_TRUE(small["normality"]["jarque_bera"]["statistic"].is_null());
  EXPECT_EQ(small["normality"]["verdict"], "not tested");
}

}  // namespace
}  // namespace thaw::profile
