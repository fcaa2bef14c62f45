#include "profile/html_report.h"

#include <gtest/gtest.h>

#include "profile/bench_report.h"
#include "profile/latency_experiment.h"
#include "profile/tune.h"

namespace thaw::profile {
namespace {

using json = nlohmann::json;

constexpr int64_t kMs = 1'000'000;

InvocationRecord Ok(int64_t index, double latency_ms, std::optional<double> init_ms) {
  InvocationRecord r;
  r.index = index;
  r.scheduled_ns = index * 100 * kMs;
  r.sent_ns = r.scheduled_ns;
  r.done_ns = r.scheduled_ns + static_cast<int64_t>(latency_ms * kMs);
  r.http_status = 200;
  Report report;
  report.request_id = "id";
  report.duration_ms = latency_ms / 2;
  report.billed_duration_ms = static_cast<int64_t>(latency_ms) + 1;
  report.memory_size_mb = 128;
  report.max_memory_used_mb = 20;
  report.init_duration_ms = init_ms;
  r.report = report;
  return r;
}

// What `thaw bench --json` writes for 2 cold (about 100 ms) and 40 warm (1 to 4 ms) invocations.
json BenchJson(const std::string& function) {
  std::vector<InvocationRecord> records = {Ok(0, 100, 60.0), Ok(1, 120, 70.0)};
  for (int64_t i = 2; i < 42; ++i) records.push_back(Ok(i, 1.0 + static_cast<double>(i % 4), {}));
  BenchConfig config;
  config.function = function;
  config.warmup = 0;
  StatusOr<BenchReport> report = Aggregate(config, std::move(records), 5'000 * kMs);
  EXPECT_TRUE(report.ok());
  return report.ok() ? ToJson(*report) : json();
}

json TuneJson() {
  TuneConfig config;
  config.function = "echo";
  config.count = 3;
  std::vector<SizeRun> runs;
  for (int64_t memory : {128, 512, 1769}) {
    SizeRun run;
    run.memory_mb = memory;
    run.warmup.push_back(Ok(0, 50, 30.0));
    for (int64_t i = 1; i <= 3; ++i)
      run.measured.push_back(Ok(i, 2000.0 / static_cast<double>(memory), {}));
    runs.push_back(std::move(run));
  }
  StatusOr<TuneReport> report = BuildTuneReport(config, std::move(runs));
  EXPECT_TRUE(report.ok());
  return report.ok() ? ToJson(*report) : json();
}

// The shape `thaw compare --json` writes (profile/compare.h), by hand: the report does not link
// compare's code, only reads its JSON. spawn's CPU figure is missing.
json CompareJson() {
  auto mechanism = [](const char* name, double init, double p50, json cpu) {
    return json{{"mechanism", name},
                {"cold", {{"count", 2}, {"init_ms", init}, {"client_ms", init + 20}}},
                {"warm",
                 {{"count", 20},
                  {"client_p50_ms", p50},
                  {"client_p99_ms", p50 * 4},
                  {"duration_p50_ms", p50 / 2},
                  {"duration_p99_ms", p50}}},
                {"throughput", {{"count", 20}, {"cold", 0}, {"per_s", 1000 / p50}}},
                {"memory", {{"max_kib", 2356}, {"overhead_kib", 0}}},
                {"cpu", {{"samples", 20}, {"ms_per_invocation", cpu}}},
                {"ratios", {{"warm_p50", 1.0}}},
                {"errors", {{"count", 0}, {"first", ""}}}};
  };
  return {{"config", {{"count", 20}, {"cold", 2}, {"concurrency", 2}, {"memory_mb", 1769}}},
          {"baseline", "runtime-api"},
          {"interrupted", false},
          {"mechanisms",
           {mechanism("runtime-api", 33, 0.25, 0.28), mechanism("spawn", 42, 2.0, nullptr)}}};
}

json StressJson() {
  return {{"passed", 1},
          {"failed", 1},
          {"results",
           {{{"behaviour", "panic"},
             {"expected", "Unhandled"},
             {"observed", "Unhandled"},
             {"recovered", true},
             {"verdict", "pass"},
             {"seconds", 1.0},
             {"details", json::array()}},
            {{"behaviour", "<script>alert(1)</script>"},
             {"expected", "a & b"},
             {"observed", "see https://example.invalid/x"},
             {"recovered", false},
             {"verdict", "FAIL"},
             {"seconds", 2.5},
             {"details", {"one", "two"}}}}}};
}

const json& SectionById(const json& report, const std::string& id) {
  for (const json& s : report["sections"]) {
    if (s["id"] == id) return s;
  }
  static const json kNone;
  ADD_FAILURE() << "no section " << id;
  return kNone;
}

const json& ChartById(const json& section, const std::string& id) {
  for (const json& c : section["charts"]) {
    if (c["id"] == id) return c;
  }
  static const json kNone;
  ADD_FAILURE() << "no chart " << id;
  return kNone;
}

// Every chart's counts agree with its points: what the page plots is what report.json says.
void ExpectCountsMatch(const json& report) {
  for (const json& section : report["sections"]) {
    for (const json& chart : section["charts"]) {
      size_t total = 0;
      for (const json& series : chart["series"]) {
        EXPECT_EQ(series["count"], series["points"].size()) << chart["id"];
        EXPECT_GT(series["points"].size(), 0u) << chart["id"];
        total += series["points"].size();
      }
      EXPECT_EQ(chart["points"], total) << chart["id"];
    }
  }
}

TEST(HtmlReportTest, NeedsAnInput) {
  StatusOr<json> report = BuildReport({});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kInvalidArgument);
}

TEST(HtmlReportTest, RefusesTheWrongKindOfJson) {
  ReportInputs inputs;
  inputs.bench.push_back({"tune.json", TuneJson()});
  StatusOr<json> report = BuildReport(inputs);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("tune.json"), std::string::npos);
  EXPECT_NE(report.status().message().find("thaw bench"), std::string::npos);

