#include "httpfront/response_v1.h"

#include <cctype>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "httpfront/response_v2.h"

namespace thaw::httpfront {

using nlohmann::json;

namespace {

std::optional<std::string> HeaderValue(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  return std::nullopt;
}

}  // namespace

StatusOr<http::Response> MapResponseV1(std::string_view output, bool decode_binary) {
  json j = json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::InvalidArgument("the function's answer is not a JSON object");
  static const std::set<std::string> kKeys = {"statusCode", "headers",         "multiValueHeaders",
                                              "body",       "isBase64Encoded", "cookies"};
  for (const auto& [key, value] : j.items()) {
    if (!kKeys.contains(key)) return Status::InvalidArgument("unexpected key " + key);
  }
  http::Response out;
  out.status = 200;
  if (auto s = j.find("statusCode"); s != j.end() && !s->is_null()) {
    int64_t code = 0;
    if (s->is_number_integer()) {
      code = s->get<int64_t>();
    } else if (s->is_string()) {
      code = std::atoll(s->get<std::string>().c_str());
    } else {
      return Status::InvalidArgument("statusCode is not a number");
    }
    if (code < 100 || code > 599) return Status::InvalidArgument("statusCode out of range");
    out.status = static_cast<int>(code);
  }
  std::set<std::string> multi_names;
  if (auto m = j.find("multiValueHeaders"); m != j.end() && !m->is_null()) {
    if (!m->is_object()) return Status::InvalidArgument("multiValueHeaders is not an object");
    for (const auto& [name, values] : m->items()) {
      if (!values.is_array()) return Status::InvalidArgument("multiValueHeaders." + name);
      for (const json& v : values) {
        auto text = HeaderValue(v);
        if (!text) return Status::InvalidArgument("multiValueHeaders." + name);
        out.headers.Add(name, *text);
      }
      multi_names.insert(AsciiLower(name));
    }
  }
  if (auto h = j.find("headers"); h != j.end() && !h->is_null()) {
    if (!h->is_object()) return Status::InvalidArgument("headers is not an object");
    for (const auto& [name, value] : h->items()) {
      auto text = HeaderValue(value);
      if (!text) return Status::InvalidArgument("header " + name + " is not a string");
      if (!multi_names.contains(AsciiLower(name))) out.headers.Add(name, *text);
    }
  }
  if (auto b = j.find("isBase64Encoded"); !decode_binary && b != j.end() && b->is_boolean()) {
    *b = false;
  }
  THAW_RETURN_IF_ERROR(ReadAnswerBody(j, &out.body));
  if (!out.headers.Get("Content-Type")) out.headers.Set("Content-Type", "application/json");
  return out;
}

http::Response ApiError(int status, std::string_view message) {
  return http::Response::Json(status, json{{"message", message}}.dump());
}

http::Response ApiNotFound() { return ApiError(404, "Not Found"); }
http::Response ApiMissingToken() { return ApiError(403, "Missing Authentication Token"); }
http::Response ApiInternalError() {
  http::Response r;
  r.status = 502;
  r.headers.Set("Content-Type", "application/json");
  r.body = R"({"message": "Internal server error"})";
  return r;
}

}  // namespace thaw::httpfront
