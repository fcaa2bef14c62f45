// Drives the client subcommands end to end against a scripted Lambda API on loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
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
#include "cli/go_build.h"
#include "cli/scripted_lambda.h"
#include "http/aws_error.h"
#include "http/server.h"

namespace thaw::cli {
namespace {

using nlohmann::json;

class CommandsTest : public ScriptedLambdaTest {
 protected:
  RunResult Run(std::vector<std::string> args, const std::string& endpoint = "") {
    return RunThaw(
        [](CLI::App& app, CommandContext& ctx) {
          AddDeployCommand(app, ctx);
          AddInvokeCommand(app, ctx);
          AddFunctionsCommands(app, ctx);
        },
        std::move(args), endpoint.empty() ? endpoint_ : endpoint);
  }

  static http::Response Json(int status, const std::string& body) {
    return http::Response::Json(status, body);
  }
};

// An endpoint where nothing listens: a port we hold bound but never listen on.
class ClosedPort {
 public:
  ClosedPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
  }
  ~ClosedPort() { ::close(fd_); }
  ClosedPort(const ClosedPort&) = delete;
  ClosedPort& operator=(const ClosedPort&) = delete;
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// ---- invoke ----------------------------------------------------------------------------------

TEST_F(CommandsTest, InvokePrintsBodyAndSendsHeaders) {
  http::Response ok = Json(200, R"({"echo":1})");
  ok.headers.Set("X-Amz-Log-Result", Base64Encode("START RequestId: r1\nhello log\n"));
  lambda_.On("POST", "/2015-03-31/functions/echo/invocations?Qualifier=3", ok);
  RunResult r =
      Run({"invoke", "echo", "--payload", R"({"a":1})", "--qualifier", "3", "--log-tail"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "{\"echo\":1}\n");
  EXPECT_EQ(r.err, "START RequestId: r1\nhello log\n");
  std::vector<http::Request> requests = lambda_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].body, R"({"a":1})");
  EXPECT_EQ(requests[0].headers.Get("X-Amz-Invocation-Type"), "RequestResponse");
  EXPECT_EQ(requests[0].headers.Get("X-Amz-Log-Type"), "Tail");
}

TEST_F(CommandsTest, InvokeDefaultsToEmptyObjectAndReadsPayloadFile) {
  lambda_.On("POST", "/2015-03-31/functions/echo/invocations", Json(200, "null"));
  EXPECT_EQ(Run({"invoke", "echo"}).out, "null\n");
  std::string file = ::testing::TempDir() + "/commands_test_payload.json";
  std::ofstream(file) << R"({"from":"file"})";
  EXPECT_EQ(Run({"invoke", "echo", "--payload-file", file}).exit_code, kExitOk);
  std::vector<http::Request> requests = lambda_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].body, "{}");
  EXPECT_EQ(requests[0].headers.Get("X-Amz-Log-Type"), std::nullopt);
  EXPECT_EQ(requests[1].body, R"({"from":"file"})");
  std::filesystem::remove(file);

  RunResult missing = Run({"invoke", "echo", "--payload-file", file});
  EXPECT_EQ(missing.exit_code, kExitUsage);
  EXPECT_NE(missing.err.find("commands_test_payload.json"), std::string::npos);
}

TEST_F(CommandsTest, InvokeFunctionErrorExitsOne) {
  http::Response failed = Json(200, R"({"errorMessage":"boom","errorType":"errorString"})");
  failed.headers.Set("X-Amz-Function-Error", "Unhandled");
  lambda_.On("POST", "/2015-03-31/functions/bad/invocations", failed);
  RunResult r = Run({"invoke", "bad"});
  EXPECT_EQ(r.exit_code, kExitFailure);
  EXPECT_EQ(r.out, "{\"errorMessage\":\"boom\",\"errorType\":\"errorString\"}\n");
  EXPECT_EQ(r.err, "function error (Unhandled)\n");
}

TEST_F(CommandsTest, InvokeEventAndDryRun) {
  http::Response queued;
  queued.status = 202;
  lambda_.On("POST", "/2015-03-31/functions/echo/invocations", queued);
  RunResult event = Run({"invoke", "echo", "--type", "Event"});
  EXPECT_EQ(event.exit_code, kExitOk);
  EXPECT_EQ(event.out, "queued (202)\n");
  EXPECT_EQ(lambda_.requests()[0].headers.Get("X-Amz-Invocation-Type"), "Event");

  http::Response dry;
  dry.status = 204;
  lambda_.On("POST", "/2015-03-31/functions/dry/invocations", dry);
  EXPECT_EQ(Run({"invoke", "dry", "--type", "DryRun"}).out, "dry run ok (204)\n");
}

