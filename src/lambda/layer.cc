#include "lambda/layer.h"

#include <algorithm>

#include "lambda/api_error.h"
#include "lambda/function.h"

namespace thaw::lambda {

using nlohmann::json;

namespace {

constexpr char kNamePattern[] =
    "(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+";
constexpr char kVersionArnPattern[] =
    "arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+";

bool IsWordChars(std::string_view s, bool allow_underscore) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || (allow_underscore && c == '_');
    if (!ok) return false;
  }
  return true;
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string_view> SplitColons(std::string_view s) {
  std::vector<std::string_view> out;
  for (;;) {
    size_t colon = s.find(':');
    out.push_back(s.substr(0, colon));
    if (colon == std::string_view::npos) return out;
    s.remove_prefix(colon + 1);
  }
}

// "arn:P:lambda:R:A:layer:NAME[:VERSION]" split and checked; nullopt when malformed.
std::optional<std::vector<std::string_view>> SplitLayerArn(std::string_view arn, size_t parts) {
  auto p = SplitColons(arn);
  if (p.size() != parts || p[0] != "arn" || !IsWordChars(p[1], false) || p[2] != "lambda" ||
      !IsWordChars(p[3], false) || p[4].size() != 12 || !IsDigits(p[4]) || p[5] != "layer" ||
      !IsWordChars(p[6], true)) {
    return std::nullopt;
  }
  return p;
}

json Strings(const std::vector<std::string>& v) {
  json out = json::array();
  for (const auto& s : v) out.push_back(s);
  return out;
}

}  // namespace

std::string LayerKey(std::string_view account, std::string_view name) {
  if (account.empty() || account == kAccount) return std::string(name);
  return std::string(account) + ":layer:" + std::string(name);
}

std::string LayerNameOf(std::string_view key) {
  size_t colon = key.rfind(':');
  return std::string(colon == std::string_view::npos ? key : key.substr(colon + 1));
}

std::string LayerArn(const std::string& key) {
  std::string prefix = std::string("arn:aws:lambda:") + kRegion + ":";
  if (key.find(':') != std::string::npos) return prefix + key;
  return prefix + kAccount + ":layer:" + key;
}

std::string LayerVersionArn(const std::string& name, int64_t version) {
  return LayerArn(name) + ":" + std::to_string(version);
}

StatusOr<std::string> ParseLayerName(const std::string& text) {
  if (text.size() <= 140) {
    if (IsWordChars(text, true)) return text;
    if (auto p = SplitLayerArn(text, 7)) return std::string((*p)[6]);
  }
  return ValidationError(
      text, "layerName",
      std::string("Member must satisfy regular expression pattern: ") + kNamePattern);
}

std::optional<LayerVersionRef> ParseLayerVersionArn(std::string_view arn) {
  if (arn.size() > 140) return std::nullopt;
  auto p = SplitLayerArn(arn, 8);
  if (!p || !IsDigits((*p)[7]) || (*p)[7].size() > 18) return std::nullopt;
  LayerVersionRef ref;
  ref.name = std::string((*p)[6]);
  ref.version = std::stoll(std::string((*p)[7]));
  ref.account = std::string((*p)[4]);
  ref.local = (*p)[3] == kRegion;
  return ref;
}

Status LayersPatternError(const std::vector<std::string>& layers) {
  std::string shown = "[";
  for (const auto& l : layers) shown += (shown.size() > 1 ? ", " : "") + l;
  shown += "]";
  return ValidationError(shown, "layers",
                         std::string("Member must satisfy constraint: [Member must have length "
                                     "less than or equal to 140, Member must have length greater "
                                     "than or equal to 1, Member must satisfy regular expression "
                                     "pattern: ") +
                             kVersionArnPattern + "]");
}

json RenderLayerVersionItem(const LayerVersion& v) {
  json j = {
      {"LayerVersionArn", LayerVersionArn(v.name, v.version)},
      {"Version", v.version},
      {"CreatedDate", v.created_date},
      {"CompatibleRuntimes", Strings(v.compatible_runtimes)},
      {"CompatibleArchitectures", Strings(v.compatible_architectures)},
  };
  if (!v.description.empty()) j["Description"] = v.description;
  if (!v.license_info.empty()) j["LicenseInfo"] = v.license_info;
  return j;
}

json RenderLayerVersion(const LayerVersion& v, const std::string& location) {
  json j = RenderLayerVersionItem(v);
  j["LayerArn"] = LayerArn(v.name);
  j["Content"] = {{"Location", location}, {"CodeSha256", v.code_sha256}, {"CodeSize", v.code_size}};
  j["Description"] = v.description;
  return j;
}

bool LayerMatches(const LayerVersion& v, const std::optional<std::string>& runtime,
                  const std::optional<std::string>& architecture) {
  auto has = [](const std::vector<std::string>& list, const std::string& x) {
    return std::find(list.begin(), list.end(), x) != list.end();
  };
  if (runtime && !runtime->empty() && !has(v.compatible_runtimes, *runtime)) return false;
  if (architecture && !architecture->empty() && !has(v.compatible_architectures, *architecture)) {
    return false;
  }
  return true;
}

}  // namespace thaw::lambda
