#include "http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

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
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    asio::post(io_, [this] { server_->Stop(); });
    guard_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string Raw(const std::string& bytes) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server_->port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return "connect";
    (void)!write(fd, bytes.data(), bytes.size());
    shutdown(fd, SHUT_WR);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    close(fd);
    return out;
  }
  std::string Url() { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
  TestHandler handler_;
  std::unique_ptr<Server> server_;
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
  options.accept_filter = [](const ConnectionInfo&) { return false; };
  Start(options);
  std::string reply = Raw("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(reply, "");
}

}  // namespace
}  // namespace thaw::http
