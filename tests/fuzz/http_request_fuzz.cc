// Fuzzes the HTTP/1.1 server (Boost.Beast's parser behind http::Server, and our Session around
// it) with raw bytes from a real TCP connection: request heads, bodies with Content-Length or
// chunked encoding, several requests on one connection, truncated ones. The input is written in
// pieces (the first byte sets their size), running the server's io_context between pieces, so
// heads and chunks arrive split. Everything runs on this one thread: io_context::poll never
// blocks, and loopback delivers a write before write() returns.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>

#include "http/server.h"

namespace http = thaw::http;

namespace {

// Answers every request at once, touching what a handler reads.
class Echo final : public http::Handler {
 public:
  void Handle(http::Request request, http::ResponseWriter writer) override {
    http::Response response;
    response.body = request.method + " " + request.path + " " +
                    request.QueryParam("Qualifier").value_or("-") + " " +
                    std::string(request.headers.Get("Content-Type").value_or("-")) + " " +
                    std::to_string(request.body.size()) + (request.oversized ? " oversized" : "");
    writer.Send(std::move(response));
  }
};

struct Fixture {
  boost::asio::io_context io;
  Echo handler;
  std::unique_ptr<http::Server> server;
};

Fixture& Get() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;
    http::ServerOptions options;
    options.body_limit = 64 << 10;  // small, so bodies over it are reachable too
    auto server = http::Server::Start(f->io, options, &f->handler);
    if (!server.ok()) std::abort();
    f->server = std::move(server).value();
    return f;
  }();
  return *fixture;
}

// Reads and drops what the server sent; false once it closed the connection.
bool Drain(int fd) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) continue;
    if (n == 0) return false;
    return errno == EAGAIN || errno == EINTR;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Fixture& f = Get();
  const size_t piece = data[0] % 64 + 1;
  ++data;
  --size;

  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) std::abort();
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(f.server->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    std::abort();
  }

  bool open = true;
  size_t pos = 0;
  for (int stalls = 0; open && pos < size && stalls < 100;) {
    ssize_t n = ::write(fd, data + pos, std::min(piece, size - pos));
    if (n > 0) {
      pos += static_cast<size_t>(n);
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      break;  // the server closed the connection (a bad request)
    }
    size_t ran = f.io.poll();
    open = Drain(fd);
    stalls = (n > 0 || ran > 0) ? 0 : stalls + 1;
  }
  ::shutdown(fd, SHUT_WR);
  // Until the server closes the connection, or has nothing left to do.
  for (int idle = 0; open && idle < 10;) {
    size_t ran = f.io.poll();
    open = Drain(fd);
    idle = ran > 0 ? 0 : idle + 1;
  }
  ::close(fd);
  for (int i = 0; i < 3; ++i) f.io.poll();
  return 0;
}
