#include "cli/stress_checks.h"

#include <functional>

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

TEST(StressChecksTest, ScriptErrorsAsTheRuntimeClientsWriteThem) {
  json py_trace =
      json::array({"  File \"/var/task/app.py\", line 21, in crash\n    raise "
                   "Exception(\"boom\")\n"});
  Observation python =
      Answer({{"errorType", "Exception"}, {"errorMessage", "boom"}, {"stackTrace", py_trace}},
             "Unhandled", Report(""));
  Verdict v = CheckScriptError(python, "python", "crash");
  EXPECT_TRUE(v.pass()) << v.mismatches[0];
  EXPECT_EQ(v.observed, "Unhandled Exception \"boom\" + 1 stackTrace lines");
  EXPECT_FALSE(CheckScriptError(python, "python", "loop").pass());
  EXPECT_FALSE(CheckScriptError(python, "nodejs", "crash").pass());

  json js_trace = json::array({"Error: boom",
                               "    at Runtime.crash [as handler] "
                               "(/var/task/index.js:20:9)"});
  Observation node = Answer({{"errorType", "Error"}, {"errorMessage", "boom"}, {"trace", js_trace}},
                            "Unhandled", Report(""));
  EXPECT_TRUE(CheckScriptError(node, "nodejs", "crash").pass());
  Observation go_shaped =
      Answer({{"errorType", "Error"}, {"errorMessage", "boom"}, {"stackTrace", js_trace}},
             "Unhandled", Report(""));
  EXPECT_FALSE(CheckScriptError(go_shaped, "nodejs", "crash").pass());
  Observation other =
      Answer({{"errorType", "Error"}, {"errorMessage", "bang"}, {"trace", js_trace}}, "Unhandled",
             Report(""));
  EXPECT_FALSE(CheckScriptError(other, "nodejs", "crash").pass());
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

// ---- Through a queue ---------------------------------------------------------------------------

constexpr char kArn[] = "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST";

AsyncFailure TimeoutFailure() {
  AsyncFailure want;
  want.request_id = kId;
  want.function_arn = kArn;
  want.payload = {{"stress", "loop"}};
  want.status = "timeout";
  want.error_type = "Sandbox.Timedout";  // REPORT has no Error Type for a timeout
  want.delay_scale = 0.01;               // retries after 600 ms, then 1200 ms
  return want;
}

AttemptRecord Attempt(int64_t start_ms, const std::string& status = "timeout",
                      const std::string& error_type = "") {
  return {kId, start_ms, 1000, status, error_type};
}

TEST(StressViaTest, ParsesRecordsAndMessages) {
  AttemptRecord r = ParseAttemptRecord({{"requestId", kId},
                                        {"startTime", 1700000000123},
                                        {"durationMs", 1000.5},
                                        {"status", "timeout"},
                                        {"errorType", "Sandbox.Timedout"}});
  EXPECT_EQ(r.start_ms, 1700000000123);
  EXPECT_DOUBLE_EQ(r.duration_ms, 1000.5);
  EXPECT_EQ(r.status, "timeout");
  QueueMessage m = ParseQueueMessage(
      {{"Body", "{}"},
       {"Attributes", {{"ApproximateReceiveCount", "4"}}},
       {"MessageAttributes", {{"ErrorCode", {{"DataType", "Number"}, {"StringValue", "200"}}}}}});
  EXPECT_EQ(m.receive_count, 4);
  EXPECT_EQ(m.attributes["ErrorCode"], std::make_pair(std::string("Number"), std::string("200")));
}

TEST(StressViaTest, AsyncAttemptsNeedLambdasDelays) {
  // Attempt 1 ends at 1000; retry 1 600 ms later; it ends at 2600; retry 2 1200 ms later.
  Verdict v = CheckAsyncAttempts({Attempt(0), Attempt(1600), Attempt(3800)}, TimeoutFailure());
  EXPECT_TRUE(v.pass()) << v.mismatches[0];
  EXPECT_EQ(v.observed, "3 attempts (+0.60 s, +1.20 s)");
  // Run once only (no retry): the attempt count is wrong.
  EXPECT_FALSE(CheckAsyncAttempts({Attempt(0)}, TimeoutFailure()).pass());
  // Retried at once, as a queue without Lambda's delays would.
  Verdict eager = CheckAsyncAttempts({Attempt(0), Attempt(1010), Attempt(2020)}, TimeoutFailure());
  ASSERT_EQ(eager.mismatches.size(), 2u);
  EXPECT_NE(eager.mismatches[0].find("want about 0.60 s"), std::string::npos);
  // Retried a minute later although the server scales delays by 0.01.
  EXPECT_FALSE(
      CheckAsyncAttempts({Attempt(0), Attempt(61000), Attempt(62600)}, TimeoutFailure()).pass());
  // Each attempt must fail the expected way.
  EXPECT_FALSE(
      CheckAsyncAttempts({Attempt(0), Attempt(1600, "error", "Runtime.ExitError"), Attempt(3800)},
                         TimeoutFailure())
          .pass());
}

json FailureRecord() {
  return {{"version", "1.0"},
          {"timestamp", "2019-11-14T18:16:05.568Z"},
          {"requestContext",
           {{"requestId", kId},
            {"functionArn", kArn},
            {"condition", "RetriesExhausted"},
            {"approximateInvokeCount", 3}}},
          {"requestPayload", {{"stress", "loop"}}},
          {"responseContext",
           {{"statusCode", 200}, {"executedVersion", "$LATEST"}, {"functionError", "Unhandled"}}},
          {"responsePayload", {{"errorType", "Sandbox.Timedout"}, {"errorMessage", "m"}}}};
}

TEST(StressViaTest, FailureRecordHasLambdasShape) {
  Verdict v = CheckFailureRecord(FailureRecord().dump(), TimeoutFailure());
  EXPECT_TRUE(v.pass()) << v.mismatches[0];
  EXPECT_EQ(v.observed, "OnFailure RetriesExhausted x3");
  json r = FailureRecord();
  r["timestamp"] = "2019-11-14 18:16:05";
  r["requestContext"]["approximateInvokeCount"] = 1;
  r["requestPayload"] = "{\"stress\":\"loop\"}";  // the payload as a string, not the event
  r["responseContext"].erase("functionError");
  EXPECT_EQ(CheckFailureRecord(r.dump(), TimeoutFailure()).mismatches.size(), 4u);
  EXPECT_FALSE(CheckFailureRecord("not json", TimeoutFailure()).pass());
}

TEST(StressViaTest, DeadLetterCarriesLambdasAttributes) {
  QueueMessage m;
  m.body = R"({"stress":"loop"})";
  m.attributes = {{"RequestID", {"String", kId}},
                  {"ErrorCode", {"Number", "200"}},
                  {"ErrorMessage", {"String", "Task timed out after 1.00 seconds"}}};
  EXPECT_TRUE(CheckDeadLetter(m, TimeoutFailure()).pass());
  QueueMessage bare = m;
  bare.attributes.clear();
  EXPECT_EQ(CheckDeadLetter(bare, TimeoutFailure()).mismatches.size(), 4u);
  QueueMessage wrapped = m;
  wrapped.body = FailureRecord().dump();  // a destination record is not what a DLQ gets
  EXPECT_FALSE(CheckDeadLetter(wrapped, TimeoutFailure()).pass());
}

TEST(StressViaTest, PoisonCyclesOneVisibilityTimeoutApart) {
  QueueMessage dead;
  dead.receive_count = 4;
  PoisonCycle want{3, 2, "error", "Runtime.ExitError"};
  auto run = [](int64_t start) {
    return AttemptRecord{"", start, 5, "error", "Runtime.ExitError"};
  };
  Verdict v = CheckPoisonCycles({run(0), run(2010), run(4030)}, &dead, want);
  EXPECT_TRUE(v.pass()) << v.mismatches[0];
  EXPECT_EQ(v.observed, "3 receives (+2.01 s, +2.02 s), DLQ (ReceiveCount 4)");
  // Never back (deleted after a failure), or back at once (no visibility timeout).
  EXPECT_FALSE(CheckPoisonCycles({run(0)}, &dead, want).pass());
  EXPECT_FALSE(CheckPoisonCycles({run(0), run(20), run(40)}, &dead, want).pass());
  // Cycling forever: no DLQ.
  EXPECT_FALSE(CheckPoisonCycles({run(0), run(2010), run(4030)}, nullptr, want).pass());
}

TEST(StressViaTest, RecursionStopsAtSixteen) {
  QueueMessage dead;
  dead.body = R"({"hop":17})";
  EXPECT_TRUE(CheckRecursionStopped(16, 0, 1, &dead).pass());
  EXPECT_FALSE(CheckRecursionStopped(17, 0, 1, &dead).pass());  // ran past 16
  EXPECT_FALSE(CheckRecursionStopped(16, 2, 2, &dead).pass());  // not counted
  EXPECT_FALSE(CheckRecursionStopped(16, 0, 1, nullptr).pass());
  dead.body = R"({"hop":3})";
  EXPECT_FALSE(CheckRecursionStopped(16, 0, 1, &dead).pass());
}

TEST(StressSnsTest, XmlElementTextDecodesEntities) {
  std::string xml =
      "<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult>"
      "<Error><Code>AuthorizationError</Code><Message>a &lt;b&gt; &amp; &quot;c&apos;</Message>"
      "</Error></PublishResponse>";
  EXPECT_EQ(XmlElementText(xml, "MessageId"), "m-1");
  EXPECT_EQ(XmlElementText(xml, "Code"), "AuthorizationError");
  EXPECT_EQ(XmlElementText(xml, "Message"), "a <b> & \"c'");
  EXPECT_EQ(XmlElementText(xml, "TopicArn"), "");
  EXPECT_EQ(XmlElementText("<A>unclosed", "A"), "");
}

constexpr char kTopic[] = "arn:aws:sns:us-east-1:000000000000:t";
constexpr char kSubscription[] = "arn:aws:sns:us-east-1:000000000000:t:5c1d2ee5";

// An SNS event as Lambda hands it over (event-sources.md 1.1).
json SnsEvent() {
  return {{"Records",
           {{{"EventVersion", "1.0"},
             {"EventSubscriptionArn", kSubscription},
             {"EventSource", "aws:sns"},
             {"Sns",
              {{"Type", "Notification"},
               {"MessageId", "m-1"},
               {"TopicArn", kTopic},
               {"Subject", nullptr},
               {"Message", "{\"stress\":\"panic\"}"},
               {"Timestamp", "2019-01-02T12:45:07.000Z"},
               {"SignatureVersion", "1"},
               {"Signature", Base64Encode(std::string(256, 'x'))},
               {"SigningCertUrl", "http://127.0.0.1:9001/thaw/sns/SimpleNotificationService.pem"},
               {"UnsubscribeUrl", std::string("http://127.0.0.1:9001/?Action=Unsubscribe&"
                                              "SubscriptionArn=") +
                                      kSubscription},
               {"MessageAttributes", {{"stress", {{"Type", "String"}, {"Value", "panic"}}}}}}}}}}};
}

SnsDelivery Delivered() {
  SnsDelivery want;
  want.topic_arn = kTopic;
  want.subscription_arn = kSubscription;
  want.message_id = "m-1";
  want.message = "{\"stress\":\"panic\"}";
  want.attributes["stress"] = {"String", "panic"};
  return want;
}

TEST(StressSnsTest, SnsEventHasLambdasShape) {
  Verdict v = CheckSnsEvent(SnsEvent(), Delivered());
  EXPECT_TRUE(v.pass()) << testing::PrintToString(v.mismatches);
  EXPECT_EQ(v.observed, "SNSEvent ok");
  EXPECT_EQ(SnsMessage(SnsEvent()), "{\"stress\":\"panic\"}");
  EXPECT_EQ(SnsMessage(json{{"hop", 1}}), std::nullopt);
}

TEST(StressSnsTest, SnsEventDifferencesAreNamed) {
  auto mismatches = [](const std::function<void(json&)>& change, SnsDelivery want = Delivered()) {
    json event = SnsEvent();
    change(event["Records"][0]);
    return CheckSnsEvent(event, want).mismatches;
  };
  auto has = [](const std::vector<std::string>& m, const std::string& what) {
    for (const std::string& s : m) {
      if (s.starts_with(what)) return true;
    }
    return false;
  };
  EXPECT_TRUE(has(mismatches([](json& r) { r["EventSource"] = "aws:sqs"; }), "EventSource"));
  EXPECT_TRUE(has(mismatches([](json& r) { r["Sns"]["Subject"] = ""; }), "Sns.Subject"));
  EXPECT_TRUE(has(mismatches([](json& r) { r["Sns"].erase("Subject"); }), "Sns.Subject"));
  EXPECT_TRUE(
      has(mismatches([](json& r) { r["Sns"]["Timestamp"] = "2019-01-02T12:45:07Z"; }), "Sns.Time"));
  EXPECT_TRUE(has(mismatches([](json& r) { r["Sns"]["Signature"] = ""; }), "Sns.Signature"));
  EXPECT_TRUE(has(mismatches([](json& r) {
                    r["Sns"]["SigningCertURL"] = r["Sns"]["SigningCertUrl"];
                    r["Sns"].erase("SigningCertUrl");
                  }),
                  "Sns.SigningCertUrl"));
  EXPECT_TRUE(has(mismatches([](json& r) {
                    r["Sns"]["MessageAttributes"]["stress"] = {{"DataType", "String"},
                                                               {"StringValue", "panic"}};
                  }),
                  "Sns.MessageAttributes.stress"));
  EXPECT_TRUE(
      has(mismatches([](json& r) { r["EventSubscriptionArn"] = kTopic; }), "EventSubscriptionArn"));
  SnsDelivery with_subject = Delivered();
  with_subject.subject = "stress";
  EXPECT_TRUE(has(mismatches([](json&) {}, with_subject), "Sns.Subject"));
  json two = SnsEvent();
  two["Records"].push_back(two["Records"][0]);
  EXPECT_FALSE(CheckSnsEvent(two, Delivered()).pass());
  EXPECT_EQ(CheckSnsEvent(json{{"hop", 1}}, Delivered()).observed, "not an SNSEvent");
}

// ---- Through a stream ----

ShardInvocation Batch(const std::string& first, const std::string& last,
                      const std::string& result) {
  return {"id-" + first, first, last, 1, result};
}

TEST(StressChecksTest, SequenceNumbersCompareAsNumbers) {
  EXPECT_TRUE(SequenceLess("9", "10"));
  EXPECT_TRUE(SequenceLess("100", "101"));
  EXPECT_FALSE(SequenceLess("101", "101"));
  EXPECT_FALSE(SequenceLess("11", "9"));
}

TEST(StressChecksTest, ParsesShardInvocations) {
  json shard = {{"Invocations",
                 {{{"RequestId", "r1"},
                   {"FirstSequenceNumber", "100"},
                   {"LastSequenceNumber", "300"},
                   {"Records", 3},
                   {"Result", "FunctionError"}}}}};
  std::vector<ShardInvocation> got = ParseShardInvocations(shard);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].request_id, "r1");
  EXPECT_EQ(got[0].last_seq, "300");
  EXPECT_EQ(got[0].records, 3);
  EXPECT_EQ(got[0].result, "FunctionError");
  EXPECT_TRUE(ParseShardInvocations(json::object()).empty());
}

