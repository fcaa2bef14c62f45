#include "lambda/route.h"

#include <vector>

namespace thaw::lambda {

namespace {

// "/2015-03-31/functions/f/aliases/" -> {"2015-03-31", "functions", "f", "aliases"}. A trailing
// slash is dropped (ListFunctions is documented as "/2015-03-31/functions/").
std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path[0] != '/') return out;
  path.remove_prefix(1);
  while (!path.empty()) {
    size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

constexpr std::optional<Op> kNone = std::nullopt;

// The operation a path serves for each method; kUnknownOperation for the other methods.
Route Pick(std::string_view method, std::optional<Op> get, std::optional<Op> post,
           std::optional<Op> put, std::optional<Op> del) {
  std::optional<Op> op;
  if (method == "GET") op = get;
  if (method == "POST") op = post;
  if (method == "PUT") op = put;
  if (method == "DELETE") op = del;
  Route r;
  r.op = op.value_or(Op::kUnknownOperation);
  return r;
}

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::optional<Route> MatchFunctions(std::string_view method,
                                    const std::vector<std::string_view>& s) {
  // s[0] == "2015-03-31", s[1] == "functions".
  if (s.size() == 2) return Pick(method, Op::kListFunctions, Op::kCreateFunction, kNone, kNone);
  if (s[2].empty()) return std::nullopt;
  Route r;
  if (s.size() == 3) {
    r = Pick(method, Op::kGetFunction, kNone, kNone, Op::kDeleteFunction);
  } else if (s.size() == 4 && s[3] == "configuration") {
    r = Pick(method, Op::kGetFunctionConfiguration, kNone, Op::kUpdateFunctionConfiguration, kNone);
  } else if (s.size() == 4 && s[3] == "code") {
    r = Pick(method, kNone, kNone, Op::kUpdateFunctionCode, kNone);
  } else if (s.size() == 4 && s[3] == "versions") {
    r = Pick(method, Op::kListVersionsByFunction, Op::kPublishVersion, kNone, kNone);
  } else if (s.size() == 4 && s[3] == "aliases") {
    r = Pick(method, Op::kListAliases, Op::kCreateAlias, kNone, kNone);
  } else if (s.size() == 5 && s[3] == "aliases" && !s[4].empty()) {
    r = Pick(method, Op::kGetAlias, kNone, Op::kUpdateAlias, Op::kDeleteAlias);
    r.alias = std::string(s[4]);
  } else if (s.size() == 4 && s[3] == "policy") {
    r = Pick(method, Op::kGetPolicy, Op::kAddPermission, kNone, kNone);
  } else if (s.size() == 5 && s[3] == "policy" && !s[4].empty()) {
    r = Pick(method, kNone, kNone, kNone, Op::kRemovePermission);
    r.statement_id = std::string(s[4]);
  } else {
    // /invocations belongs to the invoke path; /policy, /url, ... are not implemented here.
    return std::nullopt;
  }
  r.function_name = std::string(s[2]);
  return r;
}

std::optional<Route> MatchLayers(std::string_view method, const std::vector<std::string_view>& s) {
  // s[0] == "2018-10-31", s[1] == "layers".
  if (s.size() == 2) return Pick(method, Op::kListLayers, kNone, kNone, kNone);
  if (s[2].empty() || s.size() < 4 || s[3] != "versions" || s.size() > 5) return std::nullopt;
  Route r;
  if (s.size() == 4) {
    r = Pick(method, Op::kListLayerVersions, Op::kPublishLayerVersion, kNone, kNone);
  } else {
    if (s[4].empty()) return std::nullopt;
    r = Pick(method, Op::kGetLayerVersion, kNone, kNone, Op::kDeleteLayerVersion);
    r.layer_version = std::string(s[4]);
  }
  r.layer = std::string(s[2]);
  return r;
}

}  // namespace

std::optional<Route> MatchRoute(std::string_view method, std::string_view path) {
  std::vector<std::string_view> s = Split(path);
  if (s.size() < 2) return std::nullopt;
  if (s[0] == "2015-03-31" && s[1] == "functions") return MatchFunctions(method, s);
  if ((s[0] == "2017-10-31" || s[0] == "2019-09-30") && s[1] == "functions" && s.size() == 4 &&
      !s[2].empty() && s[3] == "concurrency") {
    // GetFunctionConcurrency lives under 2019-09-30, Put/Delete under 2017-10-31; accept either
    // date for every method, since the date only tells which API release added the route.
    Route r = Pick(method, Op::kGetFunctionConcurrency, kNone, Op::kPutFunctionConcurrency,
                   Op::kDeleteFunctionConcurrency);
    r.function_name = std::string(s[2]);
    return r;
  }
  if (s[0] == "2019-09-25" && s[1] == "functions" && s.size() >= 4 && !s[2].empty() &&
      s[3] == "event-invoke-config") {
    Route r;
    if (s.size() == 4) {
      r = Pick(method, Op::kGetFunctionEventInvokeConfig, Op::kUpdateFunctionEventInvokeConfig,
               Op::kPutFunctionEventInvokeConfig, Op::kDeleteFunctionEventInvokeConfig);
    } else if (s.size() == 5 && s[4] == "list") {
      r = Pick(method, Op::kListFunctionEventInvokeConfigs, kNone, kNone, kNone);
    } else {
      return std::nullopt;
    }
    r.function_name = std::string(s[2]);
    return r;
  }
  if (s[0] == "2024-08-31" && s[1] == "functions" && s.size() == 4 && !s[2].empty() &&
      s[3] == "recursion-config") {
    Route r = Pick(method, Op::kGetFunctionRecursionConfig, kNone, Op::kPutFunctionRecursionConfig,
                   kNone);
    r.function_name = std::string(s[2]);
    return r;
  }
  if (s[0] == "2021-10-31" && s[1] == "functions" && s.size() == 4 && !s[2].empty() &&
      (s[3] == "url" || s[3] == "urls")) {
    Route r = s[3] == "url" ? Pick(method, Op::kGetFunctionUrlConfig, Op::kCreateFunctionUrlConfig,
                                   Op::kUpdateFunctionUrlConfig, Op::kDeleteFunctionUrlConfig)
                            : Pick(method, Op::kListFunctionUrlConfigs, kNone, kNone, kNone);
    r.function_name = std::string(s[2]);
    return r;
  }
  if (s[0] == "2018-10-31" && s[1] == "layers") return MatchLayers(method, s);
  if (s[0] == "2016-08-19" && s[1] == "account-settings" && s.size() == 2) {
    return Pick(method, Op::kGetAccountSettings, kNone, kNone, kNone);
  }
  if (s[0] == "2017-03-31" && s[1] == "tags" && s.size() == 3 && !s[2].empty()) {
    Route r = Pick(method, Op::kListTags, Op::kTagResource, kNone, Op::kUntagResource);
    r.resource = std::string(s[2]);
    return r;
  }
  if (s[0] == "thaw" && s[1] == "code" && s.size() == 3 && s[2].size() == 68 &&
      s[2].substr(64) == ".zip" && IsHex64(s[2].substr(0, 64))) {
    Route r = Pick(method, Op::kGetCodeZip, kNone, kNone, kNone);
    r.resource = std::string(s[2].substr(0, 64));
    return r;
  }
  return std::nullopt;
}

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kCreateFunction:
      return "CreateFunction";
    case Op::kListFunctions:
      return "ListFunctions";
    case Op::kGetFunction:
      return "GetFunction";
    case Op::kDeleteFunction:
      return "DeleteFunction";
    case Op::kGetFunctionConfiguration:
      return "GetFunctionConfiguration";
    case Op::kUpdateFunctionConfiguration:
      return "UpdateFunctionConfiguration";
    case Op::kUpdateFunctionCode:
      return "UpdateFunctionCode";
    case Op::kPublishVersion:
      return "PublishVersion";
    case Op::kListVersionsByFunction:
      return "ListVersionsByFunction";
    case Op::kCreateAlias:
      return "CreateAlias";
    case Op::kListAliases:
      return "ListAliases";
    case Op::kGetAlias:
      return "GetAlias";
    case Op::kUpdateAlias:
      return "UpdateAlias";
    case Op::kDeleteAlias:
      return "DeleteAlias";
    case Op::kPutFunctionConcurrency:
      return "PutFunctionConcurrency";
    case Op::kGetFunctionConcurrency:
      return "GetFunctionConcurrency";
    case Op::kDeleteFunctionConcurrency:
      return "DeleteFunctionConcurrency";
    case Op::kPutFunctionRecursionConfig:
      return "PutFunctionRecursionConfig";
    case Op::kGetFunctionRecursionConfig:
      return "GetFunctionRecursionConfig";
    case Op::kGetAccountSettings:
      return "GetAccountSettings";
    case Op::kListTags:
      return "ListTags";
    case Op::kTagResource:
      return "TagResource";
    case Op::kUntagResource:
      return "UntagResource";
    case Op::kPublishLayerVersion:
      return "PublishLayerVersion";
    case Op::kListLayerVersions:
      return "ListLayerVersions";
    case Op::kGetLayerVersion:
      return "GetLayerVersion";
    case Op::kDeleteLayerVersion:
      return "DeleteLayerVersion";
    case Op::kListLayers:
      return "ListLayers";
    case Op::kAddPermission:
      return "AddPermission";
    case Op::kGetPolicy:
      return "GetPolicy";
    case Op::kRemovePermission:
      return "RemovePermission";
    case Op::kPutFunctionEventInvokeConfig:
      return "PutFunctionEventInvokeConfig";
    case Op::kUpdateFunctionEventInvokeConfig:
      return "UpdateFunctionEventInvokeConfig";
    case Op::kGetFunctionEventInvokeConfig:
      return "GetFunctionEventInvokeConfig";
    case Op::kDeleteFunctionEventInvokeConfig:
      return "DeleteFunctionEventInvokeConfig";
    case Op::kListFunctionEventInvokeConfigs:
      return "ListFunctionEventInvokeConfigs";
    case Op::kCreateFunctionUrlConfig:
      return "CreateFunctionUrlConfig";
    case Op::kGetFunctionUrlConfig:
      return "GetFunctionUrlConfig";
    case Op::kUpdateFunctionUrlConfig:
      return "UpdateFunctionUrlConfig";
    case Op::kDeleteFunctionUrlConfig:
      return "DeleteFunctionUrlConfig";
    case Op::kListFunctionUrlConfigs:
      return "ListFunctionUrlConfigs";
    case Op::kGetCodeZip:
      return "GetCodeZip";
    case Op::kUnknownOperation:
      return "UnknownOperation";
  }
  return "UnknownOperation";
}

}  // namespace thaw::lambda
