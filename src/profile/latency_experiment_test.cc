#include "profile/latency_experiment.h"

#include <string>

#include <gtest/gtest.h>

namespace thaw::profile {
namespace {

using json = nlohmann::json;

constexpr int64_t kStart = 1'764'280'000'000'000'000;

json Answer(int64_t t1, int64_t t2, int64_t t3, int64_t t4) {
  return {{"via", "invoke"},
          {"t1", t1},
          {"t2", t2},
          {"t3", t3},
          {"t4", t4},
          {"hlc",
           {{"t1", std::to_string(t1) + ".0"},
            {"t2", std::to_string(std::max(t1, t2)) + ".1"},
            {"t3", std::to_string(std::max(t1, t3)) + ".2"},
            {"t4", std::to_string(std::max(t1, t4)) + ".3"}}},
          {"answer_hlc", "body"},
          {"callee_received_hlc", true}};
}

TEST(LatencyExperimentTest, ParsesAnswers) {
  auto a = ParseLatencyAnswer(Answer(10, 20, 30, 40));
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->exchange.t3, 30);
  EXPECT_EQ(a->hlc[2].l, 30);
  EXPECT_EQ(a->hlc[2].c, 2u);
  EXPECT_FALSE(a->answer_hlc_from_header);
  EXPECT_TRUE(a->callee_received_hlc);

  json missing = Answer(10, 20, 30, 40);
  missing.erase("t2");
  EXPECT_FALSE(ParseLatencyAnswer(missing).ok());
  json bad_hlc = Answer(10, 20, 30, 40);
  bad_hlc["hlc"]["t4"] = "soon";
  EXPECT_FALSE(ParseLatencyAnswer(bad_hlc).ok());
  EXPECT_FALSE(ParseLatencyAnswer(json::array()).ok());
}

TEST(LatencyExperimentTest, JsonAndText) {
  LatencyConfig config;
  config.calls = 40;
  config.a = {0, 0, kStart};
  config.host = {-2'000'000, 0, kStart};
  LatencyRun run;
  run.via = "http";
  run.callee = "http://10.213.0.2:8080/";
  run.caller_skew = config.a;
  run.callee_skew = config.host;
  // The host is 2 ms behind; 0.2 ms each way, 0.05 ms inside; one slower exchange.
  for (int64_t i = 0; i < 40; ++i) {
    int64_t t = kStart + i * 1'000'000;
    int64_t out = i == 3 ? 900'000 : 200'000;
    auto a = ParseLatencyAnswer(
        Answer(t, t + out - 2'000'000, t + out + 50'000 - 2'000'000, t + out + 250'000));
    ASSERT_TRUE(a.ok());
    run.answers.push_back(*a);
  }
  json report = LatencyJson(config, {run});
  EXPECT_EQ(report["experiment"], "latency");
  EXPECT_EQ(report["simulation"], true);
  const json& r = report["runs"][0];
  EXPECT_DOUBLE_EQ(r["seed"]["negative_fraction"].get<double>(), 4656.0 / 10038);
  EXPECT_DOUBLE_EQ(r["injected"]["offset_ms_at_epoch"].get<double>(), -2.0);
  EXPECT_DOUBLE_EQ(r["injected"]["offset_ms_at_estimate"].get<double>(), -2.0);
  EXPECT_EQ(r["within_bound"], true);
  EXPECT_DOUBLE_EQ(r["analysis"]["raw"]["negative_fraction"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(r["analysis"]["corrected"]["negative_fraction"].get<double>(), 0.0);
  EXPECT_EQ(r["hlc"]["violations"], 0);
  EXPECT_EQ(r["exchanges"].size(), 40u);

  std::string text = FormatLatencyText(report);
  EXPECT_NE(text.find("SIMULATION"), std::string::npos) << text;
  EXPECT_NE(text.find("46.38%"), std::string::npos) << text;
  EXPECT_NE(text.find("A -> host (http)"), std::string::npos) << text;
  EXPECT_NE(text.find("within bound"), std::string::npos) << text;

  // An estimate that misses the injected offset is reported as such.
  run.callee_skew.offset_ns = -3'000'000;
  EXPECT_EQ(LatencyJson(config, {run})["runs"][0]["within_bound"], false);
  // No answers: no analysis.
  run.answers.clear();
  EXPECT_TRUE(LatencyJson(config, {run})["runs"][0]["analysis"].is_null());
}

}  // namespace
}  // namespace thaw::profile