TEST(StressChecksTest, ShardBlockedThenMovesOn) {
  std::vector<ShardInvocation> good = {
      Batch("10", "10", "FunctionError"), Batch("10", "10", "FunctionError"),
      Batch("10", "10", "FunctionError"), Batch("11", "11", "OK"), Batch("12", "12", "OK")};
  Verdict v = CheckShardBlocked(good, "10", {"11", "12"}, 2);
  EXPECT_TRUE(v.pass()) << v.mismatches[0];
  EXPECT_EQ(v.observed, "3 attempts blocking the shard (FunctionError), then 2/2 after it OK");
  // Given up after one retry: too few attempts.
  std::vector<ShardInvocation> short_ = {good[0], good[1], good[3], good[4]};
  EXPECT_FALSE(CheckShardBlocked(short_, "10", {"11", "12"}, 2).pass());
  // A later record delivered while the failing one was still retried.
  std::vector<ShardInvocation> overtaken = {good[0], good[3], good[1], good[2], good[4]};
  EXPECT_FALSE(CheckShardBlocked(overtaken, "10", {"11", "12"}, 2).pass());
  // A later record never delivered.
  std::vector<ShardInvocation> stuck = {good[0], good[1], good[2]};
  EXPECT_FALSE(CheckShardBlocked(stuck, "10", {"11", "12"}, 2).pass());
  // An attempt that succeeded.
  std::vector<ShardInvocation> ok = {good[0], Batch("10", "10", "OK"), good[2], good[3], good[4]};
  EXPECT_FALSE(CheckShardBlocked(ok, "10", {"11", "12"}, 2).pass());
}

