#include "http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include "http/client.h"

namespace thaw::http {
namespace {

namespace asio = boost::asio;

// Records requests; answers at once unless told to hold them.
class TestHandler final : public Handler {
 public:
  // Paths under /small take at most 10 bytes of body.
  std::optional<uint64_t> BodyLimit(const Request& head) override {
    limit_asked = true;
    if (head.path.rfind("/small", 0) == 0) return 10;
    return std::nullopt;
  }
  void Handle(Request request, ResponseWriter writer) override {
    last = request;
    if (hold) {
      held = std::move(writer);
      held_promise.set_value();
      return;
    }
    Response r;
    r.status = request.oversized ? 413 : 200;
    r.headers.Set("X-Echo-Path", request.path);
    r.body = request.body;
    writer.Send(std::move(r));
  }
  Request last;
  std::atomic<bool> limit_asked = false;
  bool hold = false;
  ResponseWriter held;
  std::promise<void> held_promise;
};

class ServerTest : public ::testing::Test {
 protected:
  void Start(ServerOptions options = {}) {
    auto s = Server::Start(io_, std::move(options), &handler_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
    // Kept aside: under UBSan a member call checks the vptr with a pipe, which a test that
    // has used up every descriptor cannot make.
    port_ = server_->port();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    asio::post(io_, [this] { server_->Stop(); });
    guard_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  // Sends `bytes`, closes the write side and returns everything the server answered.
  std::string Raw(const std::string& bytes) {
    int fd = Connect();
    if (fd < 0) return "connect";
    Send(fd, bytes);
    shutdown(fd, SHUT_WR);
    std::string out = ReadToEnd(fd);
    close(fd);
    return out;
  }
  // A connected client socket whose reads give up after `timeout_ms`.
  int Connect(int timeout_ms = 3000) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }
  static void Send(int fd, const std::string& bytes) {
    (void)!write(fd, bytes.data(), bytes.size());
  }
  // Reads until the server closes (returns what came) or the read timeout ("...TIMEOUT").
  static std::string ReadToEnd(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n > 0) {
        out.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) out += "TIMEOUT";
      return out;
    }
  }
  // Reads one response's head (up to the blank line).
  static std::string ReadHead(int fd) {
    std::string out;
    char c;
    while (out.find("\r\n\r\n") == std::string::npos && read(fd, &c, 1) == 1) out.push_back(c);
    return out;
  }
  size_t Connections() {
    std::promise<size_t> p;
    asio::post(io_, [&] { p.set_value(server_->connections()); });
    return p.get_future().get();
  }
  std::string Url() { return "http://127.0.0.1:" + std::to_string(port_); }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
  TestHandler handler_;
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(ServerTest, RoundTripWithQueryAndHeaders) {
  Start();
  auto client = Client::Create(Url());
  ASSERT_TRUE(client.ok());
  Headers h;
  h.Set("X-Test", "1");
  auto r = (*client)->Do("POST", "/a%20b/c?Qualifier=v%241&x", h, "payload");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "payload");
  EXPECT_EQ(r->headers.Get("x-echo-path").value_or(""), "/a b/c");
  EXPECT_EQ(handler_.last.QueryParam("Qualifier").value_or(""), "v$1");
  EXPECT_EQ(handler_.last.QueryParam("x").value_or("missing"), "");
  EXPECT_FALSE(handler_.last.QueryParam("y").has_value());
  EXPECT_EQ(handler_.last.headers.Get("x-test").value_or(""), "1");
  // The connection is kept alive for a second request.
  EXPECT_TRUE((*client)->Do("GET", "/again", {}, "").ok());
}

TEST_F(ServerTest, HandlerMayAnswerLater) {
  handler_.hold = true;
  Start();
  auto done = std::async(std::launch::async, [this] {
    auto client = Client::Create(Url());
    return (*client)->Do("GET", "/next", {}, "");
  });
  handler_.held_promise.get_future().wait();
  EXPECT_NE(done.wait_for(std::chrono::milliseconds(50)), std::future_status::ready);
  asio::post(io_, [this] {
    Response r;
    r.body = "event";
    handler_.held.Send(std::move(r));
  });
  auto r = done.get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "event");
}

TEST_F(ServerTest, OversizedBodyReachesHandlerFlagged) {
  ServerOptions options;
  options.body_limit = 10;
  Start(options);
  std::string reply = Raw("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n01234567890");
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
  EXPECT_TRUE(handler_.last.oversized);
}

