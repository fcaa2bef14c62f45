#include "host/http_event.h"

#include <nlohmann/json.hpp>

#include "base/codec.h"

namespace thaw::host {

namespace {

using nlohmann::json;

// RFC 3986 unreserved characters pass; everything else is percent-encoded.
std::string Escape(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string StringOr(const json& j, const char* key, const std::string& fallback = "") {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

bool IsText(const std::string& content_type) {
  std::string t = content_type;
  for (char& c : t) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return t.empty() || t.rfind("text/", 0) == 0 || t.find("json") != std::string::npos ||
         t.find("xml") != std::string::npos || t.find("javascript") != std::string::npos ||
         t.find("x-www-form-urlencoded") != std::string::npos;
}

}  // namespace

std::string HttpResult::Header(const std::string& lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return "";
}

StatusOr<HttpRequest> RequestFromEvent(const std::string& event_json) {
  json ev = json::parse(event_json, nullptr, false);
  if (!ev.is_object()) return Status::InvalidArgument("not a JSON object");
  HttpRequest req;
  std::string query;
  if (ev.contains("requestContext") && ev["requestContext"].is_object() &&
      ev["requestContext"].contains("http") && ev.contains("rawPath")) {
    // Payload format 2.0 (HTTP API, function URLs).
    req.v2 = true;
    req.method = StringOr(ev["requestContext"]["http"], "method", "GET");
    req.target = StringOr(ev, "rawPath", "/");
    query = StringOr(ev, "rawQueryString");
    if (ev.contains("cookies") && ev["cookies"].is_array()) {
      std::string cookie;
      for (const json& c : ev["cookies"]) {
        if (!c.is_string()) continue;
        if (!cookie.empty()) cookie += "; ";
        cookie += c.get<std::string>();
      }
      if (!cookie.empty()) req.headers.emplace_back("cookie", cookie);
    }
  } else if (ev.contains("httpMethod") && ev.contains("path")) {
    // REST API (1.0) and ALB.
    req.method = StringOr(ev, "httpMethod", "GET");
    req.target = StringOr(ev, "path", "/");
    const json* params = nullptr;
    bool multi = false;
    if (ev.contains("multiValueQueryStringParameters") &&
        ev["multiValueQueryStringParameters"].is_object()) {
      params = &ev["multiValueQueryStringParameters"];
      multi = true;
    } else if (ev.contains("queryStringParameters") && ev["queryStringParameters"].is_object()) {
      params = &ev["queryStringParameters"];
    }
    if (params) {
      for (auto it = params->begin(); it != params->end(); ++it) {
        auto add = [&](const json& v) {
          if (!v.is_string()) return;
          if (!query.empty()) query += '&';
          query += Escape(it.key()) + "=" + Escape(v.get<std::string>());
        };
        if (multi && it->is_array()) {
          for (const json& v : *it) add(v);
        } else {
          add(*it);
        }
      }
    }
    if (ev.contains("multiValueHeaders") && ev["multiValueHeaders"].is_object()) {
      for (auto it = ev["multiValueHeaders"].begin(); it != ev["multiValueHeaders"].end(); ++it) {
        if (!it->is_array()) continue;
        for (const json& v : *it) {
          if (v.is_string()) req.headers.emplace_back(it.key(), v.get<std::string>());
        }
      }
    }
  } else {
    return Status::InvalidArgument("not an HTTP event");
  }
  if (req.headers.empty() || req.v2) {
    if (ev.contains("headers") && ev["headers"].is_object()) {
      for (auto it = ev["headers"].begin(); it != ev["headers"].end(); ++it) {
        if (it->is_string()) req.headers.emplace_back(it.key(), it->get<std::string>());
      }
    }
  }
  if (!query.empty()) req.target += "?" + query;
  std::string body = StringOr(ev, "body");
  if (ev.value("isBase64Encoded", false)) {
    std::optional<std::string> decoded = Base64Decode(body);
    if (!decoded) return Status::InvalidArgument("body is not valid base64");
    body = std::move(*decoded);
  }
  req.body = std::move(body);
  return req;
}

std::string ResponseToEvent(const HttpResult& result) {
  nlohmann::ordered_json out;
  out["statusCode"] = result.status;
  nlohmann::ordered_json headers = nlohmann::ordered_json::object();
  nlohmann::ordered_json multi = nlohmann::ordered_json::object();
  nlohmann::ordered_json cookies = nlohmann::ordered_json::array();
  for (const auto& [k, v] : result.headers) {
    if (k == "set-cookie") cookies.push_back(v);
    if (k == "transfer-encoding" || k == "connection" || k == "content-length") continue;
    if (!headers.contains(k)) headers[k] = v;
    multi[k].push_back(v);
  }
  out["headers"] = headers;
  if (result.v2) {
    if (!cookies.empty()) out["cookies"] = cookies;
  } else {
    out["multiValueHeaders"] = multi;
  }
  bool text = IsText(result.Header("content-type"));
  out["body"] = text ? result.body : Base64Encode(result.body);
  out["isBase64Encoded"] = !text;
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace thaw::host
