// Drives `thaw bench` end to end against a scripted Invoke API on loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "cli/command.h"
#include "cli/scripted_lambda.h"
#include "http/aws_error.h"
#include "http/server.h"

namespace thaw::cli {
namespace {

using nlohmann::json;

constexpr char kConfig[] = "GET /2015-03-31/functions/fn/configuration";
constexpr char kInvoke[] = "POST /2015-03-31/functions/fn/invocations";

std::string ReportTail(bool cold) {
  std::string line =
      "START RequestId: r Version: $LATEST\nEND RequestId: r\nREPORT RequestId: r\tDuration: "
      "0.50 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 17 MB\t";
  if (cold) line += "Init Duration: 3.25 ms\t";
  return Base64Encode(line + "\n");
}

http::Response Invoked(bool cold, bool tail = true) {
  http::Response r = http::Response::Json(200, "{}");
  if (tail) r.headers.Set("X-Amz-Log-Result", ReportTail(cold));
  return r;
}

class BenchCommandTest : public ScriptedLambdaTest {
 protected:
  void SetUp() override {
    ScriptedLambdaTest::SetUp();
    // ctest runs tests of this binary in parallel processes: one file each.
    json_path_ = ::testing::TempDir() + "/bench_command_test_" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                 std::to_string(getpid()) + ".json";
    std::filesystem::remove(json_path_);
  }

  void TearDown() override {
    ScriptedLambdaTest::TearDown();
    std::filesystem::remove(json_path_);
  }

  RunResult Run(std::vector<std::string> args, const std::string& endpoint = "") {
    return RunThaw(AddBenchCommand, std::move(args), endpoint.empty() ? endpoint_ : endpoint);
  }

  json ReadJson() {
    std::ifstream file(json_path_);
    return json::parse(file, nullptr, false);
  }

