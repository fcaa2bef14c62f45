// The template model: a SAM/CloudFormation template's sections as read from YAML or JSON, with
// Globals.Function (and Globals.SimpleTable) merged into each resource as SAM merges them.
// Intrinsic functions stay unresolved here (see intrinsics.h). Plain values; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace thaw::sam {

struct Resource {
  std::string logical_id;
  std::string type;                                      // "AWS::Serverless::Function", ...
  nlohmann::json properties = nlohmann::json::object();  // Globals merged
  std::vector<std::string> depends_on;
  std::string condition;  // the Conditions entry that selects it; empty: always
  nlohmann::json metadata = nlohmann::json::object();
};

struct Template {
  std::string description;
  nlohmann::json parameters = nlohmann::json::object();
  nlohmann::json mappings = nlohmann::json::object();
  nlohmann::json conditions = nlohmann::json::object();
  nlohmann::json outputs = nlohmann::json::object();
  std::vector<Resource> resources;  // sorted by logical id (JSON objects are)
  // Globals.Api and Globals.HttpApi: merged into the template's APIs already, and kept for
  // SAM's implicit ServerlessRestApi and ServerlessHttpApi.
  nlohmann::json api_globals = nlohmann::json::object();
  nlohmann::json http_api_globals = nlohmann::json::object();

  const Resource* Find(std::string_view logical_id) const;
};

// Reads and checks the template's shape: known top-level sections, Resources with a Type each,
// DependsOn and Condition naming what exists. InvalidArgument naming the place otherwise.
StatusOr<Template> ParseTemplate(std::string_view text);

// SAM's Globals merge of one property (exposed for tests): maps merge key by key with the
// resource's value winning, lists are the global entries then the resource's, anything else
// (and intrinsic functions) is the resource's value.
nlohmann::json MergeGlobal(const nlohmann::json& global, const nlohmann::json& local);

}  // namespace thaw::sam
