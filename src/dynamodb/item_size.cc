#include "dynamodb/item_size.h"

#include <string>

#include "base/codec.h"

namespace thaw::dynamodb {

namespace {

// Numbers: about one byte per two significant digits, plus one.
int64_t NumberSize(const std::string& text) {
  int64_t digits = 0;
  bool leading = true;
  int64_t trailing_zeros = 0;
  for (char c : text) {
    if (c == 'e' || c == 'E') break;
    if (c < '0' || c > '9') continue;
    if (leading && c == '0') continue;
    leading = false;
    ++digits;
    trailing_zeros = c == '0' ? trailing_zeros + 1 : 0;
  }
  digits -= trailing_zeros;
  return (digits + 1) / 2 + 1;
}

int64_t BinarySize(const nlohmann::json& text) {
  if (!text.is_string()) return 0;
  auto bytes = Base64Decode(text.get_ref<const std::string&>());
  return bytes ? static_cast<int64_t>(bytes->size()) : 0;
}

}  // namespace

int64_t ValueSize(const nlohmann::json& value) {
  if (!value.is_object() || value.empty()) return 0;
  const auto first = value.begin();
  const std::string& type = first.key();
  const nlohmann::json& v = first.value();
  if (type == "S")
    return v.is_string() ? static_cast<int64_t>(v.get_ref<const std::string&>().size()) : 0;
  if (type == "N") return v.is_string() ? NumberSize(v.get<std::string>()) : 0;
  if (type == "B") return BinarySize(v);
  if (type == "BOOL" || type == "NULL") return 1;
  int64_t size = 0;
  if (type == "SS") {
    for (const auto& e : v)
      size += e.is_string() ? static_cast<int64_t>(e.get_ref<const std::string&>().size()) : 0;
  } else if (type == "NS") {
    for (const auto& e : v) size += e.is_string() ? NumberSize(e.get<std::string>()) : 0;
  } else if (type == "BS") {
    for (const auto& e : v) size += BinarySize(e);
  } else if (type == "L") {
    size = 3;
    for (const auto& e : v) size += 1 + ValueSize(e);
  } else if (type == "M") {
    size = 3;
    if (v.is_object()) {
      for (const auto& [name, e] : v.items())
        size += 1 + static_cast<int64_t>(name.size()) + ValueSize(e);
    }
  }
  return size;
}

int64_t ItemSize(const nlohmann::json& item) {
  int64_t size = 0;
  if (!item.is_object()) return 0;
  for (const auto& [name, v] : item.items())
    size += static_cast<int64_t>(name.size()) + ValueSize(v);
  return size;
}

}  // namespace thaw::dynamodb
