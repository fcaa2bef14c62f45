// One of the two translation units that include Boost.Beast (the other is client.cc).
#include "http/server.h"

#include <unistd.h>

#include <array>
#include <list>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "base/log.h"

namespace thaw::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr uint32_t kHeaderLimit = 64 * 1024;
}

namespace detail {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Handler* handler, uint64_t body_limit, ConnectionInfo info)
      : socket_(std::move(socket)),
        handler_(handler),
        body_limit_(body_limit),
        info_(std::move(info)) {}

  void Start() { ReadHeader(); }

  void Close() {
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

  bool open() const { return socket_.is_open(); }

  void Send(Response response) {
    if (!socket_.is_open()) return;
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(response.status));
    for (const auto& [k, v] : response.headers.all()) res->insert(k, v);
    res->body() = std::move(response.body);
    res->keep_alive(keep_alive_ && !close_after_);
    res->prepare_payload();
    bhttp::async_write(socket_, *res,
                       [self = shared_from_this(), res](beast::error_code ec, size_t) {
                         self->OnWritten(ec, !res->keep_alive());
                       });
  }

 private:
  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(body_limit_);
    bhttp::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    auto& req = parser_->get();
    auto expect = req[bhttp::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(socket_, asio::buffer(kContinue),
                        [self = shared_from_this()](beast::error_code wec, size_t) {
                          if (wec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      close_after_ = true;
      discard_after_ = true;
      Dispatch(/*oversized=*/true);
      return;
    }
    if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
      Close();
      return;
    }
    // Malformed HTTP: answer 400 and drop the connection.
    close_after_ = true;
    keep_alive_ = false;
    Send(Response::Json(
        400, R"({"Type":"User","Message":"Malformed HTTP request: )" + ec.message() + "\"}"));
  }

  void OnBody(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    Dispatch(/*oversized=*/false);
  }

  void Dispatch(bool oversized) {
    auto& msg = parser_->get();
    keep_alive_ = msg.keep_alive();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    std::string_view target = req.target;
    size_t q = target.find('?');
    req.path = PercentDecode(target.substr(0, q));
    if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
    for (const auto& field : msg) req.headers.Add(field.name_string(), field.value());
    if (oversized) {
      req.oversized = true;
    } else {
      req.body = std::move(msg.body());
    }
    req.local_port = info_.local_port;
    req.peer_address = info_.peer_address;
    req.peer_port = info_.peer_port;
    parser_.reset();
    handler_->Handle(std::move(req), ResponseWriter(shared_from_this()));
  }

  void OnWritten(beast::error_code ec, bool close) {
    if (!ec && discard_after_) return Discard(0);
    if (ec || close || close_after_) return Close();
    ReadHeader();
  }

  // After refusing an oversized body, read and drop the rest before closing: closing with
  // unread data makes the kernel send RST, and the client would lose our 413 answer.
  void Discard(size_t total) {
    constexpr size_t kMaxDiscard = 96ull << 20;
    if (total > kMaxDiscard) return Close();
    socket_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this(), total](beast::error_code ec, size_t n) {
                              if (ec) return self->Close();
                              self->Discard(total + n);
                            });
  }

  tcp::socket socket_;
  Handler* handler_;
  uint64_t body_limit_;
  ConnectionInfo info_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bool keep_alive_ = true;
  bool close_after_ = false;
  bool discard_after_ = false;
  std::array<char, 65536> scratch_{};
};

}  // namespace detail

ResponseWriter::ResponseWriter(std::shared_ptr<detail::Session> session)
    : session_(std::move(session)) {}

ResponseWriter& ResponseWriter::operator=(ResponseWriter&& other) noexcept {
  if (this != &other) {
    if (session_) Send(Response::Json(500, R"({"Type":"Service","Message":"no response"})"));
    session_ = std::move(other.session_);
  }
  return *this;
}

ResponseWriter::~ResponseWriter() {
  if (session_) Send(Response::Json(500, R"({"Type":"Service","Message":"no response"})"));
}

void ResponseWriter::Send(Response response) {
  if (!session_) return;
  auto session = std::move(session_);
  session_.reset();
  session->Send(std::move(response));
}

bool ResponseWriter::connected() const { return session_ && session_->open(); }

namespace {

class ServerImpl final : public Server {
 public:
  ServerImpl(asio::io_context& io, ServerOptions options, Handler* handler)
      : acceptor_(io), options_(std::move(options)), handler_(handler) {}

  ~ServerImpl() override { Stop(); }

  Status Listen() {
    boost::system::error_code ec;
    if (options_.adopt_fd >= 0) {
      acceptor_.assign(tcp::v4(), options_.adopt_fd, ec);
      if (ec) {
        ::close(options_.adopt_fd);
        return Status::Unavailable("adopt a listening socket: " + ec.message());
      }
      port_ = acceptor_.local_endpoint().port();
      Accept();
      return Status::Ok();
    }
    auto address = asio::ip::make_address(options_.host, ec);
    if (ec) return Status::InvalidArgument("bad listen address " + options_.host);
    tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::Unavailable("listen on " + options_.host + ":" +
                                 std::to_string(options_.port) + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    Accept();
    return Status::Ok();
  }

  uint16_t port() const override { return port_; }

  void Stop() override {
    boost::system::error_code ec;
    acceptor_.close(ec);
    for (auto& weak : sessions_) {
      if (auto s = weak.lock()) s->Close();
    }
    sessions_.clear();
  }

 private:
  void Accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (!ec) OnAccept(std::move(socket));
      Accept();
    });
  }

  void OnAccept(tcp::socket socket) {
    boost::system::error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    ConnectionInfo info;
    info.fd = socket.native_handle();
    auto local = socket.local_endpoint(ec);
    auto peer = socket.remote_endpoint(ec);
    if (ec) return;
    info.local_address = local.address().to_string();
    info.local_port = local.port();
    info.peer_address = peer.address().to_string();
    info.peer_port = peer.port();
    if (options_.accept_filter && !options_.accept_filter(info)) {
      socket.close(ec);
      return;
    }
    auto session = std::make_shared<detail::Session>(std::move(socket), handler_,
                                                     options_.body_limit, std::move(info));
    // Prune closed sessions now and then so the list stays small.
    if (sessions_.size() > 64) sessions_.remove_if([](auto& w) { return w.expired(); });
    sessions_.push_back(session);
    session->Start();
  }

  tcp::acceptor acceptor_;
  ServerOptions options_;
  Handler* handler_;
  uint16_t port_ = 0;
  std::list<std::weak_ptr<detail::Session>> sessions_;
};

}  // namespace

StatusOr<std::unique_ptr<Server>> Server::Start(asio::io_context& io, ServerOptions options,
                                                Handler* handler) {
  auto server = std::make_unique<ServerImpl>(io, std::move(options), handler);
  THAW_RETURN_IF_ERROR(server->Listen());
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace thaw::http
