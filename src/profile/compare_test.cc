#include "profile/compare.h"

#include <gtest/gtest.h>

namespace thaw::profile {
namespace {

constexpr int64_t kMs = 1'000'000;

// A successful invocation answered latency_ms after it was sent, with a REPORT line.
InvocationRecord Invocation(double latency_ms, double duration_ms,
                            std::optional<double> init_ms = std::nullopt) {
  InvocationRecord r;
  r.done_ns = static_cast<int64_t>(latency_ms * kMs);
  r.http_status = 200;
  Report report;
  report.request_id = "id";
  report.duration_ms = duration_ms;
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

// Warm latencies 1..100 x scale ms (Duration 0.5 x that), two cold starts, 50 invocations in
// half a second for throughput, CPU samples 2 and 4 x scale ms.
MechanismRun RunOf(const std::string& mechanism, double scale, int64_t memory_kib) {
  MechanismRun run;
  run.mechanism = mechanism;
  run.function = "compare-" + mechanism;
  run.sandboxed = true;
  run.cold = {Invocation(30 * scale, 2, 20 * scale), Invocation(50 * scale, 2, 40 * scale)};
  for (int i = 100; i >= 1; --i) run.warm.push_back(Invocation(i * scale, i * scale / 2));
  for (int i = 0; i < 50; ++i) run.throughput.push_back(Invocation(1, 1));
  run.throughput_elapsed_ns = 500 * kMs;
  run.cpu_ns = {static_cast<int64_t>(2 * scale * kMs), static_cast<int64_t>(4 * scale * kMs)};
  run.max_memory_kib = memory_kib;
  return run;
}

TEST(ParseMechanismListTest, KeepsOrderAndDropsDuplicates) {
  StatusOr<std::vector<std::string>> list = ParseMechanismList("spawn, runtime-api,spawn,go1.x");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(*list, (std::vector<std::string>{"spawn", "runtime-api", "go1.x"}));
  StatusOr<std::vector<std::string>> all = ParseMechanismList(kDefaultMechanisms);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 5u);
  StatusOr<std::vector<std::string>> languages = ParseMechanismList(kLanguages);
  ASSERT_TRUE(languages.ok());
  EXPECT_EQ(*languages, (std::vector<std::string>{"runtime-api", "python", "nodejs"}));
}

TEST(ParseMechanismListTest, RejectsUnknownAndEmpty) {
  for (const char* text : {"", "spawn,", "lambda", "runtime-api,shimmy", "python3.12"}) {
    StatusOr<std::vector<std::string>> list = ParseMechanismList(text);
    ASSERT_FALSE(list.ok()) << text;
    EXPECT_EQ(list.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(SummarizeMechanismTest, Figures) {
  StatusOr<MechanismResult> r = SummarizeMechanism(RunOf("spawn", 2, 30'000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->cold_starts, 2);
  EXPECT_DOUBLE_EQ(*r->init_ms, 60);
  EXPECT_DOUBLE_EQ(*r->cold_client_ms, 80);
  EXPECT_EQ(r->warm, 100);
  EXPECT_DOUBLE_EQ(*r->warm_p50_ms, 100);  // nearest rank: the 50th of 2, 4, ..., 200
  EXPECT_DOUBLE_EQ(*r->warm_p99_ms, 198);
  EXPECT_DOUBLE_EQ(*r->duration_p50_ms, 50);
  EXPECT_DOUBLE_EQ(*r->duration_p99_ms, 99);
  EXPECT_EQ(r->throughput_ok, 50);
  EXPECT_DOUBLE_EQ(*r->throughput_per_s, 100);
  EXPECT_EQ(*r->max_memory_kib, 30'000);
  EXPECT_EQ(r->cpu_samples, 2);
  EXPECT_DOUBLE_EQ(*r->cpu_ms, 6);
  EXPECT_EQ(r->errors, 0);
  EXPECT_FALSE(r->warm_p50_ratio);  // ratios come with the report
}

TEST(SummarizeMechanismTest, ErrorsAndMissesAreLeftOut) {
  MechanismRun run = RunOf("shim", 1, 0);
  run.cold.push_back(Invocation(5, 1));  // no Init Duration: not a cold start after all
  run.cold.push_back(Failure("init failed"));
  run.warm.push_back(Failure("boom"));
  run.warm.push_back(Invocation(1000, 1, 900));  // an environment lost mid-run
  run.throughput.push_back(Invocation(1, 1, 10));
  run.cpu_ns.push_back(0);  // an unsandboxed reading
  StatusOr<MechanismResult> r = SummarizeMechanism(run);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->cold_starts, 2);
  EXPECT_EQ(r->warm, 100);
  EXPECT_DOUBLE_EQ(*r->warm_p99_ms, 99);
  EXPECT_EQ(r->throughput_ok, 51);
  EXPECT_EQ(r->throughput_cold, 1);
  EXPECT_EQ(r->cpu_samples, 2);
  EXPECT_FALSE(r->max_memory_kib);  // 0 means the server could not tell
  EXPECT_EQ(r->errors, 2);
  EXPECT_EQ(r->first_error, "init failed");
}

TEST(SummarizeMechanismTest, NothingRan) {
  MechanismRun run;
  run.mechanism = "go1.x";
  run.error = "deploy failed";
  StatusOr<MechanismResult> r = SummarizeMechanism(run);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->init_ms || r->warm_p50_ms || r->duration_p50_ms || r->throughput_per_s ||
               r->max_memory_kib || r->cpu_ms);
  EXPECT_EQ(r->first_error, "deploy failed");
}

TEST(BuildCompareReportTest, RatiosAndOverheadAgainstRuntimeApi) {
  CompareConfig config;
  config.count = 100;
  StatusOr<CompareReport> report =
      BuildCompareReport(config, {RunOf("runtime-api", 1, 20'000), RunOf("spawn", 4, 26'144)});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_TRUE(report->baseline);
  const MechanismResult& base = report->mechanisms[0];
  const MechanismResult& spawn = report->mechanisms[1];
  EXPECT_DOUBLE_EQ(*base.warm_p50_ratio, 1);
  EXPECT_EQ(*base.memory_overhead_kib, 0);
  EXPECT_DOUBLE_EQ(*spawn.warm_p50_ratio, 4);
  EXPECT_DOUBLE_EQ(*spawn.warm_p99_ratio, 4);
  EXPECT_DOUBLE_EQ(*spawn.init_ratio, 4);
  EXPECT_DOUBLE_EQ(*spawn.cpu_ratio, 4);
  EXPECT_DOUBLE_EQ(*spawn.throughput_ratio, 1);
  EXPECT_EQ(*spawn.memory_overhead_kib, 6'144);
}

TEST(BuildCompareReportTest, NoBaselineNoRatios) {
  StatusOr<CompareReport> report = BuildCompareReport({}, {RunOf("shim", 1, 20'000)});
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->baseline);
  EXPECT_FALSE(report->mechanisms[0].warm_p50_ratio);
  EXPECT_FALSE(report->mechanisms[0].memory_overhead_kib);
  EXPECT_NE(FormatText(*report).find("runtime-api was not run"), std::string::npos);
  EXPECT_TRUE(ToJson(*report)["baseline"].is_null());
}

TEST(CompareJsonTest, Shape) {
  CompareConfig config;
  config.count = 100;
  config.cold = 2;
  config.concurrency = 4;
  MechanismRun missing = RunOf("go1.x", 1, 0);
  missing.cpu_ns.clear();
  StatusOr<CompareReport> report =
      BuildCompareReport(config, {RunOf("runtime-api", 1, 20'000), missing});
  ASSERT_TRUE(report.ok());
  nlohmann::json j = ToJson(*report);
  EXPECT_EQ(j["config"]["concurrency"], 4);
  EXPECT_EQ(j["baseline"], "runtime-api");
  ASSERT_EQ(j["mechanisms"].size(), 2u);
  const nlohmann::json& base = j["mechanisms"][0];
  EXPECT_EQ(base["function"], "compare-runtime-api");
  EXPECT_DOUBLE_EQ(base["cold"]["init_ms"].get<double>(), 30);
  EXPECT_DOUBLE_EQ(base["warm"]["client_p50_ms"].get<double>(), 50);
  EXPECT_DOUBLE_EQ(base["throughput"]["per_s"].get<double>(), 100);
  EXPECT_EQ(base["memory"]["max_kib"], 20'000);
  EXPECT_DOUBLE_EQ(base["cpu"]["ms_per_invocation"].get<double>(), 3);
  EXPECT_DOUBLE_EQ(base["ratios"]["warm_p50"].get<double>(), 1);
  const nlohmann::json& go1x = j["mechanisms"][1];
  EXPECT_TRUE(go1x["memory"]["max_kib"].is_null());
  EXPECT_TRUE(go1x["memory"]["overhead_kib"].is_null());
  EXPECT_TRUE(go1x["cpu"]["ms_per_invocation"].is_null());
  EXPECT_TRUE(go1x["ratios"]["cpu"].is_null());
  EXPECT_EQ(go1x["errors"]["count"], 0);
}

TEST(CompareTextTest, OneRowPerMechanism) {
  CompareConfig config;
  config.count = 100;
  config.cold = 2;
  config.concurrency = 4;
  config.throughput_s = 2;
  config.memory_mb = 1769;
  StatusOr<CompareReport> report =
      BuildCompareReport(config, {RunOf("runtime-api", 1, 20'480), RunOf("spawn", 3, 30'720)});
  ASSERT_TRUE(report.ok());
  std::string text = FormatText(*report);
  EXPECT_NE(text.find("2 cold starts, 100 warm invocations"), std::string::npos) << text;
  EXPECT_NE(text.find("throughput over 2 s at concurrency 4"), std::string::npos) << text;
  // spawn: p50 150 ms, 3x; 30 MiB, +10 MiB over runtime-api.
  size_t row = text.find("\nspawn ");
  ASSERT_NE(row, std::string::npos) << text;
  std::string line = text.substr(row + 1, text.find('\n', row + 1) - row - 1);
  EXPECT_NE(line.find("150.000"), std::string::npos) << line;
  EXPECT_NE(line.find("3.00"), std::string::npos) << line;
  EXPECT_NE(line.find("30.0"), std::string::npos) << line;
  EXPECT_NE(line.find("+10.0"), std::string::npos) << line;
  EXPECT_EQ(line.back(), '0');  // the errors column, no trailing spaces
  EXPECT_NE(text.find("\nruntime-api "), std::string::npos);
  EXPECT_NE(text.find("beyond runtime-api's"), std::string::npos);
}

}  // namespace
}  // namespace thaw::profile
