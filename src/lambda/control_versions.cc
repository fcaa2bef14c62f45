// ControlService: PublishVersion, ListVersionsByFunction and the alias operations.
#include <utility>

#include "base/codec.h"
#include "lambda/api_error.h"
#include "lambda/control_service.h"
#include "lambda/function_json.h"
#include "lambda/function_request.h"
#include "lambda/pagination.h"

namespace thaw::lambda {

using nlohmann::json;

namespace {

Status AliasNotFound(const std::string& name, const std::string& alias) {
  return Status::NotFound("Cannot find alias arn: " + QualifiedArn(name, alias));
}

// An alias may point at $LATEST or at a published version.
Status CheckTargetVersion(const FunctionEntry& entry, const std::string& name,
                          const std::string& version) {
  if (version == kLatest) return Status::Ok();
  auto number = ParseInt(version);
  if (!number || entry.versions.count(*number) == 0) return FunctionNotFound(name, version);
  return Status::Ok();
}

}  // namespace

StatusOr<http::Response> ControlService::PublishVersion(const Route& route,
                                                        const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(json body, ParseJsonObject(request.body));
  THAW_ASSIGN_OR_RETURN(auto code_sha256, OptionalString(body, "CodeSha256"));
  THAW_ASSIGN_OR_RETURN(auto description, OptionalString(body, "Description"));
  THAW_ASSIGN_OR_RETURN(auto revision, OptionalString(body, "RevisionId"));
  THAW_ASSIGN_OR_RETURN(const FunctionState* found, Find(route.function_name));
  const FunctionConfig& latest = *found->entry.latest;
  THAW_RETURN_IF_ERROR(CheckRevision(revision, latest.revision_id));
  if (code_sha256 && !code_sha256->empty() && *code_sha256 != latest.code_sha256) {
    return Status::InvalidArgument(
        "CodeSHA256 (" + *code_sha256 + ") is different from current CodeSHA256 in $LATEST (" +
        latest.code_sha256 + "). Please try again with the CodeSHA256 in $LATEST.");
  }
  FunctionState state = *found;
  Publication publication = PrepareVersion(&state, description);
  if (publication.created) {
    THAW_RETURN_IF_ERROR(Transact([&] { return StoreVersion(state, publication); }));
    Install(latest.key(), std::move(state));
  }
  return JsonResponse(201, RenderConfiguration(*publication.config, ConfigPhase::kSteady));
}

StatusOr<http::Response> ControlService::ListVersionsByFunction(const Route& route,
                                                                const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(request));
  THAW_ASSIGN_OR_RETURN(const FunctionState* state, Find(route.function_name));
  const std::string& name = state->entry.latest->key();
  std::vector<std::pair<std::string, json>> items;
  items.emplace_back(VersionKey(name, kLatest),
                     RenderConfiguration(*state->entry.latest, ConfigPhase::kSteady, kLatest));
  for (const auto& [number, config] : state->entry.versions) {
    items.emplace_back(VersionKey(name, config->version),
                       RenderConfiguration(*config, ConfigPhase::kSteady));
  }
  return JsonResponse(200, Paginate(items, page, "Versions"));
}

StatusOr<http::Response> ControlService::CreateAlias(const Route& route,
                                                     const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(json body, ParseJsonObject(request.body));
  THAW_ASSIGN_OR_RETURN(auto alias_name, OptionalString(body, "Name"));
  THAW_ASSIGN_OR_RETURN(auto version, OptionalString(body, "FunctionVersion"));
  THAW_ASSIGN_OR_RETURN(auto description, OptionalString(body, "Description"));
  if (!alias_name) return MissingMember("name");
  if (!version) return MissingMember("functionVersion");
  THAW_RETURN_IF_ERROR(ValidateAliasName(*alias_name));
  THAW_ASSIGN_OR_RETURN(const FunctionState* found, Find(route.function_name));
  const std::string& name = found->entry.latest->key();
  THAW_RETURN_IF_ERROR(CheckTargetVersion(found->entry, name, *version));
  if (found->entry.aliases.count(*alias_name) > 0) {
    return Status::AlreadyExists("Alias already exists: " + QualifiedArn(name, *alias_name));
  }
  Alias alias{*alias_name, *version, description.value_or(""), NewUuid()};
  FunctionState state = *found;
  state.entry.aliases[alias.name] = alias;
  THAW_RETURN_IF_ERROR(Transact([&] { return function_store_.PutAlias(name, alias); }));
  json out = RenderAlias(name, alias);
  Install(std::string(name), std::move(state));
  return JsonResponse(201, out);
}

