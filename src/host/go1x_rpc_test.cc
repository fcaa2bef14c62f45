// Tests for GoErrorJson and for the go1.x mechanism (go1x.cc). The mechanism runs this test binary
// as the "function": started with THAW_GO1X_FAKE set, it serves Function.Ping and
// Function.Invoke on _LAMBDA_SERVER_PORT with the C++ gob encoder instead of running tests
// (gob_test.cc checks that encoder against real Go). The golden net/rpc streams are in
// gob_test.cc.
#include "host/go1x_rpc.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "host/mechanism.h"
#include "sys/unique_fd.h"

namespace thaw::host {
namespace {

using gob::Value;

// --- The fake function ---

// Serves one connection like aws-lambda-go's Function; the Invoke payload picks the answer.
[[noreturn]] void ServeFake(int port) {
  sys::UniqueFd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listener.get(), 1) != 0) {
    _exit(90);
  }
  sys::UniqueFd conn(accept(listener.get(), nullptr, nullptr));
  gob::Decoder decoder;
  gob::Encoder encoder;
  gob::TypeId response = encoder.DefineStruct(
      "Response",
      {{"ServiceMethod", gob::kStringId}, {"Seq", gob::kUintId}, {"Error", gob::kStringId}});
  gob::TypeId ping = encoder.DefineStruct("PingResponse", {});
  gob::TypeId empty = encoder.DefineStruct("", {});
  gob::TypeId frame = encoder.DefineStruct(
      "", {{"Path", gob::kStringId}, {"Line", gob::kIntId}, {"Label", gob::kStringId}});
  gob::TypeId frames = encoder.DefineSlice("[]*messages.InvokeResponse_Error_StackFrame", frame);
  gob::TypeId error = encoder.DefineStruct("InvokeResponse_Error", {{"Message", gob::kStringId},
                                                                    {"Type", gob::kStringId},
                                                                    {"StackTrace", frames},
                                                                    {"ShouldExit", gob::kBoolId}});
  gob::TypeId invoke =
      encoder.DefineStruct("InvokeResponse", {{"Payload", gob::kBytesId}, {"Error", error}});
  auto read = [&conn](char* data, size_t size) -> StatusOr<size_t> {
    ssize_t n = ::read(conn.get(), data, size);
    if (n < 0) return Status::Unavailable("read");
    return static_cast<size_t>(n);
  };
  for (;;) {
    StatusOr<Value> header = decoder.Decode(read);
    if (!header.ok()) _exit(0);
    StatusOr<Value> args = decoder.Decode(read);
    if (!args.ok()) _exit(91);
    std::string method = *gob::GetString(*header, "ServiceMethod");
    Value reply_header = Value::Struct({{"ServiceMethod", Value::String(method)},
                                        {"Seq", Value::Uint(*gob::GetUint(*header, "Seq"))}});
    gob::TypeId reply_type = ping;
    Value reply = Value::Struct({});
    std::string payload = method == "Function.Invoke" ? *gob::GetBytes(*args, "Payload") : "";
    if (payload.starts_with("exit:")) _exit(std::atoi(payload.c_str() + 5));
    if (payload == "kill") raise(SIGKILL);
    if (payload == "garbage") {
      (void)!write(conn.get(), "\x02\x00\x00", 3);
      continue;
    }
    if (method == "Function.Invoke") {
      reply_type = invoke;
      if (payload == "error") {
        reply = Value::Struct({{"Error", Value::Struct({{"Message", Value::String("m")},
                                                        {"Type", Value::String("errorString")}})}});
      } else if (payload == "panic") {
        Value f1 = Value::Struct({{"Path", Value::String("main/main.go")},
                                  {"Line", Value::Int(12)},
                                  {"Label", Value::String("handle")}});
        Value f2 = Value::Struct({{"Path", Value::String("runtime/panic.go")},
                                  {"Line", Value::Int(860)},
                                  {"Label", Value::String("gopanic")}});
        reply = Value::Struct({{"Error", Value::Struct({{"Message", Value::String("boom")},
                                                        {"Type", Value::String("string")},
                                                        {"StackTrace", Value::Slice({f1, f2})},
                                                        {"ShouldExit", Value::Bool(true)}})}});
      } else if (payload == "rpcerror") {
        reply_header.fields.push_back({"Error", Value::String("rpc: boom")});
        reply_type = empty;
      } else if (payload == "fields") {
        // The request as the function saw it, and whether the Runtime API leaked to it.
        std::string seen;
        for (const char* name : {"RequestId", "XAmznTraceId", "InvokedFunctionArn",
                                 "CognitoIdentityId", "CognitoIdentityPoolId"}) {
          seen += *gob::GetString(*args, name) + "|";
        }
        const Value* deadline = *gob::GetField(*args, "Deadline", gob::Kind::kStruct);
        seen += std::to_string(*gob::GetInt(*deadline, "Seconds")) + "|" +
                std::to_string(*gob::GetInt(*deadline, "Nanos")) + "|" +
                *gob::GetBytes(*args, "ClientContext") + "|" +
                (getenv("AWS_LAMBDA_RUNTIME_API") != nullptr ? "api" : "no-api");
        reply = Value::Struct({{"Payload", Value::Bytes(seen)}});
      } else {
        reply = Value::Struct({{"Payload", Value::Bytes(payload)}});
      }
    } else if (method != "Function.Ping") {
      reply_header.fields.push_back({"Error", Value::String("rpc: can't find method " + method)});
      reply_type = empty;
    }
    std::string out;
    if (!encoder.Encode(response, reply_header, out).ok() ||
        !encoder.Encode(reply_type, reply, out).ok()) {
      _exit(92);
    }
    if (write(conn.get(), out.data(), out.size()) != static_cast<ssize_t>(out.size())) _exit(93);
  }
}

