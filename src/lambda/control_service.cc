#include "lambda/control_service.h"

#include <filesystem>
#include <set>
#include <utility>

#include "auth/access.h"
#include "auth/accounts.h"
#include "base/codec.h"
#include "base/log.h"
#include "http/aws_error.h"
#include "lambda/api_error.h"
#include "lambda/function_request.h"

namespace thaw::lambda {

using nlohmann::json;

http::Response JsonResponse(int status, const json& body) {
  // dump() throws on invalid UTF-8; values quoted from paths and headers may hold any bytes.
  return http::Response::Json(status, body.dump(-1, ' ', false, json::error_handler_t::replace));
}

StatusOr<FunctionRef> ParseRef(const std::string& function_name,
                               const std::optional<std::string>& qualifier) {
  auto ref = ParseFunctionRef(function_name);
  if (!ref) {
    return ValidationError(
        function_name, "functionName",
        "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?"
        "([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)"
        "(:(\\$LATEST|[a-zA-Z0-9-_]+))?");
  }
  if (qualifier && !qualifier->empty()) {
    if (!IsValidQualifier(*qualifier)) {
      return ValidationError(*qualifier, "qualifier",
                             "Member must satisfy regular expression pattern: "
                             "(|[a-zA-Z0-9$_-]+)");
    }
    if (!ref->qualifier.empty() && ref->qualifier != *qualifier) {
      return Status::InvalidArgument(
          "The derived qualifier from the function name does not match the specified "
          "qualifier.");
    }
    ref->qualifier = *qualifier;
  }
  return *ref;
}

Status CheckRevision(const std::optional<std::string>& given, const std::string& current) {
  if (given && !given->empty() && *given != current) return RevisionMismatch();
  return Status::Ok();
}

ControlService::ControlService(ServiceOptions options)
    : options_(std::move(options)),
      code_store_(options_.state_dir),
      function_store_(options_.db),
      layer_store_(options_.db),
      policy_store_(options_.db) {}

Status ControlService::Start() {
  THAW_RETURN_IF_ERROR(code_store_.Init());
  THAW_RETURN_IF_ERROR(function_store_.Init());
  THAW_RETURN_IF_ERROR(layer_store_.Init());
  THAW_RETURN_IF_ERROR(policy_store_.Init());
  THAW_ASSIGN_OR_RETURN(layers_, layer_store_.LoadAll());
  THAW_ASSIGN_OR_RETURN(policies_, policy_store_.LoadAll());
  THAW_ASSIGN_OR_RETURN(std::vector<StoredFunction> stored, function_store_.LoadAll());
  // Point code_dir at this state directory (it may have moved) and rebuild any tree that is
  // missing from its kept zip.
  auto relocate = [this](const FunctionConfigPtr& config) -> FunctionConfigPtr {
    std::string hex = std::filesystem::path(config->code_dir).filename().string();
    auto dir = code_store_.EnsureExtracted(hex);
    if (!dir.ok()) {
      THAW_LOG(kWarn, "lambda") << "code of " << config->name << ":" << config->version
                                << " is unavailable: " << dir.status().ToString();
      return config;
    }
    if (*dir == config->code_dir && config->layers.empty()) return config;
    auto copy = std::make_shared<FunctionConfig>(*config);
    copy->code_dir = *dir;
    // The /opt tree is derived, not stored: rebuild it (or find it) from the layers' zips.
    if (Status s = PrepareOpt(copy.get()); !s.ok()) {
      THAW_LOG(kWarn, "lambda") << "layers of " << config->name << ":" << config->version
                                << " are unavailable: " << s.ToString();
    }
    return copy;
  };
  for (StoredFunction& f : stored) {
    FunctionState state;
    state.entry = std::move(f.entry);
    state.last_version = f.last_version;
    state.entry.latest = relocate(state.entry.latest);
    for (auto& [number, config] : state.entry.versions) config = relocate(config);
    std::string name = state.entry.latest->key();
    Install(name, std::move(state));
  }
  THAW_LOG(kInfo, "lambda") << "loaded " << functions_.size() << " functions";
  // Nothing runs yet: whatever no function or layer names goes now (deleted before a crash,
  // or by a version of thaw that kept everything).
  retired_.clear();
  CollectGarbage();
  return Status::Ok();
}

Status ControlService::CheckSameAccount(const Route& route) const {
  std::string arn;
  std::string account;
  if (!route.function_name.empty()) {
    auto ref = ParseFunctionRef(route.function_name);
    if (!ref || ref->account.empty()) return Status::Ok();
    account = ref->account;
    arn = FunctionArn(ref->KeyIn(account));
  } else if (route.op == Op::kListTags || route.op == Op::kTagResource ||
             route.op == Op::kUntagResource) {
    account = auth::ArnAccount(route.resource);
    arn = route.resource;
  }
  if (account.empty() || account == account_) return Status::Ok();
  std::string action = "lambda:" + std::string(OpName(route.op));
  if (route.op == Op::kGetFunctionConfiguration) action = "lambda:GetFunctionConfiguration";
  return Status::PermissionDenied(
      "User: arn:aws:iam::" + account_ + ":root is not authorized to perform: " + action +
      " on resource: " + arn + " because no resource-based policy allows the " + action +
      " action");
}

http::Response ControlService::Handle(const Route& route, const http::Request& request) {
  account_ = request.account.empty() ? std::string(kAccount) : request.account;
  if (Status same = CheckSameAccount(route); !same.ok()) return ErrorResponse(same);
  StatusOr<http::Response> response = Dispatch(route, request);
  switch (route.op) {
    case Op::kCreateFunction:
    case Op::kUpdateFunctionCode:
    case Op::kUpdateFunctionConfiguration:
    case Op::kDeleteFunction:
    case Op::kPublishLayerVersion:
    case Op::kDeleteLayerVersion:
      CollectGarbage();
      break;
    default:
      break;
  }
  if (!response.ok()) return ErrorResponse(response.status());
  return std::move(response).value();
}

void ControlService::Retire(const FunctionEntry& old, const FunctionEntry* now) {
  auto published = [now](const FunctionConfigPtr& config) {
    if (!now) return false;
    if (now->latest == config) return true;
    for (const auto& [number, v] : now->versions) {
      if (v == config) return true;
    }
    return false;
  };
  if (old.latest && !published(old.latest)) retired_.push_back(old.latest);
  for (const auto& [number, v] : old.versions) {
    if (!published(v)) retired_.push_back(v);
  }
}

void ControlService::CollectGarbage(bool only_if_released) {
  size_t before = retired_.size();
  std::erase_if(retired_, [](const std::weak_ptr<const FunctionConfig>& w) { return w.expired(); });
  if (only_if_released && retired_.size() == before) return;
  std::set<std::string> keep;
  auto add = [&keep](const FunctionConfig& config) {
    keep.insert(std::filesystem::path(config.code_dir).filename().string());
    for (const LayerRef& layer : config.layers) keep.insert(layer.sha256_hex);
    if (!config.opt_dir.empty()) {
      keep.insert(std::filesystem::path(config.opt_dir).filename().string());
    }
  };
  for (const auto& [name, state] : functions_) {
    add(*state.entry.latest);
    for (const auto& [number, config] : state.entry.versions) add(*config);
  }
  for (const auto& [name, layer] : layers_) {
    for (const auto& [number, version] : layer.versions) keep.insert(version.sha256_hex);
  }
  for (const auto& weak : retired_) {
    if (FunctionConfigPtr held = weak.lock()) add(*held);
  }
  StatusOr<int> removed = code_store_.RemoveAllBut(keep);
  if (!removed.ok()) {
    THAW_LOG(kWarn, "lambda") << "code cleanup failed: " << removed.status().ToString();
  } else if (*removed > 0) {
    THAW_LOG(kInfo, "lambda") << "removed " << *removed << " unreferenced code objects";
  }
}

StatusOr<http::Response> ControlService::Dispatch(const Route& route,
                                                  const http::Request& request) {
  switch (route.op) {
    case Op::kCreateFunction:
      return CreateFunction(request);
    case Op::kListFunctions:
      return ListFunctions(request);
    case Op::kGetFunction:
      return GetFunction(route, request);
    case Op::kDeleteFunction:
      return DeleteFunction(route, request);
    case Op::kGetFunctionConfiguration:
      return GetFunctionConfiguration(route, request);
    case Op::kUpdateFunctionConfiguration:
      return UpdateFunctionConfiguration(route, request);
    case Op::kUpdateFunctionCode:
      return UpdateFunctionCode(route, request);
    case Op::kPublishVersion:
      return PublishVersion(route, request);
    case Op::kListVersionsByFunction:
      return ListVersionsByFunction(route, request);
    case Op::kCreateAlias:
      return CreateAlias(route, request);
    case Op::kListAliases:
      return ListAliases(route, request);
    case Op::kGetAlias:
      return GetAlias(route);
    case Op::kUpdateAlias:
      return UpdateAlias(route, request);
    case Op::kDeleteAlias:
      return DeleteAlias(route);
    case Op::kPutFunctionConcurrency:
      return PutFunctionConcurrency(route, request);
    case Op::kGetFunctionConcurrency:
      return GetFunctionConcurrency(route);
    case Op::kDeleteFunctionConcurrency:
      return DeleteFunctionConcurrency(route);
    case Op::kPutFunctionRecursionConfig:
      return PutFunctionRecursionConfig(route, request);
    case Op::kGetFunctionRecursionConfig:
      return GetFunctionRecursionConfig(route);
    case Op::kGetAccountSettings:
      return GetAccountSettings();
    case Op::kListTags:
      return ListTags(route);
    case Op::kTagResource:
      return TagResource(route, request);
    case Op::kUntagResource:
      return UntagResource(route, request);
    case Op::kGetCodeZip:
      return GetCodeZip(route);
    case Op::kPublishLayerVersion:
      return PublishLayerVersion(route, request);
    case Op::kListLayerVersions:
      return ListLayerVersions(route, request);
    case Op::kGetLayerVersion:
      return GetLayerVersion(route, request);
    case Op::kDeleteLayerVersion:
      return DeleteLayerVersion(route);
    case Op::kListLayers:
      return ListLayers(request);
    case Op::kAddPermission:
      return AddPermission(route, request);
    case Op::kGetPolicy:
      return GetPolicy(route, request);
    case Op::kRemovePermission:
      return RemovePermission(route, request);
    case Op::kPutFunctionEventInvokeConfig:
      return PutEventInvokeConfig(route, request, /*update=*/false);
    case Op::kUpdateFunctionEventInvokeConfig:
      return PutEventInvokeConfig(route, request, /*update=*/true);
    case Op::kGetFunctionEventInvokeConfig:
      return GetEventInvokeConfig(route, request);
    case Op::kDeleteFunctionEventInvokeConfig:
      return DeleteEventInvokeConfig(route, request);
    case Op::kListFunctionEventInvokeConfigs:
      return ListEventInvokeConfigs(route, request);
    case Op::kCreateFunctionUrlConfig:
      return PutFunctionUrl(route, request, /*update=*/false);
    case Op::kUpdateFunctionUrlConfig:
      return PutFunctionUrl(route, request, /*update=*/true);
    case Op::kGetFunctionUrlConfig:
      return GetFunctionUrl(route, request);
    case Op::kDeleteFunctionUrlConfig:
      return DeleteFunctionUrl(route, request);
    case Op::kListFunctionUrlConfigs:
      return ListFunctionUrls(route, request);
    case Op::kUnknownOperation:
      break;
  }
  return http::RestJsonError(405, "UnknownOperationException",
                             "Unknown operation: " + request.method + " " + request.path);
}

StatusOr<const ControlService::FunctionState*> ControlService::Find(
    const std::string& function_name) {
  THAW_ASSIGN_OR_RETURN(std::string name, ValidateNewFunctionName(function_name));
  auto it = functions_.find(Key(name));
  if (it == functions_.end()) return FunctionNotFound(Key(name));
  return &it->second;
}

StatusOr<const ControlService::FunctionState*> ControlService::Find(const FunctionRef& ref) {
  auto it = functions_.find(ref.KeyIn(account_));
  if (it == functions_.end()) return FunctionNotFound(ref.KeyIn(account_), ref.qualifier);
  return &it->second;
}

StatusOr<FunctionConfigPtr> ControlService::Resolve(const FunctionState& state,
                                                    const std::string& name,
                                                    const std::string& qualifier) {
  if (qualifier.empty() || qualifier == kLatest) return state.entry.latest;
  std::string version = qualifier;
  if (auto a = state.entry.aliases.find(qualifier); a != state.entry.aliases.end()) {
    version = a->second.function_version;
    if (version == kLatest) return state.entry.latest;
  }
  auto number = ParseInt(version);
  if (number) {
    if (auto v = state.entry.versions.find(*number); v != state.entry.versions.end()) {
      return v->second;
    }
  }
  return FunctionNotFound(name, qualifier);
}

Status ControlService::Transact(const std::function<Status()>& work) {
  THAW_ASSIGN_OR_RETURN(auto txn, store::Transaction::Begin(options_.db));
  THAW_RETURN_IF_ERROR(work());
  return txn->Commit();
}

void ControlService::Install(const std::string& name, FunctionState state) {
  state.entry.policies = ParsedPolicies(name);
  options_.registry.Put(name, state.entry);
  if (auto old = functions_.find(name); old != functions_.end()) {
    Retire(old->second.entry, &state.entry);
  }
  functions_[name] = std::move(state);
}

void ControlService::Uninstall(const std::string& name) {
  options_.registry.Remove(name);
  if (auto old = functions_.find(name); old != functions_.end()) Retire(old->second.entry, nullptr);
  functions_.erase(name);
}

void ControlService::NotifyChanged(const std::string& name) {
  if (options_.on_function_changed) options_.on_function_changed(name);
}

namespace {
bool SameCodeAndConfig(const FunctionConfig& v, const FunctionConfig& c) {
  return v.code_sha256 == c.code_sha256 && v.runtime == c.runtime && v.role == c.role &&
         v.handler == c.handler && v.description == c.description && v.timeout_s == c.timeout_s &&
         v.memory_mb == c.memory_mb && v.ephemeral_mb == c.ephemeral_mb &&
         v.environment == c.environment && v.architecture == c.architecture &&
         v.package_type == c.package_type && v.tracing_mode == c.tracing_mode &&
         v.mechanism == c.mechanism && v.network == c.network && v.layers == c.layers &&
         v.dead_letter_arn == c.dead_letter_arn && v.log_format == c.log_format &&
         v.application_log_level == c.application_log_level &&
         v.system_log_level == c.system_log_level;
}
}  // namespace

ControlService::Publication ControlService::PrepareVersion(
    FunctionState* state, const std::optional<std::string>& description) {
  FunctionConfig candidate = *state->entry.latest;
  if (description) candidate.description = *description;
  if (!state->entry.versions.empty()) {
    const FunctionConfigPtr& last = state->entry.versions.rbegin()->second;
    if (SameCodeAndConfig(*last, candidate)) return {last, false};
  }
  int64_t number = state->last_version + 1;
  candidate.version = std::to_string(number);
  candidate.revision_id = NewUuid();
  candidate.last_modified = Now();
  candidate.tags.clear();  // tags belong to the function, not to a version
  auto config = std::make_shared<const FunctionConfig>(std::move(candidate));
  state->entry.versions[number] = config;
  state->last_version = number;
  return {config, true};
}

Status ControlService::StoreVersion(const FunctionState& state, const Publication& publication) {
  if (!publication.created) return Status::Ok();
  THAW_RETURN_IF_ERROR(function_store_.PutVersion(*publication.config));
  return function_store_.SetLastVersion(publication.config->key(), state.last_version);
}

std::string ControlService::CodeUrl(const http::Request& request,
                                    const std::string& sha256_hex) const {
  std::string host = options_.endpoint_host;
  if (host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]") host = "127.0.0.1";
  if (host.find(':') != std::string::npos && !host.starts_with("[")) host = "[" + host + "]";
  uint16_t port = options_.endpoint_port != 0 ? options_.endpoint_port : request.local_port;
  return auth::PresignedUrl(host + ":" + std::to_string(port), "/thaw/code/" + sha256_hex + ".zip",
                            options_.clock.RealtimeMillis() / 1000);
}

std::string ControlService::Now() const {
  return FormatLambdaTime(options_.clock.RealtimeMillis());
}

}  // namespace thaw::lambda
