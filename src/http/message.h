// Plain HTTP request/response values shared by the server, the client and every API handler,
// so that only server.cc and client.cc see Boost.Beast. Thread-compatible values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/codec.h"

namespace thaw::http {

class Headers {
 public:
  // Case-insensitive lookup of the first header with this name.
  std::optional<std::string_view> Get(std::string_view name) const;
  void Set(std::string_view name, std::string_view value);
  void Add(std::string_view name, std::string_view value);
  const std::vector<std::pair<std::string, std::string>>& all() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

struct Request {
  std::string method;
  std::string target;  // raw request target, e.g. "/a/b?x=1"
  std::string path;    // percent-decoded path
  std::string query;   // raw query string without '?'
  Headers headers;
  std::string body;
  bool oversized = false;  // the body passed the server's limit and was not read
  uint16_t local_port = 0;
  std::string peer_address;
  uint16_t peer_port = 0;
  // The AWS account the caller acts in, from the access key id of its signature (set by the
  // front door, auth/accounts.h); empty before that.
  std::string account;

  // First value of a query parameter, percent-decoded.
  std::optional<std::string> QueryParam(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  static Response Json(int status, std::string body);
};

// base/codec.h's, named here too for http's callers.
using ::thaw::PercentDecode;
std::string PercentEncode(std::string_view s);

}  // namespace thaw::http
