#include "lambda/function.h"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <vector>

namespace thaw::lambda {

std::string FunctionKey(std::string_view account, std::string_view name) {
  if (account.empty() || account == kAccount) return std::string(name);
  return std::string(account) + ":function:" + std::string(name);
}

std::string FunctionConfig::key() const { return FunctionKey(account, name); }

std::string FunctionArn(const std::string& key) {
  std::string prefix = std::string("arn:aws:lambda:") + kRegion + ":";
  if (key.find(':') != std::string::npos) return prefix + key;
  return prefix + kAccount + ":function:" + key;
}

std::string QualifiedArn(const std::string& key, const std::string& qualifier) {
  return FunctionArn(key) + ":" + qualifier;
}

std::string FunctionRef::KeyIn(std::string_view caller_account) const {
  return FunctionKey(account.empty() ? caller_account : std::string_view(account), name);
}

namespace {

bool ValidName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

bool ValidQualifier(std::string_view s) { return s == "$LATEST" || ValidName(s); }

bool IsAccount(std::string_view s) {
  return s.size() == 12 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t colon = s.find(':', start);
    parts.push_back(s.substr(start, colon - start));
    if (colon == std::string_view::npos) return parts;
    start = colon + 1;
  }
}

}  // namespace

// AWS's FunctionName forms: NAME[:Q], ACCOUNT:function:NAME[:Q], function:NAME[:Q] and
// arn:aws:lambda:REGION:ACCOUNT:function:NAME[:Q].
std::optional<FunctionRef> ParseFunctionRef(const std::string& text) {
  std::vector<std::string_view> p = Split(text);
  size_t name_at = 0;
  FunctionRef ref;
  if (p.size() >= 7 && p[0] == "arn") {
    if (p[1].rfind("aws", 0) != 0 || p[2] != "lambda" || p[3].empty() || !IsAccount(p[4]) ||
        p[5] != "function") {
      return std::nullopt;
    }
    name_at = 6;
    ref.account = std::string(p[4]);
  } else if (p.size() >= 3 && IsAccount(p[0]) && p[1] == "function") {
    name_at = 2;
    ref.account = std::string(p[0]);
  } else if (p.size() >= 2 && p[0] == "function") {
    name_at = 1;
  }
  if (p.size() > name_at + 2 || !ValidName(p[name_at])) return std::nullopt;
  ref.name = std::string(p[name_at]);
  if (p.size() == name_at + 2) {
    if (!ValidQualifier(p[name_at + 1])) return std::nullopt;
    ref.qualifier = std::string(p[name_at + 1]);
  }
  return ref;
}

StatusOr<std::string> ResolveMechanism(const std::string& runtime,
                                       const std::map<std::string, std::string>& tags) {
  static constexpr std::string_view kNames[] = {"runtime-api", "go1.x", "spawn", "http-sidecar",
                                                "shim"};
  auto it = tags.find(kMechanismTag);
  if (it == tags.end()) return std::string(runtime == "go1.x" ? "go1.x" : "runtime-api");
  if (std::find(std::begin(kNames), std::end(kNames), it->second) == std::end(kNames)) {
    return Status::InvalidArgument(
        "The tag thaw:mechanism must be one of runtime-api, go1.x, "
        "spawn, http-sidecar or shim, not \"" +
        it->second + "\".");
  }
  if (runtime == "go1.x" && it->second != "go1.x") {
    return Status::InvalidArgument(
        "Runtime go1.x selects the go1.x mechanism; the tag "
        "thaw:mechanism cannot say \"" +
        it->second + "\".");
  }
  return it->second;
}

StatusOr<std::string> ResolveNetwork(const std::map<std::string, std::string>& tags) {
  auto it = tags.find(kNetworkTag);
  if (it == tags.end()) return std::string("loopback");
  if (it->second != "loopback" && it->second != "none") {
    return Status::InvalidArgument("The tag thaw:network must be loopback or none, not \"" +
                                   it->second + "\".");
  }
  return it->second;
}

}  // namespace thaw::lambda
