#include "sam/parameters.h"

#include <utility>

namespace thaw::sam {

namespace {

using nlohmann::json;

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t at; (at = s.find(',', start)) != std::string::npos; start = at + 1) {
    out.push_back(s.substr(start, at - start));
  }
  out.push_back(s.substr(start));
  return out;
}

// The text of a Default (YAML may have read `Default: 128` as a number).
std::string DefaultText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string out;
    for (const json& item : v) out += (out.empty() ? "" : ",") + DefaultText(item);
    return out;
  }
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return v.dump();
}

bool IsNumber(const std::string& s) {
  json n = json::parse(s, nullptr, false);
  return !s.empty() && n.is_number();
}

// Checks `value` against the declaration's constraints and gives its typed value.
StatusOr<json> TypedValue(const std::string& name, const json& decl, const std::string& value) {
  std::string type = decl.value("Type", "String");
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("parameter " + name + " value '" + value + "' " + why);
  };
  if (decl.contains("AllowedValues") && decl["AllowedValues"].is_array()) {
    bool allowed = false;
    for (const json& v : decl["AllowedValues"]) allowed = allowed || DefaultText(v) == value;
    if (!allowed) return bad("is not one of " + decl["AllowedValues"].dump());
  }
  if (decl.contains("MinLength") && decl["MinLength"].is_number_integer() &&
      static_cast<int64_t>(value.size()) < decl["MinLength"].get<int64_t>()) {
    return bad("is shorter than MinLength");
  }
  if (decl.contains("MaxLength") && decl["MaxLength"].is_number_integer() &&
      static_cast<int64_t>(value.size()) > decl["MaxLength"].get<int64_t>()) {
    return bad("is longer than MaxLength");
  }
  if (type == "Number") {
    if (!IsNumber(value)) return bad("is not a Number");
    double n = json::parse(value).get<double>();
    if (decl.contains("MinValue") && decl["MinValue"].is_number() &&
        n < decl["MinValue"].get<double>()) {
      return bad("is below MinValue");
    }
    if (decl.contains("MaxValue") && decl["MaxValue"].is_number() &&
        n > decl["MaxValue"].get<double>()) {
      return bad("is above MaxValue");
    }
    return json(value);  // Ref of a Number parameter is its text, as in CloudFormation
  }
  if (type == "CommaDelimitedList" || type.rfind("List<", 0) == 0) {
    json out = json::array();
    for (const std::string& item : SplitCommas(value)) {
      if (type == "List<Number>" && !IsNumber(item)) return bad("has a non-number item");
      out.push_back(item);
    }
    return out;
  }
  return json(value);
}

}  // namespace

StatusOr<std::map<std::string, std::string>> ParseParameterOverrides(
    const std::vector<std::string>& words) {
  std::map<std::string, std::string> out;
  for (const std::string& word : words) {
    constexpr std::string_view kKey = "ParameterKey=";
    constexpr std::string_view kValue = ",ParameterValue=";
    if (word.rfind(kKey, 0) == 0) {
      size_t at = word.find(kValue);
      if (at == std::string::npos) {
        return Status::InvalidArgument("parameter override '" + word +
                                       "' needs ParameterKey=K,ParameterValue=V");
      }
      out[word.substr(kKey.size(), at - kKey.size())] = word.substr(at + kValue.size());
      continue;
    }
    size_t eq = word.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("parameter override '" + word + "' needs Key=Value");
    }
    out[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return out;
}

StatusOr<Scope> MakeScope(const Template& t, const StackInputs& inputs) {
  Scope scope;
  scope.region = inputs.region;
  scope.mappings = t.mappings;
  scope.refs["AWS::Region"] = inputs.region;
  scope.refs["AWS::AccountId"] = inputs.account_id;
  scope.refs["AWS::StackName"] = inputs.stack_name;
  scope.refs["AWS::StackId"] = "arn:aws:cloudformation:" + inputs.region + ":" + inputs.account_id +
                               ":stack/" + inputs.stack_name + "/thaw";
  scope.refs["AWS::Partition"] = "aws";
  scope.refs["AWS::URLSuffix"] = "amazonaws.com";
  scope.refs["AWS::NotificationARNs"] = json::array();

  for (const auto& [name, value] : inputs.parameter_overrides) {
    if (!t.parameters.contains(name)) {
      return Status::InvalidArgument("--parameter-overrides names '" + name +
                                     "', which is not a parameter of the template");
    }
  }
  for (const auto& [name, decl] : t.parameters.items()) {
    if (!decl.is_object())
      return Status::InvalidArgument("Parameters." + name + " is not a mapping");
    auto over = inputs.parameter_overrides.find(name);
    std::string value;
    if (over != inputs.parameter_overrides.end()) {
      value = over->second;
    } else if (decl.contains("Default")) {
      value = DefaultText(decl["Default"]);
    } else {
      return Status::InvalidArgument(
          "parameter " + name + " has no Default; pass --parameter-overrides " + name + "=VALUE");
    }
    THAW_ASSIGN_OR_RETURN(scope.refs[name], TypedValue(name, decl, value));
  }

  // Conditions may name each other; evaluate in passes until none is left.
  std::map<std::string, json> pending;
  for (const auto& [name, body] : t.conditions.items()) pending[name] = body;
  while (!pending.empty()) {
    size_t before = pending.size();
    Status last;
    for (auto it = pending.begin(); it != pending.end();) {
      StatusOr<bool> value = EvaluateCondition(it->second, scope);
      if (value.ok()) {
        scope.conditions[it->first] = *value;
        it = pending.erase(it);
        continue;
      }
      if (value.status().code() != StatusCode::kNotFound) {
        return Status::InvalidArgument("Conditions." + it->first + ": " + value.status().message());
      }
      last = Status::InvalidArgument("Conditions." + it->first + ": " + value.status().message());
      ++it;
    }
    if (pending.size() == before) {
      return Status::InvalidArgument(last.message() + " (or the conditions refer in a circle)");
    }
  }
  return scope;
}

}  // namespace thaw::sam