// Runs before main when the mechanism starts this binary as the function.
const bool kIsFake = [] {
  const char* fake = getenv("THAW_GO1X_FAKE");
  const char* port = getenv("_LAMBDA_SERVER_PORT");
  if (fake == nullptr || port == nullptr) return false;
  if (std::strcmp(fake, "exit2") == 0) _exit(2);
  ServeFake(std::atoi(port));
}();

// --- Tests ---

// Points EntryPath() (LAMBDA_TASK_ROOT/_HANDLER) at `path` and THAW_GO1X_FAKE at `mode` while
// alive.
class ScopedFunction {
 public:
  ScopedFunction(const std::string& path, const char* mode) {
    size_t slash = path.rfind('/');
    setenv("LAMBDA_TASK_ROOT", path.substr(0, slash).c_str(), 1);
    setenv("_HANDLER", path.substr(slash + 1).c_str(), 1);
    setenv("THAW_GO1X_FAKE", mode, 1);
    setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001", 1);
  }
  ~ScopedFunction() {
    for (const char* name :
         {"LAMBDA_TASK_ROOT", "_HANDLER", "THAW_GO1X_FAKE", "AWS_LAMBDA_RUNTIME_API"}) {
      unsetenv(name);
    }
  }
};

std::string SelfPath() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

Invocation Event(std::string payload) {
  Invocation inv;
  inv.request_id = "req-1";
  inv.deadline_ms = 1700000000123;
  inv.function_arn = "arn:aws:lambda:us-east-1:123456789012:function:f";
  inv.trace_id = "Root=1-2-3";
  inv.client_context = R"({"custom":{"k":"v"}})";
  inv.cognito_identity = R"({"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"})";
  inv.payload = std::move(payload);
  return inv;
}

TEST(GoErrorJsonTest, MatchesGoEncodingJson) {
  GoInvokeError e;
  e.message =
      "a\"b\\c\b\f\n\r\t\x01\x1f<>&\x7f \xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80 "
      "\xe2\x80\xa8\xe2\x80\xa9 \xff\xc0\x80\xed\xa0\x80\xe2\x82 end";
  e.type = "T";
  // What Go's json.Marshal writes for this InvokeResponse_Error.
  EXPECT_EQ(GoErrorJson(e),
            "{\"errorMessage\":\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f\\u003c\\u003e\\u0026\x7f "
            "\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80 \\u2028\\u2029 "
            "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd end\",\"errorType\":\"T\"}");
  GoInvokeError frames;
  frames.stack_trace.push_back({"p", -5, "l"});
  EXPECT_EQ(
      GoErrorJson(frames),
      R"({"errorMessage":"","errorType":"","stackTrace":[{"path":"p","line":-5,"label":"l"}]})");
}

TEST(Go1xMechanismTest, MissingBinaryIsInvalidEntrypoint) {
  ScopedFunction fn("/nonexistent/dir/main", "serve");
  auto m = NewGo1xMechanism();
  Status s = m->Init();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/nonexistent/dir/main does not exist"), std::string::npos)
      << s.message();
  EXPECT_EQ(m->InitErrorType(), "Runtime.InvalidEntrypoint");
  EXPECT_EQ(m->Invoke(Event("x")).kind, Outcome::Kind::kExited);
}

