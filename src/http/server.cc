// One of the two translation units that include Boost.Beast (the other is client.cc).
#include "http/server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <deque>
#include <list>
#include <optional>
#include <unordered_map>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "base/log.h"

namespace thaw::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using SteadyTime = std::chrono::steady_clock::time_point;

namespace {
constexpr uint32_t kHeaderLimit = 64 * 1024;
constexpr size_t kDiscardChunk = 16 * 1024;
// After a refused body, at most this much of it is read and dropped before closing.
constexpr size_t kMaxDiscard = 96ull << 20;
}  // namespace

namespace detail {

// The open connections of one server, so it can count, evict and close them. Shared by the
// server and its sessions: a session may outlive the server by a few handler runs.
struct Tracker {
  std::list<Session*> sessions;
  std::unordered_map<std::string, size_t> per_peer;
};

struct Limits {
  uint64_t body_limit;
  int64_t header_timeout_ms;
  int64_t idle_timeout_ms;
  int64_t body_timeout_ms;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  enum class Phase { kChecking, kIdle, kHead, kBody, kHeld, kWriting, kDiscard, kClosed };

  Session(tcp::socket socket, Handler* handler, Limits limits, ConnectionInfo info,
          std::shared_ptr<Tracker> tracker)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        handler_(handler),
        limits_(limits),
        info_(std::move(info)),
        tracker_(std::move(tracker)),
        pace_timer_(socket_.get_executor()) {
    tracker_->sessions.push_back(this);
    self_in_tracker_ = std::prev(tracker_->sessions.end());
    ++tracker_->per_peer[info_.peer_address];
    waiting_since_ = std::chrono::steady_clock::now();
    // A streamed body's chunks collect here between reads (Beast keeps a reference).
    on_chunk_ = [this](uint64_t, beast::string_view data, beast::error_code&) {
      stream_pending_.append(data.data(), data.size());
      return data.size();
    };
  }

  ~Session() { Deregister(); }

  const ConnectionInfo& info() const { return info_; }
  SteadyTime waiting_since() const { return waiting_since_; }
  // Has not sent a whole request yet (dropped before a kept-alive connection is).
  bool fresh() const { return requests_ == 0; }
  // Waiting for the client (for its request head, or for the accept check): may be dropped to
  // make room for a new connection.
  bool evictable() const {
    return phase_ == Phase::kChecking || phase_ == Phase::kIdle || phase_ == Phase::kHead;
  }

  // The accept check is running; it must finish within the header timeout.
  void Checking() {
    phase_ = Phase::kChecking;
    ArmTimer(limits_.header_timeout_ms);
  }

  void Start() {
    if (phase_ == Phase::kClosed) return;
    waiting_since_ = std::chrono::steady_clock::now();
    phase_ = Phase::kHead;
    ArmTimer(limits_.header_timeout_ms);
    ReadHeader();
  }

  void Close() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kClosed;
    watching_ = false;
    DisarmTimer();
    pace_timer_.cancel();
    // out_ stays: a cancelled write may still refer to its front.
    queued_bytes_ = 0;
    AbortBodyStream();
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    Deregister();
  }

  bool open() {
    if (phase_ == Phase::kClosed || !socket_.is_open()) return false;
    if (PeerClosed()) {
      Close();
      return false;
    }
    return true;
  }