TEST_F(CommandsTest, InvokeServiceErrorsAndUsage) {
  RunResult missing = Run({"invoke", "nope"});
  EXPECT_EQ(missing.exit_code, kExitFailure);
  EXPECT_EQ(missing.out, "");
  EXPECT_NE(missing.err.find("thaw invoke: ResourceNotFoundException: Function not found"),
            std::string::npos)
      << missing.err;
  EXPECT_NE(missing.err.find("thaw deploy DIR --name nope"), std::string::npos);

  EXPECT_EQ(Run({"invoke", "echo", "--type", "Sync"}).exit_code, kExitUsage);
  EXPECT_EQ(Run({"invoke", "echo", "--payload", "{}", "--payload-file", "x"}).exit_code,
            kExitUsage);
  EXPECT_EQ(Run({"invoke"}).exit_code, kExitUsage);
}

TEST_F(CommandsTest, UnreachableServerExitsThree) {
  ClosedPort closed;
  for (std::vector<std::string> args :
       {std::vector<std::string>{"invoke", "echo"}, {"functions"}, {"get", "x"}, {"delete", "x"}}) {
    RunResult r = Run(args, closed.endpoint());
    EXPECT_EQ(r.exit_code, kExitUnavailable) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("thaw serve"), std::string::npos) << r.err;
  }
}

// ---- functions, get, delete ------------------------------------------------------------------

