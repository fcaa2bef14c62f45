// ControlService: Create/Get/Update/Delete/ListFunctionUrlConfigs (a function's URLs, one for
// the unqualified function and one per alias).
#include <algorithm>
#include <regex>
#include <utility>
#include <vector>

#include "lambda/api_error.h"
#include "lambda/control_service.h"
#include "lambda/function_request.h"
#include "lambda/function_url.h"
#include "lambda/pagination.h"

namespace thaw::lambda {

using nlohmann::json;

namespace {

Status NoUrl() { return Status::NotFound("The resource you requested does not exist."); }

std::string UrlArn(const std::string& key, const std::string& qualifier) {
  return qualifier.empty() ? FunctionArn(key) : QualifiedArn(key, qualifier);
}

}  // namespace

uint16_t ControlService::UrlPort(const http::Request& request) const {
  return options_.endpoint_port != 0 ? options_.endpoint_port : request.local_port;
}

StatusOr<std::pair<std::string, std::string>> ControlService::UrlKey(const Route& route,
                                                                     const http::Request& request) {
  std::optional<std::string> given = request.QueryParam("Qualifier");
  if (given && !given->empty() && *given != kLatest) {
    // An alias: AWS refuses version numbers (and $LATEST is the unqualified function).
    static const std::regex pattern("[0-9a-zA-Z_-]+");
    bool digits =
        std::all_of(given->begin(), given->end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits || !std::regex_match(*given, pattern)) {
      return ValidationError(*given, "qualifier",
                             "Member must satisfy regular expression pattern: "
                             "((?!^\\d+$)^[0-9a-zA-Z-_]+$)");
    }
  }
  if (given && *given == kLatest) given = std::nullopt;
  THAW_ASSIGN_OR_RETURN(FunctionRef ref, ParseRef(route.function_name, given));
  if (ref.qualifier == kLatest) ref.qualifier.clear();
  THAW_ASSIGN_OR_RETURN(const FunctionState* found, Find(ref));
  if (!ref.qualifier.empty() && found->entry.aliases.count(ref.qualifier) == 0) {
    return FunctionNotFound(ref.KeyIn(account_), ref.qualifier);
  }
  return std::make_pair(ref.KeyIn(account_), ref.qualifier);
}

StatusOr<http::Response> ControlService::PutFunctionUrl(const Route& route,
                                                        const http::Request& request, bool update) {
  THAW_ASSIGN_OR_RETURN(json body, ParseJsonObject(request.body));
  THAW_ASSIGN_OR_RETURN(auto key, UrlKey(route, request));
  const std::string& name = key.first;
  const std::string& qualifier = key.second;
  FunctionState state = functions_.at(name);
  auto& urls = state.entry.urls;
  auto found = urls.find(qualifier);
  if (update && found == urls.end()) return NoUrl();
  // The body is checked first, as AWS does.
  THAW_ASSIGN_OR_RETURN(FunctionUrlConfig config,
                        ParseFunctionUrlConfig(body, update ? &found->second : nullptr));
  if (!update && found != urls.end()) {
    return Status::AlreadyExists(
        "Failed to create function url config for [functionArn = " + UrlArn(name, qualifier) +
        "]. Error message:  FunctionUrlConfig exists for this Lambda "
        "function");
  }
  const int64_t now = options_.clock.RealtimeMillis();
  if (!update) {
    config.url_id = NewUrlId();
    config.created_ms = now;
  }
  config.modified_ms = now;
  THAW_RETURN_IF_ERROR(
      Transact([&] { return function_store_.PutFunctionUrl(name, qualifier, config); }));
  urls[qualifier] = config;
  std::string function_name = name;
  json rendered = RenderFunctionUrlConfig(config, UrlArn(name, qualifier), UrlPort(request),
                                          /*with_modified=*/update);
  Install(function_name, std::move(state));
  return JsonResponse(update ? 200 : 201, rendered);
}

StatusOr<http::Response> ControlService::GetFunctionUrl(const Route& route,
                                                        const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(auto key, UrlKey(route, request));
  const auto& urls = functions_.at(key.first).entry.urls;
  auto it = urls.find(key.second);
  if (it == urls.end()) return NoUrl();
  return JsonResponse(
      200, RenderFunctionUrlConfig(it->second, UrlArn(key.first, key.second), UrlPort(request)));
}

StatusOr<http::Response> ControlService::DeleteFunctionUrl(const Route& route,
                                                           const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(auto key, UrlKey(route, request));
  const std::string& name = key.first;
  FunctionState state = functions_.at(name);
  if (state.entry.urls.erase(key.second) == 0) return NoUrl();
  THAW_RETURN_IF_ERROR(
      Transact([&] { return function_store_.DeleteFunctionUrl(name, key.second); }));
  std::string function_name = name;
  Install(function_name, std::move(state));
  return http::Response{204, {}, {}};
}

StatusOr<http::Response> ControlService::ListFunctionUrls(const Route& route,
                                                          const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(FunctionRef ref, ParseRef(route.function_name, std::nullopt));
  THAW_ASSIGN_OR_RETURN(const FunctionState* found, Find(ref));
  THAW_ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(request));
  std::vector<std::pair<std::string, json>> items;
  for (const auto& [qualifier, config] : found->entry.urls) {
    items.emplace_back(
        qualifier,
        RenderFunctionUrlConfig(config, UrlArn(ref.KeyIn(account_), qualifier), UrlPort(request)));
  }
  return JsonResponse(200, Paginate(items, page, "FunctionUrlConfigs"));
}

}  // namespace thaw::lambda