  void Send(Response response) {
    if (phase_ == Phase::kClosed) return;
    StopWatch();
    phase_ = Phase::kWriting;
    // A client that does not read its answer must not hold the connection for ever.
    ArmTimer(limits_.idle_timeout_ms);
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

  // A chunked answer: the head now, then chunks as the handler writes them, queued in order.
  void StartStream(Response head) {
    if (phase_ == Phase::kClosed) return;
    StopWatch();
    phase_ = Phase::kWriting;
    stream_close_ = !keep_alive_ || close_after_;
    auto status = bhttp::int_to_status(static_cast<unsigned>(head.status));
    std::string text = "HTTP/1.1 " + std::to_string(head.status) + " " +
                       std::string(bhttp::obsolete_reason(status)) + "\r\n";
    for (const auto& [k, v] : head.headers.all()) {
      if (beast::iequals(k, "Content-Length") || beast::iequals(k, "Transfer-Encoding") ||
          beast::iequals(k, "Connection")) {
        continue;
      }
      text += k + ": " + v + "\r\n";
    }
    text += "Transfer-Encoding: chunked\r\n";
    if (stream_close_) text += "Connection: close\r\n";
    text += "\r\n";
    Queue(std::move(text));
  }

  void StreamWrite(std::string data) {
    if (phase_ != Phase::kWriting || stream_ended_ || data.empty()) return;
    char size[24];
    snprintf(size, sizeof size, "%zx\r\n", data.size());
    data.insert(0, size);
    data += "\r\n";
    Queue(std::move(data));
  }

  void StreamEnd(const Headers& trailers) {
    if (phase_ != Phase::kWriting || stream_ended_) return;
    stream_ended_ = true;
    std::string text = "0\r\n";
    for (const auto& [k, v] : trailers.all()) text += k + ": " + v + "\r\n";
    text += "\r\n";
    Queue(std::move(text));
  }

  size_t queued_bytes() const { return queued_bytes_; }

 private:
  void Deregister() {
    if (!tracker_) return;
    tracker_->sessions.erase(self_in_tracker_);
    auto it = tracker_->per_peer.find(info_.peer_address);
    if (it != tracker_->per_peer.end() && --it->second == 0) tracker_->per_peer.erase(it);
    tracker_.reset();
  }

  void ArmTimer(int64_t ms) {
    if (ms <= 0) return DisarmTimer();
    uint64_t generation = ++timer_generation_;
    timer_.expires_after(std::chrono::milliseconds(ms));
    timer_.async_wait([weak = weak_from_this(), generation](beast::error_code ec) {
      if (ec) return;
      auto self = weak.lock();
      if (!self || self->timer_generation_ != generation) return;
      self->Close();
    });
  }

  void DisarmTimer() {
    ++timer_generation_;
    timer_.cancel();
  }

  void Queue(std::string bytes) {
    queued_bytes_ += bytes.size();
    out_.push_back(std::move(bytes));
    if (!writing_) WriteNext();
  }

  // One queued piece at a time; the timeout runs only while a write is pending, so a handler
  // that produces slowly keeps the stream, and a client that stops reading loses it.
  void WriteNext() {
    if (phase_ == Phase::kClosed) return;
    if (out_.empty()) {
      writing_ = false;
      DisarmTimer();
      if (stream_ended_) {
        stream_ended_ = false;
        OnWritten({}, stream_close_);
      }
      return;
    }
    writing_ = true;
    ArmTimer(limits_.idle_timeout_ms);
    asio::async_write(socket_, asio::buffer(out_.front()),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (self->phase_ == Phase::kClosed) return;
                        if (ec) return self->Close();
                        self->queued_bytes_ -= self->out_.front().size();
                        self->out_.pop_front();
                        self->WriteNext();
                      });
  }

  void AbortBodyStream() {
    if (!body_stream_) return;
    auto stream = std::move(body_stream_);
    body_stream_.reset();
    stream->OnBodyAbort();
  }

  // The client closed its end (or reset it) while we were not reading.
  bool PeerClosed() {
    char byte;
    ssize_t n = recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return true;
    return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
  }

  // While the handler holds a request nothing is read; watch the socket so a client that goes
  // away is noticed (a runtime's parked /next must not swallow an event).
  void StartWatch() {
    watching_ = true;
    uint64_t generation = ++watch_generation_;
    socket_.async_wait(
        tcp::socket::wait_read, [self = shared_from_this(), generation](beast::error_code ec) {
          if (!self->watching_ || self->watch_generation_ != generation) return;
          if (ec) return self->Close();
          if (self->PeerClosed()) return self->Close();
          char byte;
          ssize_t n = recv(self->socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
          // Bytes of a pipelined request: they wait for the answer.
          if (n > 0) {
            self->watching_ = false;
            return;
          }
          self->StartWatch();
        });
  }

  void StopWatch() {
    if (!watching_) return;
    watching_ = false;
    ++watch_generation_;
    boost::system::error_code ec;
    socket_.cancel(ec);
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(limits_.body_limit);
    bhttp::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  // Between requests on a kept-alive connection: wait for the next one's first byte.
  void WaitForRequest() {
    waiting_since_ = std::chrono::steady_clock::now();
    if (buffer_.size() > 0) return Start();
    phase_ = Phase::kIdle;
    ArmTimer(limits_.idle_timeout_ms);
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      if (self->phase_ != Phase::kIdle) return;
      if (ec) return self->Close();
      self->Start();
    });
  }

