#include "runtime_api/runtime_session.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include "base/codec.h"
#include "http/client.h"
#include "runtime_api/protocol.h"

namespace thaw::runtime_api {
namespace {

namespace asio = boost::asio;

struct Recorder final : public Listener {
  void OnRuntimeNext() override { ++nexts; }
  void OnInvocationResponse(std::string body, std::string) override { responses.push_back(body); }
  void OnInvocationError(std::string body, std::string type) override {
    errors.push_back(body);
    error_types.push_back(type);
  }
  void OnResponseTooLarge() override { ++too_large; }
  void OnInitError(std::string body, std::string type) override {
    init_errors.push_back(body + "|" + type);
  }
  void OnStreamStart(std::string content_type) override {
    std::lock_guard<std::mutex> lock(mu);
    stream_type = content_type;
  }
  void OnStreamChunk(std::string data) override {
    std::lock_guard<std::mutex> lock(mu);
    streamed += data;
  }
  void OnStreamEnd(std::string type, std::string body) override {
    std::lock_guard<std::mutex> lock(mu);
    stream_end = type + "|" + body;
  }
  std::string Streamed() {
    std::lock_guard<std::mutex> lock(mu);
    return streamed;
  }
  std::mutex mu;
  std::string stream_type, streamed;
  std::optional<std::string> stream_end;
  std::atomic<int> nexts{0};
  std::vector<std::string> responses, errors, error_types, init_errors;
  int too_large = 0;
};

class RuntimeSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    http::ServerOptions options;
    options.body_limit = kMaxResponseBytes;
    auto s = http::Server::Start(io_, options, &session_);
    ASSERT_TRUE(s.ok());
    server_ = std::move(*s);
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    asio::post(io_, [this] {
      server_->Stop();
      session_.Reset();
    });
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  std::unique_ptr<http::Client> NewClient() {
    return http::Client::Create("127.0.0.1:" + std::to_string(server_->port())).value();
  }
  // Runs fn on the loop and waits for it.
  void OnLoop(std::function<void()> fn) {
    std::promise<void> p;
    asio::post(io_, [&] {
      fn();
      p.set_value();
    });
    p.get_future().wait();
  }
  http::Response Post(const std::string& path, const std::string& body,
                      const http::Headers& headers = {}) {
    auto r = NewClient()->Do("POST", path, headers, body);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : http::Response{};
  }
  // Starts a /next in the background; the runtime side of an invocation.
  std::future<StatusOr<http::Response>> Next(http::Client* client) {
    return std::async(std::launch::async,
                      [client] { return client->Do("GET", kNextPath, {}, ""); });
  }
  Event MakeEvent(const std::string& id) {
    Event e;
    e.request_id = id;
    e.payload = R"({"k":1})";
    e.deadline_ms = 1700000000123;
    e.invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:f";
    e.trace_id = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    return e;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
  Recorder recorder_;
  RuntimeSession session_{&recorder_, {"f", "$LATEST", "bootstrap"}};
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
};

TEST_F(RuntimeSessionTest, NextWaitsForAnEventAndCarriesEveryHeader) {
  auto runtime = NewClient();
  auto next = Next(runtime.get());
  while (recorder_.nexts == 0) std::this_thread::yield();
  EXPECT_NE(next.wait_for(std::chrono::milliseconds(30)), std::future_status::ready);
  OnLoop([&] { session_.Deliver(MakeEvent("id-1")); });
  auto r = next.get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"k":1})");
  EXPECT_EQ(r->headers.Get(kHeaderRequestId).value_or(""), "id-1");
  EXPECT_EQ(r->headers.Get(kHeaderDeadlineMs).value_or(""), "1700000000123");
  EXPECT_EQ(r->headers.Get(kHeaderFunctionArn).value_or(""),
            "arn:aws:lambda:us-east-1:000000000000:function:f");
  EXPECT_NE(r->headers.Get(kHeaderTraceId).value_or("").find("Root=1-"), std::string::npos);
  EXPECT_FALSE(r->headers.Get(kHeaderClientContext).has_value());
}