  inputs = {};
  inputs.stress = ReportInput{"s.json", json::array()};
  EXPECT_FALSE(BuildReport(inputs).ok());
}

TEST(HtmlReportTest, BenchChartsPlotEveryGroupAndPoint) {
  ReportInputs inputs;
  inputs.bench.push_back({"a.json", BenchJson("echo")});
  inputs.bench.push_back({"b.json", BenchJson("noop")});
  StatusOr<json> built = BuildReport(inputs);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  const json& report = *built;
  ExpectCountsMatch(report);
  EXPECT_EQ(report["sources"]["bench"], json({"a.json", "b.json"}));

  const json& echo = SectionById(report, "bench-0");
  EXPECT_EQ(echo["status"], "ok");
  EXPECT_EQ(echo["title"], "Function echo");
  EXPECT_EQ(SectionById(report, "bench-1")["title"], "Function noop");
  ASSERT_EQ(echo["charts"].size(), 3u);

  // warm, cold and the cold starts' Init Duration at min, p50, p90, p99 and max.
  const json& cold_warm = ChartById(echo, "bench-0-cold-warm");
  ASSERT_EQ(cold_warm["series"].size(), 3u);
  EXPECT_EQ(cold_warm["series"][0]["name"], "warm client (n=40)");
  EXPECT_EQ(cold_warm["series"][1]["name"], "cold client (n=2)");
  EXPECT_EQ(cold_warm["points"], 15);
  EXPECT_EQ(cold_warm["y"]["scale"], "logarithmic");  // 1 ms against 100 ms

  // Warm and cold share one bucket grid, and every sample is in it.
  const json& histogram = ChartById(echo, "bench-0-histogram");
  ASSERT_EQ(histogram["series"].size(), 2u);
  size_t buckets = histogram["categories"].size();
  double samples = 0;
  for (const json& series : histogram["series"]) {
    EXPECT_EQ(series["count"], buckets);
    for (const json& p : series["points"]) samples += p[1].get<double>();
  }
  EXPECT_EQ(samples, 42);

  const json& cdf = ChartById(echo, "bench-0-cdf");
  EXPECT_EQ(cdf["kind"], "line");
  EXPECT_TRUE(cdf["stepped"].get<bool>());
  ASSERT_EQ(cdf["series"].size(), 2u);
  EXPECT_EQ(cdf["series"][1]["count"], 2);  // cold: two distinct samples
  EXPECT_EQ(cdf["series"][0]["points"].back()[1], 1.0);

  const json& table = echo["tables"][0];
  EXPECT_EQ(table["rows"][0][0], "client warm");
  EXPECT_EQ(table["rows"][0][1], "40");
}

// A `thaw latency --json` value from synthetic exchanges: B 0.5 ms behind A, the host 2 ms behind.
json LatencyJsonForTest() {
  constexpr int64_t kStart = 1'764'280'000'000'000'000;
  LatencyConfig config;
  config.calls = 200;
  config.epoch_ns = kStart;
  config.b = {-500'000, 0, kStart};
  config.host = {-2'000'000, 10, kStart};
  std::vector<LatencyRun> runs;
  for (const char* via : {"invoke", "http"}) {
    LatencyRun run;
    run.via = via;
    run.callee_skew = std::string(via) == "invoke" ? config.b : config.host;
    for (int64_t i = 0; i < 200; ++i) {
      int64_t t = kStart + i * 1'000'000;
      int64_t out = 100'000 + (i % 7) * 30'000;
      int64_t back = 120'000 + (i % 5) * 20'000;
      LatencyAnswer a;
      int64_t skew = run.callee_skew.ErrorNs(t);
      a.exchange = {t, t + out + skew, t + out + 10'000 + skew, t + out + 10'000 + back};
      for (uint32_t k = 0; k < 4; ++k) a.hlc[k] = {t, k};
      run.answers.push_back(a);
    }
    runs.push_back(std::move(run));
  }
  return LatencyJson(config, runs);
}

TEST(HtmlReportTest, AbsentInputsAreNotRun) {
  ReportInputs inputs;
  inputs.tune = ReportInput{"t.json", TuneJson()};
  StatusOr<json> report = BuildReport(inputs);
  ASSERT_TRUE(report.ok());
  for (const char* id : {"bench", "compare", "latency", "stream", "stress"}) {
    EXPECT_EQ(SectionById(*report, id)["status"], "not run") << id;
    EXPECT_TRUE(SectionById(*report, id)["charts"].empty()) << id;
  }
  EXPECT_EQ(SectionById(*report, "tune")["status"], "ok");
  EXPECT_TRUE((*report)["sources"]["latency"].is_null());
}

TEST(HtmlReportTest, TuneCompareLatencyAndStress) {
  ReportInputs inputs;
  inputs.tune = ReportInput{"t.json", TuneJson()};
  inputs.compare = ReportInput{"c.json", CompareJson()};
  inputs.stress = ReportInput{"s.json", StressJson()};
  inputs.latency = ReportInput{"l.json", LatencyJsonForTest()};
  StatusOr<json> built = BuildReport(inputs);
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  ExpectCountsMatch(*built);

  // Duration, p99, cold Init Duration and cost at each of three sizes.
  const json& curve = ChartById(SectionById(*built, "tune"), "tune-curve");
  EXPECT_EQ(curve["points"], 12);
  EXPECT_EQ(curve["series"][3]["axis"], "y2");
  EXPECT_EQ(curve["series"][0]["points"][0][0], 128);

  const json& compare = SectionById(*built, "compare");
  const json& latency = ChartById(compare, "compare-latency");
  EXPECT_EQ(latency["categories"], json({"runtime-api", "spawn"}));
  EXPECT_EQ(latency["points"], 8);
  EXPECT_EQ(ChartById(compare, "compare-throughput")["points"], 2);
  EXPECT_EQ(compare["tables"][0]["rows"][1][12], "\u2014");  // spawn's CPU was not measured

  const json& latency_section = SectionById(*built, "latency");
  EXPECT_NE(latency_section["note"].get<std::string>().find("SIMULATION"), std::string::npos);
  const json& negative = ChartById(latency_section, "latency-negative");
  EXPECT_EQ(negative["categories"].size(), 2u);
  EXPECT_EQ(negative["points"], 6);  // seed, raw, corrected per way
  EXPECT_DOUBLE_EQ(negative["series"][0]["points"][1][1].get<double>(), 100.0 * 4656 / 10038);
  EXPECT_EQ(ChartById(latency_section, "latency-offsets")["points"], 8);
  const json& distribution = ChartById(latency_section, "latency-http-distribution");
  ASSERT_EQ(distribution["series"].size(), 2u);
  EXPECT_EQ(distribution["series"][0]["count"], 60);  // every bucket of the shared grid
  EXPECT_EQ(distribution["x"]["scale"], "linear");
  EXPECT_GT(ChartById(latency_section, "latency-invoke-cdf")["points"], 2);
  EXPECT_EQ(ChartById(latency_section, "latency-http-drift")["series"].size(), 4u);
  const json& offsets = latency_section["tables"][0];
  EXPECT_EQ(offsets["rows"].size(), 2u);
  EXPECT_EQ(offsets["rows"][1][8], "yes");

  const json& stress = SectionById(*built, "stress")["tables"][0];
  EXPECT_EQ(stress["verdict_column"], 4);
  EXPECT_EQ(stress["rows"][1][6], "one; two");
  EXPECT_TRUE(
      SectionById(*built, "stress")["note"].get<std::string>().starts_with("thaw stress (s.json)"));

  // A run through a queue says which.
  json via = StressJson();
  via["via"] = "sqs";
  inputs.stress = ReportInput{"s.json", via};
  StatusOr<json> built_via = BuildReport(inputs);
  ASSERT_TRUE(built_via.ok()) << built_via.status().message();
  EXPECT_TRUE(SectionById(*built_via, "stress")["note"].get<std::string>().starts_with(
      "thaw stress --via sqs (s.json)"));
}

// An invocation record as GET /thaw/invocations shows it; `shard` empty for an SQS mapping's.
json StreamRecord(const std::string& shard, int64_t invoked_ms, int64_t size, int64_t attempt,
                  bool bisected, int64_t age_ms, int64_t put_ms, const char* status = "success") {
  json src = {{"mappingUuid", "m-1"},
              {"eventSourceArn", "arn:aws:kinesis:us-east-1:000000000000:stream/orders"},
              {"batchSize", size},
              {"attempt", attempt},
              {"bisected", bisected},
              {"invokedTime", invoked_ms},
              {"iteratorAgeMs", age_ms},
              {"putToHandlerMs", put_ms}};
  if (!shard.empty()) {
    src["shardId"] = shard;
  } else {
    src["eventSourceArn"] = "arn:aws:sqs:us-east-1:000000000000:jobs";
  }
  return {{"requestId", "r"}, {"status", status}, {"eventSource", src}};
}

TEST(HtmlReportTest, StreamSectionFromInvocationRecords) {
  // Newest first, as the records API lists them; one SQS invocation and one plain one left out.
  json list = json::array({
      StreamRecord("shardId-000000000001", 3000, 5, 2, false, 900, 950, "success"),
      StreamRecord("shardId-000000000001", 2000, 5, 1, false, 400, 420, "error"),
      StreamRecord("shardId-000000000000", 1500, 2, 1, true, 30, 35),
      StreamRecord("shardId-000000000000", 1000, 4, 1, false, 10, 12, "error"),
      StreamRecord("", 1200, 10, 1, false, 0, 0),
      json{{"requestId", "plain"}, {"status", "success"}},
  });
  ReportInputs inputs;
  inputs.stream = ReportInput{"records.json", {{"invocations", list}}};
  StatusOr<json> report = BuildReport(inputs);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ExpectCountsMatch(*report);
  EXPECT_EQ((*report)["sources"]["stream"], "records.json");
  const json& stream = SectionById(*report, "stream");
  EXPECT_EQ(stream["status"], "ok");
  EXPECT_NE(stream["note"].get<std::string>().find("4 batches of 9 records from stream/orders"),
            std::string::npos)
      << stream["note"];

  const json& age = ChartById(stream, "stream-iterator-age");
  ASSERT_EQ(age["series"].size(), 2u);
  EXPECT_EQ(age["series"][0]["name"], "shardId-000000000000");
  EXPECT_EQ(age["series"][0]["points"], json::parse("[[0,10],[0.5,30]]"));
  EXPECT_EQ(age["series"][1]["points"], json::parse("[[1,400],[2,900]]"));
  EXPECT_EQ(age["y"]["scale"], "logarithmic");  // 10 .. 900 ms

  const json& sizes = ChartById(stream, "stream-batch-size");
  EXPECT_EQ(sizes["categories"], json({"2", "4", "5"}));
  EXPECT_EQ(sizes["series"][0]["points"], json::parse(R"([["2",1],["4",1],["5",2]])"));

  const json& attempts = ChartById(stream, "stream-attempts");
  EXPECT_EQ(attempts["categories"], json({"1", "2"}));
  EXPECT_EQ(attempts["series"][0]["points"], json::parse(R"([["1",2],["2",1]])"));  // whole
  EXPECT_EQ(attempts["series"][1]["points"], json::parse(R"([["1",1],["2",0]])"));  // halves

  const json& put = ChartById(stream, "stream-put-to-handler");
  EXPECT_EQ(put["series"][0]["points"], json::parse("[[12,0.25],[35,0.5],[420,0.75],[950,1.0]]"));
  EXPECT_TRUE(put["stepped"].get<bool>());

  const json& table = stream["tables"][0];
  ASSERT_EQ(table["rows"].size(), 2u);
  // shard, invocations, records, retries, halves, failed, age p50, age max, put p50, p99, max
  EXPECT_EQ(table["rows"][0], json({"shardId-000000000000", "2", "4", "0", "1", "1", "10.0", "30.0",
                                    "12.0", "35.0", "35.0"}));
  EXPECT_EQ(table["rows"][1], json({"shardId-000000000001", "2", "5", "1", "0", "1", "400", "900",
                                    "420", "950", "950"}));
}

TEST(HtmlReportTest, StreamInputWithoutStreamInvocationsIsNotRun) {
  ReportInputs inputs;
  inputs.stream = ReportInput{"plain.json", json::array({json{{"requestId", "r"}}})};
  StatusOr<json> report = BuildReport(inputs);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(SectionById(*report, "stream")["status"], "not run");
  inputs.stream = ReportInput{"tune.json", TuneJson()};
  report = BuildReport(inputs);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("thaw invocations"), std::string::npos);
}

TEST(HtmlReportTest, PageInlinesEverythingAndEscapesInputs) {
  ReportInputs inputs;
  inputs.bench.push_back({"a.json", BenchJson("echo")});
  inputs.stress = ReportInput{"s.json", StressJson()};
  inputs.generated_at = "2026-01-02 03:04:05 UTC";
  StatusOr<json> report = BuildReport(inputs);
  ASSERT_TRUE(report.ok());
  ReportAssets assets{.chart_js = "window.Chart = function () {}; // '</script>' inside",
                      .report_js = "/* report.js */",
                      .report_css = "body { color: black; }"};
  std::string html = RenderHtml(*report, assets);

  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("Generated 2026-01-02 03:04:05 UTC."), std::string::npos);
  for (const json& section : (*report)["sections"]) {
    EXPECT_NE(html.find("<section id=\"" + section["id"].get<std::string>() + "\""),
              std::string::npos);
    for (const json& chart : section["charts"]) {
      EXPECT_NE(html.find("<canvas id=\"" + chart["id"].get<std::string>() + "\""),
                std::string::npos);
    }
  }
  EXPECT_NE(html.find("body { color: black; }"), std::string::npos);
  EXPECT_NE(html.find("/* report.js */"), std::string::npos);
  // The asset's end tag is defused; the page's three scripts are the only ones closed.
  EXPECT_NE(html.find("'<\\/script>' inside"), std::string::npos);
  size_t closes = 0;
  for (size_t at = html.find("</script>"); at != std::string::npos;
       at = html.find("</script>", at + 1)) {
    ++closes;
  }
  EXPECT_EQ(closes, 3u);

  // Input text is escaped in the tables and in the data.
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_NE(html.find("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"), std::string::npos);
  EXPECT_NE(html.find("<td>a &amp; b</td>"), std::string::npos);
  EXPECT_NE(html.find("\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"fail\">FAIL</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"pass\">pass</td>"), std::string::npos);

  // No URL but the one the stress input carried as plain text (in a cell and in the data).
  size_t urls = 0;
  for (const char* scheme : {"http://", "https://"}) {
    for (size_t at = html.find(scheme); at != std::string::npos; at = html.find(scheme, at + 1)) {
      EXPECT_EQ(html.compare(at, 25, "https://example.invalid/x"), 0) << html.substr(at, 40);
      ++urls;
    }
  }
  EXPECT_EQ(urls, 2u);
  // No element that loads anything: no src or href but the empty icon and in-page anchors.
  EXPECT_EQ(html.find(" src="), std::string::npos);
  for (size_t at = html.find("href=\""); at != std::string::npos;
       at = html.find("href=\"", at + 1)) {
    EXPECT_TRUE(html.compare(at, 12, "href=\"data:,") == 0 || html.compare(at, 7, "href=\"#") == 0)
        << html.substr(at, 30);
  }
}

}  // namespace
}  // namespace thaw::profile