StatusOr<http::Response> ControlService::GetAlias(const Route& route) {
  THAW_RETURN_IF_ERROR(ValidateAliasName(route.alias));
  THAW_ASSIGN_OR_RETURN(const FunctionState* state, Find(route.function_name));
  const std::string& name = state->entry.latest->key();
  auto it = state->entry.aliases.find(route.alias);
  if (it == state->entry.aliases.end()) return AliasNotFound(name, route.alias);
  return JsonResponse(200, RenderAlias(name, it->second));
}

StatusOr<http::Response> ControlService::ListAliases(const Route& route,
                                                     const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(request));
  THAW_ASSIGN_OR_RETURN(const FunctionState* state, Find(route.function_name));
  std::optional<std::string> version = request.QueryParam("FunctionVersion");
  std::vector<std::pair<std::string, json>> items;
  for (const auto& [alias_name, alias] : state->entry.aliases) {
    if (version && !version->empty() && alias.function_version != *version) continue;
    items.emplace_back(alias_name, RenderAlias(state->entry.latest->key(), alias));
  }
  return JsonResponse(200, Paginate(items, page, "Aliases"));
}

StatusOr<http::Response> ControlService::UpdateAlias(const Route& route,
                                                     const http::Request& request) {
  THAW_RETURN_IF_ERROR(ValidateAliasName(route.alias));
  THAW_ASSIGN_OR_RETURN(json body, ParseJsonObject(request.body));
  THAW_ASSIGN_OR_RETURN(auto version, OptionalString(body, "FunctionVersion"));
  THAW_ASSIGN_OR_RETURN(auto description, OptionalString(body, "Description"));
  THAW_ASSIGN_OR_RETURN(auto revision, OptionalString(body, "RevisionId"));
  THAW_ASSIGN_OR_RETURN(const FunctionState* found, Find(route.function_name));
  const std::string name = found->entry.latest->key();
  auto it = found->entry.aliases.find(route.alias);
  if (it == found->entry.aliases.end()) return AliasNotFound(name, route.alias);
  THAW_RETURN_IF_ERROR(CheckRevision(revision, it->second.revision_id));
  Alias alias = it->second;
  if (version) {
    THAW_RETURN_IF_ERROR(CheckTargetVersion(found->entry, name, *version));
    alias.function_version = *version;
  }
  if (description) alias.description = *description;
  alias.revision_id = NewUuid();
  FunctionState state = *found;
  state.entry.aliases[alias.name] = alias;
  THAW_RETURN_IF_ERROR(Transact([&] { return function_store_.PutAlias(name, alias); }));
  Install(name, std::move(state));
  return JsonResponse(200, RenderAlias(name, alias));
}

StatusOr<http::Response> ControlService::DeleteAlias(const Route& route) {
  THAW_RETURN_IF_ERROR(ValidateAliasName(route.alias));
  THAW_ASSIGN_OR_RETURN(const FunctionState* found, Find(route.function_name));
  const std::string name = found->entry.latest->key();
  if (found->entry.aliases.count(route.alias) == 0) return AliasNotFound(name, route.alias);
  FunctionState state = *found;
  state.entry.aliases.erase(route.alias);
  state.entry.event_invoke_configs.erase(route.alias);
  state.entry.urls.erase(route.alias);  // an alias's function URL goes with it
  auto write = [&]() -> Status {
    THAW_RETURN_IF_ERROR(policy_store_.Delete(name, route.alias));
    THAW_RETURN_IF_ERROR(function_store_.DeleteEventInvokeConfig(name, route.alias));
    THAW_RETURN_IF_ERROR(function_store_.DeleteFunctionUrl(name, route.alias));
    return function_store_.DeleteAlias(name, route.alias);
  };
  THAW_RETURN_IF_ERROR(Transact(write));
  ForgetPolicies(name, &route.alias);
  Install(name, std::move(state));
  return http::Response{204, {}, {}};
}

}  // namespace thaw::lambda
