// ControlService: CreateFunction, GetFunction(Configuration), ListFunctions,
// UpdateFunctionCode, UpdateFunctionConfiguration and DeleteFunction.
#include <time.h>

#include <filesystem>
#include <utility>

#include "auth/access.h"
#include "base/codec.h"
#include "lambda/api_error.h"
#include "lambda/control_service.h"
#include "lambda/function_json.h"
#include "lambda/function_request.h"
#include "lambda/managed_runtime.h"
#include "lambda/pagination.h"

namespace thaw::lambda {

using nlohmann::json;

namespace {

Status CheckCodeRequestSize(const http::Request& request, Op op) {
  if (request.oversized || request.body.size() > kMaxCodeRequestBytes) {
    return Status::ResourceExhausted("Request must be smaller than " +
                                     std::to_string(kMaxCodeRequestBytes) + " bytes for the " +
                                     std::string(OpName(op)) + " operation");
  }
  return Status::Ok();
}

// The zip of CreateFunction's Code member or of an UpdateFunctionCode body.
StatusOr<std::string> ReadZip(const json& code) {
  if (auto zip = code.find("ZipFile"); zip != code.end() && !zip->is_null()) {
    return DecodeZipFile(*zip);
  }
  for (const char* other : {"S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri"}) {
    if (code.contains(other)) {
      return Status::InvalidArgument(std::string("thaw takes function code only as ZipFile; ") +
                                     other + " is not supported");
    }
  }
  return Status::InvalidArgument("Please provide a source for function code.");
}

void SetCode(const StoredCode& stored, FunctionConfig* config) {
  config->code_sha256 = stored.sha256;
  config->code_size = stored.size;
  config->code_dir = stored.code_dir;
}

// python3.x on the Runtime API runs the host's runtime tree: refused now when it cannot run
// there, as AWS refuses a deprecated runtime, not at the first invoke.
Status CheckManagedRuntime(const std::string& runtime, const std::string& mechanism) {
  std::string family = ManagedFamily(runtime);
  if (family.empty() || mechanism != "runtime-api") return Status::Ok();
  return CheckRuntimeAvailable(runtime, HostManagedRuntime(family));
}

}  // namespace

StatusOr<http::Response> ControlService::CreateFunction(const http::Request& request) {
  THAW_RETURN_IF_ERROR(CheckCodeRequestSize(request, Op::kCreateFunction));
  THAW_ASSIGN_OR_RETURN(json body, ParseJsonObject(request.body));
  THAW_ASSIGN_OR_RETURN(auto function_name, OptionalString(body, "FunctionName"));
  if (!function_name) return MissingMember("functionName");
  THAW_ASSIGN_OR_RETURN(std::string name, ValidateNewFunctionName(*function_name));
  THAW_ASSIGN_OR_RETURN(auto package_type, OptionalString(body, "PackageType"));
  if (package_type && *package_type == "Image") {
    return Status::InvalidArgument(
        "thaw runs .zip functions only; PackageType Image is not "
        "supported");
  }
  if (package_type && *package_type != "Zip") {
    return ValidationError(*package_type, "packageType",
                           "Member must satisfy enum value set: [Zip, Image]");
  }
  THAW_ASSIGN_OR_RETURN(ConfigUpdate update, ParseConfigUpdate(body));
  if (!update.role) return MissingMember("role");
  auto code = body.find("Code");
  if (code == body.end() || code->is_null()) return MissingMember("code");
  if (!code->is_object()) return BadRequestContent("Code must be an object");
  if (!update.runtime || !update.handler) {
    return Status::InvalidArgument(
        "Runtime and Handler are mandatory parameters for functions "
        "created with deployment packages.");
  }
  THAW_ASSIGN_OR_RETURN(auto architecture, ParseArchitectures(body));
  std::map<std::string, std::string> tags;
  if (auto t = body.find("Tags"); t != body.end()) {
    THAW_ASSIGN_OR_RETURN(tags, ParseTags(*t));
  }
  THAW_ASSIGN_OR_RETURN(auto publish, OptionalBool(body, "Publish"));
  THAW_ASSIGN_OR_RETURN(std::string mechanism, ResolveMechanism(*update.runtime, tags));
  THAW_RETURN_IF_ERROR(CheckManagedRuntime(*update.runtime, mechanism));  // before storing code
  const std::string key = Key(name);
  if (functions_.count(key) > 0) return Status::AlreadyExists("Function already exist: " + name);
  THAW_ASSIGN_OR_RETURN(std::string zip, ReadZip(*code));
  THAW_ASSIGN_OR_RETURN(StoredCode stored, code_store_.Put(zip));

  FunctionConfig config = ApplyConfigUpdate(FunctionConfig{}, update);
  config.name = name;
  config.account = account_;
  config.architecture = architecture.value_or("x86_64");
  SetCode(stored, &config);
  config.tags = tags;
  if (update.layers) THAW_RETURN_IF_ERROR(ApplyLayers(*update.layers, &config));
  THAW_ASSIGN_OR_RETURN(config.mechanism, ResolveMechanism(config.runtime, tags));
  THAW_ASSIGN_OR_RETURN(config.network, ResolveNetwork(tags));
  config.last_modified = Now();
  config.revision_id = NewUuid();
  FunctionState state;
  Publication publication;
  auto write = [&]() -> Status {
    THAW_ASSIGN_OR_RETURN(config.generation, function_store_.NextGeneration());
    state.entry.latest = std::make_shared<const FunctionConfig>(config);
    THAW_RETURN_IF_ERROR(function_store_.PutLatest(config));
    THAW_RETURN_IF_ERROR(function_store_.SetTags(key, tags));
    if (publish.value_or(false)) {
      publication = PrepareVersion(&state, std::nullopt);
      THAW_RETURN_IF_ERROR(StoreVersion(state, publication));
    }
    return Status::Ok();
  };
  THAW_RETURN_IF_ERROR(Transact(write));
  Install(key, state);
  NotifyChanged(key);
  const FunctionConfig& shown = publication.config ? *publication.config : *state.entry.latest;
  return JsonResponse(201, RenderConfiguration(shown, ConfigPhase::kCreating));
}

StatusOr<http::Response> ControlService::GetFunction(const Route& route,
                                                     const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(FunctionRef ref,
                        ParseRef(route.function_name, request.QueryParam("Qualifier")));
  THAW_ASSIGN_OR_RETURN(const FunctionState* state, Find(ref));
  THAW_ASSIGN_OR_RETURN(FunctionConfigPtr config,
                        Resolve(*state, ref.KeyIn(account_), ref.qualifier));
  json out = {
      {"Configuration", RenderConfiguration(*config, ConfigPhase::kSteady, ref.qualifier)},
      {"Code",
       {{"RepositoryType", "S3"},
        {"Location",
         CodeUrl(request, std::filesystem::path(config->code_dir).filename().string())}}},
  };
  if (!state->entry.latest->tags.empty()) out["Tags"] = state->entry.latest->tags;
  if (state->entry.reserved_concurrency) {
    out["Concurrency"] = {{"ReservedConcurrentExecutions", *state->entry.reserved_concurrency}};
  }
  return JsonResponse(200, out);
}

StatusOr<http::Response> ControlService::GetFunctionConfiguration(const Route& route,
                                                                  const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(FunctionRef ref,
                        ParseRef(route.function_name, request.QueryParam("Qualifier")));
  THAW_ASSIGN_OR_RETURN(const FunctionState* state, Find(ref));
  THAW_ASSIGN_OR_RETURN(FunctionConfigPtr config,
                        Resolve(*state, ref.KeyIn(account_), ref.qualifier));
  return JsonResponse(200, RenderConfiguration(*config, ConfigPhase::kSteady, ref.qualifier));
}

StatusOr<http::Response> ControlService::ListFunctions(const http::Request& request) {
  bool all = false;
  if (auto version = request.QueryParam("FunctionVersion"); version && !version->empty()) {
    if (*version != "ALL") {
      return ValidationError(*version, "functionVersion",
                             "Member must satisfy enum value set: [ALL]");
    }
    all = true;
  }
  THAW_ASSIGN_OR_RETURN(PageRequest page, ReadPageRequest(request));
  std::vector<std::pair<std::string, json>> items;
  for (const auto& [name, state] : functions_) {
    if (state.entry.latest->account != account_) continue;
    if (!all) {
      items.emplace_back(name, RenderConfiguration(*state.entry.latest, ConfigPhase::kSteady));
      continue;
    }
    items.emplace_back(VersionKey(name, kLatest),
                       RenderConfiguration(*state.entry.latest, ConfigPhase::kSteady, kLatest));
    for (const auto& [number, config] : state.entry.versions) {
      items.emplace_back(VersionKey(name, config->version),
                         RenderConfiguration(*config, ConfigPhase::kSteady));
    }
  }
  return JsonResponse(200, Paginate(items, page, "Functions"));
}

StatusOr<http::Response> ControlService::UpdateFunctionCode(const Route& route,
                                                            const http::Request& request) {
  THAW_RETURN_IF_ERROR(CheckCodeRequestSize(request, Op::kUpdateFunctionCode));
  THAW_ASSIGN_OR_RETURN(json body, ParseJsonObject(request.body));
  THAW_ASSIGN_OR_RETURN(auto revision, OptionalString(body, "RevisionId"));
  THAW_ASSIGN_OR_RETURN(auto publish, OptionalBool(body, "Publish"));
  THAW_ASSIGN_OR_RETURN(auto dry_run, OptionalBool(body, "DryRun"));
  THAW_ASSIGN_OR_RETURN(auto architecture, ParseArchitectures(body));
  THAW_ASSIGN_OR_RETURN(const FunctionState* found, Find(route.function_name));
  THAW_RETURN_IF_ERROR(CheckRevision(revision, found->entry.latest->revision_id));
  THAW_ASSIGN_OR_RETURN(std::string zip, ReadZip(body));
  StoredCode stored;
  if (dry_run.value_or(false)) {
    // Validated as for real (extracted into a temporary directory), but nothing is kept.
    THAW_RETURN_IF_ERROR(code_store_.Check(zip));
    stored.sha256 = Sha256Base64(zip);
    stored.sha256_hex = Sha256Hex(zip);
    stored.size = static_cast<int64_t>(zip.size());
    stored.code_dir = code_store_.CodeDir(stored.sha256_hex);
  } else {
    THAW_ASSIGN_OR_RETURN(stored, code_store_.Put(zip));
  }

  FunctionState state = *found;
  FunctionConfig config = *state.entry.latest;
  SetCode(stored, &config);
  if (architecture) config.architecture = *architecture;
  config.last_modified = Now();
  config.revision_id = NewUuid();
  if (dry_run.value_or(false)) {
    return JsonResponse(200, RenderConfiguration(config, ConfigPhase::kSteady));
  }
  Publication publication;
  auto write = [&]() -> Status {
    THAW_ASSIGN_OR_RETURN(config.generation, function_store_.NextGeneration());
    state.entry.latest = std::make_shared<const FunctionConfig>(config);
    THAW_RETURN_IF_ERROR(function_store_.PutLatest(config));
    if (publish.value_or(false)) {
      publication = PrepareVersion(&state, std::nullopt);
      THAW_RETURN_IF_ERROR(StoreVersion(state, publication));
    }
    return Status::Ok();
  };
  THAW_RETURN_IF_ERROR(Transact(write));
  std::string name = config.key();
  Install(name, state);
  NotifyChanged(name);
  const FunctionConfig& shown = publication.config ? *publication.config : *state.entry.latest;
  return JsonResponse(200, RenderConfiguration(shown, ConfigPhase::kUpdating));
}

StatusOr<http::Response> ControlService::UpdateFunctionConfiguration(const Route& route,
                                                                     const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(json body, ParseJsonObject(request.body));
  THAW_ASSIGN_OR_RETURN(ConfigUpdate update, ParseConfigUpdate(body));
  THAW_ASSIGN_OR_RETURN(auto revision, OptionalString(body, "RevisionId"));
  THAW_ASSIGN_OR_RETURN(const FunctionState* found, Find(route.function_name));
  THAW_RETURN_IF_ERROR(CheckRevision(revision, found->entry.latest->revision_id));

  FunctionState state = *found;
  FunctionConfig config = ApplyConfigUpdate(*state.entry.latest, update);
  if (update.layers) THAW_RETURN_IF_ERROR(ApplyLayers(*update.layers, &config));
  THAW_ASSIGN_OR_RETURN(config.mechanism, ResolveMechanism(config.runtime, config.tags));
  if (update.runtime) THAW_RETURN_IF_ERROR(CheckManagedRuntime(config.runtime, config.mechanism));
  config.last_modified = Now();
  config.revision_id = NewUuid();
  auto write = [&]() -> Status {
    THAW_ASSIGN_OR_RETURN(config.generation, function_store_.NextGeneration());
    state.entry.latest = std::make_shared<const FunctionConfig>(config);
    return function_store_.PutLatest(config);
  };
  THAW_RETURN_IF_ERROR(Transact(write));
  std::string name = config.key();
  Install(name, state);
  NotifyChanged(name);
  return JsonResponse(200, RenderConfiguration(*state.entry.latest, ConfigPhase::kUpdating));
}

StatusOr<http::Response> ControlService::DeleteFunction(const Route& route,
                                                        const http::Request& request) {
  THAW_ASSIGN_OR_RETURN(FunctionRef ref,
                        ParseRef(route.function_name, request.QueryParam("Qualifier")));
  THAW_ASSIGN_OR_RETURN(const FunctionState* found, Find(ref));
  std::string name = ref.KeyIn(account_);
  if (ref.qualifier.empty()) {
    THAW_RETURN_IF_ERROR(Transact([&] { return function_store_.DeleteFunction(name); }));
    ForgetPolicies(name, nullptr);
    Uninstall(name);
    NotifyChanged(name);
    return http::Response{204, {}, {}};
  }
  if (ref.qualifier == kLatest) {
    return Status::InvalidArgument(
        "$LATEST version cannot be deleted without deleting the "
        "function.");
  }
  if (found->entry.aliases.count(ref.qualifier) > 0) {
    return Status::InvalidArgument(
        "Deletion of aliases is not supported through "
        "DeleteFunction; call DeleteAlias.");
  }
  auto number = ParseInt(ref.qualifier);
  if (!number || found->entry.versions.count(*number) == 0) {
    return FunctionNotFound(name, ref.qualifier);
  }
  std::string users;
  for (const auto& [alias_name, alias] : found->entry.aliases) {
    if (alias.function_version == ref.qualifier) users += (users.empty() ? "" : ", ") + alias_name;
  }
  if (!users.empty()) {
    return Status::AlreadyExists(
        "Unable to delete version because the following aliases "
        "reference it: [" +
        users + "]");
  }
  FunctionState state = *found;
  state.entry.versions.erase(*number);
  state.entry.event_invoke_configs.erase(ref.qualifier);
  auto write = [&]() -> Status {
    THAW_RETURN_IF_ERROR(policy_store_.Delete(name, ref.qualifier));
    THAW_RETURN_IF_ERROR(function_store_.DeleteEventInvokeConfig(name, ref.qualifier));
    return function_store_.DeleteVersion(name, *number);
  };
  THAW_RETURN_IF_ERROR(Transact(write));
  ForgetPolicies(name, &ref.qualifier);
  Install(name, std::move(state));
  NotifyChanged(name);
  return http::Response{204, {}, {}};
}

}  // namespace thaw::lambda