  std::string json_path_;
};

TEST_F(BenchCommandTest, ClosedLoopSplitsColdAndWarm) {
  lambda_.On(kConfig, http::Response::Json(200, R"({"FunctionName":"fn"})"));
  lambda_.On(kInvoke, Invoked(/*cold=*/true));
  lambda_.On(kInvoke, Invoked(/*cold=*/false));
  RunResult r = Run({"bench", "fn", "--count", "50", "--json", json_path_});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  json j = ReadJson();
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["mode"], "closed");
  EXPECT_EQ(j["concurrency"], 1);
  EXPECT_EQ(j["invocations"]["total"], 50);
  EXPECT_EQ(j["invocations"]["cold"], 1);
  EXPECT_EQ(j["warmup"], 5);
  EXPECT_EQ(j["invocations"]["warm"], 44);
  EXPECT_EQ(j["client_latency"]["warm"]["count"], 44);
  EXPECT_EQ(j["report_duration"]["warm"]["percentiles"]["p50"]["value"], 0.5);
  EXPECT_EQ(j["init_duration"]["max"], 3.25);
  EXPECT_EQ(j["billing"]["billed_total_ms"], 50);
  EXPECT_EQ(j["errors"]["total"], 0);
  std::vector<http::Request> invokes = lambda_.Requests("POST");
  ASSERT_EQ(invokes.size(), 50u);
  EXPECT_EQ(invokes[0].body, "{}");
  EXPECT_EQ(invokes[0].headers.Get("X-Amz-Log-Type"), "Tail");
  EXPECT_EQ(invokes[0].headers.Get("X-Amz-Invocation-Type"), "RequestResponse");
  // The table goes to stdout; no progress bar when stderr is not a terminal.
  EXPECT_NE(r.out.find("client, warm"), std::string::npos) << r.out;
  EXPECT_EQ(r.err, "");
}

TEST_F(BenchCommandTest, ConcurrencyQualifierPayloadAndWarmup) {
  const std::string config = std::string(kConfig) + "?Qualifier=live";
  const std::string invoke = std::string(kInvoke) + "?Qualifier=live";
  lambda_.On(config, http::Response::Json(200, "{}"));
  lambda_.On(invoke, Invoked(false));
  std::string payload = ::testing::TempDir() + "/bench_command_test_payload.json";
  std::ofstream(payload) << R"({"n":1})";
  RunResult r = Run({"bench", "fn", "--qualifier", "live", "-c", "4", "-n", "40", "--warmup", "0",
                     "--payload", payload, "--json", json_path_});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  json j = ReadJson();
  EXPECT_EQ(j["concurrency"], 4);
  EXPECT_EQ(j["qualifier"], "live");
  EXPECT_EQ(j["payload_bytes"], 7);
  EXPECT_EQ(j["invocations"]["warm"], 40);
  std::vector<http::Request> invokes = lambda_.Requests("POST");
  ASSERT_EQ(invokes.size(), 40u);
  EXPECT_EQ(invokes[39].body, R"({"n":1})");
  // One GetFunctionConfiguration to check the function, one per client to open its connection.
  EXPECT_EQ(lambda_.Requests("GET").size(), 5u);
  std::filesystem::remove(payload);
}

TEST_F(BenchCommandTest, NoTailLeavesInvocationsUnclassified) {
  lambda_.On(kConfig, http::Response::Json(200, "{}"));
  lambda_.On(kInvoke, Invoked(false, /*tail=*/false));
  RunResult r = Run({"bench", "fn", "-n", "20", "--no-tail", "--json", "-"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  json j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["tail"], false);
  EXPECT_EQ(j["invocations"]["unclassified"], 18);
  EXPECT_EQ(j["invocations"]["warm"], 0);
  EXPECT_EQ(lambda_.Requests("POST")[0].headers.Get("X-Amz-Log-Type"), std::nullopt);
}

TEST_F(BenchCommandTest, OpenLoopFollowsThePoissonSchedule) {
  lambda_.On(kConfig, http::Response::Json(200, "{}"));
  lambda_.On(kInvoke, Invoked(false));
  RunResult r = Run({"bench", "fn", "--rate", "500", "--duration", "400ms", "--json", json_path_});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  json j = ReadJson();
  EXPECT_EQ(j["mode"], "open");
  EXPECT_EQ(j["rate_per_s"], 500.0);
  EXPECT_EQ(j["seed"], 1);
  EXPECT_EQ(j["concurrency"], 64);
  // Poisson(200): standard deviation 14; the seed fixes the count, so this is exact per build.
  EXPECT_NEAR(j["invocations"]["total"].get<int>(), 200, 60);
  EXPECT_EQ(j["send_lag"]["count"], j["invocations"]["total"]);
  EXPECT_EQ(j["requested"]["duration_s"], 0.4);
  EXPECT_TRUE(j["requested"]["count"].is_null());
}

TEST_F(BenchCommandTest, ErrorsAreCountedApart) {
  lambda_.On(kConfig, http::Response::Json(200, "{}"));
  http::Response failed = Invoked(false);
  failed.body = R"({"errorMessage":"boom","errorType":"errorString"})";
  failed.headers.Set("X-Amz-Function-Error", "Unhandled");
  lambda_.On(kInvoke, Invoked(true));
  lambda_.On(kInvoke, failed);
  lambda_.On(kInvoke, http::RestJsonError(429, "TooManyRequestsException", "Rate exceeded"));
  lambda_.On(kInvoke, Invoked(false));
  RunResult r = Run({"bench", "fn", "-n", "10", "--json", json_path_});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  json j = ReadJson();
  EXPECT_EQ(j["errors"]["function"], 1);
  EXPECT_EQ(j["errors"]["throttled"], 1);
  EXPECT_EQ(j["errors"]["other"], 0);
  EXPECT_NE(j["errors"]["first"].get<std::string>().find("function error (Unhandled)"),
            std::string::npos);
  EXPECT_EQ(j["invocations"]["cold"], 1);
  EXPECT_EQ(j["invocations"]["warm"].get<int>() + j["invocations"]["warmup_discarded"].get<int>(),
            7);
}

TEST_F(BenchCommandTest, EveryInvocationFailingExitsOne) {
  lambda_.On(kConfig, http::Response::Json(200, "{}"));
  http::Response failed = http::Response::Json(200, R"({"errorMessage":"boom"})");
  failed.headers.Set("X-Amz-Function-Error", "Unhandled");
  lambda_.On(kInvoke, failed);
  RunResult r = Run({"bench", "fn", "-n", "5"});
  EXPECT_EQ(r.exit_code, kExitFailure);
  EXPECT_NE(r.err.find("every invocation failed"), std::string::npos) << r.err;
}

TEST_F(BenchCommandTest, MissingFunctionExitsOneWithAwsMessage) {
  RunResult r = Run({"bench", "nope", "-n", "5"});
  EXPECT_EQ(r.exit_code, kExitFailure);
  EXPECT_NE(r.err.find("ResourceNotFoundException: Function not found: "
                       "arn:aws:lambda:us-east-1:000000000000:function:"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(lambda_.Requests("POST").empty());
}

TEST_F(BenchCommandTest, RefusedPayloadStopsTheRun) {
  lambda_.On(kConfig, http::Response::Json(200, "{}"));
  lambda_.On(kInvoke, http::RestJsonError(400, "InvalidRequestContentException",
                                          "Could not parse request body into json"));
  RunResult r = Run({"bench", "fn", "-n", "100"});
  EXPECT_EQ(r.exit_code, kExitFailure);
  EXPECT_NE(r.err.find("stopped: InvalidRequestContentException"), std::string::npos) << r.err;
  EXPECT_EQ(lambda_.Requests("POST").size(), 1u);
}

TEST_F(BenchCommandTest, UnreachableServerExitsThree) {
  // A port we hold bound but never listen on.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  RunResult r =
      Run({"bench", "fn", "-n", "5"}, "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
  ::close(fd);
  EXPECT_EQ(r.exit_code, kExitUnavailable);
  EXPECT_NE(r.err.find("cannot connect"), std::string::npos) << r.err;
}

TEST_F(BenchCommandTest, UsageErrors) {
  EXPECT_EQ(Run({"bench"}).exit_code, kExitUsage);
  EXPECT_EQ(Run({"bench", "fn", "--duration", "soon"}).exit_code, kExitUsage);
  EXPECT_EQ(Run({"bench", "fn", "--duration", "0s"}).exit_code, kExitUsage);
  EXPECT_EQ(Run({"bench", "fn", "-c", "0"}).exit_code, kExitUsage);
  EXPECT_EQ(Run({"bench", "fn", "--rate", "-5"}).exit_code, kExitUsage);
  EXPECT_EQ(Run({"bench", "fn", "--payload", "/nonexistent/event.json"}).exit_code, kExitUsage);
  EXPECT_TRUE(lambda_.Requests("GET").empty());
}

}  // namespace
}  // namespace thaw::cli
