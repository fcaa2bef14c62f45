// An HTTP/1.1 server on Boost.Beast that hands each request to a Handler and lets the handler
// answer later (the Runtime API holds /next open until an event arrives).
// It bounds what a client can hold: the request head must arrive within a timeout, an idle
// kept-alive connection is closed after another, each route's body limit is checked from the
// head before any of the body is read, and connections are capped per listener and per peer
// (when full, the connection that has waited longest for its request head is dropped).
// Loop thread only: Start, Stop and ResponseWriter::Send must run on the io_context's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "http/message.h"

namespace boost::asio {
class io_context;
}

namespace thaw::http {

namespace detail {
class Session;
}

// A one-shot handle for answering one request. Destroying it unanswered sends a 500.
class ResponseWriter {
 public:
  ResponseWriter() = default;
  explicit ResponseWriter(std::shared_ptr<detail::Session> session);
  ResponseWriter(ResponseWriter&&) noexcept = default;
  ResponseWriter& operator=(ResponseWriter&&) noexcept;
  ResponseWriter(const ResponseWriter&) = delete;
  ResponseWriter& operator=(const ResponseWriter&) = delete;
  ~ResponseWriter();

  void Send(Response response);
  bool valid() const { return session_ != nullptr; }
  // True while the client's connection is still open: the server watches a held request's
  // connection, and this also asks the kernel whether the client has closed its end.
  bool connected() const;

 private:
  std::shared_ptr<detail::Session> session_;
};

class Handler {
 public:
  virtual ~Handler() = default;
  // The most body this request may carry, decided from its head (body empty) before any of
  // the body is read; nullopt for the server's body_limit. A larger body reaches Handle with
  // `oversized` set and is never read.
  virtual std::optional<uint64_t> BodyLimit(const Request& head) {
    (void)head;
    return std::nullopt;
  }
  virtual void Handle(Request request, ResponseWriter writer) = 0;
};

struct ConnectionInfo {
  int fd = -1;
  std::string local_address;
  uint16_t local_port = 0;
  std::string peer_address;
  uint16_t peer_port = 0;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;                  // 0 picks a free port
  uint64_t body_limit = 80ull << 20;  // the largest any route may allow
  // A listening TCP socket to serve instead of binding host:port (one made in another network
  // namespace). The server owns it.
  int adopt_fd = -1;
  // Called on accept, before any byte is read; the connection is served once `done(true)` is
  // called (now or later, on the loop thread) and closed on `done(false)`.
  std::function<void(const ConnectionInfo&, std::function<void(bool)> done)> accept_check;
  // A new connection, and each request head, must arrive complete within this.
  int64_t header_timeout_ms = 10'000;
  // A kept-alive connection with no request in flight, or a response the client does not
  // read, is closed after this (0: never). A request the handler holds (a parked /next) never
  // times out.
  int64_t idle_timeout_ms = 60'000;
  // A body that makes no progress for this long is abandoned.
  int64_t body_timeout_ms = 30'000;
  size_t max_connections = 1024;
  size_t max_connections_per_peer = 1024;  // by peer address
  // After EMFILE/ENFILE the server stops accepting for this long instead of retrying at once.
  int64_t accept_backoff_ms = 100;
};

class Server {
 public:
  // `handler` must outlive the server.
  static StatusOr<std::unique_ptr<Server>> Start(boost::asio::io_context& io, ServerOptions options,
                                                 Handler* handler);
  virtual ~Server() = default;
  virtual uint16_t port() const = 0;
  // Open connections (tests, diagnostics).
  virtual size_t connections() const = 0;
  // Stops accepting and closes every open connection. Idempotent.
  virtual void Stop() = 0;
};

}  // namespace thaw::http