TEST(StressChecksTest, BisectedDownToThePoison) {
  std::vector<ShardInvocation> good = {Batch("1", "6", "FunctionError"), Batch("1", "3", "OK"),
                                       Batch("4", "6", "FunctionError"),
                                       Batch("4", "4", "FunctionError"), Batch("5", "6", "OK")};
  Verdict v = CheckBisected(good, "4", {"1", "2", "3", "5", "6"}, 2);
  EXPECT_TRUE(v.pass()) << v.mismatches[0];
  EXPECT_EQ(v.observed, "5 batches, 2 bisections, poison alone failed, 5/5 others OK");
  EXPECT_FALSE(CheckBisected(good, "4", {"1", "2", "3", "5", "6"}, 0).pass());
  std::vector<ShardInvocation> whole = {Batch("1", "6", "FunctionError")};
  EXPECT_FALSE(CheckBisected(whole, "4", {"1", "2", "3", "5", "6"}, 1).pass());
  std::vector<ShardInvocation> lost = {good[0], good[1], good[2], good[3]};
  EXPECT_FALSE(CheckBisected(lost, "4", {"1", "2", "3", "5", "6"}, 2).pass());
}

json StreamFailureBody() {
  return {{"version", "1.0"},
          {"timestamp", "2026-12-07T15:00:00.123Z"},
          {"requestContext",
           {{"requestId", "x"},
            {"functionArn", "arn:aws:lambda:us-east-1:000000000000:function:f"},
            {"condition", "RetryAttemptsExhausted"},
            {"approximateInvokeCount", 3}}},
          {"responseContext",
           {{"statusCode", 200}, {"executedVersion", "$LATEST"}, {"functionError", "Unhandled"}}},
          {"KinesisBatchInfo",
           {{"shardId", "shardId-000000000000"},
            {"startSequenceNumber", "10"},
            {"endSequenceNumber", "10"},
            {"approximateArrivalOfFirstRecord", "2026-12-07T15:00:00.000Z"},
            {"approximateArrivalOfLastRecord", "2026-12-07T15:00:00.000Z"},
            {"batchSize", 1},
            {"streamArn", "arn:aws:kinesis:us-east-1:000000000000:stream/s"}}}};
}