// A runtime whose parked /next connection went away before the event came (killed, or its
// client gave up): the event waits for the next /next instead of vanishing into the socket.
class ParkedNextGoneTest : public RuntimeSessionTest, public ::testing::WithParamInterface<int> {};

TEST_P(ParkedNextGoneTest, EventGoesToTheNextNext) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server_->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string next = std::string("GET ") + kNextPath + " HTTP/1.1\r\nHost: r\r\n\r\n";
  ASSERT_EQ(write(fd, next.data(), next.size()), static_cast<ssize_t>(next.size()));
  while (recorder_.nexts == 0) std::this_thread::yield();
  close(fd);
  // 0: deliver at once (only the kernel knows the client left); else after the server saw it.
  std::this_thread::sleep_for(std::chrono::milliseconds(GetParam()));
  OnLoop([&] { session_.Deliver(MakeEvent("id-kept")); });
  auto runtime = NewClient();
  auto r = runtime->Do("GET", kNextPath, {}, "", /*timeout_ms=*/3000);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->headers.Get(kHeaderRequestId).value_or(""), "id-kept");
  OnLoop([&] { EXPECT_EQ(session_.state(), RuntimeState::kRunning); });
  EXPECT_EQ(Post("/2018-06-01/runtime/invocation/id-kept/response", "{}").status, 202);
}

INSTANTIATE_TEST_SUITE_P(Delays, ParkedNextGoneTest, ::testing::Values(0, 200));

TEST_F(RuntimeSessionTest, ResponseStateMachine) {
  auto runtime = NewClient();
  auto next = Next(runtime.get());
  while (recorder_.nexts == 0) std::this_thread::yield();
  OnLoop([&] { session_.Deliver(MakeEvent("id-2")); });
  ASSERT_TRUE(next.get().ok());

  auto wrong = Post("/2018-06-01/runtime/invocation/other/response", "{}");
  EXPECT_EQ(wrong.status, 400);
  EXPECT_EQ(wrong.body,
            "{\"errorMessage\":\"Invalid request ID\",\"errorType\":\"InvalidRequestID\"}\n");

  auto ok = Post("/2018-06-01/runtime/invocation/id-2/response", "\"done\"");
  EXPECT_EQ(ok.status, 202);
  EXPECT_EQ(ok.body, "{\"status\":\"OK\"}\n");
  OnLoop([] {});
  ASSERT_EQ(recorder_.responses.size(), 1u);
  EXPECT_EQ(recorder_.responses[0], "\"done\"");

  auto twice = Post("/2018-06-01/runtime/invocation/id-2/response", "\"again\"");
  EXPECT_EQ(twice.status, 403);
  EXPECT_NE(twice.body.find("InvalidStateTransition"), std::string::npos);
  auto error_after = Post("/2018-06-01/runtime/invocation/id-2/error", "{}");
  EXPECT_EQ(error_after.status, 403);

  // The next /next ends the invocation.
  auto next2 = Next(runtime.get());
  while (recorder_.nexts < 2) std::this_thread::yield();
  OnLoop([&] { session_.Deliver(MakeEvent("id-3")); });
  EXPECT_EQ(next2.get()->headers.Get(kHeaderRequestId).value_or(""), "id-3");
}

TEST_F(RuntimeSessionTest, ErrorPassesBodyAndType) {
  auto runtime = NewClient();
  auto next = Next(runtime.get());
  while (recorder_.nexts == 0) std::this_thread::yield();
  OnLoop([&] { session_.Deliver(MakeEvent("id-4")); });
  ASSERT_TRUE(next.get().ok());
  http::Headers h;
  h.Set(kHeaderErrorType, "Runtime.Custom");
  auto r = Post("/2018-06-01/runtime/invocation/id-4/error", R"({"errorMessage":"x"})", h);
  EXPECT_EQ(r.status, 202);
  OnLoop([] {});
  ASSERT_EQ(recorder_.errors.size(), 1u);
  EXPECT_EQ(recorder_.errors[0], R"({"errorMessage":"x"})");
  EXPECT_EQ(recorder_.error_types[0], "Runtime.Custom");
}

