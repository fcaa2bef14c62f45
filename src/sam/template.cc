#include "sam/template.h"

#include <set>
#include <utility>

#include "sam/yaml_reader.h"

namespace thaw::sam {

namespace {

using nlohmann::json;

constexpr const char* kSections[] = {"AWSTemplateFormatVersion",
                                     "Transform",
                                     "Description",
                                     "Metadata",
                                     "Parameters",
                                     "Mappings",
                                     "Conditions",
                                     "Globals",
                                     "Resources",
                                     "Outputs",
                                     "Rules"};

// The Globals sections SAM defines; thaw applies Function, SimpleTable, Api and HttpApi (the
// others belong to resource types it refuses).
constexpr const char* kGlobalSections[] = {"Function", "SimpleTable",  "Api",
                                           "HttpApi",  "LayerVersion", "StateMachine"};

// The properties SAM lets Globals.Function set.
constexpr const char* kFunctionGlobals[] = {"Handler",
                                            "Runtime",
                                            "CodeUri",
                                            "DeadLetterQueue",
                                            "Description",
                                            "MemorySize",
                                            "Timeout",
                                            "VpcConfig",
                                            "Environment",
                                            "Tags",
                                            "PropagateTags",
                                            "Tracing",
                                            "KmsKeyArn",
                                            "Layers",
                                            "AutoPublishAlias",
                                            "AutoPublishAliasAllProperties",
                                            "DeploymentPreference",
                                            "PermissionsBoundary",
                                            "ReservedConcurrentExecutions",
                                            "ProvisionedConcurrencyConfig",
                                            "AssumeRolePolicyDocument",
                                            "EventInvokeConfig",
                                            "Architectures",
                                            "EphemeralStorage",
                                            "SnapStart",
                                            "RuntimeManagementConfig",
                                            "LoggingConfig",
                                            "RecursiveLoop",
                                            "SourceKMSKeyArn",
                                            "FunctionUrlConfig",
                                            "CodeSigningConfigArn",
                                            "Policies",
                                            "Role"};

constexpr const char* kSimpleTableGlobals[] = {"SSESpecification"};

// The properties SAM lets Globals.Api and Globals.HttpApi set.
constexpr const char* kApiGlobals[] = {"Auth",
                                       "Name",
                                       "DefinitionUri",
                                       "CacheClusterEnabled",
                                       "CacheClusterSize",
                                       "Variables",
                                       "EndpointConfiguration",
                                       "MethodSettings",
                                       "BinaryMediaTypes",
                                       "MinimumCompressionSize",
                                       "Cors",
                                       "GatewayResponses",
                                       "AccessLogSetting",
                                       "CanarySetting",
                                       "TracingEnabled",
                                       "OpenApiVersion",
                                       "Domain",
                                       "AlwaysDeploy",
                                       "PropagateTags"};
constexpr const char* kHttpApiGlobals[] = {"Auth",
                                           "AccessLogSettings",
                                           "StageVariables",
                                           "Tags",
                                           "DefaultRouteSettings",
                                           "RouteSettings",
                                           "FailOnWarnings",
                                           "Domain",
                                           "CorsConfiguration",
                                           "DisableExecuteApiEndpoint",
                                           "PropagateTags"};

template <size_t N>
bool Contains(const char* const (&list)[N], const std::string& name) {
  for (const char* item : list) {
    if (name == item) return true;
  }
  return false;
}

// {"Ref": ...} or {"Fn::...": ...}: SAM takes these as opaque values, not maps to merge.
bool IsIntrinsic(const json& value) {
  if (!value.is_object() || value.size() != 1) return false;
  const std::string& key = value.begin().key();
  return key == "Ref" || key == "Condition" || key.rfind("Fn::", 0) == 0;
}

StatusOr<json> GlobalsFor(const json& globals, const std::string& section,
                          const char* const* allowed, size_t allowed_count) {
  if (!globals.contains(section)) return json::object();
  const json& g = globals[section];
  if (!g.is_object()) return Status::InvalidArgument("Globals." + section + " must be a mapping");
  for (const auto& [key, value] : g.items()) {
    bool known = false;
    for (size_t i = 0; i < allowed_count; ++i) known = known || key == allowed[i];
    if (!known) {
      return Status::InvalidArgument("Globals." + section + "." + key +
                                     " is not a property SAM lets Globals set");
    }
  }
  return g;
}

StatusOr<std::vector<std::string>> DependsOn(const std::string& id, const json& value) {
  std::vector<std::string> out;
  if (value.is_string()) {
    out.push_back(value.get<std::string>());
    return out;
  }
  if (value.is_array()) {
    for (const json& item : value) {
      if (!item.is_string()) break;
      out.push_back(item.get<std::string>());
    }
    if (out.size() == value.size()) return out;
  }
  return Status::InvalidArgument("Resources." + id +
                                 ".DependsOn must be a logical id or a list of them");
}

}  // namespace

json MergeGlobal(const json& global, const json& local) {
  if (IsIntrinsic(global) || IsIntrinsic(local)) return local;
  if (global.is_object() && local.is_object()) {
    json out = global;
    for (const auto& [key, value] : local.items()) {
      out[key] = out.contains(key) ? MergeGlobal(out[key], value) : value;
    }
    return out;
  }
  if (global.is_array() && local.is_array()) {
    json out = global;
    for (const json& item : local) out.push_back(item);
    return out;
  }
  return local;
}

const Resource* Template::Find(std::string_view logical_id) const {
  for (const Resource& r : resources) {
    if (r.logical_id == logical_id) return &r;
  }
  return nullptr;
}

StatusOr<Template> ParseTemplate(std::string_view text) {
  THAW_ASSIGN_OR_RETURN(json doc, ReadTemplateText(text));
  for (const auto& [key, value] : doc.items()) {
    if (!Contains(kSections, key)) {
      return Status::InvalidArgument("unknown top-level section '" + key + "'");
    }
  }
  if (doc.contains("Transform")) {
    // SAM's transform is what this module does; others (macros, LanguageExtensions) are not.
    json transforms =
        doc["Transform"].is_array() ? doc["Transform"] : json::array({doc["Transform"]});
    for (const json& name : transforms) {
      if (name != "AWS::Serverless-2016-10-31") {
        return Status::InvalidArgument("Transform " + name.dump() + " is not supported by thaw");
      }
    }
  }
  Template t;
  if (doc.contains("Description") && doc["Description"].is_string()) {
    t.description = doc["Description"].get<std::string>();
  }
  for (const char* section : {"Parameters", "Mappings", "Conditions", "Outputs", "Globals"}) {
    if (doc.contains(section) && !doc[section].is_object()) {
      return Status::InvalidArgument(std::string(section) + " must be a mapping");
    }
  }
  if (doc.contains("Parameters")) t.parameters = doc["Parameters"];
  if (doc.contains("Mappings")) t.mappings = doc["Mappings"];
  if (doc.contains("Conditions")) t.conditions = doc["Conditions"];
  if (doc.contains("Outputs")) t.outputs = doc["Outputs"];
  json globals = doc.value("Globals", json::object());
  for (const auto& [key, value] : globals.items()) {
    if (!Contains(kGlobalSections, key)) {
      return Status::InvalidArgument("unknown Globals section '" + key + "'");
    }
  }
  THAW_ASSIGN_OR_RETURN(json function_globals, GlobalsFor(globals, "Function", kFunctionGlobals,
                                                          std::size(kFunctionGlobals)));
  THAW_ASSIGN_OR_RETURN(json table_globals, GlobalsFor(globals, "SimpleTable", kSimpleTableGlobals,
                                                       std::size(kSimpleTableGlobals)));
  THAW_ASSIGN_OR_RETURN(t.api_globals,
                        GlobalsFor(globals, "Api", kApiGlobals, std::size(kApiGlobals)));
  THAW_ASSIGN_OR_RETURN(t.http_api_globals, GlobalsFor(globals, "HttpApi", kHttpApiGlobals,
                                                       std::size(kHttpApiGlobals)));

  if (!doc.contains("Resources") || !doc["Resources"].is_object() || doc["Resources"].empty()) {
    return Status::InvalidArgument("the template needs a Resources mapping with one resource");
  }
  for (const auto& [id, body] : doc["Resources"].items()) {
    if (!body.is_object() || !body.contains("Type") || !body["Type"].is_string()) {
      return Status::InvalidArgument("Resources." + id + " needs a Type");
    }
    Resource r;
    r.logical_id = id;
    r.type = body["Type"].get<std::string>();
    if (body.contains("Properties")) {
      if (!body["Properties"].is_object()) {
        return Status::InvalidArgument("Resources." + id + ".Properties must be a mapping");
      }
      r.properties = body["Properties"];
    }
    if (body.contains("DependsOn")) {
      THAW_ASSIGN_OR_RETURN(r.depends_on, DependsOn(id, body["DependsOn"]));
    }
    if (body.contains("Condition")) {
      if (!body["Condition"].is_string()) {
        return Status::InvalidArgument("Resources." + id + ".Condition must be a name");
      }
      r.condition = body["Condition"].get<std::string>();
      if (!t.conditions.contains(r.condition)) {
        return Status::InvalidArgument("Resources." + id + ".Condition names '" + r.condition +
                                       "', which Conditions does not define");
      }
    }
    if (body.contains("Metadata")) r.metadata = body["Metadata"];
    const json* g = r.type == "AWS::Serverless::Function"      ? &function_globals
                    : r.type == "AWS::Serverless::SimpleTable" ? &table_globals
                    : r.type == "AWS::Serverless::Api"         ? &t.api_globals
                    : r.type == "AWS::Serverless::HttpApi"     ? &t.http_api_globals
                                                               : nullptr;
    if (g != nullptr && !g->empty()) r.properties = MergeGlobal(*g, r.properties);
    t.resources.push_back(std::move(r));
  }
  for (const Resource& r : t.resources) {
    for (const std::string& dep : r.depends_on) {
      if (t.Find(dep) == nullptr) {
        return Status::InvalidArgument("Resources." + r.logical_id + ".DependsOn names '" + dep +
                                       "', which is not a resource");
      }
    }
  }
  return t;
}

}  // namespace thaw::sam
