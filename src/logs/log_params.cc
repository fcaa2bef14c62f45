#include "logs/log_params.h"

#include <limits>

namespace thaw::logs {

namespace {

using nlohmann::json;

const json* Member(const json& in, const char* key) {
  if (!in.is_object()) return nullptr;
  auto it = in.find(key);
  if (it == in.end() || it->is_null()) return nullptr;
  return &*it;
}

Status WrongType(const char* key, const char* type) {
  return Status::InvalidArgument(std::string("Invalid value for ") + key + ": expected " + type);
}

}  // namespace

StatusOr<std::optional<std::string>> OptionalString(const json& in, const char* key) {
  const json* v = Member(in, key);
  if (!v) return std::optional<std::string>();
  if (!v->is_string()) return WrongType(key, "a string");
  return std::optional<std::string>(v->get<std::string>());
}

StatusOr<std::string> RequiredString(const json& in, const char* key) {
  THAW_ASSIGN_OR_RETURN(auto value, OptionalString(in, key));
  if (!value) return Status::InvalidArgument(std::string("Missing required parameter ") + key);
  return std::move(*value);
}

StatusOr<std::optional<int64_t>> OptionalInt(const json& in, const char* key) {
  const json* v = Member(in, key);
  if (!v) return std::optional<int64_t>();
  if (v->is_number_unsigned()) {
    auto u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return WrongType(key, "a 64-bit integer");
    }
    return std::optional<int64_t>(static_cast<int64_t>(u));
  }
  if (!v->is_number_integer()) return WrongType(key, "an integer");
  return std::optional<int64_t>(v->get<int64_t>());
}

StatusOr<bool> OptionalBool(const json& in, const char* key, bool fallback) {
  const json* v = Member(in, key);
  if (!v) return fallback;
  if (!v->is_boolean()) return WrongType(key, "a boolean");
  return v->get<bool>();
}

StatusOr<std::vector<std::string>> OptionalStringList(const json& in, const char* key) {
  std::vector<std::string> out;
  const json* v = Member(in, key);
  if (!v) return out;
  if (!v->is_array()) return WrongType(key, "a list of strings");
  for (const json& item : *v) {
    if (!item.is_string()) return WrongType(key, "a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

StatusOr<int64_t> Limit(const json& in, int64_t max) {
  THAW_ASSIGN_OR_RETURN(auto limit, OptionalInt(in, "limit"));
  if (!limit) return max;
  if (*limit < 1 || *limit > max) {
    return Status::InvalidArgument("1 validation error detected: Value '" + std::to_string(*limit) +
                                   "' at 'limit' failed to satisfy constraint: Member must have "
                                   "value less than or equal to " +
                                   std::to_string(max) + " and greater than or equal to 1");
  }
  return *limit;
}

// Sample identifier: "arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/fn:*".
StatusOr<std::string> LogGroupName(const json& in) {
  THAW_ASSIGN_OR_RETURN(auto name, OptionalString(in, "logGroupName"));
  THAW_ASSIGN_OR_RETURN(auto identifier, OptionalString(in, "logGroupIdentifier"));
  if (name && identifier) {
    return Status::InvalidArgument(
        "LogGroup name and LogGroup ARN are mutually exclusive parameters.");
  }
  if (name) return std::move(*name);
  if (!identifier) return Status::InvalidArgument("Missing required parameter logGroupName");
  std::string_view id = *identifier;
  constexpr std::string_view kMarker = ":log-group:";
  if (!id.starts_with("arn:")) return std::move(*identifier);
  size_t at = id.find(kMarker);
  if (at == std::string_view::npos) {
    return Status::InvalidArgument("Invalid logGroupIdentifier: " + Printable(id));
  }
  id.remove_prefix(at + kMarker.size());
  if (id.ends_with(":*")) id.remove_suffix(2);
  return std::string(id);
}

namespace {
constexpr std::string_view kDefaultAccount = "000000000000";
}  // namespace

std::string GroupKey(std::string_view account, std::string_view name) {
  if (account.empty() || account == kDefaultAccount) return std::string(name);
  return std::string(account) + ":" + std::string(name);
}

std::pair<std::string, std::string> SplitGroupKey(std::string_view key) {
  size_t colon = key.find(':');
  if (colon == std::string_view::npos) return {std::string(kDefaultAccount), std::string(key)};
  return {std::string(key.substr(0, colon)), std::string(key.substr(colon + 1))};
}

std::string Printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

}  // namespace thaw::logs
