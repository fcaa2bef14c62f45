#include "cli/stack_values.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "cli/json_fields.h"
#include "cli/zip_builder.h"

namespace thaw::cli {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

StatusOr<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + path.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

// "NAME" or an ARN (function, version or alias) -> {name, qualifier}.
std::pair<std::string, std::string> FunctionAndQualifier(const std::string& name_or_arn) {
  if (name_or_arn.rfind("arn:", 0) != 0) return {name_or_arn, ""};
  std::vector<std::string> parts;
  std::stringstream in(name_or_arn);
  for (std::string part; std::getline(in, part, ':');) parts.push_back(part);
  if (parts.size() < 7) return {name_or_arn, ""};
  return {parts[6], parts.size() > 7 ? parts[7] : ""};
}

// CloudFormation's Tags list -> the API's map.
json TagMap(const json& tags) {
  json out = json::object();
  if (!tags.is_array()) return out;
  for (const json& t : tags) {
    if (t.is_object() && t.contains("Key") && t.contains("Value")) {
      out[JsonString(t, "Key")] = t["Value"].is_string() ? t["Value"] : json(t["Value"].dump());
    }
  }
  return out;
}

// An attribute value as SQS and SNS take it: text, objects as JSON.
std::string AttributeText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();
}

std::string PropertyText(const json& props, const char* key, const std::string& fallback) {
  return props.contains(key) && props[key].is_string() ? props[key].get<std::string>() : fallback;
}

// Whether `a` and `b` differ only in `keys` (keys absent from both are equal).
bool DifferOnlyIn(const json& a, const json& b, std::initializer_list<const char*> keys) {
  json x = a;
  json y = b;
  for (const char* key : keys) {
    x.erase(key);
    y.erase(key);
  }
  return x == y;
}

bool Changed(const json& a, const json& b, const char* key) {
  return a.value(key, json()) != b.value(key, json());
}

// Every regular file under dir, for a layer's zip.
StatusOr<std::string> ZipDirectory(const std::string& dir_text) {
  fs::path dir(dir_text);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::NotFound(dir.string() + " is not a directory");
  std::vector<ZipEntry> entries;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    ZipEntry e;
    e.name = fs::relative(it->path(), dir, ec).generic_string();
    THAW_ASSIGN_OR_RETURN(e.data, ReadFile(it->path()));
    fs::perms p = it->status(ec).permissions();
    e.unix_mode = (p & fs::perms::owner_exec) != fs::perms::none ? 0755 : 0644;
    entries.push_back(std::move(e));
  }
  if (ec) return Status::IoError("cannot list " + dir.string() + ": " + ec.message());
  std::sort(entries.begin(), entries.end(),
            [](const ZipEntry& a, const ZipEntry& b) { return a.name < b.name; });
  return BuildZip(entries);
}

}  // namespace thaw::cli
