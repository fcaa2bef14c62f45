// One of the two translation units that include Boost.Beast (the other is server.cc).
#include "http/client.h"

#include <time.h>

#include <chrono>
#include <functional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace thaw::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

class ClientImpl final : public Client {
 public:
  ClientImpl(std::string host, std::string port, ClientOptions options)
      : host_(std::move(host)), port_(std::move(port)), options_(std::move(options)) {}

  StatusOr<Response> Do(const std::string& method, const std::string& target,
                        const Headers& headers, const std::string& body,
                        int64_t timeout_ms) override {
    for (int attempt = 0; attempt < 2; ++attempt) {
      bool fresh = false;
      if (!stream_) {
        THAW_RETURN_IF_ERROR(Connect());
        fresh = true;
      }
      beast::error_code ec;
      auto res = Exchange(method, target, headers, body, timeout_ms, ec);
      if (!ec) return res;
      stream_.reset();
      // A kept-alive connection the server closed: retry once on a new one.
      if (fresh || ec == beast::error::timeout) {
        std::string message = "HTTP " + method;
        message += " " + target + " to " + host_ + ":" + port_ + ": " + ec.message();
        return Status::Unavailable(std::move(message));
      }
    }
    return Status::Unavailable("HTTP request failed twice");
  }

 private:
  Status Connect() {
    beast::error_code ec;
    asio::ip::tcp::resolver resolver(io_);
    auto results = resolver.resolve(host_, port_, ec);
    if (ec) return Status::Unavailable("resolve " + host_ + ": " + ec.message());
    auto stream = std::make_unique<beast::tcp_stream>(io_);
    stream->connect(results, ec);
    if (ec) {
      return Status::Unavailable("cannot connect to thaw at " + host_ + ":" + port_ + " (" +
                                 ec.message() + "); is `thaw serve` running?");
    }
    stream->socket().set_option(asio::ip::tcp::no_delay(true), ec);
    stream_ = std::move(stream);
    return Status::Ok();
  }

  Response Exchange(const std::string& method, const std::string& target, const Headers& headers,
                    const std::string& body, int64_t timeout_ms, beast::error_code& ec) {
    bhttp::request<bhttp::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(bhttp::field::host, host_ + ":" + port_);
    for (const auto& [k, v] : headers.all()) req.set(k, v);
    if (options_.credentials) {
      for (const auto& [k, v] : SignatureHeaders(method, target, headers, body)) req.set(k, v);
    }
    req.body() = body;
    req.keep_alive(true);
    req.prepare_payload();
    Response out;
    // Blocking calls on a tcp_stream honour expires_after only through async ops, so run the
    // exchange asynchronously on our private io_context.
    if (timeout_ms > 0) {
      stream_->expires_after(std::chrono::milliseconds(timeout_ms));
    } else {
      stream_->expires_never();
    }
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(1ull << 30);
    // The head, then the body a piece at a time, to note when its first byte came.
    first_body_ns_ = 0;
    std::function<void(beast::error_code, size_t)> on_read = [&](beast::error_code rec, size_t) {
      if (rec) {
        ec = rec;
        return;
      }
      if (first_body_ns_ == 0 && !parser.get().body().empty()) first_body_ns_ = MonotonicNow();
      if (parser.is_done()) return;
      bhttp::async_read_some(*stream_, buffer, parser, on_read);
    };
    bhttp::async_write(*stream_, req, [&](beast::error_code wec, size_t) {
      if (wec) {
        ec = wec;
        return;
      }
      bhttp::async_read_header(*stream_, buffer, parser, on_read);
    });
    io_.restart();
    io_.run();
    if (ec) return out;
    auto& msg = parser.get();
    out.status = static_cast<int>(msg.result_int());
    for (const auto& f : msg) out.headers.Add(f.name_string(), f.value());
    out.body = std::move(msg.body());
    if (!msg.keep_alive()) stream_.reset();
    return out;
  }

  auth::HeaderList SignatureHeaders(const std::string& method, const std::string& target,
                                    const Headers& headers, const std::string& body) const {
    auth::SignRequest sign;
    sign.method = method;
    size_t question = target.find('?');
    sign.path = target.substr(0, question);
    if (question != std::string::npos) sign.query = target.substr(question + 1);
    sign.host = host_ + ":" + port_;
    sign.body = &body;
    sign.region = options_.region;
    sign.service = options_.service;
    if (sign.service.empty()) {
      std::string_view amz_target = headers.Get("X-Amz-Target").value_or("");
      if (amz_target.starts_with("Logs_")) {
        sign.service = "logs";
      } else if (amz_target.starts_with("AmazonSQS.")) {
        sign.service = "sqs";
      } else if (sign.path == "/TraceSegments") {
        sign.service = "xray";
      } else {
        sign.service = "lambda";
      }
    }
    sign.unix_seconds = static_cast<int64_t>(::time(nullptr));
    return auth::Sign(sign, *options_.credentials, headers.all());
  }

  static int64_t MonotonicNow() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  }

 public:
  int64_t first_body_ns() const override { return first_body_ns_; }

 private:
  int64_t first_body_ns_ = 0;
  asio::io_context io_;
  std::string host_;
  std::string port_;
  ClientOptions options_;
  std::unique_ptr<beast::tcp_stream> stream_;
};

}  // namespace

StatusOr<std::unique_ptr<Client>> Client::Create(const std::string& endpoint,
                                                 ClientOptions options) {
  std::string rest = endpoint;
  if (rest.rfind("http://", 0) == 0) rest = rest.substr(7);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
    return Status::InvalidArgument("endpoint must look like http://HOST:PORT, got " + endpoint);
  }
  return std::unique_ptr<Client>(std::make_unique<ClientImpl>(
      rest.substr(0, colon), rest.substr(colon + 1), std::move(options)));
}

}  // namespace thaw::http
