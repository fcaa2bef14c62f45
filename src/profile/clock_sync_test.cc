#include "profile/clock_sync.h"

#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace thaw::profile {
namespace {

constexpr int64_t kStart = 1'764'280'000'000'000'000;
constexpr int64_t kMs = 1'000'000;

// Exchanges between a caller with clock error `caller` and a callee with `callee`, one every
// period_ns of true time, one-way delays drawn from [min, max] ns (out and back independently),
// and a fixed callee processing time.
std::vector<Exchange> Simulate(const SkewConfig& caller, const SkewConfig& callee, size_t n,
                               int64_t period_ns, int64_t min_delay, int64_t max_delay,
                               uint32_t seed = 7) {
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<int64_t> delay(min_delay, max_delay);
  std::vector<Exchange> out;
  for (size_t i = 0; i < n; ++i) {
    int64_t send = kStart + static_cast<int64_t>(i) * period_ns;
    int64_t receive = send + delay(random);
    int64_t answer = receive + 20'000;
    int64_t back = answer + delay(random);
    out.push_back({send + caller.ErrorNs(send), receive + callee.ErrorNs(receive),
                   answer + callee.ErrorNs(answer), back + caller.ErrorNs(back)});
  }
  return out;
}

TEST(ClockSyncTest, NtpFormulas) {
  // Callee 10 ms ahead; 3 ms out, 1 ms back, 2 ms inside.
  Exchange e{100 * kMs, 113 * kMs, 115 * kMs, 106 * kMs};
  EXPECT_DOUBLE_EQ(ExchangeOffsetNs(e), 11.0 * kMs);  // off by (3 - 1) / 2 ms
  EXPECT_EQ(ExchangeDelayNs(e), 4 * kMs);
  // The bound (delay / 2 = 2 ms) holds the true 10 ms.
  EXPECT_LE(std::fabs(ExchangeOffsetNs(e) / kMs - 10),
            static_cast<double>(ExchangeDelayNs(e)) / 2.0 / kMs);
}

TEST(ClockSyncTest, SkewConfig) {
  SkewConfig a{kMs, 0, kStart};
  SkewConfig b{-2 * kMs, 50, kStart};
  EXPECT_EQ(a.ErrorNs(kStart + 10'000 * kMs), kMs);
  EXPECT_EQ(b.ErrorNs(kStart + 10'000 * kMs), -2 * kMs + 500'000);  // 50 ppm of 10 s
  EXPECT_EQ(RelativeSkewNs(a, b, kStart), -3 * kMs);
}

TEST(ClockSyncTest, EstimateRecoversOffsetWithinBound) {
  // The callee's clock is 5 ms behind, far more than the 0.1-2 ms one-way delay.
  SkewConfig caller{300'000, 0, kStart};
  SkewConfig callee{-4'700'000, 0, kStart};
  auto exchanges = Simulate(caller, callee, 2000, 3 * kMs, 100'000, 2 * kMs);
  auto analysis = AnalyzeClockSync(exchanges);
  ASSERT_TRUE(analysis.ok()) << analysis.status().message();
  double truth = static_cast<double>(RelativeSkewNs(caller, callee, kStart)) / 1e6;
  EXPECT_DOUBLE_EQ(truth, -5.0);
  EXPECT_LE(std::fabs(analysis->estimate.offset_ms - truth), analysis->estimate.bound_ms);
  EXPECT_LT(analysis->estimate.bound_ms, 0.2);  // the best of 2000 round trips is short
  EXPECT_EQ(analysis->count, 2000);
  // Every raw difference is negative; every corrected one is a one-way delay (>= 0.1 ms) up to
  // the estimate's error.
  EXPECT_DOUBLE_EQ(analysis->raw.negative_fraction, 1.0);
  EXPECT_EQ(analysis->corrected.negative, 0);
  EXPECT_GT(analysis->corrected.min, 0);
  EXPECT_NEAR(analysis->corrected.mean, 1.05, 0.1);
  EXPECT_NEAR(analysis->raw.mean, -5 + 1.05, 0.1);
  // The windows' points each hold the truth within their own bound.
  for (const OffsetEstimate& w : analysis->drift.windows) {
    EXPECT_LE(std::fabs(w.offset_ms - truth), w.bound_ms);
  }
  // 6 s of exchanges, window points good to ~0.02 ms: the fit finds no drift within ~10 ppm, and
  // that is too little to correct along.
  ASSERT_TRUE(analysis->drift.fitted);
  EXPECT_NEAR(analysis->drift.ppm, 0, 15);
  EXPECT_FALSE(analysis->drift.used);
}

TEST(ClockSyncTest, SmallOffsetGivesSomeNegatives) {
  // Offset -0.5 ms against one-way delays of 0.1-2 ms: some raw differences are negative.
  SkewConfig caller{};
  SkewConfig callee{-500'000, 0, kStart};
  auto analysis = AnalyzeClockSync(Simulate(caller, callee, 5000, kMs, 100'000, 2 * kMs));
  ASSERT_TRUE(analysis.ok());
  // P(delay < 0.5 ms) for delays uniform on [0.1, 2] ms is 0.4 / 1.9.
  EXPECT_NEAR(analysis->raw.negative_fraction, 0.4 / 1.9, 0.03);
  EXPECT_LT(analysis->corrected.negative_fraction, 0.01);
}

TEST(ClockSyncTest, DriftIsFitted) {
  // Callee 1 ms ahead at the start, gaining 50 ppm; the caller loses 10 ppm: 60 ppm relative.
  SkewConfig caller{0, -10, kStart};
  SkewConfig callee{kMs, 50, kStart};
  // 10,000 exchanges over 60 s: the relative offset moves by 3.6 ms, more than any delay.
  auto exchanges = Simulate(caller, callee, 10'000, 6 * kMs, 50'000, 500'000);
  auto analysis = AnalyzeClockSync(exchanges);
  ASSERT_TRUE(analysis.ok());
  ASSERT_TRUE(analysis->drift.fitted);
  EXPECT_NEAR(analysis->drift.ppm, 60, 1);
  EXPECT_NEAR(analysis->drift.offset_ms_at_ref, 1.0, 0.05);
  EXPECT_LT(analysis->drift.max_residual_ms, 0.05);
  EXPECT_TRUE(analysis->drift.used);
  // The single min-delay estimate holds the offset of its own moment.
  const OffsetEstimate& e = analysis->estimate;
  double truth = static_cast<double>(RelativeSkewNs(caller, callee, e.at_ns)) / 1e6;
  EXPECT_LE(std::fabs(e.offset_ms - truth), e.bound_ms + 1e-3);
  // Corrected along the fitted line, no difference is negative (delays are >= 50 us).
  EXPECT_EQ(analysis->corrected.negative, 0);
}

TEST(ClockSyncTest, HistogramSharesOneGrid) {
  SkewConfig callee{-kMs, 0, kStart};
  auto analysis = AnalyzeClockSync(Simulate({}, callee, 1000, kMs, 100'000, 300'000),
                                   {.windows = 4, .histogram_buckets = 10});
  ASSERT_TRUE(analysis.ok());
  const PairedHistogram& h = analysis->histogram;
  ASSERT_EQ(h.raw.size(), 10u);
  ASSERT_EQ(h.corrected.size(), 10u);
  int64_t raw = std::accumulate(h.raw.begin(), h.raw.end(), int64_t{0});
  int64_t corrected = std::accumulate(h.corrected.begin(), h.corrected.end(), int64_t{0});
  EXPECT_EQ(raw + h.raw_outside, 1000);
  EXPECT_EQ(corrected + h.corrected_outside, 1000);
  EXPECT_LE(h.raw_outside, 20);  // the tails beyond 0.5% each side
  EXPECT_NEAR(h.low, -0.9, 0.01);
  EXPECT_GT(h.width, 0);
  EXPECT_EQ(analysis->drift.windows.size(), 4u);
}

TEST(ClockSyncTest, FewExchangesNoDriftFit) {
  auto analysis = AnalyzeClockSync(Simulate({}, {}, 5, kMs, 100'000, 200'000));
  ASSERT_TRUE(analysis.ok());
  EXPECT_FALSE(analysis->drift.fitted);
  EXPECT_EQ(analysis->raw.negative, 0);
  EXPECT_EQ(analysis->raw.percentiles.size(), std::size(kPercentiles));
}

TEST(ClockSyncTest, Errors) {
  EXPECT_FALSE(AnalyzeClockSync({}).ok());
  EXPECT_FALSE(AnalyzeClockSync({Exchange{1, 2, 3, 4}}, {.windows = 0}).ok());
  EXPECT_FALSE(AnalyzeClockSync({Exchange{1, 2, 3, 4}}, {.max_cdf_points = 1}).ok());
}

TEST(ClockSyncTest, HlcParseAndOrder) {
  auto stamp = ParseHlc("1764280000123456789.3");
  ASSERT_TRUE(stamp);
  EXPECT_EQ(stamp->l, 1764280000123456789);
  EXPECT_EQ(stamp->c, 3u);
  EXPECT_EQ(ParseHlc("42")->c, 0u);
  for (const char* bad : {"", ".", "x.1", "1.", "1.x", "-1.0", "1.2.3", "1.99999999999"}) {
    EXPECT_FALSE(ParseHlc(bad)) << bad;
  }
  std::vector<std::array<HlcStamp, 4>> stamps = {
      {HlcStamp{10, 0}, HlcStamp{10, 1}, HlcStamp{10, 2}, HlcStamp{12, 0}},
      {HlcStamp{10, 0}, HlcStamp{9, 5}, HlcStamp{10, 2}, HlcStamp{12, 0}},  // receive before send
  };
  HlcCheck check = CheckHlcOrder(stamps);
  EXPECT_EQ(check.checked, 2);
  EXPECT_EQ(check.violations, 1);
}

TEST(ClockSyncTest, Json) {
  auto analysis = AnalyzeClockSync(Simulate({}, {-kMs, 0, kStart}, 100, kMs, 100'000, 300'000));
  ASSERT_TRUE(analysis.ok());
  nlohmann::json j = ToJson(*analysis);
  EXPECT_EQ(j["count"], 100);
  EXPECT_EQ(j["raw"]["negative"], 100);
  EXPECT_TRUE(j["raw"]["percentiles"].contains("p50"));
  EXPECT_TRUE(j["estimate"]["bound_ms"].is_number());
  EXPECT_EQ(j["histogram"]["raw"].size(), 60u);
  EXPECT_TRUE(j["drift"]["fitted"].get<bool>());
  EXPECT_EQ(j["corrected"]["cdf"].back()[1], 1.0);
}

}  // namespace
}  // namespace thaw::profile