TEST_F(RuntimeSessionTest, BufferedResponseModeIsRuntimeInvalidResponseModeHeader) {
  auto runtime = NewClient();
  auto next = Next(runtime.get());
  while (recorder_.nexts == 0) std::this_thread::yield();
  OnLoop([&] { session_.Deliver(MakeEvent("id-mode")); });
  ASSERT_TRUE(next.get().ok());
  http::Headers h;
  h.Set(kHeaderResponseMode, "buffered");
  auto r = Post("/2018-06-01/runtime/invocation/id-mode/response", "{}", h);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("InvalidFunctionResponseMode"), std::string::npos);
  OnLoop([] {});
  ASSERT_EQ(recorder_.errors.size(), 1u);
  EXPECT_EQ(
      recorder_.errors[0],
      R"({"errorType":"Runtime.InvalidResponseModeHeader","errorMessage":"Invalid response mode header"})");
  EXPECT_EQ(recorder_.error_types[0], "Runtime.InvalidResponseModeHeader");
}

TEST_F(RuntimeSessionTest, OversizedResponseGets413) {
  auto runtime = NewClient();
  auto next = Next(runtime.get());
  while (recorder_.nexts == 0) std::this_thread::yield();
  OnLoop([&] { session_.Deliver(MakeEvent("id-5")); });
  ASSERT_TRUE(next.get().ok());
  auto r =
      Post("/2018-06-01/runtime/invocation/id-5/response", std::string(kMaxResponseBytes + 1, 'x'));
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("Exceeded maximum allowed payload size (6291556 bytes)."),
            std::string::npos);
  OnLoop([] {});
  EXPECT_EQ(recorder_.too_large, 1);
}

TEST_F(RuntimeSessionTest, InitErrorOnlyBeforeFirstNext) {
  http::Headers h;
  h.Set(kHeaderErrorType, "Runtime.ImportModuleError");
  auto r = Post(kInitErrorPath, R"({"errorMessage":"no module"})", h);
  EXPECT_EQ(r.status, 202);
  OnLoop([] {});
  ASSERT_EQ(recorder_.init_errors.size(), 1u);
  EXPECT_EQ(recorder_.init_errors[0], R"({"errorMessage":"no module"}|Runtime.ImportModuleError)");
  auto next = NewClient()->Do("GET", kNextPath, {}, "");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->status, 403);
  EXPECT_EQ(Post(kInitErrorPath, "{}").status, 403);
}

// rapid's allow-list: the listener never sees a type Lambda would not keep.
TEST_F(RuntimeSessionTest, InitErrorTypeIsFilteredAsLambdaDoes) {
  http::Headers h;
  h.Set(kHeaderErrorType, "bogus");
  EXPECT_EQ(Post(kInitErrorPath, "{}", h).status, 202);
  OnLoop([] {});
  ASSERT_EQ(recorder_.init_errors.size(), 1u);
  EXPECT_EQ(recorder_.init_errors[0], "{}|Runtime.Unknown");
}

TEST_F(RuntimeSessionTest, ExtensionsRegisterAndReceiveShutdown) {
  http::Headers h;
  h.Set(kHeaderExtensionName, "ext");
  auto reg = Post(kExtensionRegisterPath, R"({"events":["SHUTDOWN"]})", h);
  ASSERT_EQ(reg.status, 200);
  EXPECT_EQ(reg.body, R"({"functionName":"f","functionVersion":"$LATEST","handler":"bootstrap"})");
  std::string id(reg.headers.Get(kHeaderExtensionId).value_or(""));
  ASSERT_FALSE(id.empty());
  OnLoop([&] {
    EXPECT_TRUE(session_.has_extensions());
    EXPECT_FALSE(session_.only_internal_extensions());
    session_.SendShutdown("spindown", 42);
  });
  http::Headers idh;
  idh.Set(kHeaderExtensionId, id);
  auto ev = NewClient()->Do("GET", kExtensionNextPath, idh, "");
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->body, R"({"deadlineMs":42,"eventType":"SHUTDOWN","shutdownReason":"spindown"})");
  http::Headers bad;
  bad.Set(kHeaderExtensionId, "nope");
  EXPECT_EQ(NewClient()->Do("GET", kExtensionNextPath, bad, "")->status, 403);
  EXPECT_EQ(NewClient()->Do("GET", kExtensionNextPath, {}, "")->status, 403);
}

