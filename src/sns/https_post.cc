#include "sns/https_post.h"

#include <chrono>
#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>

namespace thaw::sns {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

StatusOr<int> PostHttps(const std::string& host, const std::string& port, const std::string& target,
                        const http::Headers& headers, const std::string& body, int64_t timeout_ms) {
  asio::io_context io;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_verify_mode(asio::ssl::verify_none);  // see the header: loopback, self-signed
  beast::ssl_stream<beast::tcp_stream> stream(io, tls);
  // "[::1]" in a URL is "::1" to the resolver; SNI takes host names only.
  std::string name = host;
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);
  }
  if (name.find_first_not_of("0123456789.:") != std::string::npos) {
    SSL_set_tlsext_host_name(stream.native_handle(), name.c_str());
  }
  bhttp::request<bhttp::string_body> req(bhttp::verb::post, target, 11);
  req.set(bhttp::field::host, host + ":" + port);
  for (const auto& [k, v] : headers.all()) req.set(k, v);
  req.body() = body;
  req.prepare_payload();

  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  std::optional<beast::error_code> failed;
  std::string step;
  auto fail = [&](const char* where, beast::error_code ec) {
    failed = ec;
    step = where;
  };
  const auto timeout = std::chrono::milliseconds(timeout_ms);
  asio::ip::tcp::resolver resolver(io);
  resolver.async_resolve(name, port, [&](beast::error_code ec, auto results) {
    if (ec) return fail("resolve", ec);
    beast::get_lowest_layer(stream).expires_after(timeout);
    beast::get_lowest_layer(stream).async_connect(results, [&](beast::error_code ec2, auto) {
      if (ec2) return fail("connect", ec2);
      stream.async_handshake(asio::ssl::stream_base::client, [&](beast::error_code ec3) {
        if (ec3) return fail("TLS handshake", ec3);
        bhttp::async_write(stream, req, [&](beast::error_code ec4, size_t) {
          if (ec4) return fail("write", ec4);
          bhttp::async_read(stream, buffer, res, [&](beast::error_code ec5, size_t) {
            if (ec5) return fail("read", ec5);
            beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
            stream.async_shutdown([](beast::error_code) {});  // the answer is in; best effort
          });
        });
      });
    });
  });
  io.run();
  if (failed) {
    return Status::Unavailable("https " + step + ": " + failed->message());
  }
  return static_cast<int>(res.result_int());
}

}  // namespace thaw::sns
