// An HTTP/1.1 server on Boost.Beast that hands each request to a Handler and lets the handler
// answer later (the Runtime API holds /next open until an event arrives).
// Loop thread only: Start, Stop and ResponseWriter::Send must run on the io_context's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
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
  // True while the client's connection is still open.
  bool connected() const;

 private:
  std::shared_ptr<detail::Session> session_;
};

class Handler {
 public:
  virtual ~Handler() = default;
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
  uint16_t port = 0;  // 0 picks a free port
  uint64_t body_limit = 80ull << 20;
  // A listening TCP socket to serve instead of binding host:port (one made in another network
  // namespace). The server owns it.
  int adopt_fd = -1;
  // Called on accept; returning false closes the connection before any byte is read.
  std::function<bool(const ConnectionInfo&)> accept_filter;
};

class Server {
 public:
  // `handler` must outlive the server.
  static StatusOr<std::unique_ptr<Server>> Start(boost::asio::io_context& io, ServerOptions options,
                                                 Handler* handler);
  virtual ~Server() = default;
  virtual uint16_t port() const = 0;
  // Stops accepting and closes every open connection. Idempotent.
  virtual void Stop() = 0;
};

}  // namespace thaw::http
