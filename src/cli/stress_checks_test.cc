#include "cli/stress_checks.h"

#include <gtest/gtest.h>

#include "base/codec.h"

namespace thaw::cli {
namespace {

using nlohmann::json;

constexpr char kId[] = "c7a93158-8637-468c-a224-a93f6754a951";

std::string Report(const std::string& suffix) {
  return std::string("REPORT RequestId: ") + kId +
         "\tDuration: 2000.00 ms\tBilled Duration: 2004 ms\tMemory Size: 128 MB\tMax Memory Used: "
         "7 MB\tInit Duration: 3.26 ms" +
         suffix + "\t\n";
}

Observation Answer(const json& body, const std::string& function_error, const std::string& log) {
  http::Response r;
  r.status = 200;
  r.body = body.dump();
  r.headers.Set("x-amzn-RequestId", kId);
  if (!function_error.empty()) r.headers.Set("X-Amz-Function-Error", function_error);
  r.headers.Set("X-Amz-Log-Result", Base64Encode("START RequestId: x\n" + log));
  return Observe(r);
}

Observation Unhandled(const std::string& type, const std::string& message,
                      const std::string& report_suffix) {
  return Answer({{"errorType", type}, {"errorMessage", message}}, "Unhandled",
                Report(report_suffix));
}

TEST(StressChecksTest, ParsesReportLine) {
  ReportLine r =
      ParseReportLine("END\n" + Report("\tStatus: error\tError Type: Runtime.ExitError"), kId);
  EXPECT_TRUE(r.found);
  EXPECT_EQ(r.status, "error");
  EXPECT_EQ(r.error_type, "Runtime.ExitError");
  EXPECT_EQ(r.memory_size_mb, 128);
  EXPECT_EQ(r.max_memory_used_mb, 7);
  ReportLine ok = ParseReportLine(Report(""), kId);
  EXPECT_TRUE(ok.found);
  EXPECT_EQ(ok.status, "");
  EXPECT_FALSE(ParseReportLine(Report(""), "other-id").found);
}

TEST(StressChecksTest, ObserveReadsHeadersAndTail) {
  Observation o = Unhandled("Sandbox.Timedout", "m", "\tStatus: timeout");
  EXPECT_EQ(o.request_id, kId);
  EXPECT_EQ(o.function_error, "Unhandled");
  EXPECT_EQ(o.ErrorType(), "Sandbox.Timedout");
  EXPECT_EQ(o.report.status, "timeout");
  EXPECT_EQ(Describe(o), "Unhandled Sandbox.Timedout; REPORT timeout");
}

TEST(StressChecksTest, Timeout) {
  std::string message =
      std::string("RequestId: ") + kId + " Error: Task timed out after 2.00 seconds";
  EXPECT_TRUE(CheckTimeout(Unhandled("Sandbox.Timedout", message, "\tStatus: timeout"), 2).pass());
  Verdict wrong_timeout =
      CheckTimeout(Unhandled("Sandbox.Timedout", message, "\tStatus: timeout"), 3);
  ASSERT_EQ(wrong_timeout.mismatches.size(), 1u);
  EXPECT_NE(wrong_timeout.mismatches[0].find("errorMessage"), std::string::npos);
  EXPECT_EQ(CheckTimeout(Answer({{"ok", true}}, "", Report("")), 2).mismatches.size(), 4u);
}

TEST(StressChecksTest, OutOfMemoryNeedsMaxMemoryAtTheLimit) {
  std::string oom = "\tStatus: error\tError Type: Runtime.OutOfMemory";
  std::string killed =
      std::string("RequestId: ") + kId + " Error: Runtime exited with error: signal: killed";
  Observation at_limit =
      Answer({{"errorType", "Runtime.OutOfMemory"}, {"errorMessage", killed}}, "Unhandled",
             std::string("REPORT RequestId: ") + kId +
                 "\tDuration: 1.00 ms\tBilled Duration: 2 ms\tMemory Size: "
                 "128 MB\tMax Memory Used: 128 MB" +
                 oom + "\t");
  EXPECT_TRUE(CheckOutOfMemory(at_limit).pass());
  Verdict below = CheckOutOfMemory(Unhandled("Runtime.OutOfMemory", killed, oom));
  ASSERT_EQ(below.mismatches.size(), 1u);
  EXPECT_NE(below.mismatches[0].find("got 7, want 128"), std::string::npos);
}

TEST(StressChecksTest, GoPanicNeedsTheHandlerFrame) {
  json frames = json::array({{{"path", "runtime/panic.go"}, {"line", 860}, {"label", "gopanic"}},
                             {{"path", "panic/main.go"}, {"line", 13}, {"label", "handler"}}});
  Observation go =
      Answer({{"errorType", "string"}, {"errorMessage", "boom"}, {"stackTrace", frames}},
             "Unhandled", Report("\tStatus: error\tError Type: Runtime.ExitError"));
  Verdict v = CheckGoPanic(go, "string", "boom");
  EXPECT_TRUE(v.pass());
  EXPECT_EQ(v.observed, "Unhandled string \"boom\" + 2 frames; REPORT error Runtime.ExitError");
  EXPECT_FALSE(CheckGoPanic(go, "errorString", "boom").pass());
  Observation strings = Answer(
      {{"errorType", "string"}, {"errorMessage", "boom"}, {"stackTrace", {"File x, line 1"}}},
      "Unhandled", Report(""));
  EXPECT_FALSE(CheckGoPanic(strings, "string", "boom").pass());
}

TEST(StressChecksTest, ExitError) {
  std::string message =
      std::string("RequestId: ") + kId + " Error: Runtime exited with error: exit status 1";
  std::string report = "\tStatus: error\tError Type: Runtime.ExitError";
  EXPECT_TRUE(CheckExitError(Unhandled("Runtime.ExitError", message, report), 1).pass());
  EXPECT_FALSE(CheckExitError(Unhandled("Runtime.ExitError", message, report), 3).pass());
}

TEST(StressChecksTest, ForkBomb) {
  EXPECT_TRUE(CheckForkBomb(Answer({{"started", 354},
                                    {"error",
                                     "fork/exec /proc/self/exe: resource temporarily "
                                     "unavailable"}},
                                   "", Report("")))
                  .pass());
  EXPECT_TRUE(CheckForkBomb(Unhandled("Sandbox.Timedout", "t", "\tStatus: timeout")).pass());
  Verdict capped = CheckForkBomb(Answer({{"started", 2000}, {"error", ""}}, "", Report("")));
  EXPECT_FALSE(capped.pass());
  EXPECT_EQ(capped.observed, "started 2000, error ''");
}

TEST(StressChecksTest, TmpFill) {
  std::string enospc = "write /tmp/fill: no space left on device";
  EXPECT_TRUE(
      CheckTmpFill(Answer({{"written", 536870912}, {"error", enospc}}, "", Report(""))).pass());
  EXPECT_EQ(CheckTmpFill(Answer({{"written", int64_t{2} << 30}, {"error", ""}}, "", Report("")))
                .mismatches.size(),
            2u);
}

TEST(StressChecksTest, GoroutinesFrozen) {
  auto second = [](int64_t at_start) {
    return Answer({{"counter_at_start", at_start}, {"previous", 100}, {"counter", at_start}}, "",
                  Report(""));
  };
  EXPECT_TRUE(CheckGoroutinesFrozen(second(103)).pass());
  Verdict ran = CheckGoroutinesFrozen(second(2100));
  EXPECT_FALSE(ran.pass());
  EXPECT_EQ(ran.observed, "counter advanced 2000 while idle");
}

TEST(StressChecksTest, Recovered) {
  EXPECT_TRUE(Recovered(Answer({{"ok", true}}, "", Report(""))));
  EXPECT_FALSE(Recovered(Answer({{"ok", "yes"}}, "", Report(""))));
  EXPECT_FALSE(Recovered(Answer({{"ok", true}}, "Unhandled", Report(""))));
}

}  // namespace
}  // namespace thaw::cli
