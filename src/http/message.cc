#include "http/message.h"

#include "base/codec.h"

namespace thaw::http {

std::optional<std::string_view> Headers::Get(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (EqualsIgnoreCase(k, name)) return std::string_view(v);
  }
  return std::nullopt;
}

void Headers::Set(std::string_view name, std::string_view value) {
  for (auto& [k, v] : items_) {
    if (EqualsIgnoreCase(k, name)) {
      v = value;
      return;
    }
  }
  Add(name, value);
}

void Headers::Add(std::string_view name, std::string_view value) {
  // Requests carry about ten headers: one allocation instead of a growth step every few.
  if (items_.capacity() == 0) items_.reserve(12);
  items_.emplace_back(std::string(name), std::string(value));
}

std::string PercentEncode(std::string_view s) {
  static const char* kDigits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 15]);
    }
  }
  return out;
}

std::optional<std::string> Request::QueryParam(std::string_view name) const {
  return FormValue(query, name);
}

Response Response::Json(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.Set("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

}  // namespace thaw::http