  Request MakeHead() {
    auto& msg = parser_->get();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    std::string_view target = req.target;
    size_t q = target.find('?');
    req.path = PercentDecode(target.substr(0, q));
    if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
    for (const auto& field : msg) req.headers.Add(field.name_string(), field.value());
    req.local_port = info_.local_port;
    req.peer_address = info_.peer_address;
    req.peer_port = info_.peer_port;
    return req;
  }

  void OnHeader(beast::error_code ec) {
    if (phase_ == Phase::kClosed) return;
    DisarmTimer();
    if (ec) return OnReadError(ec);
    head_ = MakeHead();
    if (parser_->chunked()) body_stream_ = handler_->StreamBody(*head_);
    if (body_stream_) {
      parser_->body_limit(boost::none);
      parser_->on_chunk_body(on_chunk_);
    }
    uint64_t limit =
        std::min(handler_->BodyLimit(*head_).value_or(limits_.body_limit), limits_.body_limit);
    auto length = parser_->content_length();
    if (length && *length > limit) return Refuse();
    // Beast checks chunked bodies against this as they arrive.
    if (!body_stream_) parser_->body_limit(limit);
    if (parser_->is_done()) return Dispatch(/*oversized=*/false);
    auto expect = parser_->get()[bhttp::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      phase_ = Phase::kBody;
      ArmTimer(limits_.body_timeout_ms);
      asio::async_write(socket_, asio::buffer(kContinue),
                        [self = shared_from_this()](beast::error_code wec, size_t) {
                          if (self->phase_ == Phase::kClosed) return;
                          if (wec) return self->Close();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  // Reads the body a piece at a time, so the timeout is about progress, not total time.
  void ReadBody() {
    phase_ = Phase::kBody;
    ArmTimer(limits_.body_timeout_ms);
    bhttp::async_read_some(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBodyPart(ec); });
  }

  void OnBodyPart(beast::error_code ec) {
    if (phase_ == Phase::kClosed) return;
    if (ec) {
      DisarmTimer();
      return OnReadError(ec);
    }
    int64_t pause_ms = 0;
    if (body_stream_ && !stream_pending_.empty()) {
      std::string data = std::move(stream_pending_);
      stream_pending_.clear();
      pause_ms = body_stream_->OnBodyData(std::move(data));
      if (phase_ == Phase::kClosed) return;
    }
    if (parser_->is_done()) {
      DisarmTimer();
      return Dispatch(/*oversized=*/false);
    }
    if (pause_ms <= 0) return ReadBody();
    // Pacing: the client waits (its writes fill the socket buffers), the loop does not.
    DisarmTimer();
    pace_timer_.expires_after(std::chrono::milliseconds(pause_ms));
    pace_timer_.async_wait([self = shared_from_this()](beast::error_code pec) {
      if (pec || self->phase_ != Phase::kBody) return;
      self->ReadBody();
    });
  }

  // The body is over the route's limit: answer (413 from the handler) without reading it.
  void Refuse() {
    close_after_ = true;
    discard_after_ = true;
    Dispatch(/*oversized=*/true);
  }

  void OnReadError(beast::error_code ec) {
    AbortBodyStream();
    if (ec == bhttp::error::body_limit) {
      if (!head_) head_ = MakeHead();
      return Refuse();
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

  void Dispatch(bool oversized) {
    auto self = shared_from_this();
    keep_alive_ = parser_->get().keep_alive();
    Request req = std::move(*head_);
    head_.reset();
    ++requests_;
    if (oversized) {
      req.oversized = true;
    } else {
      if (parser_->chunked()) {
        // Trailers (aws-lambda-go's error type and body) arrive after the chunks.
        req.headers = Headers();
        for (const auto& field : parser_->get())
          req.headers.Add(field.name_string(), field.value());
      }
      req.body = std::move(parser_->get().body());
    }
    body_stream_.reset();
    parser_.reset();
    phase_ = Phase::kHeld;
    handler_->Handle(std::move(req), ResponseWriter(self));
    if (phase_ == Phase::kHeld && !discard_after_) StartWatch();
  }

  void OnWritten(beast::error_code ec, bool close) {
    if (phase_ == Phase::kClosed) return;
    DisarmTimer();
    if (!ec && discard_after_) return Discard(0);
    if (ec || close || close_after_) return Close();
    WaitForRequest();
  }

  // After refusing an oversized body, read and drop the rest before closing: closing with
  // unread data makes the kernel send RST, and the client would lose our 413 answer.
  void Discard(size_t total) {
    if (total > kMaxDiscard) return Close();
    phase_ = Phase::kDiscard;
    if (!discard_buffer_) discard_buffer_ = std::make_unique<char[]>(kDiscardChunk);
    ArmTimer(limits_.body_timeout_ms);
    socket_.async_read_some(asio::buffer(discard_buffer_.get(), kDiscardChunk),
                            [self = shared_from_this(), total](beast::error_code ec, size_t n) {
                              if (self->phase_ == Phase::kClosed) return;
                              if (ec) return self->Close();
                              self->Discard(total + n);
                            });
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  Handler* handler_;
  Limits limits_;
  ConnectionInfo info_;
  std::shared_ptr<Tracker> tracker_;
  std::list<Session*>::iterator self_in_tracker_;
  Phase phase_ = Phase::kChecking;
  SteadyTime waiting_since_;
  uint64_t requests_ = 0;
  uint64_t timer_generation_ = 0;
  uint64_t watch_generation_ = 0;
  bool watching_ = false;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<Request> head_;
  bool keep_alive_ = true;
  bool close_after_ = false;
  bool discard_after_ = false;
  std::unique_ptr<char[]> discard_buffer_;  // only while discarding
  // A streamed request body (Handler::StreamBody): its receiver and the data not yet handed on.
  std::shared_ptr<BodyStream> body_stream_;
  std::string stream_pending_;
  std::function<size_t(uint64_t, beast::string_view, beast::error_code&)> on_chunk_;
  asio::steady_timer pace_timer_;
  // A streamed answer (StartStream): pieces queued for the socket, in order.
  std::deque<std::string> out_;
  size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool stream_ended_ = false;
  bool stream_close_ = false;
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

StreamWriter ResponseWriter::Stream(Response head) {
  if (!session_) return StreamWriter();
  auto session = std::move(session_);
  session_.reset();
  session->StartStream(std::move(head));
  return StreamWriter(std::move(session));
}

StreamWriter::StreamWriter(std::shared_ptr<detail::Session> session)
    : session_(std::move(session)) {}

StreamWriter& StreamWriter::operator=(StreamWriter&& other) noexcept {
  if (this != &other) {
    if (session_) session_->Close();
    session_ = std::move(other.session_);
  }
  return *this;
}

StreamWriter::~StreamWriter() {
  if (session_) session_->Close();
}

void StreamWriter::Write(std::string data) {
  if (session_) session_->StreamWrite(std::move(data));
}

void StreamWriter::End(const Headers& trailers) {
  if (!session_) return;
  auto session = std::move(session_);
  session_.reset();
  session->StreamEnd(trailers);
}

bool StreamWriter::connected() const { return session_ && session_->open(); }

size_t StreamWriter::queued_bytes() const { return session_ ? session_->queued_bytes() : 0; }

namespace {

bool OutOfDescriptors(const boost::system::error_code& ec) {
  return ec == boost::system::errc::too_many_files_open ||
         ec == boost::system::errc::too_many_files_open_in_system ||
         ec == boost::system::errc::no_buffer_space || ec == boost::system::errc::not_enough_memory;
}

class ServerImpl final : public Server {
 public:
  ServerImpl(asio::io_context& io, ServerOptions options, Handler* handler)
      : acceptor_(io),
        backoff_(io),
        options_(std::move(options)),
        handler_(handler),
        tracker_(std::make_shared<detail::Tracker>()) {}

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
  size_t connections() const override { return tracker_->sessions.size(); }

  void Stop() override {
    boost::system::error_code ec;
    acceptor_.close(ec);
    backoff_.cancel();
    // Close() removes the session from the list.
    while (!tracker_->sessions.empty()) tracker_->sessions.front()->Close();
  }

 private:
  void Accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (OutOfDescriptors(ec)) {
        // Retrying at once would spin the loop until a descriptor frees up.
        if (!out_of_descriptors_) {
          THAW_LOG(kWarn, "http") << "accept on port " << port_ << ": " << ec.message()
                                  << "; pausing accepts " << options_.accept_backoff_ms
                                  << " ms at a time";
        }
        out_of_descriptors_ = true;
        backoff_.expires_after(std::chrono::milliseconds(options_.accept_backoff_ms));
        backoff_.async_wait([this](beast::error_code wec) {
          if (!wec && acceptor_.is_open()) Accept();
        });
        return;
      }
      if (!ec) {
        out_of_descriptors_ = false;
        OnAccept(std::move(socket));
      }
      Accept();
    });
  }

  // Drops the connection that has waited longest for a request head (of this peer, when
  // `peer` is given), one that never sent a request before a kept-alive one. False when every
  // connection has a request in flight.
  bool EvictOne(const std::string* peer) {
    detail::Session* oldest = nullptr;
    for (detail::Session* s : tracker_->sessions) {
      if (!s->evictable() || (peer && s->info().peer_address != *peer)) continue;
      if (!oldest || (s->fresh() && !oldest->fresh()) ||
          (s->fresh() == oldest->fresh() && s->waiting_since() < oldest->waiting_since())) {
        oldest = s;
      }
    }
    if (!oldest) return false;
    oldest->Close();
    return true;
  }

  bool MakeRoom(const std::string& peer) {
    while (tracker_->sessions.size() >= options_.max_connections) {
      if (!EvictOne(nullptr)) return false;
    }
    for (;;) {
      auto it = tracker_->per_peer.find(peer);
      if (it == tracker_->per_peer.end() || it->second < options_.max_connections_per_peer) break;
      if (!EvictOne(&peer)) return false;
    }
    return true;
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
    if (!MakeRoom(info.peer_address)) {
      THAW_LOG(kDebug, "http") << "port " << port_ << ": connection limit reached; refused "
                               << info.peer_address << ":" << info.peer_port;
      socket.close(ec);
      return;
    }
    detail::Limits limits{options_.body_limit, options_.header_timeout_ms, options_.idle_timeout_ms,
                          options_.body_timeout_ms};
    auto session = std::make_shared<detail::Session>(std::move(socket), handler_, limits,
                                                     std::move(info), tracker_);
    if (!options_.accept_check) return session->Start();
    session->Checking();
    // The session lives on through the check's callback until it is answered or evicted.
    options_.accept_check(session->info(), [session](bool ok) {
      if (ok) {
        session->Start();
      } else {
        session->Close();
      }
    });
  }

  tcp::acceptor acceptor_;
  asio::steady_timer backoff_;
  ServerOptions options_;
  Handler* handler_;
  uint16_t port_ = 0;
  bool out_of_descriptors_ = false;
  std::shared_ptr<detail::Tracker> tracker_;
};

}  // namespace

StatusOr<std::unique_ptr<Server>> Server::Start(asio::io_context& io, ServerOptions options,
                                                Handler* handler) {
  auto server = std::make_unique<ServerImpl>(io, std::move(options), handler);
  THAW_RETURN_IF_ERROR(server->Listen());
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace thaw::http