TEST_F(ServerTest, ChunkedBodyWithTrailers) {
  Start();
  std::string reply = Raw(
      "POST /r HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
      "Trailer: Lambda-Runtime-Function-Error-Type\r\nConnection: close\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\nLambda-Runtime-Function-Error-Type: Runtime.X\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  EXPECT_EQ(handler_.last.body, "hello world");
  EXPECT_EQ(handler_.last.headers.Get("Lambda-Runtime-Function-Error-Type").value_or(""),
            "Runtime.X");
}

TEST_F(ServerTest, ExpectContinueIsHonoured) {
  Start();
  std::string reply =
      Raw("POST /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n"
          "Connection: close\r\n\r\nok");
  EXPECT_EQ(reply.rfind("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200", 0), 0u) << reply;
}

TEST_F(ServerTest, MalformedRequestGets400) {
  Start();
  std::string reply = Raw("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
}

TEST_F(ServerTest, AcceptFilterClosesRefusedConnections) {
  ServerOptions options;
  options.accept_check = [](const ConnectionInfo&, std::function<void(bool)> done) { done(false); };
  Start(options);
  std::string reply = Raw("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(reply, "");
}

TEST_F(ServerTest, SlowRequestHeadIsClosedAtTheHeaderTimeout) {
  ServerOptions options;
  options.header_timeout_ms = 200;
  Start(options);
  int fd = Connect();
  ASSERT_GE(fd, 0);
  Send(fd, "GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ");
  auto begin = std::chrono::steady_clock::now();
  EXPECT_EQ(ReadToEnd(fd), "");
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(2));
  close(fd);
}

TEST_F(ServerTest, SilentNewConnectionIsClosedAtTheHeaderTimeout) {
  ServerOptions options;
  options.header_timeout_ms = 200;
  Start(options);
  int fd = Connect();
  ASSERT_GE(fd, 0);
  EXPECT_EQ(ReadToEnd(fd), "");
  close(fd);
}

TEST_F(ServerTest, IdleKeptAliveConnectionIsClosedAtTheIdleTimeout) {
  ServerOptions options;
  options.idle_timeout_ms = 300;
  Start(options);
  int fd = Connect();
  ASSERT_GE(fd, 0);
  Send(fd, "GET /a HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(ReadHead(fd).rfind("HTTP/1.1 200", 0), 0u);
  // Still open well inside the idle timeout: a second request is served.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Send(fd, "GET /b HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(ReadHead(fd).rfind("HTTP/1.1 200", 0), 0u);
  auto begin = std::chrono::steady_clock::now();
  EXPECT_EQ(ReadToEnd(fd), "");
  EXPECT_GE(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(200));
  close(fd);
}

TEST_F(ServerTest, HeldRequestNeverTimesOut) {
  ServerOptions options;
  options.header_timeout_ms = 100;
  options.idle_timeout_ms = 100;
  options.body_timeout_ms = 100;
  handler_.hold = true;
  Start(options);
  int fd = Connect();
  ASSERT_GE(fd, 0);
  Send(fd, "GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
  handler_.held_promise.get_future().wait();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  asio::post(io_, [this] {
    Response r;
    r.body = "event";
    handler_.held.Send(std::move(r));
  });
  std::string head = ReadHead(fd);
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  close(fd);
}

TEST_F(ServerTest, HeldRequestNoticesTheClientLeaving) {
  handler_.hold = true;
  Start();
  int fd = Connect();
  ASSERT_GE(fd, 0);
  Send(fd, "GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
  handler_.held_promise.get_future().wait();
  auto connected = [this] {
    std::promise<bool> p;
    asio::post(io_, [&] { p.set_value(handler_.held.connected()); });
    return p.get_future().get();
  };
  EXPECT_TRUE(connected());
  close(fd);
  // connected() asks the kernel, so it is false as soon as the FIN is in.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (connected() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_FALSE(connected());
  // The server's watch closed the connection too.
  while (Connections() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(Connections(), 0u);
}

TEST_F(ServerTest, RouteBodyLimitIsCheckedBeforeTheBodyIsSent) {
  Start();
  int fd = Connect();
  ASSERT_GE(fd, 0);
  // Only the head: the answer must not wait for a body it will never read.
  Send(fd, "POST /small HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n");
  std::string head = ReadHead(fd);
  EXPECT_EQ(head.rfind("HTTP/1.1 413", 0), 0u) << head;
  EXPECT_TRUE(handler_.last.oversized);
  EXPECT_EQ(handler_.last.path, "/small");
  close(fd);
  // Other routes keep the server's limit.
  std::string reply = Raw("POST /big HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n01234567890");
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  EXPECT_EQ(handler_.last.body, "01234567890");
}

TEST_F(ServerTest, RouteBodyLimitStopsAChunkedBody) {
  Start();
  std::string reply =
      Raw("POST /small HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
          "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
  EXPECT_TRUE(handler_.last.oversized);
  std::string ok =
      Raw("POST /small HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
          "5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(ok.rfind("HTTP/1.1 200", 0), 0u) << ok;
  EXPECT_EQ(handler_.last.body, "hello");
}

TEST_F(ServerTest, FullServerDropsTheOldestWaitingConnection) {
  ServerOptions options;
  options.max_connections = 4;
  Start(options);
  std::vector<int> slow;
  for (int i = 0; i < 4; ++i) {
    int fd = Connect();
    ASSERT_GE(fd, 0);
    Send(fd, "GET / HTTP/1.1\r\n");
    slow.push_back(fd);
    // Each is accepted before the next, so their order is known.
    while (Connections() < static_cast<size_t>(i + 1)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  std::string reply = Raw("GET /new HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  EXPECT_EQ(ReadToEnd(slow[0]), "");  // the oldest was dropped
  EXPECT_LE(Connections(), 4u);
  for (int fd : slow) close(fd);
}

TEST_F(ServerTest, FullServerRefusesWhenEveryConnectionIsBusy) {
  ServerOptions options;
  options.max_connections = 1;
  handler_.hold = true;
  Start(options);
  int busy = Connect();
  ASSERT_GE(busy, 0);
  Send(busy, "GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
  handler_.held_promise.get_future().wait();
  int extra = Connect();
  ASSERT_GE(extra, 0);
  EXPECT_EQ(ReadToEnd(extra), "");
  EXPECT_EQ(Connections(), 1u);
  close(extra);
  asio::post(io_, [this] { handler_.held.Send(Response{}); });
  EXPECT_EQ(ReadHead(busy).rfind("HTTP/1.1 200", 0), 0u);
  close(busy);
}

TEST_F(ServerTest, PerPeerCapDropsThatPeersOldestWaitingConnection) {
  ServerOptions options;
  options.max_connections_per_peer = 2;
  Start(options);
  int first = Connect();
  ASSERT_GE(first, 0);
  while (Connections() < 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  int second = Connect();
  ASSERT_GE(second, 0);
  while (Connections() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::string reply = Raw("GET /new HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  EXPECT_EQ(ReadToEnd(first), "");
  close(first);
  close(second);
}

TEST_F(ServerTest, AcceptCheckMayAnswerLater) {
  std::function<void(bool)> pending;
  std::promise<void> asked;
  ServerOptions options;
  options.accept_check = [&](const ConnectionInfo&, std::function<void(bool)> done) {
    pending = std::move(done);
    asked.set_value();
  };
  Start(options);
  int fd = Connect();
  ASSERT_GE(fd, 0);
  Send(fd, "GET /later HTTP/1.1\r\nHost: a\r\n\r\n");
  asked.get_future().wait();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(handler_.limit_asked);  // nothing read before the check passed
  asio::post(io_, [&] { pending(true); });
  EXPECT_EQ(ReadHead(fd).rfind("HTTP/1.1 200", 0), 0u);
  close(fd);
}

// Out of descriptors, the server must wait before accepting again, not spin the loop.
TEST_F(ServerTest, AcceptBacksOffWhenOutOfDescriptors) {
#ifdef THAW_UBSAN
  // UBSan checks a vptr it has not seen by writing to a pipe; with every descriptor used up
  // that fails and it reports a false "invalid vptr" from inside Asio.
  GTEST_SKIP() << "needs a free descriptor under UBSan; runs in the plain build";
#endif
  ServerOptions options;
  options.accept_backoff_ms = 50;
  Start(options);
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = 256;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> filler;
  for (int fd; (fd = dup(0)) >= 0;) filler.push_back(fd);
  ASSERT_FALSE(filler.empty());
  close(filler.back());  // room for the client's socket only
  filler.pop_back();
  int fd = Connect();
  ASSERT_GE(fd, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  getrusage(RUSAGE_SELF, &after);
  auto micros = [](const rusage& r) {
    return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1'000'000L + r.ru_utime.tv_usec +
           r.ru_stime.tv_usec;
  };
  long spent_us = micros(after) - micros(before);
  for (int f : filler) close(f);
  setrlimit(RLIMIT_NOFILE, &saved);
  EXPECT_LT(spent_us, 100'000) << "the loop spun on accept";
  // With descriptors back, the waiting connection is served.
  Send(fd, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(ReadHead(fd).rfind("HTTP/1.1 200", 0), 0u);
  close(fd);
}

}  // namespace
}  // namespace thaw::http