TEST_F(RuntimeSessionTest, InitWaitsForExpectedExtensionsAndInvokeForSubscribers) {
  OnLoop([&] { session_.ExpectExtensions({"ext"}); });
  auto runtime = NewClient();
  auto next = Next(runtime.get());
  // The runtime is ready first, but the external extension has not registered yet.
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  OnLoop([&] { EXPECT_EQ(recorder_.nexts, 0); });
  http::Headers h;
  h.Set(kHeaderExtensionName, "ext");
  auto reg = Post(kExtensionRegisterPath, R"({"events":["INVOKE","SHUTDOWN"]})", h);
  ASSERT_EQ(reg.status, 200);
  http::Headers idh;
  idh.Set(kHeaderExtensionId, std::string(reg.headers.Get(kHeaderExtensionId).value_or("")));
  OnLoop([&] { EXPECT_EQ(recorder_.nexts, 0); });  // registered, but no /event/next yet
  auto ext = NewClient();
  auto ext_next =
      std::async(std::launch::async, [&] { return ext->Do("GET", kExtensionNextPath, idh, ""); });
  while (recorder_.nexts == 0) std::this_thread::yield();  // now init is done

  OnLoop([&] { session_.Deliver(MakeEvent("id-7")); });
  ASSERT_TRUE(next.get().ok());
  auto invoke = ext_next.get();
  ASSERT_TRUE(invoke.ok());
  EXPECT_NE(invoke->body.find(R"("requestId":"id-7")"), std::string::npos) << invoke->body;
  EXPECT_NE(invoke->body.find(R"("eventType":"INVOKE")"), std::string::npos);
  EXPECT_EQ(Post("/2018-06-01/runtime/invocation/id-7/response", "{}").status, 202);
  auto next2 = Next(runtime.get());
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  // The runtime is back, the extension is not: the invocation has not ended.
  OnLoop([&] {
    EXPECT_EQ(recorder_.nexts, 1);
    EXPECT_EQ(session_.busy_extensions(), std::vector<std::string>{"ext"});
  });
  auto ext_next2 =
      std::async(std::launch::async, [&] { return ext->Do("GET", kExtensionNextPath, idh, ""); });
  while (recorder_.nexts < 2) std::this_thread::yield();
  OnLoop([&] {
    EXPECT_TRUE(session_.busy_extensions().empty());
    EXPECT_FALSE(session_.only_internal_extensions());
    session_.SendShutdown("spindown", 1);
  });
  EXPECT_NE(ext_next2.get()->body.find("SHUTDOWN"), std::string::npos);
  OnLoop([&] { session_.Deliver(MakeEvent("id-8")); });
  EXPECT_TRUE(next2.get().ok());
}

TEST_F(RuntimeSessionTest, ExtensionInitErrorFailsInit) {
  OnLoop([&] { session_.ExpectExtensions({"ext"}); });
  http::Headers h;
  h.Set(kHeaderExtensionName, "ext");
  auto reg = Post(kExtensionRegisterPath, R"({"events":[]})", h);
  http::Headers eh;
  eh.Set(kHeaderExtensionId, std::string(reg.headers.Get(kHeaderExtensionId).value_or("")));
  eh.Set(kHeaderExtensionErrorType, "Extension.ConfigInvalid");
  EXPECT_EQ(Post(kExtensionInitErrorPath, R"({"errorMessage":"bad"})", eh).status, 202);
  OnLoop([] {});
  ASSERT_EQ(recorder_.init_errors.size(), 1u);
  EXPECT_EQ(recorder_.init_errors[0], R"({"errorMessage":"bad"}|Extension.ConfigInvalid)");
  eh.Set(kHeaderExtensionErrorType, "Whatever");
  Post(kExtensionInitErrorPath, "{}", eh);
  OnLoop([] {});
  EXPECT_EQ(recorder_.init_errors.back(), "{}|Extension.InitError");
}

