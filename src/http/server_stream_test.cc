// The server's streaming paths: a chunked request body handed on as it arrives
// (Handler::StreamBody), and a chunked answer written a piece at a time (StreamWriter).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include "http/server.h"

namespace thaw::http {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

struct Recorder final : BodyStream {
  int64_t OnBodyData(std::string data) override {
    std::lock_guard<std::mutex> lock(mu);
    pieces.push_back(std::move(data));
    times.push_back(Clock::now());
    return pause_ms;
  }
  void OnBodyAbort() override { aborted = true; }
  std::string joined() {
    std::lock_guard<std::mutex> lock(mu);
    std::string out;
    for (const auto& p : pieces) out += p;
    return out;
  }
  std::mutex mu;
  std::vector<std::string> pieces;
  std::vector<Clock::time_point> times;
  std::atomic<bool> aborted = false;
  int64_t pause_ms = 0;
};

class StreamHandler final : public Handler {
 public:
  std::shared_ptr<BodyStream> StreamBody(const Request& head) override {
    if (head.path != "/stream") return nullptr;
    return recorder;
  }
  void Handle(Request request, ResponseWriter writer) override {
    handled = true;
    if (request.path == "/respond") {
      Response head;
      head.headers.Set("Content-Type", "text/plain");
      stream = writer.Stream(std::move(head));
      streaming.set_value();
      return;
    }
    Response r;
    r.body = "got[" + request.body + "] trailer[" +
             std::string(request.headers.Get("X-Trailer").value_or("")) + "]";
    writer.Send(std::move(r));
  }
  std::shared_ptr<Recorder> recorder = std::make_shared<Recorder>();
  std::atomic<bool> handled = false;
  StreamWriter stream;
  std::promise<void> streaming;
};

class ServerStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.body_limit = 16;  // a streamed body is not held to it
    auto s = Server::Start(io_, options, &handler_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
    port_ = server_->port();
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    asio::post(io_, [this] {
      handler_.stream = StreamWriter();
      server_->Stop();
    });
    guard_.reset();
    if (thread_.joinable()) thread_.join();
  }
  int Connect() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    return fd;
  }
  static void Send(int fd, const std::string& s) { (void)!write(fd, s.data(), s.size()); }
  // Reads until `want` shows up in what came, or the read times out.
  static std::string ReadUntil(int fd, const std::string& want, std::string out = "") {
    char buf[4096];
    while (out.find(want) == std::string::npos) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  template <typename F>
  static bool WaitFor(F f) {
    for (int i = 0; i < 300; ++i) {
      if (f()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  template <typename F>
  void OnLoop(F f) {
    std::promise<void> done;
    asio::post(io_, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_{io_.get_executor()};
  StreamHandler handler_;
  std::unique_ptr<Server> server_;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(ServerStreamTest, RequestBodyArrivesAsItIsSent) {
  int fd = Connect();
  Send(fd, "POST /stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
  ASSERT_TRUE(WaitFor([&] { return handler_.recorder->joined() == "hello"; }));
  EXPECT_FALSE(handler_.handled);  // the body is not complete yet
  // Past the server's body limit of 16: a streamed body has none.
  Send(fd, "13\r\n world, and more...\r\n0\r\nX-Trailer: end\r\n\r\n");
  std::string out = ReadUntil(fd, "]");
  EXPECT_NE(out.find("HTTP/1.1 200"), std::string::npos) << out;
  EXPECT_NE(out.find("got[] trailer[end]"), std::string::npos) << out;
  EXPECT_EQ(handler_.recorder->joined(), "hello world, and more...");
  EXPECT_FALSE(handler_.recorder->aborted);
  close(fd);
}

TEST_F(ServerStreamTest, OtherPathsStillBuffer) {
  int fd = Connect();
  Send(fd,
       "POST /other HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
       "3\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n");
  std::string out = ReadUntil(fd, "]");
  EXPECT_NE(out.find("got[abc] trailer[t]"), std::string::npos) << out;
  EXPECT_TRUE(handler_.recorder->pieces.empty());
  close(fd);
}

TEST_F(ServerStreamTest, ClientGoneMidBodyAborts) {
  int fd = Connect();
  Send(fd, "POST /stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n");
  ASSERT_TRUE(WaitFor([&] { return handler_.recorder->joined() == "hi"; }));
  close(fd);
  EXPECT_TRUE(WaitFor([&] { return handler_.recorder->aborted.load(); }));
  EXPECT_FALSE(handler_.handled);
}

TEST_F(ServerStreamTest, PauseDelaysTheNextRead) {
  handler_.recorder->pause_ms = 300;
  int fd = Connect();
  Send(fd, "POST /stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n");
  ASSERT_TRUE(WaitFor([&] { return handler_.recorder->joined() == "a"; }));
  Send(fd, "1\r\nb\r\n0\r\n\r\n");
  std::string out = ReadUntil(fd, "]");
  EXPECT_NE(out.find("got[]"), std::string::npos) << out;
  std::lock_guard<std::mutex> lock(handler_.recorder->mu);
  ASSERT_EQ(handler_.recorder->times.size(), 2u);
  EXPECT_GE(handler_.recorder->times[1] - handler_.recorder->times[0],
            std::chrono::milliseconds(250));
  close(fd);
}

TEST_F(ServerStreamTest, ChunkedAnswerIsSentPieceByPiece) {
  int fd = Connect();
  Send(fd, "GET /respond HTTP/1.1\r\nHost: x\r\n\r\n");
  handler_.streaming.get_future().wait();
  OnLoop([&] { handler_.stream.Write("first"); });
  std::string out = ReadUntil(fd, "first\r\n");
  EXPECT_NE(out.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\n\r\n5\r\nfirst\r\n"), std::string::npos) << out;
  OnLoop([&] {
    handler_.stream.Write("");  // skipped: an empty chunk would end the body
    handler_.stream.Write(std::string(300, 'x'));
    Headers trailers;
    trailers.Add("X-Done", "yes");
    handler_.stream.End(trailers);
  });
  out = ReadUntil(fd, "X-Done: yes\r\n\r\n", out);
  EXPECT_NE(out.find("12c\r\n" + std::string(300, 'x') + "\r\n0\r\nX-Done: yes\r\n\r\n"),
            std::string::npos)
      << out;
  // The connection is kept alive for the next request.
  Send(fd, "POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok");
  out = ReadUntil(fd, "]");
  EXPECT_NE(out.find("got[ok]"), std::string::npos) << out;
  close(fd);
}

TEST_F(ServerStreamTest, DroppedStreamWriterCutsTheConnection) {
  int fd = Connect();
  Send(fd, "GET /respond HTTP/1.1\r\nHost: x\r\n\r\n");
  handler_.streaming.get_future().wait();
  OnLoop([&] {
    handler_.stream.Write("part");
    handler_.stream = StreamWriter();
  });
  std::string out = ReadUntil(fd, "never");
  EXPECT_NE(out.find("HTTP/1.1 200"), std::string::npos) << out;
  EXPECT_EQ(out.find("0\r\n\r\n"), std::string::npos) << out;  // never looks complete
  char c;
  EXPECT_EQ(read(fd, &c, 1), 0);  // closed, not merely quiet
  close(fd);
}

}  // namespace
}  // namespace thaw::http
