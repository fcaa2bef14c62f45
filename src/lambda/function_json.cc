#include "lambda/function_json.h"

#include <nlohmann/json.hpp>

namespace thaw::lambda {

using nlohmann::json;

json RenderConfiguration(const FunctionConfig& c, ConfigPhase phase,
                         const std::string& arn_qualifier) {
  std::string qualifier = arn_qualifier;
  if (qualifier.empty() && c.version != kLatest) qualifier = c.version;
  json j = {
      {"FunctionName", c.name},
      {"FunctionArn", qualifier.empty() ? FunctionArn(c.key()) : QualifiedArn(c.key(), qualifier)},
      {"Runtime", c.runtime},
      {"Role", c.role},
      {"Handler", c.handler},
      {"CodeSize", c.code_size},
      {"Description", c.description},
      {"Timeout", c.timeout_s},
      {"MemorySize", c.memory_mb},
      {"LastModified", c.last_modified},
      {"CodeSha256", c.code_sha256},
      {"Version", c.version},
      {"TracingConfig", {{"Mode", c.tracing_mode}}},
      {"RevisionId", c.revision_id},
      {"PackageType", c.package_type},
      {"Architectures", json::array({c.architecture})},
      {"EphemeralStorage", {{"Size", c.ephemeral_mb}}},
      {"SnapStart", {{"ApplyOn", "None"}, {"OptimizationStatus", "Off"}}},
      {"LoggingConfig", {{"LogFormat", c.log_format}, {"LogGroup", "/aws/lambda/" + c.name}}},
  };
  if (c.log_format == "JSON") {
    j["LoggingConfig"]["ApplicationLogLevel"] =
        c.application_log_level.empty() ? "INFO" : c.application_log_level;
    j["LoggingConfig"]["SystemLogLevel"] = c.system_log_level.empty() ? "INFO" : c.system_log_level;
  }
  if (!c.layers.empty()) {
    json layers = json::array();
    for (const LayerRef& l : c.layers)
      layers.push_back({{"Arn", l.arn}, {"CodeSize", l.code_size}});
    j["Layers"] = std::move(layers);
  }
  if (!c.dead_letter_arn.empty()) j["DeadLetterConfig"] = {{"TargetArn", c.dead_letter_arn}};
  if (!c.environment.empty()) {
    json vars = json::object();
    for (const auto& [k, v] : c.environment) vars[k] = v;
    j["Environment"] = {{"Variables", std::move(vars)}};
  }
  switch (phase) {
    case ConfigPhase::kCreating:
      j["State"] = "Pending";
      j["StateReason"] = "The function is being created.";
      j["StateReasonCode"] = "Creating";
      j["LastUpdateStatus"] = "Successful";
      break;
    case ConfigPhase::kUpdating:
      j["State"] = "Active";
      j["LastUpdateStatus"] = "InProgress";
      j["LastUpdateStatusReason"] = "The function is being created.";
      j["LastUpdateStatusReasonCode"] = "Creating";
      break;
    case ConfigPhase::kSteady:
      j["State"] = "Active";
      j["LastUpdateStatus"] = "Successful";
      break;
  }
  return j;
}

json RenderAlias(const std::string& function_name, const Alias& a) {
  return {
      {"AliasArn", QualifiedArn(function_name, a.name)},
      {"Name", a.name},
      {"FunctionVersion", a.function_version},
      {"Description", a.description},
      {"RevisionId", a.revision_id},
  };
}

}  // namespace thaw::lambda
