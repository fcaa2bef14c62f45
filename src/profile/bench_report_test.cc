#include "profile/bench_report.h"

#include <gtest/gtest.h>

namespace thaw::profile {
namespace {

constexpr int64_t kMs = 1'000'000;

Report MakeReport(double duration_ms, std::optional<double> init_ms = std::nullopt) {
  Report r;
  r.request_id = "id";
  r.duration_ms = duration_ms;
  r.billed_duration_ms = static_cast<int64_t>(duration_ms + init_ms.value_or(0)) + 1;
  r.memory_size_mb = 128;
  r.max_memory_used_mb = init_ms ? 17 : 18;
  r.init_duration_ms = init_ms;
  return r;
}

InvocationRecord Ok(int64_t index, int64_t latency_ms, std::optional<Report> report) {
  InvocationRecord r;
  r.index = index;
  r.scheduled_ns = index * 10 * kMs;
  r.sent_ns = r.scheduled_ns;
  r.done_ns = r.scheduled_ns + latency_ms * kMs;
  r.http_status = 200;
  r.report = std::move(report);
  return r;
}

InvocationRecord Failed(int64_t index, Outcome outcome, int status, std::string error) {
  InvocationRecord r = Ok(index, 1, std::nullopt);
  r.outcome = outcome;
  r.http_status = status;
  r.error = std::move(error);
  return r;
}

// 2 cold (indexes 0 and 1), then 48 warm with latency 1..48 ms, given out of order.
std::vector<InvocationRecord> ColdThenWarm() {
  std::vector<InvocationRecord> records;
  for (int64_t i = 49; i >= 2; --i) records.push_back(Ok(i, i - 1, MakeReport(0.5)));
  records.push_back(Ok(0, 100, MakeReport(1.0, 3.0)));
  records.push_back(Ok(1, 90, MakeReport(1.0, 2.5)));
  return records;
}

BenchReport MustAggregate(const BenchConfig& config, std::vector<InvocationRecord> records,
                          int64_t elapsed_ns = 1'000 * kMs) {
  StatusOr<BenchReport> report = Aggregate(config, std::move(records), elapsed_ns);
  EXPECT_TRUE(report.ok()) << report.status().ToString();
  return report.ok() ? *report : BenchReport{};
}

TEST(BenchReportTest, SplitsColdAndWarmAndDropsWarmupInIssueOrder) {
  BenchConfig config;
  config.function = "echo";
  config.warmup = 8;
  BenchReport r = MustAggregate(config, ColdThenWarm());
  EXPECT_EQ(r.total, 50);
  EXPECT_EQ(r.cold, 2);  // cold starts are never warm-up
  EXPECT_EQ(r.discarded, 8);
  EXPECT_EQ(r.warm, 40);
  EXPECT_EQ(r.warm + r.cold + r.discarded, r.total);
  EXPECT_EQ(r.warm_stats.client.count, 40);
  EXPECT_EQ(r.warm_stats.client.min, 9.0);  // latencies 1..8 ms were the warm-up
  EXPECT_EQ(r.warm_stats.client.max, 48.0);
  EXPECT_EQ(r.warm_stats.report_duration.count, 40);
  EXPECT_EQ(r.cold_stats.client.count, 2);
  EXPECT_EQ(r.cold_stats.client.max, 100.0);
  EXPECT_EQ(r.init_duration.count, 2);
  EXPECT_DOUBLE_EQ(r.init_duration.max, 3.0);
  EXPECT_EQ(r.unclassified, 0);
  EXPECT_DOUBLE_EQ(r.throughput_per_second, 50.0);
  EXPECT_EQ(r.memory_size_mb, 128);
  EXPECT_EQ(r.max_memory_used_mb, 18);
  EXPECT_EQ(r.billed_total_ms, 48 * 1 + 5 + 4);
}

TEST(BenchReportTest, DefaultWarmupIsTenPercentAtMostHundred) {
  BenchConfig config;
  EXPECT_EQ(MustAggregate(config, ColdThenWarm()).warmup, 5);
  std::vector<InvocationRecord> many;
  for (int64_t i = 0; i < 3000; ++i) many.push_back(Ok(i, 1, MakeReport(0.5)));
  BenchReport r = MustAggregate(config, std::move(many));
  EXPECT_EQ(r.warmup, 100);
  EXPECT_EQ(r.warm, 2900);
}

TEST(BenchReportTest, CountsErrorsSeparately) {
  BenchConfig config;
  config.warmup = 0;
  std::vector<InvocationRecord> records = ColdThenWarm();
  records.push_back(Failed(50, Outcome::kFunctionError, 200, "function error: Unhandled"));
  records.push_back(Failed(51, Outcome::kThrottled, 429, "TooManyRequestsException: Rate"));
  records.push_back(Failed(52, Outcome::kThrottled, 429, "TooManyRequestsException: Rate"));
  records.push_back(Failed(53, Outcome::kError, 0, "connection reset"));
  BenchReport r = MustAggregate(config, std::move(records));
  EXPECT_EQ(r.total, 54);
  EXPECT_EQ(r.function_errors, 1);
  EXPECT_EQ(r.throttled, 2);
  EXPECT_EQ(r.other_errors, 1);
  EXPECT_EQ(r.errors(), 4);
  EXPECT_EQ(r.first_error, "function error: Unhandled");
  EXPECT_EQ(r.warm, 48);
  nlohmann::json j = ToJson(r);
  EXPECT_EQ(j["errors"]["throttled"], 2);
  EXPECT_EQ(j["errors"]["total"], 4);
  EXPECT_EQ(j["errors"]["first"], "function error: Unhandled");
  std::string text = FormatText(r);
  EXPECT_NE(text.find("4 errors (1 function, 2 throttled, 1 other)"), std::string::npos) << text;
}

TEST(BenchReportTest, WithoutTailEverythingIsUnclassified) {
  BenchConfig config;
  config.tail = false;
  config.warmup = 10;
  std::vector<InvocationRecord> records;
  for (int64_t i = 0; i < 30; ++i) records.push_back(Ok(i, 2, std::nullopt));
  BenchReport r = MustAggregate(config, std::move(records));
  EXPECT_EQ(r.unclassified, 20);
  EXPECT_EQ(r.discarded, 10);
  EXPECT_EQ(r.warm, 0);
  EXPECT_EQ(r.cold, 0);
  EXPECT_EQ(r.unclassified_stats.client.count, 20);
  EXPECT_EQ(r.unclassified_stats.report_duration.count, 0);
  std::string text = FormatText(r);
  EXPECT_NE(text.find("client, unclassified"), std::string::npos) << text;
  EXPECT_NE(text.find("log tail off"), std::string::npos) << text;
}

TEST(BenchReportTest, OpenLoopLatencyCountsFromTheSchedule) {
  BenchConfig config;
  config.open_loop = true;
  config.rate_per_second = 100;
  config.seed = 3;
  config.warmup = 0;
  InvocationRecord late = Ok(0, 0, MakeReport(0.5));
  late.scheduled_ns = 0;
  late.sent_ns = 4 * kMs;  // every client was busy for 4 ms
  late.done_ns = 5 * kMs;
  BenchReport r = MustAggregate(config, {late});
  EXPECT_DOUBLE_EQ(r.warm_stats.client.max, 5.0);
  EXPECT_DOUBLE_EQ(r.send_lag.max, 4.0);
  nlohmann::json j = ToJson(r);
  EXPECT_EQ(j["mode"], "open");
  EXPECT_EQ(j["rate_per_s"], 100.0);
  EXPECT_EQ(j["seed"], 3);
  EXPECT_EQ(j["send_lag"]["count"], 1);
}

TEST(BenchReportTest, JsonShape) {
  BenchConfig config;
  config.function = "echo";
  config.concurrency = 2;
  config.requested_count = 50;
  config.payload_bytes = 2;
  BenchReport r = MustAggregate(config, ColdThenWarm());
  nlohmann::json j = ToJson(r);
  EXPECT_EQ(j["function"], "echo");
  EXPECT_EQ(j["mode"], "closed");
  EXPECT_TRUE(j["rate_per_s"].is_null());
  EXPECT_TRUE(j["send_lag"].is_null());
  EXPECT_EQ(j["requested"]["count"], 50);
  EXPECT_TRUE(j["requested"]["duration_s"].is_null());
  EXPECT_EQ(j["invocations"]["total"], 50);
  EXPECT_EQ(j["invocations"]["warm"], 43);
  EXPECT_EQ(j["invocations"]["cold"], 2);
  EXPECT_EQ(j["invocations"]["warmup_discarded"], 5);
  EXPECT_EQ(j["warmup"], 5);
  EXPECT_EQ(j["client_latency"]["warm"]["count"], 43);
  EXPECT_EQ(j["client_latency"]["cold"]["count"], 2);
  EXPECT_EQ(j["client_latency"]["unclassified"]["count"], 0);
  EXPECT_EQ(j["report_duration"]["warm"]["count"], 43);
  EXPECT_EQ(j["init_duration"]["count"], 2);
  EXPECT_EQ(j["billing"]["memory_size_mb"], 128);
  EXPECT_TRUE(j["client_latency"]["warm"]["histogram"]["buckets"].is_array());
  EXPECT_TRUE(j["client_latency"]["warm"]["cdf"].is_array());
  EXPECT_EQ(j["errors"]["total"], 0);
  EXPECT_TRUE(j["errors"]["first"].is_null());
}

TEST(BenchReportTest, TextHasTableShapeAndHistogram) {
  BenchConfig config;
  config.function = "echo";
  config.qualifier = "live";
  BenchReport r = MustAggregate(config, ColdThenWarm());
  std::string text = FormatText(r);
  EXPECT_EQ(text.rfind("thaw bench echo:live: closed loop, 1 client, log tail on\n", 0), 0u)
      << text;
  EXPECT_NE(text.find("50 invocations in 1.00 s: 50.0 invocations/s"), std::string::npos);
  EXPECT_NE(text.find("43 warm, 2 cold, 5 warm-up (left out), 0 errors"), std::string::npos);
  EXPECT_NE(text.find("latency (ms)"), std::string::npos);
  EXPECT_NE(text.find("p99.9"), std::string::npos);
  EXPECT_NE(text.find("client, warm"), std::string::npos);
  EXPECT_NE(text.find("  95% CI"), std::string::npos);
  EXPECT_NE(text.find("REPORT Duration, cold"), std::string::npos);
  EXPECT_NE(text.find("Init Duration"), std::string::npos);
  EXPECT_NE(text.find("shape of client, warm: skewness"), std::string::npos);
  EXPECT_NE(text.find("histogram of client, warm (ms, log buckets):"), std::string::npos);
  EXPECT_NE(text.find("|#"), std::string::npos);
  EXPECT_NE(text.find("billed 57 ms in total"), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find(" \n"), std::string::npos) << "trailing space:\n" << text;
}

TEST(BenchReportTest, StreamedRunsSummarizeTimeToFirstByte) {
  BenchConfig config;
  config.function = "streamer";
  config.warmup = 0;
  config.stream = true;
  std::vector<InvocationRecord> records;
  for (int64_t i = 0; i < 20; ++i) {
    InvocationRecord r = Ok(i, 50, MakeReport(40));
    r.first_byte_ns = r.scheduled_ns + (i + 1) * kMs;  // 1..20 ms, well before the 50 ms end
    records.push_back(r);
  }
  BenchReport r = MustAggregate(config, records);
  EXPECT_EQ(r.warm_stats.first_byte.count, 20);
  EXPECT_DOUBLE_EQ(r.warm_stats.first_byte.min, 1.0);
  EXPECT_DOUBLE_EQ(r.warm_stats.first_byte.max, 20.0);
  EXPECT_DOUBLE_EQ(r.warm_stats.client.min, 50.0);
  nlohmann::json json = ToJson(r);
  EXPECT_EQ(json["time_to_first_byte"]["warm"]["count"], 20);
  std::string text = FormatText(r);
  EXPECT_NE(text.find("first byte, warm"), std::string::npos) << text;
  EXPECT_NE(text.find("client, warm"), std::string::npos) << text;

  config.stream = false;
  for (auto& record : records) record.first_byte_ns = 0;
  BenchReport plain = MustAggregate(config, records);
  EXPECT_TRUE(ToJson(plain)["time_to_first_byte"].is_null());
  EXPECT_EQ(FormatText(plain).find("first byte"), std::string::npos);
}

}  // namespace
}  // namespace thaw::profile
