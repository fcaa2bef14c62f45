// ControlService: reserved concurrency, the recursion config, GetAccountSettings, tags, and the
// zip download behind GetFunction's Code.Location.
#include <utility>

#include "base/codec.h"
#include "lambda/api_error.h"
#include "lambda/control_service.h"
#include "lambda/function_request.h"

namespace thaw::lambda {

using nlohmann::json;

namespace {

// Lambda's fixed storage quotas, as GetAccountSettings reports them.
constexpr int64_t kTotalCodeSize = 80530636800;
constexpr int64_t kCodeSizeZipped = 52428800;

// Every value of a repeated query parameter ("tagKeys=a&tagKeys=b"), decoded.
std::vector<std::string> QueryValues(const std::string& query, std::string_view name) {
  std::vector<std::string> out;
  for (auto& [key, value] : ParseForm(query)) {
    if (key == name) out.push_back(std::move(value));
  }
  return out;
}

// Tags belong to the function: AWS refuses a version's or an alias's ARN.
Status CheckTaggable(const std::string& arn) {
  auto ref = ParseFunctionRef(arn);
  if (ref && !ref->qualifier.empty()) {
    return Status::InvalidArgument(
        "Tags on function aliases and versions are not supported. "
        "Please specify a function ARN.");
  }
  return Status::Ok();
}

}  // namespace

StatusOr<http::Response> ControlService::PutFunctionConcurrency(const Route& route,
                                                                const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(json body, ParseJsonObject(request.body));
  THAW_ASSIGN_OR_RETURN(auto reserved, OptionalInt(body, "ReservedConcurrentExecutions"));
  if (!reserved) return MissingMember("reservedConcurrentExecutions");
  if (*reserved < 0) {
    return ValidationError(std::to_string(*reserved), "reservedConcurrentExecutions",
                           "Member must have value greater than or equal to 0");
  }
  THAW_ASSIGN_OR_RETURN(const FunctionState* found, Find(route.function_name));
  const std::string name = found->entry.latest->key();
  int64_t others = 0;
  for (const auto& [other, state] : functions_) {
    if (other != name && state.entry.latest->account == account_)
      others += state.entry.reserved_concurrency.value_or(0);
  }
  if (options_.account_concurrency_limit - others - *reserved < options_.unreserved_minimum) {
    return Status::InvalidArgument(
        "Specified ReservedConcurrentExecutions for function decreases account's "
        "UnreservedConcurrentExecution below its minimum value of [" +
        std::to_string(options_.unreserved_minimum) + "].");
  }
  FunctionState state = *found;
  state.entry.reserved_concurrency = *reserved;
  THAW_RETURN_IF_ERROR(
      Transact([&] { return function_store_.SetReservedConcurrency(name, *reserved); }));
  Install(name, std::move(state));
  return JsonResponse(200, {{"ReservedConcurrentExecutions", *reserved}});
}

StatusOr<http::Response> ControlService::GetFunctionConcurrency(const Route& route) {
  THAW_ASSIGN_OR_RETURN(const FunctionState* state, Find(route.function_name));
  json out = json::object();
  if (state->entry.reserved_concurrency) {
    out["ReservedConcurrentExecutions"] = *state->entry.reserved_concurrency;
  }
  return JsonResponse(200, out);
}

StatusOr<http::Response> ControlService::DeleteFunctionConcurrency(const Route& route) {
  THAW_ASSIGN_OR_RETURN(const FunctionState* found, Find(route.function_name));
  const std::string name = found->entry.latest->key();
  FunctionState state = *found;
  state.entry.reserved_concurrency.reset();
  THAW_RETURN_IF_ERROR(
      Transact([&] { return function_store_.SetReservedConcurrency(name, std::nullopt); }));
  Install(name, std::move(state));
  return http::Response{204, {}, {}};
}

StatusOr<http::Response> ControlService::PutFunctionRecursionConfig(const Route& route,
                                                                    const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(json body, ParseJsonObject(request.body));
  THAW_ASSIGN_OR_RETURN(auto loop, OptionalString(body, "RecursiveLoop"));
  if (!loop) return MissingMember("recursiveLoop");
  if (*loop != "Allow" && *loop != "Terminate") {
    return ValidationError(*loop, "recursiveLoop",
                           "Member must satisfy enum value set: [Allow, Terminate]");
  }
  THAW_ASSIGN_OR_RETURN(const FunctionState* found, Find(route.function_name));
  const std::string name = found->entry.latest->key();
  const bool allow = *loop == "Allow";
  FunctionState state = *found;
  state.entry.allow_recursive_loop = allow;
  THAW_RETURN_IF_ERROR(Transact([&] { return function_store_.SetRecursiveLoop(name, allow); }));
  Install(name, std::move(state));
  return JsonResponse(200, {{"RecursiveLoop", *loop}});
}

StatusOr<http::Response> ControlService::GetFunctionRecursionConfig(const Route& route) {
  THAW_ASSIGN_OR_RETURN(const FunctionState* state, Find(route.function_name));
  return JsonResponse(
      200, {{"RecursiveLoop", state->entry.allow_recursive_loop ? "Allow" : "Terminate"}});
}

StatusOr<http::Response> ControlService::GetAccountSettings() {
  int64_t reserved = 0;
  int64_t code_size = 0;
  int64_t count = 0;
  for (const auto& [name, state] : functions_) {
    if (state.entry.latest->account != account_) continue;
    ++count;
    reserved += state.entry.reserved_concurrency.value_or(0);
    code_size += state.entry.latest->code_size;
    for (const auto& [number, config] : state.entry.versions) code_size += config->code_size;
  }
  json out = {
      {"AccountLimit",
       {{"TotalCodeSize", kTotalCodeSize},
        {"CodeSizeUnzipped", kMaxUnzippedBytes},
        {"CodeSizeZipped", kCodeSizeZipped},
        {"ConcurrentExecutions", options_.account_concurrency_limit},
        {"UnreservedConcurrentExecutions", options_.account_concurrency_limit - reserved}}},
      {"AccountUsage", {{"TotalCodeSize", code_size}, {"FunctionCount", count}}},
  };
  return JsonResponse(200, out);
}

// Tags may change the mechanism (thaw:mechanism) or the network (thaw:network): then the
// configuration changes too, under a new generation, so that warm environments are retired.
StatusOr<http::Response> ControlService::StoreTags(const std::string& name,
                                                   const FunctionState& found,
                                                   std::shared_ptr<FunctionConfig> config) {
  THAW_ASSIGN_OR_RETURN(std::string mechanism, ResolveMechanism(config->runtime, config->tags));
  THAW_ASSIGN_OR_RETURN(std::string network, ResolveNetwork(config->tags));
  bool changed = mechanism != config->mechanism || network != config->network;
  config->mechanism = mechanism;
  config->network = network;
  FunctionState state = found;
  auto write = [&]() -> Status {
    if (changed) {
      THAW_ASSIGN_OR_RETURN(config->generation, function_store_.NextGeneration());
      config->revision_id = NewUuid();
      THAW_RETURN_IF_ERROR(function_store_.PutLatest(*config));
    }
    return function_store_.SetTags(name, config->tags);
  };
  THAW_RETURN_IF_ERROR(Transact(write));
  state.entry.latest = std::move(config);
  Install(name, std::move(state));
  if (changed) NotifyChanged(name);
  return http::Response{204, {}, {}};
}

StatusOr<http::Response> ControlService::ListTags(const Route& route) {
  THAW_RETURN_IF_ERROR(CheckTaggable(route.resource));
  THAW_ASSIGN_OR_RETURN(const FunctionState* state, Find(route.resource));
  json tags = json::object();
  for (const auto& [k, v] : state->entry.latest->tags) tags[k] = v;
  return JsonResponse(200, {{"Tags", tags}});
}

StatusOr<http::Response> ControlService::TagResource(const Route& route,
                                                     const http::Request& request) {
  THAW_RETURN_IF_ERROR(CheckTaggable(route.resource));
  THAW_ASSIGN_OR_RETURN(json body, ParseJsonObject(request.body));
  auto tags_member = body.find("Tags");
  if (tags_member == body.end() || tags_member->is_null()) return MissingMember("tags");
  THAW_ASSIGN_OR_RETURN(auto added, ParseTags(*tags_member));
  THAW_ASSIGN_OR_RETURN(const FunctionState* found, Find(route.resource));
  const std::string name = found->entry.latest->key();
  auto config = std::make_shared<FunctionConfig>(*found->entry.latest);
  for (auto& [k, v] : added) config->tags[k] = v;
  if (config->tags.size() > 50) {
    return Status::InvalidArgument("Number of tags exceeds resource tag limit.");
  }
  return StoreTags(name, *found, std::move(config));
}

StatusOr<http::Response> ControlService::UntagResource(const Route& route,
                                                       const http::Request& request) {
  THAW_RETURN_IF_ERROR(CheckTaggable(route.resource));
  std::vector<std::string> keys = QueryValues(request.query, "tagKeys");
  if (keys.empty()) return MissingMember("tagKeys");
  THAW_ASSIGN_OR_RETURN(const FunctionState* found, Find(route.resource));
  const std::string name = found->entry.latest->key();
  auto config = std::make_shared<FunctionConfig>(*found->entry.latest);
  for (const auto& k : keys) config->tags.erase(k);
  return StoreTags(name, *found, std::move(config));
}

StatusOr<http::Response> ControlService::GetCodeZip(const Route& route) {
  auto zip = code_store_.ReadZip(route.resource);
  if (!zip.ok()) {
    if (zip.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("No code package " + route.resource + ".zip");
    }
    return zip.status();
  }
  http::Response response;
  response.headers.Set("Content-Type", "application/zip");
  response.body = std::move(zip).value();
  return response;
}

}  // namespace thaw::lambda