TEST_F(CommandsTest, FunctionsListsAllPages) {
  lambda_.On("GET", "/2015-03-31/functions/?MaxItems=50",
             Json(200, R"({"Functions":[{"FunctionName":"b","Runtime":"provided.al2023",)"
                       R"("MemorySize":128,"Timeout":3,"LastModified":"t2"}],"NextMarker":"p2"})"));
  lambda_.On("GET", "/2015-03-31/functions/?MaxItems=50&Marker=p2",
             Json(200, R"({"Functions":[{"FunctionName":"a","Runtime":"provided.al2023",)"
                       R"("MemorySize":512,"Timeout":30,"LastModified":"t1"}]})"));
  RunResult r = Run({"functions"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_EQ(r.out,
            "NAME  RUNTIME          MEMORY  TIMEOUT  LAST MODIFIED\n"
            "a     provided.al2023  512 MB  30 s     t1\n"
            "b     provided.al2023  128 MB  3 s      t2\n");
}

TEST_F(CommandsTest, FunctionsEmpty) {
  lambda_.On("GET", "/2015-03-31/functions/?MaxItems=50", Json(200, R"({"Functions":[]})"));
  RunResult r = Run({"functions"});
  EXPECT_EQ(r.exit_code, kExitOk);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("thaw deploy"), std::string::npos);
}

TEST_F(CommandsTest, GetPrintsPrettyConfiguration) {
  lambda_.On("GET", "/2015-03-31/functions/echo/configuration?Qualifier=2",
             Json(200, R"({"FunctionName":"echo","MemorySize":128})"));
  RunResult r = Run({"get", "echo", "--qualifier", "2"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "{\n  \"FunctionName\": \"echo\",\n  \"MemorySize\": 128\n}\n");
  EXPECT_EQ(Run({"get", "missing"}).exit_code, kExitFailure);
}

TEST_F(CommandsTest, DeleteReportsDeleted) {
  http::Response gone;
  gone.status = 204;
  lambda_.On("DELETE", "/2015-03-31/functions/echo", gone);
  lambda_.On("DELETE", "/2015-03-31/functions/echo?Qualifier=1", gone);
  EXPECT_EQ(Run({"delete", "echo"}).out, "deleted echo\n");
  EXPECT_EQ(Run({"delete", "echo", "--qualifier", "1"}).out, "deleted echo (version 1)\n");
  RunResult missing = Run({"delete", "ghost"});
  EXPECT_EQ(missing.exit_code, kExitFailure);
  EXPECT_NE(missing.err.find("thaw functions"), std::string::npos);
}

// ---- deploy ----------------------------------------------------------------------------------

class DeployCommandTest : public CommandsTest {
 protected:
  void SetUp() override {
    CommandsTest::SetUp();
    std::string pattern = ::testing::TempDir() + "/deploy_test_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    dir_ = root_ + "/hello";
    ASSERT_EQ(::mkdir(dir_.c_str(), 0755), 0);
    std::ofstream(dir_ + "/go.mod") << "module hello\n\ngo 1.19\n";
    std::ofstream(dir_ + "/main.go") << "package main\n\nfunc main() {}\n";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
    CommandsTest::TearDown();
  }
  static bool HaveGo() {
    const char* path = std::getenv("PATH");
    return FindGoToolchain(path ? path : "").ok();
  }
  std::string root_;
  std::string dir_;
};

TEST_F(DeployCommandTest, CreatesFunctionNamedAfterDirectory) {
  if (!HaveGo()) GTEST_SKIP() << "no Go toolchain";
  lambda_.On("POST", "/2015-03-31/functions",
             Json(201, R"({"FunctionName":"hello","CodeSha256":"sha=","CodeSize":99,)"
                       R"("State":"Pending"})"));
  lambda_.On("GET", "/2015-03-31/functions/hello/configuration",
             Json(200, R"({"State":"Active","LastUpdateStatus":"Successful"})"));
  RunResult r = Run({"deploy", dir_, "--memory", "256", "--env", "AA=1", "--env", "BB=2"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "deployed hello (created): CodeSha256=sha= CodeSize=99 Version=$LATEST\n");
  std::vector<http::Request> requests = lambda_.requests();
  ASSERT_GE(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/2015-03-31/functions/hello");
  json create = json::parse(requests[1].body, nullptr, false);
  ASSERT_TRUE(create.is_object());
  EXPECT_EQ(create["MemorySize"], 256);
  EXPECT_EQ(create["Environment"]["Variables"], json({{"AA", "1"}, {"BB", "2"}}));
  std::optional<std::string> zip = Base64Decode(create["Code"]["ZipFile"].get<std::string>());
  ASSERT_TRUE(zip.has_value());
  EXPECT_EQ(zip->substr(0, 2), "PK");
}

TEST_F(DeployCommandTest, UsageErrors) {
  EXPECT_EQ(Run({"deploy", root_ + "/missing"}).exit_code, kExitUsage);
  EXPECT_EQ(Run({"deploy", dir_, "--arch", "sparc"}).exit_code, kExitUsage);
  EXPECT_EQ(Run({"deploy", dir_, "--memory", "64"}).exit_code, kExitUsage);
  RunResult env = Run({"deploy", dir_, "--env", "NOVALUE"});
  EXPECT_EQ(env.exit_code, kExitUsage);
  EXPECT_NE(env.err.find("KEY=VALUE"), std::string::npos);
  std::string dotted = root_ + "/my.fn";
  ASSERT_EQ(::mkdir(dotted.c_str(), 0755), 0);
  RunResult name = Run({"deploy", dotted});
  EXPECT_EQ(name.exit_code, kExitUsage);
  EXPECT_NE(name.err.find("pass --name"), std::string::npos);
  EXPECT_TRUE(lambda_.requests().empty());
}

TEST_F(DeployCommandTest, BuildFailureShowsCompilerOutput) {
  if (!HaveGo()) GTEST_SKIP() << "no Go toolchain";
  std::ofstream(dir_ + "/main.go") << "package main\n\nfunc main() { nope() }\n";
  RunResult r = Run({"deploy", dir_, "--name", "hello"});
  EXPECT_EQ(r.exit_code, kExitFailure);
  EXPECT_NE(r.err.find("undefined: nope"), std::string::npos) << r.err;
  EXPECT_EQ(lambda_.requests().size(), 1u);  // only the GetFunction lookup
}

TEST_F(DeployCommandTest, UnreachableServerFailsBeforeBuilding) {
  ClosedPort closed;
  RunResult r = Run({"deploy", dir_}, closed.endpoint());
  EXPECT_EQ(r.exit_code, kExitUnavailable);
  EXPECT_EQ(r.err.find("building"), std::string::npos) << r.err;
}

// ---- doctor ----------------------------------------------------------------------------------

// Runs the real host probe; needs no server and exits 0 whatever the verdict.
TEST(DoctorCommandTest, TableAndJsonReports) {
  for (bool json_flag : {false, true}) {
    CLI::App app("thaw");
    CommandContext ctx;
    ctx.exit_code = kExitUsage;
    AddDoctorCommand(app, ctx);
    std::vector<const char*> argv = {"thaw", "doctor"};
    if (json_flag) argv.push_back("--json");
    std::ostringstream out;
    std::streambuf* old_out = std::cout.rdbuf(out.rdbuf());
    app.parse(static_cast<int>(argv.size()), argv.data());
    std::cout.rdbuf(old_out);
    EXPECT_EQ(ctx.exit_code, kExitOk);
    if (!json_flag) {
      EXPECT_EQ(out.str().rfind("FEATURE", 0), 0u) << out.str();
      EXPECT_NE(out.str().find("thaw would run "), std::string::npos) << out.str();
      continue;
    }
    json report = json::parse(out.str(), nullptr, false);
    ASSERT_TRUE(report.is_object()) << out.str();
    EXPECT_TRUE(report["items"].is_array());
    EXPECT_FALSE(report["items"].empty());
    EXPECT_TRUE(report["fullIsolation"].is_boolean());
    EXPECT_TRUE(report["notEnforced"].is_array());
  }
}

}  // namespace
}  // namespace thaw::cli