TEST(StressChecksTest, StreamFailureRecord) {
  StreamFailure want{"KinesisBatchInfo",
                     "arn:aws:lambda:us-east-1:000000000000:function:f",
                     "arn:aws:kinesis:us-east-1:000000000000:stream/s",
                     "RetryAttemptsExhausted",
                     "10",
                     "10",
                     1,
                     3};
  Verdict v = CheckStreamFailureRecord(StreamFailureBody().dump(), want);
  EXPECT_TRUE(v.pass()) << v.mismatches[0];
  EXPECT_EQ(v.observed, "OnFailure RetryAttemptsExhausted x3, KinesisBatchInfo 1 record");
  json age = StreamFailureBody();
  age["requestContext"]["condition"] = "RecordAgeExceeded";
  EXPECT_FALSE(CheckStreamFailureRecord(age.dump(), want).pass());
  json other = StreamFailureBody();
  other["KinesisBatchInfo"]["startSequenceNumber"] = "11";
  EXPECT_FALSE(CheckStreamFailureRecord(other.dump(), want).pass());
  want.info_name = "DDBStreamBatchInfo";
  EXPECT_FALSE(CheckStreamFailureRecord(StreamFailureBody().dump(), want).pass());
  EXPECT_FALSE(CheckStreamFailureRecord("not json", want).pass());
}

