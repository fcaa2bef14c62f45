// An HTTP/1.1 server on Boost.Beast that hands each request to a Handler and lets the handler
// answer later (the Runtime API holds /next open until an event arrives).
// It bounds what a client can hold: the request head must arrive within a timeout, an idle
// kept-alive connection is closed after another, each route's body limit is checked from the
// head before any of the body is read, and connections are capped per listener and per peer
// (when full, the connection that has waited longest for its request head is dropped).
// Streaming, both ways: a handler may take a chunked request body as it arrives (StreamBody),
// and answer with a chunked body sent a piece at a time (ResponseWriter::Stream); writes are
// queued, never blocking the loop.
// Loop thread only: Start, Stop, ResponseWriter and StreamWriter must run on the loop's thread.
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

// A chunked answer under way (ResponseWriter::Stream). Destroying it before End closes the
// connection, so the client sees a truncated body, never a complete-looking one.
class StreamWriter {
 public:
  StreamWriter() = default;
  explicit StreamWriter(std::shared_ptr<detail::Session> session);
  StreamWriter(StreamWriter&&) noexcept = default;
  StreamWriter& operator=(StreamWriter&&) noexcept;
  StreamWriter(const StreamWriter&) = delete;
  StreamWriter& operator=(const StreamWriter&) = delete;
  ~StreamWriter();

  // Queues one chunk (an empty one is skipped: it would end the body).
  void Write(std::string data);
  // Queues the last chunk and `trailers`; the writer is then spent.
  void End(const Headers& trailers = Headers());
  bool valid() const { return session_ != nullptr; }
  // False once the connection closed (the client went away or a write failed).
  bool connected() const;
  // Bytes queued and not yet written to the socket (for a producer that wants to slow down).
  size_t queued_bytes() const;

 private:
  std::shared_ptr<detail::Session> session_;
};

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
  // Sends `head` (its body ignored) with Transfer-Encoding: chunked; the body follows through
  // the returned writer.
  StreamWriter Stream(Response head);
  bool valid() const { return session_ != nullptr; }
  // True while the client's connection is still open: the server watches a held request's
  // connection, and this also asks the kernel whether the client has closed its end.
  bool connected() const;

 private:
  std::shared_ptr<detail::Session> session_;
};

// Receives a chunked request body as it arrives (Handler::StreamBody).
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // The next piece of the body. Returns how long the server waits before reading more (0: at
  // once); a handler paces a client this way.
  virtual int64_t OnBodyData(std::string data) = 0;
  // The body did not complete: the client went away, stalled past the body timeout, or sent a
  // malformed chunk. Handle is not called.
  virtual void OnBodyAbort() = 0;
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
  // Asked for a request with a chunked body, before any of it is read. A stream returned here
  // receives the body as it arrives, with no body limit (the stream enforces its own); Handle is
  // then called once the body is complete, with an empty body and the trailers among the headers.
  virtual std::shared_ptr<BodyStream> StreamBody(const Request& head) {
    (void)head;
    return nullptr;
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
