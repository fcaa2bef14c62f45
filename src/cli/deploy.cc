#include "cli/deploy.h"

#include <chrono>
#include <ostream>
#include <thread>
#include <utility>

#include "base/codec.h"
#include "cli/json_fields.h"
#include "cli/lambda_calls.h"

namespace thaw::cli {

using nlohmann::json;

namespace {

// Polls GetFunctionConfiguration until the function is neither Pending nor mid-update.
Status WaitUntilSettled(http::Client& client, const DeploySpec& spec) {
  std::string target = FunctionTarget(spec.name, "/configuration");
  for (int i = 0; i < spec.max_polls; ++i) {
    THAW_ASSIGN_OR_RETURN(json config, CallJson(client, "GET", target));
    std::string state = JsonString(config, "State");
    std::string update = JsonString(config, "LastUpdateStatus");
    if (state == "Failed") {
      return Status::FailedPrecondition("function " + spec.name +
                                        " failed: " + JsonString(config, "StateReason"));
    }
    if (update == "Failed") {
      return Status::FailedPrecondition("update of " + spec.name +
                                        " failed: " + JsonString(config, "LastUpdateStatusReason"));
    }
    if (state != "Pending" && update != "InProgress") return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(spec.poll_interval_ms));
  }
  return Status::FailedPrecondition("function " + spec.name +
                                    " is still being created or updated; check `thaw get " +
                                    spec.name + "` and try again");
}

json EnvironmentJson(const EnvVars& vars) {
  json variables = json::object();
  for (const auto& [key, value] : vars) variables[key] = value;
  return {{"Variables", variables}};
}

bool HasConfiguration(const DeploySpec& spec) {
  return spec.memory_mb || spec.timeout_s || spec.environment || spec.runtime_given ||
         spec.mechanism;
}

// Runtime go1.x selects its mechanism and no tag means runtime-api; the others need the tag.
bool NeedsMechanismTag(const DeploySpec& spec) {
  return spec.mechanism && *spec.mechanism != "go1.x" && *spec.mechanism != "runtime-api";
}

}  // namespace

std::string ResolveArchitecture(const std::optional<std::string>& requested,
                                const std::optional<json>& existing) {
  if (requested) return *requested;
  if (existing && existing->is_object()) {
    auto it = existing->find("Architectures");
    if (it != existing->end() && it->is_array() && !it->empty() && (*it)[0].is_string()) {
      return (*it)[0].get<std::string>();
    }
  }
  return "x86_64";
}

StatusOr<DeployResult> DeployFunction(http::Client& client, const DeploySpec& spec,
                                      const std::optional<json>& existing, std::ostream* progress) {
  auto Say = [&](const std::string& line) {
    if (progress != nullptr) *progress << line << "\n";
  };
  DeployResult result;
  json code_answer;
  std::string zip_base64 = Base64Encode(spec.zip);
  if (!existing) {
    json body = {{"FunctionName", spec.name}, {"Runtime", spec.runtime},
                 {"Role", kLocalRole},        {"Handler", spec.handler},
                 {"PackageType", "Zip"},      {"Code", {{"ZipFile", zip_base64}}}};
    if (NeedsMechanismTag(spec)) body["Tags"] = {{"thaw:mechanism", *spec.mechanism}};
    if (spec.memory_mb) body["MemorySize"] = *spec.memory_mb;
    if (spec.timeout_s) body["Timeout"] = *spec.timeout_s;
    if (spec.environment) body["Environment"] = EnvironmentJson(*spec.environment);
    if (spec.architecture) body["Architectures"] = json::array({*spec.architecture});
    Say("creating function " + spec.name);
    THAW_ASSIGN_OR_RETURN(code_answer, CallJson(client, "POST", kFunctionsPath, &body));
    result.created = true;
  } else {
    // A previous deploy may still be settling; AWS refuses updates until it has.
    THAW_RETURN_IF_ERROR(WaitUntilSettled(client, spec));
    json body = {{"ZipFile", zip_base64}};
    if (spec.architecture) body["Architectures"] = json::array({*spec.architecture});
    const std::string tags_target =
        "/2017-03-31/tags/" + http::PercentEncode(JsonString(*existing, "FunctionArn"));
    if (spec.mechanism) {
      // Untagged first: Runtime go1.x refuses any other thaw:mechanism tag.
      THAW_RETURN_IF_ERROR(
          CallJson(client, "DELETE", tags_target + "?tagKeys=thaw%3Amechanism").status());
    }
    Say("updating code of " + spec.name);
    THAW_ASSIGN_OR_RETURN(code_answer,
                          CallJson(client, "PUT", FunctionTarget(spec.name, "/code"), &body));
    if (HasConfiguration(spec)) {
      THAW_RETURN_IF_ERROR(WaitUntilSettled(client, spec));
      json config = json::object();
      if (spec.memory_mb) config["MemorySize"] = *spec.memory_mb;
      if (spec.timeout_s) config["Timeout"] = *spec.timeout_s;
      if (spec.environment) config["Environment"] = EnvironmentJson(*spec.environment);
      if (spec.runtime_given) config["Runtime"] = spec.runtime;
      if (spec.mechanism) {
        config["Handler"] = spec.handler;
        config["Runtime"] = spec.runtime;
      }
      Say("updating configuration of " + spec.name);
      THAW_RETURN_IF_ERROR(
          CallJson(client, "PUT", FunctionTarget(spec.name, "/configuration"), &config).status());
    }
    if (NeedsMechanismTag(spec)) {
      json tags = {{"Tags", {{"thaw:mechanism", *spec.mechanism}}}};
      Say("tagging " + spec.name + " thaw:mechanism=" + *spec.mechanism);
      THAW_RETURN_IF_ERROR(CallJson(client, "POST", tags_target, &tags).status());
    }
  }
  result.code_sha256 = JsonString(code_answer, "CodeSha256");
  result.code_size = JsonInt(code_answer, "CodeSize", static_cast<int64_t>(spec.zip.size()));
  // Return only once the function can be invoked (and published).
  THAW_RETURN_IF_ERROR(WaitUntilSettled(client, spec));
  if (spec.publish) {
    json empty = json::object();
    THAW_ASSIGN_OR_RETURN(json version,
                          CallJson(client, "POST", FunctionTarget(spec.name, "/versions"), &empty));
    result.version = JsonString(version, "Version");
    if (result.version.empty())
      return Status::Internal("PublishVersion answered without a Version");
  }
  return result;
}

std::string FormatDeploySummary(const std::string& name, const DeployResult& result) {
  return "deployed " + name + (result.created ? " (created)" : " (updated)") +
         ": CodeSha256=" + result.code_sha256 + " CodeSize=" + std::to_string(result.code_size) +
         " Version=" + result.version;
}

}  // namespace thaw::cli
