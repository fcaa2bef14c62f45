#include "profile/tune.h"

#include <gtest/gtest.h>

namespace thaw::profile {
namespace {

constexpr int64_t kMs = 1'000'000;

InvocationRecord Invocation(double duration_ms, int64_t billed_ms, int64_t memory_mb,
                            std::optional<double> init_ms = std::nullopt) {
  static int64_t index = 0;
  InvocationRecord r;
  r.index = index++;
  r.scheduled_ns = r.index * 1000 * kMs;
  r.sent_ns = r.scheduled_ns;
  r.done_ns = r.sent_ns + static_cast<int64_t>((duration_ms + 1) * kMs);
  r.http_status = 200;
  Report report;
  report.request_id = "id";
  report.duration_ms = duration_ms;
  report.billed_duration_ms = billed_ms;
  report.memory_size_mb = memory_mb;
  report.max_memory_used_mb = init_ms ? 20 : 22;
  report.init_duration_ms = init_ms;
  r.report = report;
  return r;
}

InvocationRecord Failure(std::string error) {
  InvocationRecord r;
  r.outcome = Outcome::kFunctionError;
  r.http_status = 200;
  r.error = std::move(error);
  return r;
}

// A cold round, then `count` warm invocations of `duration_ms` each (billed rounded up).
SizeRun SizeOf(int64_t memory_mb, double duration_ms, int count = 10) {
  SizeRun run;
  run.memory_mb = memory_mb;
  run.warmup.push_back(Invocation(duration_ms, BilledMillis(duration_ms + 40), memory_mb, 40));
  for (int i = 0; i < count; ++i) {
    run.measured.push_back(Invocation(duration_ms, BilledMillis(duration_ms), memory_mb));
  }
  return run;
}

TuneConfig Config() {
  TuneConfig config;
  config.function = "burn";
  config.count = 10;
  return config;
}

TuneReport MustBuild(const TuneConfig& config, std::vector<SizeRun> runs) {
  StatusOr<TuneReport> report = BuildTuneReport(config, std::move(runs));
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  return report.ok() ? *report : TuneReport{};
}

TEST(TuneTest, ParsesStrategies) {
  EXPECT_EQ(ParseStrategy("cost"), Strategy::kCost);
  EXPECT_EQ(ParseStrategy("speed"), Strategy::kSpeed);
  EXPECT_EQ(ParseStrategy("balanced"), Strategy::kBalanced);
  EXPECT_EQ(ParseStrategy("fast"), std::nullopt);
  EXPECT_EQ(StrategyName(Strategy::kBalanced), "balanced");
}

TEST(TuneTest, ParsesMemoryListSortedWithoutDuplicates) {
  StatusOr<std::vector<int64_t>> sizes = ParseMemoryList("1024, 128,256,128");
  ASSERT_TRUE(sizes.ok()) << sizes.status().ToString();
  EXPECT_EQ(*sizes, (std::vector<int64_t>{128, 256, 1024}));
  ASSERT_TRUE(ParseMemoryList(kDefaultMemorySizes).ok());
  EXPECT_EQ(ParseMemoryList(kDefaultMemorySizes)->size(), 6u);
}

TEST(TuneTest, RefusesBadMemoryLists) {
  EXPECT_EQ(ParseMemoryList("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseMemoryList("128,,256").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseMemoryList("128MB").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseMemoryList("64").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseMemoryList("10241").status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(ParseMemoryList("128,10240").ok());
}

TEST(TuneTest, TrimmedMeanDropsTwentyPercentAtEachEnd) {
  // 10 values: drop 2 at each end, the mean of 3..8.
  EXPECT_DOUBLE_EQ(TrimmedMean({10, 1, 2, 3, 4, 5, 6, 7, 8, 1000}, 0.2), 5.5);
  // Under 5 values nothing is dropped (floor(4 x 0.2) = 0).
  EXPECT_DOUBLE_EQ(TrimmedMean({1, 2, 3, 10}, 0.2), 4);
  EXPECT_DOUBLE_EQ(TrimmedMean({7}, 0.2), 7);
  EXPECT_DOUBLE_EQ(TrimmedMean({}, 0.2), 0);
}

TEST(TuneTest, SummarizesOneSize) {
  TuneConfig config = Config();
  SizeRun run = SizeOf(256, 9.5);
  run.measured.push_back(Invocation(30, 31, 256, 12));  // a late cold start: counted, left out
  StatusOr<SizeResult> r = SummarizeSize(config, run);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->memory_mb, 256);
  EXPECT_DOUBLE_EQ(r->vcpu, 256.0 / 1769);
  EXPECT_EQ(r->invocations, 11);
  EXPECT_EQ(r->warm, 10);
  EXPECT_EQ(r->cold, 1);
  EXPECT_EQ(r->errors, 0);
  EXPECT_DOUBLE_EQ(r->duration_ms, 9.5);
  EXPECT_DOUBLE_EQ(r->duration.Percentile(0.5)->value, 9.5);
  EXPECT_DOUBLE_EQ(r->client.Percentile(0.99)->value, 10.5);
  EXPECT_DOUBLE_EQ(r->billed_ms, 10);
  EXPECT_DOUBLE_EQ(r->compute_cost, ComputeCost(Architecture::kX86_64, 10, 256));
  EXPECT_DOUBLE_EQ(r->cost, InvocationCost(Architecture::kX86_64, 10, 256));
  EXPECT_EQ(r->cold_start.count, 2);
  EXPECT_DOUBLE_EQ(r->cold_start.init_duration_ms, 26);
  EXPECT_DOUBLE_EQ(r->cold_start.billed_ms, (50 + 31) / 2.0);
  EXPECT_DOUBLE_EQ(r->cold_start.cost, (ComputeCost(Architecture::kX86_64, 50, 256) +
                                        ComputeCost(Architecture::kX86_64, 31, 256)) /
                                               2 +
                                           kPricePerRequest);
  EXPECT_EQ(r->max_memory_used_mb, 22);
  EXPECT_TRUE(r->eligible());
}

TEST(TuneTest, ArmPricesApply) {
  TuneConfig config = Config();
  config.arch = Architecture::kArm64;
  StatusOr<SizeResult> r = SummarizeSize(config, SizeOf(1024, 99.2));
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->cost, 0.1 * kArmPricePerGbSecond + kPricePerRequest);
}

TEST(TuneTest, ErrorsMakeASizeIneligible) {
  SizeRun run = SizeOf(128, 50);
  run.measured.push_back(Failure("function error (Unhandled): boom"));
  StatusOr<SizeResult> r = SummarizeSize(Config(), run);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->errors, 1);
  EXPECT_EQ(r->first_error, "function error (Unhandled): boom");
  EXPECT_FALSE(r->eligible());
}

TEST(TuneTest, BalancedScoreIsPowerTuningsFormula) {
  EXPECT_DOUBLE_EQ(BalancedScore(0.5, 1, 2, 10, 10), 0.75);
  EXPECT_DOUBLE_EQ(BalancedScore(1, 1, 2, 10, 10), 0.5);
  EXPECT_DOUBLE_EQ(BalancedScore(0, 1, 2, 5, 10), 0.5);
  EXPECT_DOUBLE_EQ(BalancedScore(0.5, 0, 0, 0, 0), 0);
}

// A CPU-bound function: duration inversely proportional to memory up to 1,769 MB, flat above.
std::vector<SizeRun> CpuBound() {
  return {SizeOf(128, 1400), SizeOf(256, 700),    SizeOf(512, 350),
          SizeOf(1024, 175), SizeOf(1769, 101.3), SizeOf(3008, 101.3)};
}

TEST(TuneTest, RecommendsForCostSpeedAndBalance) {
  TuneReport report = MustBuild(Config(), CpuBound());
  ASSERT_EQ(report.sizes.size(), 6u);
  // Billed: 128x1400, 256x700, 512x350, 1024x175 are all 179,200 MB-ms; 1769x102 is 180,438 and
  // 3008x102 is 306,816. The cost ties go to the faster size.
  ASSERT_TRUE(report.best.cost.has_value());
  EXPECT_EQ(report.sizes[*report.best.cost].memory_mb, 1024);
  // Equal durations: the cheaper one.
  ASSERT_TRUE(report.best.speed.has_value());
  EXPECT_EQ(report.sizes[*report.best.speed].memory_mb, 1769);
  ASSERT_TRUE(report.best.balanced.has_value());
  EXPECT_EQ(report.sizes[*report.best.balanced].memory_mb, 1769);
  EXPECT_EQ(report.chosen(), report.best.cost);
  for (const SizeResult& s : report.sizes) ASSERT_TRUE(s.balanced_score.has_value());
  // The balanced score of 1769 MB: cost 180438/306816 and duration 101.3/1400 against the maxima.
  EXPECT_NEAR(*report.sizes[4].balanced_score, 0.5 * 180438.0 / 306816.0 + 0.5 * 101.3 / 1400.0,
              1e-9);
}

TEST(TuneTest, BalancedWeightMovesTheChoice) {
  TuneConfig config = Config();
  config.strategy = Strategy::kBalanced;
  // An I/O-bound function: the same 100 ms everywhere, so cost grows with memory.
  std::vector<SizeRun> runs = {SizeOf(128, 100), SizeOf(256, 99), SizeOf(512, 98)};
  config.balanced_weight = 1;  // cost only
  TuneReport cheap = MustBuild(config, runs);
  EXPECT_EQ(cheap.sizes[*cheap.best.balanced].memory_mb, 128);
  config.balanced_weight = 0;  // duration only
  TuneReport fast = MustBuild(config, runs);
  EXPECT_EQ(fast.sizes[*fast.best.balanced].memory_mb, 512);
  EXPECT_EQ(fast.chosen(), fast.best.balanced);
  config.balanced_weight = 7;  // clamped to 1
  TuneReport clamped = MustBuild(config, runs);
  EXPECT_EQ(clamped.sizes[*clamped.best.balanced].memory_mb, 128);
}

TEST(TuneTest, SkipsIneligibleSizes) {
  std::vector<SizeRun> runs = CpuBound();
  runs[3].measured.push_back(Failure("boom"));  // 1024 MB
  TuneReport report = MustBuild(Config(), runs);
  EXPECT_FALSE(report.sizes[3].balanced_score.has_value());
  EXPECT_EQ(report.sizes[*report.best.cost].memory_mb, 512);
  TuneReport none = MustBuild(Config(), {});
  EXPECT_FALSE(none.best.cost || none.best.speed || none.best.balanced);
}

TEST(TuneTest, JsonCarriesEverySizeAndTheRecommendations) {
  TuneReport report = MustBuild(Config(), CpuBound());
  report.original_memory_mb = 128;
  report.restored = true;
  nlohmann::json j = ToJson(report);
  EXPECT_EQ(j["function"], "burn");
  EXPECT_EQ(j["architecture"], "x86_64");
  EXPECT_DOUBLE_EQ(j["prices"]["gb_second"].get<double>(), kX86PricePerGbSecond);
  EXPECT_DOUBLE_EQ(j["prices"]["per_request"].get<double>(), 2e-7);
  ASSERT_EQ(j["sizes"].size(), 6u);
  const nlohmann::json& first = j["sizes"][0];
  EXPECT_EQ(first["memory_mb"], 128);
  EXPECT_EQ(first["warm"], 10);
  EXPECT_DOUBLE_EQ(first["duration_ms"]["p50"].get<double>(), 1400);
  EXPECT_DOUBLE_EQ(first["billed_ms_mean"].get<double>(), 1400);
  EXPECT_DOUBLE_EQ(first["cost"]["per_invocation"].get<double>(),
                   InvocationCost(Architecture::kX86_64, 1400, 128));
  EXPECT_DOUBLE_EQ(first["cost"]["per_million"].get<double>(),
                   1e6 * InvocationCost(Architecture::kX86_64, 1400, 128));
  EXPECT_EQ(first["cold_start"]["count"], 1);
  EXPECT_DOUBLE_EQ(first["cold_start"]["init_duration_ms"].get<double>(), 40);
  EXPECT_EQ(j["recommendations"]["cost"]["memory_mb"], 1024);
  EXPECT_EQ(j["recommendations"]["speed"]["memory_mb"], 1769);
  EXPECT_TRUE(j["recommendations"]["balanced"].contains("score"));
  EXPECT_EQ(j["recommendations"]["chosen_memory_mb"], 1024);
  EXPECT_EQ(j["original_memory_mb"], 128);
  EXPECT_EQ(j["restored"], true);
  EXPECT_TRUE(j["sandboxed"].is_null());
}

TEST(TuneTest, JsonHasNullsForSizesWithoutFigures) {
  SizeRun run;
  run.memory_mb = 128;
  run.measured.push_back(Failure("boom"));
  TuneReport report = MustBuild(Config(), {run});
  nlohmann::json j = ToJson(report);
  EXPECT_TRUE(j["sizes"][0]["duration_ms"]["p50"].is_null());
  EXPECT_TRUE(j["sizes"][0]["cost"]["per_invocation"].is_null());
  EXPECT_TRUE(j["sizes"][0]["cold_start"]["init_duration_ms"].is_null());
  EXPECT_TRUE(j["sizes"][0]["balanced_score"].is_null());
  EXPECT_TRUE(j["recommendations"]["cost"].is_null());
  EXPECT_TRUE(j["recommendations"]["chosen_memory_mb"].is_null());
}

TEST(TuneTest, TextAndChartShowEverySizeAndTheMarks) {
  TuneReport report = MustBuild(Config(), CpuBound());
  std::string text = FormatText(report);
  EXPECT_NE(text.find("1,769 MB = 1 vCPU"), std::string::npos) << text;
  EXPECT_NE(text.find("3008 MB"), std::string::npos) << text;
  // The recommendations: --strategy's starred.
  EXPECT_NE(text.find("\ncost*           1024 MB"), std::string::npos) << text;
  EXPECT_NE(text.find("\nspeed           1769 MB"), std::string::npos) << text;
  EXPECT_NE(text.find("\nbalanced        1769 MB"), std::string::npos) << text;
  EXPECT_EQ(text.find("WARNING"), std::string::npos);
  report.sandboxed = false;
  EXPECT_NE(FormatText(report).find("WARNING"), std::string::npos);

  std::string chart = FormatChart(report);
  // The slowest size gets the full duration bar; the dearest the full cost bar.
  EXPECT_NE(chart.find("\n 128 MB  |" + std::string(30, '#') + "  1400.00"), std::string::npos)
      << chart;
  EXPECT_NE(chart.find("<- cost*"), std::string::npos) << chart;
  EXPECT_NE(chart.find("<- speed, balanced"), std::string::npos) << chart;
  for (const std::string& line : {text, chart}) {
    EXPECT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find(" \n"), std::string::npos) << "trailing space in:\n" << line;
  }
  EXPECT_EQ(FormatChart(MustBuild(Config(), {})), "");
}

}  // namespace
}  // namespace thaw::profile