TEST(Go1xMechanismTest, NonExecutableIsInvalidEntrypoint) {
  char dir[] = "/tmp/go1x_test.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/main";
  sys::UniqueFd(open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
  ScopedFunction fn(path, "serve");
  auto m = NewGo1xMechanism();
  Status s = m->Init();
  EXPECT_NE(s.message().find("not executable"), std::string::npos) << s.message();
  EXPECT_EQ(m->InitErrorType(), "Runtime.InvalidEntrypoint");
  unlink(path.c_str());
  rmdir(dir);
}

TEST(Go1xMechanismTest, ExitBeforePingSaysHowToBuild) {
  ScopedFunction fn(SelfPath(), "exit2");
  auto m = NewGo1xMechanism();
  Status s = m->Init();
  EXPECT_EQ(s.message(),
            "go1.x: the function exited before serving Function.Ping (exit status 2); is it built "
            "with aws-lambda-go's lambda.Start and without -tags lambda.norpc?");
  EXPECT_EQ(m->InitErrorType(), "Runtime.ExitError");
}

TEST(Go1xMechanismTest, InvokesUntilPanic) {
  ScopedFunction fn(SelfPath(), "serve");
  auto m = NewGo1xMechanism();
  ASSERT_TRUE(m->Init().ok());

  Outcome echo = m->Invoke(Event(R"({"a":1})"));
  EXPECT_EQ(echo.kind, Outcome::Kind::kResponse);
  EXPECT_EQ(echo.body, R"({"a":1})");

  Outcome fields = m->Invoke(Event("fields"));
  EXPECT_EQ(fields.body,
            R"(req-1|Root=1-2-3|arn:aws:lambda:us-east-1:123456789012:function:f|id|pool|)"
            R"(1700000000|123000000|{"custom":{"k":"v"}}|no-api)");

  Outcome error = m->Invoke(Event("error"));
  EXPECT_EQ(error.kind, Outcome::Kind::kError);
  EXPECT_EQ(error.error_type, "errorString");
  EXPECT_EQ(error.body, R"({"errorMessage":"m","errorType":"errorString"})");

  Outcome rpc = m->Invoke(Event("rpcerror"));
  EXPECT_EQ(rpc.kind, Outcome::Kind::kError);
  EXPECT_EQ(rpc.error_type, "Runtime.GoRPCError");
  EXPECT_NE(rpc.body.find("rpc: boom"), std::string::npos) << rpc.body;

  Outcome panic = m->Invoke(Event("panic"));
  EXPECT_EQ(panic.kind, Outcome::Kind::kErrorThenExit);
  EXPECT_EQ(panic.error_type, "string");
  EXPECT_EQ(panic.body, R"({"errorMessage":"boom","errorType":"string","stackTrace":[)"
                        R"({"path":"main/main.go","line":12,"label":"handle"},)"
                        R"({"path":"runtime/panic.go","line":860,"label":"gopanic"}]})");
  EXPECT_TRUE(WIFEXITED(panic.wait_status));
  EXPECT_EQ(WEXITSTATUS(panic.wait_status), 1);

  EXPECT_EQ(m->Invoke(Event("{}")).kind, Outcome::Kind::kExited);
}

TEST(Go1xMechanismTest, ExitMidInvokeEndsTheSameWay) {
  ScopedFunction fn(SelfPath(), "serve");
  auto m = NewGo1xMechanism();
  ASSERT_TRUE(m->Init().ok());
  Outcome out = m->Invoke(Event("exit:3"));
  EXPECT_EQ(out.kind, Outcome::Kind::kExited);
  EXPECT_TRUE(WIFEXITED(out.wait_status));
  EXPECT_EQ(WEXITSTATUS(out.wait_status), 3);
}

TEST(Go1xMechanismTest, KilledMidInvokeEndsTheSameWay) {
  ScopedFunction fn(SelfPath(), "serve");
  auto m = NewGo1xMechanism();
  ASSERT_TRUE(m->Init().ok());
  Outcome out = m->Invoke(Event("kill"));
  EXPECT_EQ(out.kind, Outcome::Kind::kExited);
  EXPECT_TRUE(WIFSIGNALED(out.wait_status));
  EXPECT_EQ(WTERMSIG(out.wait_status), SIGKILL);
}

TEST(Go1xMechanismTest, CorruptReplyStopsTheFunction) {
  ScopedFunction fn(SelfPath(), "serve");
  auto m = NewGo1xMechanism();
  ASSERT_TRUE(m->Init().ok());
  Outcome out = m->Invoke(Event("garbage"));
  EXPECT_EQ(out.kind, Outcome::Kind::kErrorThenExit);
  EXPECT_EQ(out.error_type, "Runtime.GoRPCError");
  EXPECT_NE(out.body.find("not Go net/rpc"), std::string::npos) << out.body;
}

}  // namespace
}  // namespace thaw::host
