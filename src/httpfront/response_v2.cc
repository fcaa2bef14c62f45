#include "httpfront/response_v2.h"

#include <nlohmann/json.hpp>

#include "base/codec.h"

namespace thaw::httpfront {

using nlohmann::json;

namespace {

// A header value as AWS accepts it: strings, and numbers or booleans written out.
std::optional<std::string> HeaderValue(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  return std::nullopt;
}

// Status, headers and cookies of a response object (the full answer or a prelude).
Status ApplyHead(const json& j, http::Response* out) {
  auto status = j.find("statusCode");
  if (status != j.end()) {
    if (!status->is_number_integer()) return Status::InvalidArgument("statusCode is not a number");
    int64_t code = status->get<int64_t>();
    if (code < 100 || code > 599) return Status::InvalidArgument("statusCode out of range");
    out->status = static_cast<int>(code);
  }
  if (auto h = j.find("headers"); h != j.end() && !h->is_null()) {
    if (!h->is_object()) return Status::InvalidArgument("headers is not an object");
    for (const auto& [name, value] : h->items()) {
      auto text = HeaderValue(value);
      if (!text) return Status::InvalidArgument("header " + name + " is not a string");
      out->headers.Set(name, *text);
    }
  }
  if (auto c = j.find("cookies"); c != j.end() && !c->is_null()) {
    if (!c->is_array()) return Status::InvalidArgument("cookies is not a list");
    for (const json& cookie : *c) {
      if (!cookie.is_string()) return Status::InvalidArgument("a cookie is not a string");
      out->headers.Add("set-cookie", cookie.get<std::string>());
    }
  }
  return Status::Ok();
}

}  // namespace

Status ReadAnswerBody(const nlohmann::json& j, std::string* out) {
  bool base64 = false;
  if (auto b = j.find("isBase64Encoded"); b != j.end() && !b->is_null()) {
    if (!b->is_boolean()) return Status::InvalidArgument("isBase64Encoded is not a boolean");
    base64 = b->get<bool>();
  }
  if (auto body = j.find("body"); body != j.end() && !body->is_null()) {
    if (!body->is_string()) return Status::InvalidArgument("body is not a string");
    if (base64) {
      auto decoded = Base64Decode(body->get<std::string>());
      if (!decoded) return Status::InvalidArgument("body is not base64");
      *out = std::move(*decoded);
    } else {
      *out = body->get<std::string>();
    }
  }
  return Status::Ok();
}

StatusOr<http::Response> MapResponse(std::string_view output) {
  json j = json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("the function's answer is not JSON");
  http::Response out;
  out.status = 200;
  if (!j.is_object() || !j.contains("statusCode")) {
    out.headers.Set("content-type", "application/json");
    out.body = j.is_string() ? j.get<std::string>() : std::string(output);
    return out;
  }
  THAW_RETURN_IF_ERROR(ApplyHead(j, &out));
  THAW_RETURN_IF_ERROR(ReadAnswerBody(j, &out.body));
  return out;
}

std::optional<http::Response> MapStreamedResponse(std::string_view output) {
  static constexpr std::string_view kSeparator("\0\0\0\0\0\0\0\0", 8);
  if (!output.starts_with('{')) return std::nullopt;
  size_t at = output.find(kSeparator);
  if (at == std::string_view::npos) return std::nullopt;
  json j = json::parse(output.substr(0, at), nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  http::Response out;
  out.status = 200;
  if (!ApplyHead(j, &out).ok()) return std::nullopt;
  out.body = std::string(output.substr(at + kSeparator.size()));
  return out;
}

http::Response UrlError(int status, std::string_view message) {
  return http::Response::Json(status, json{{"Message", message}}.dump());
}

http::Response BadGateway() {
  http::Response r;
  r.status = 502;
  r.headers.Set("content-type", "application/json");
  r.body = "Internal Server Error";
  return r;
}

}  // namespace thaw::httpfront