TEST(StressChecksTest, BombGrowsUntilDisabled) {
  json shard = {{"Records", 40}, {"RecordsBehind", 12}, {"IteratorAgeMs", 300}, {"Batches", 9}};
  ShardSample s = ParseShardSample(shard, 500);
  EXPECT_EQ(s.records, 40);
  EXPECT_EQ(s.behind, 12);
  EXPECT_EQ(s.iterator_age_ms, 300);
  EXPECT_EQ(s.batches, 9);
  std::vector<ShardSample> enabled = {{0, 2, 1, 10, 1}, {2000, 60, 40, 800, 10}};
  std::vector<ShardSample> stopped = {{2500, 70, 50, 900, 11}, {3500, 70, 50, 900, 11}};
  Verdict v = CheckBombGrowth(enabled, stopped);
  EXPECT_TRUE(v.pass()) << v.mismatches[0];
  EXPECT_EQ(v.observed,
            "records 2 -> 60 in 2.00 s, behind 1 -> 40, age 10 -> 800 ms; disabled: stopped");
  std::vector<ShardSample> flat = {{0, 2, 1, 10, 1}, {2000, 2, 1, 10, 1}};
  EXPECT_FALSE(CheckBombGrowth(flat, stopped).pass());
  std::vector<ShardSample> running = {{2500, 70, 50, 900, 11}, {3500, 90, 60, 900, 13}};
  EXPECT_FALSE(CheckBombGrowth(enabled, running).pass());
  EXPECT_FALSE(CheckBombGrowth({}, stopped).pass());
}

}  // namespace
}  // namespace thaw::cli
