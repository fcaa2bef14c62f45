#include "cli/json_fields.h"

#include <fstream>
#include <string>

namespace thaw::cli {

using nlohmann::json;

std::string JsonString(const json& object, std::string_view key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return "";
  return it->get_ref<const std::string&>();
}

int64_t JsonInt(const json& object, std::string_view key, int64_t fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return fallback;
  return it->get<int64_t>();
}

std::string DumpJson(const json& value, int indent) {
  return value.dump(indent, ' ', false, json::error_handler_t::replace);
}

Status WriteJsonFile(const std::string& path, const json& value) {
  std::ofstream file(path, std::ios::trunc);
  file << DumpJson(value, 2) << "\n";
  file.close();
  if (!file) return Status::IoError("cannot write --json file " + path);
  return Status::Ok();
}

}  // namespace thaw::cli
