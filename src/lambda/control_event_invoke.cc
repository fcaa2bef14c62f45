// ControlService: Put/Update/Get/Delete/ListFunctionEventInvokeConfigs (a function's asynchronous
// invocation settings, one per qualifier).
#include <utility>
#include <vector>

#include "lambda/api_error.h"
#include "lambda/control_service.h"
#include "lambda/event_invoke_config.h"
#include "lambda/function_request.h"
#include "lambda/pagination.h"

namespace thaw::lambda {

using nlohmann::json;

namespace {

Status NoFunction() { return Status::NotFound("The function doesn't exist."); }

Status NoConfig(const std::string& name, const std::string& qualifier) {
  return Status::NotFound("The function " + QualifiedArn(name, qualifier) +
                          " doesn't have an EventInvokeConfig");
}

}  // namespace

StatusOr<std::pair<std::string, std::string>> ControlService::EventInvokeKey(
    const Route& route, const http::Request& request, bool must_exist) {
  THAW_ASSIGN_OR_RETURN(FunctionRef ref,
                        ParseRef(route.function_name, request.QueryParam("Qualifier")));
  std::string qualifier = ref.qualifier.empty() ? kLatest : ref.qualifier;
  auto it = functions_.find(ref.KeyIn(account_));
  if (it == functions_.end()) {
    if (must_exist) return NoFunction();
    return NoConfig(ref.KeyIn(account_), qualifier);
  }
  if (must_exist && !Resolve(it->second, ref.KeyIn(account_), qualifier).ok()) return NoFunction();
  return std::make_pair(ref.KeyIn(account_), qualifier);
}

StatusOr<http::Response> ControlService::PutEventInvokeConfig(const Route& route,
                                                              const http::Request& request,
                                                              bool update) {
  THAW_ASSIGN_OR_RETURN(json body, ParseJsonObject(request.body));
  THAW_ASSIGN_OR_RETURN(auto key, EventInvokeKey(route, request, /*must_exist=*/true));
  const std::string& name = key.first;
  const std::string& qualifier = key.second;
  FunctionState state = functions_.at(name);
  auto& configs = state.entry.event_invoke_configs;
  const EventInvokeConfig* base = nullptr;
  if (update) {
    auto found = configs.find(qualifier);
    if (found == configs.end()) return NoConfig(name, qualifier);
    base = &found->second;
  }
  THAW_ASSIGN_OR_RETURN(EventInvokeConfig config, ParseEventInvokeConfig(body, base));
  for (const std::string& arn : {config.on_success, config.on_failure}) {
    if (KindOf(arn) != DestinationKind::kFunction) continue;
    auto target = ParseFunctionRef(arn);
    if (!target || functions_.count(target->KeyIn(account_)) == 0) {
      return Status::InvalidArgument("The destination ARN " + arn + " is invalid.");
    }
    if (target->KeyIn(account_) == name) {
      return Status::InvalidArgument("You can't specify the function as a destination for itself.");
    }
  }
  config.last_modified_ms = options_.clock.RealtimeMillis();
  THAW_RETURN_IF_ERROR(
      Transact([&] { return function_store_.PutEventInvokeConfig(name, qualifier, config); }));
  configs[qualifier] = config;
  std::string function_name = name;
  std::string arn = QualifiedArn(name, qualifier);
  Install(function_name, std::move(state));
  return JsonResponse(200, RenderEventInvokeConfig(config, arn));
}

StatusOr<http::Response> ControlService::GetEventInvokeConfig(const Route& route,
                                                              const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(auto key, EventInvokeKey(route, request, /*must_exist=*/false));
  const auto& configs = functions_.at(key.first).entry.event_invoke_configs;
  auto it = configs.find(key.second);
  if (it == configs.end()) return NoConfig(key.first, key.second);
  return JsonResponse(200,
                      RenderEventInvokeConfig(it->second, QualifiedArn(key.first, key.second)));
}

StatusOr<http::Response> ControlService::DeleteEventInvokeConfig(const Route& route,
                                                                 const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(auto key, EventInvokeKey(route, request, /*must_exist=*/false));
  const std::string& name = key.first;
  const std::string& qualifier = key.second;
  FunctionState state = functions_.at(name);
  if (state.entry.event_invoke_configs.erase(qualifier) == 0) return NoConfig(name, qualifier);
  THAW_RETURN_IF_ERROR(
      Transact([&] { return function_store_.DeleteEventInvokeConfig(name, qualifier); }));
  std::string function_name = name;
  Install(function_name, std::move(state));
  return http::Response{204, {}, {}};
}

StatusOr<http::Response> ControlService::ListEventInvokeConfigs(const Route& route,
                                                                const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(FunctionRef ref, ParseRef(route.function_name, std::nullopt));
  auto it = functions_.find(ref.KeyIn(account_));
  if (it == functions_.end()) return NoFunction();
  THAW_ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(request));
  std::vector<std::pair<std::string, json>> items;
  for (const auto& [qualifier, config] : it->second.entry.event_invoke_configs) {
    items.emplace_back(
        qualifier, RenderEventInvokeConfig(config, QualifiedArn(ref.KeyIn(account_), qualifier)));
  }
  return JsonResponse(200, Paginate(items, page, "FunctionEventInvokeConfigs"));
}

}  // namespace thaw::lambda