TEST_F(RuntimeSessionTest, UnknownRouteIs404) {
  auto r = NewClient()->Do("GET", "/2018-06-01/nope", {}, "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
}

// A runtime posting a streamed /response over a raw socket, a piece at a time.
class StreamingRuntime {
 public:
  explicit StreamingRuntime(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{3, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  ~StreamingRuntime() { close(fd_); }
  void Begin(const std::string& id, bool mode_header = true) {
    std::string mode = mode_header ? std::string(kHeaderResponseMode) + ": streaming\r\n" : "";
    Send("POST " + std::string(kInvocationPrefix) + id +
         "/response HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n" + mode +
         "Transfer-Encoding: chunked\r\n\r\n");
  }
  void Chunk(const std::string& data) {
    char size[16];
    snprintf(size, sizeof size, "%zx\r\n", data.size());
    Send(size + data + "\r\n");
  }
  void End(const std::string& trailers = "") { Send("0\r\n" + trailers + "\r\n"); }
  // The status code of the answer.
  int Answer() {
    std::string out;
    char buf[1024];
    while (out.find("\r\n") == std::string::npos) {
      ssize_t n = read(fd_, buf, sizeof buf);
      if (n <= 0) return -1;
      out.append(buf, static_cast<size_t>(n));
    }
    return std::atoi(out.c_str() + 9);
  }

 private:
  void Send(const std::string& s) { (void)!write(fd_, s.data(), s.size()); }
  int fd_ = -1;
};

bool WaitFor(const std::function<bool()>& f) {
  for (int i = 0; i < 300; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

class RuntimeStreamTest : public RuntimeSessionTest {
 protected:
  // Delivers event `id` to a runtime's /next.
  void Running(const std::string& id, bool stream_response = false) {
    auto runtime = NewClient();
    auto next = Next(runtime.get());
    while (recorder_.nexts == 0) std::this_thread::yield();
    Event event = MakeEvent(id);
    event.stream_response = stream_response;
    OnLoop([&] { session_.Deliver(event); });
    ASSERT_TRUE(next.get().ok());
  }
};

TEST_F(RuntimeStreamTest, StreamedResponseReachesTheListenerAsItArrives) {
  Running("id-s");
  StreamingRuntime runtime(server_->port());
  runtime.Begin("id-s");
  runtime.Chunk("ab");
  ASSERT_TRUE(WaitFor([&] { return recorder_.Streamed() == "ab"; }));
  {
    std::lock_guard<std::mutex> lock(recorder_.mu);
    EXPECT_EQ(recorder_.stream_type, "text/plain");
    EXPECT_FALSE(recorder_.stream_end.has_value());
  }
  runtime.Chunk("cd");
  runtime.End();
  EXPECT_EQ(runtime.Answer(), 202);
  OnLoop([] {});  // the listener hears of the end just after the answer goes out
  EXPECT_EQ(recorder_.Streamed(), "abcd");
  std::lock_guard<std::mutex> lock(recorder_.mu);
  EXPECT_EQ(recorder_.stream_end.value_or("none"), "|");
  EXPECT_EQ(session_.state(), RuntimeState::kResponseSent);
  EXPECT_TRUE(recorder_.responses.empty());
}

TEST_F(RuntimeStreamTest, ErrorTrailersEndTheStreamWithTheError) {
  Running("id-e");
  StreamingRuntime runtime(server_->port());
  runtime.Begin("id-e");
  runtime.Chunk("partial");
  std::string body = R"({"errorMessage":"broke","errorType":"errorString"})";
  runtime.End(std::string(kHeaderErrorType) + ": errorString\r\n" + kHeaderErrorBody + ": " +
              Base64Encode(body) + "\r\n");
  EXPECT_EQ(runtime.Answer(), 202);
  OnLoop([] {});  // the listener hears of the end just after the answer goes out
  std::lock_guard<std::mutex> lock(recorder_.mu);
  EXPECT_EQ(recorder_.streamed, "partial");
  EXPECT_EQ(recorder_.stream_end.value_or("none"), "errorString|" + body);
}

TEST_F(RuntimeStreamTest, StreamPastTheLimitIsCutAndRefused) {
  OnLoop([&] { session_.SetStreamLimits({.max_bytes = 10, .unthrottled_bytes = 10}); });
  Running("id-big");
  StreamingRuntime runtime(server_->port());
  runtime.Begin("id-big");
  runtime.Chunk("0123456");
  runtime.Chunk("789abcdef");
  runtime.Chunk("more");
  runtime.End();
  EXPECT_EQ(runtime.Answer(), 413);
  OnLoop([] {});  // the listener hears of the end just after the answer goes out
  std::lock_guard<std::mutex> lock(recorder_.mu);
  EXPECT_EQ(recorder_.streamed, "0123456789");
  EXPECT_EQ(recorder_.stream_end.value_or("none").rfind("Function.ResponseSizeTooLarge|", 0), 0u)
      << recorder_.stream_end.value_or("none");
}

TEST_F(RuntimeStreamTest, BytesPastTheUnthrottledPartArePaced) {
  // 10 bytes free, then 100 bytes a second: 20 more take about 200 ms.
  OnLoop([&] {
    session_.SetStreamLimits({.max_bytes = 1000, .unthrottled_bytes = 10, .bytes_per_second = 100});
  });
  Running("id-p");
  StreamingRuntime runtime(server_->port());
  auto start = std::chrono::steady_clock::now();
  runtime.Begin("id-p");
  runtime.Chunk(std::string(30, 'x'));
  runtime.End();
  EXPECT_EQ(runtime.Answer(), 202);
  OnLoop([] {});  // the listener hears of the end just after the answer goes out
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(180));
  EXPECT_EQ(recorder_.Streamed(), std::string(30, 'x'));
}

// aws-lambda-go posts every response chunked and never sends the Response-Mode header.
TEST_F(RuntimeStreamTest, ChunkedResponseStreamsWhenTheCallerTakesAStream) {
  Running("id-go", /*stream_response=*/true);
  StreamingRuntime runtime(server_->port());
  runtime.Begin("id-go", /*mode_header=*/false);
  runtime.Chunk("ab");
  ASSERT_TRUE(WaitFor([&] { return recorder_.Streamed() == "ab"; }));
  runtime.End();
  EXPECT_EQ(runtime.Answer(), 202);
  OnLoop([] {});  // the listener hears of the end just after the answer goes out
  std::lock_guard<std::mutex> lock(recorder_.mu);
  EXPECT_EQ(recorder_.stream_end.value_or("none"), "|");
}

TEST_F(RuntimeStreamTest, ChunkedResponseIsBufferedForAPlainInvoke) {
  Running("id-plain");
  StreamingRuntime runtime(server_->port());
  runtime.Begin("id-plain", /*mode_header=*/false);
  runtime.Chunk("ab");
  runtime.End();
  EXPECT_EQ(runtime.Answer(), 202);
  OnLoop([] {});  // the listener hears of the end just after the answer goes out
  std::lock_guard<std::mutex> lock(recorder_.mu);
  EXPECT_TRUE(recorder_.streamed.empty());
  EXPECT_EQ(recorder_.responses, std::vector<std::string>{"ab"});
}

TEST_F(RuntimeStreamTest, WrongRequestIdIsNotStreamed) {
  Running("id-w");
  StreamingRuntime runtime(server_->port());
  runtime.Begin("other");
  runtime.Chunk("x");
  runtime.End();
  EXPECT_EQ(runtime.Answer(), 400);
  OnLoop([] {});  // the listener hears of the end just after the answer goes out
  std::lock_guard<std::mutex> lock(recorder_.mu);
  EXPECT_TRUE(recorder_.streamed.empty());
  EXPECT_FALSE(recorder_.stream_end.has_value());
}

}  // namespace
}  // namespace thaw::runtime_api
