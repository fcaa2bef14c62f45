#include "httpfront/cors.h"

#include <string>
#include <vector>

#include "base/codec.h"

namespace thaw::httpfront {

namespace {

std::string JoinList(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ",";
    out += item;
  }
  return out;
}

bool Contains(const std::vector<std::string>& items, std::string_view value) {
  for (const std::string& item : items) {
    if (item == "*" || EqualsIgnoreCase(item, value)) return true;
  }
  return false;
}

// The Access-Control-Allow-Origin value for `origin`, or "" when not allowed.
std::string AllowedOrigin(const lambda::UrlCors& cors, std::string_view origin) {
  for (const std::string& item : cors.allow_origins) {
    if (EqualsIgnoreCase(item, origin)) return std::string(origin);
  }
  for (const std::string& item : cors.allow_origins) {
    // With credentials a browser refuses "*": answer with the origin itself.
    if (item == "*") return cors.allow_credentials.value_or(false) ? std::string(origin) : "*";
  }
  return "";
}

void AddCommon(const lambda::UrlCors& cors, const std::string& allowed, http::Response* r) {
  r->headers.Set("Access-Control-Allow-Origin", allowed);
  if (allowed != "*") r->headers.Add("Vary", "Origin");
  if (cors.allow_credentials.value_or(false)) {
    r->headers.Set("Access-Control-Allow-Credentials", "true");
  }
}

}  // namespace

bool IsPreflight(const http::Request& request) {
  return request.method == "OPTIONS" && request.headers.Get("Origin") &&
         request.headers.Get("Access-Control-Request-Method");
}

http::Response Preflight(const lambda::UrlCors& cors, const http::Request& request) {
  http::Response r;
  r.status = 200;
  std::string origin(request.headers.Get("Origin").value_or(""));
  std::string allowed = AllowedOrigin(cors, origin);
  if (allowed.empty()) return r;
  std::string method(request.headers.Get("Access-Control-Request-Method").value_or(""));
  if (!Contains(cors.allow_methods, method)) return r;
  AddCommon(cors, allowed, &r);
  bool any_method = Contains(cors.allow_methods, "*") && !cors.allow_methods.empty() &&
                    JoinList(cors.allow_methods) == "*";
  r.headers.Set("Access-Control-Allow-Methods", any_method ? method : JoinList(cors.allow_methods));
  if (auto asked = request.headers.Get("Access-Control-Request-Headers")) {
    if (JoinList(cors.allow_headers) == "*") {
      r.headers.Set("Access-Control-Allow-Headers", *asked);
    } else if (!cors.allow_headers.empty()) {
      r.headers.Set("Access-Control-Allow-Headers", JoinList(cors.allow_headers));
    }
  } else if (!cors.allow_headers.empty()) {
    r.headers.Set("Access-Control-Allow-Headers", JoinList(cors.allow_headers));
  }
  if (cors.max_age) r.headers.Set("Access-Control-Max-Age", std::to_string(*cors.max_age));
  return r;
}

void AddCorsHeaders(const lambda::UrlCors& cors, const http::Request& request,
                    http::Response* response) {
  auto origin = request.headers.Get("Origin");
  if (!origin) return;
  std::string allowed = AllowedOrigin(cors, *origin);
  if (allowed.empty()) return;
  AddCommon(cors, allowed, response);
  if (!cors.expose_headers.empty()) {
    response->headers.Set("Access-Control-Expose-Headers", JoinList(cors.expose_headers));
  }
}

}  // namespace thaw::httpfront
