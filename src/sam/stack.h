// Deploying a plan as a stack: each step's properties evaluated against what earlier steps made,
// created, updated (when the hash of its properties changed) or left alone, and the resources
// a new template no longer has deleted, last made first. The stack's state (physical ids,
// attributes, hashes) is a JSON document the caller keeps between deploys. The calls go
// through ResourceApi, so this logic runs the same against a server or a fake. Blocks on the
// API; thread-compatible.
#pragma once

#include <iosfwd>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "sam/intrinsics.h"
#include "sam/plan.h"

namespace thaw::sam {

// What a resource is once made: its physical id (what Ref gives) and its Fn::GetAtt
// attributes.
struct Made {
  std::string physical_id;
  nlohmann::json attributes = nlohmann::json::object();
};

// The resource calls for one stack. `name` is the physical name CloudFormation would make when
// the properties give none (the implementation uses it or the given one).
class ResourceApi {
 public:
  virtual ~ResourceApi() = default;
  // Adds to `properties` what a change of the resource's code would change (the zip's hash for
  // a function's CodeUri), so that the hash sees it. Default: nothing.
  virtual Status Prepare(const Step& step, nlohmann::json& properties);
  virtual StatusOr<Made> Create(const Step& step, const nlohmann::json& properties,
                                const std::string& name) = 0;
  // Changes a resource in place from `previous` (the properties it was made or last updated
  // with) to `properties`; nullopt means "replace it" (delete, then create).
  virtual StatusOr<std::optional<Made>> Update(const Step& step, const nlohmann::json& properties,
                                               const nlohmann::json& previous,
                                               const Made& current) = 0;
  virtual Status Delete(const std::string& type, const Made& current) = 0;
};

struct StackState {
  std::string stack_name;
  struct Entry {
    std::string type;
    Made made;
    nlohmann::json properties = nlohmann::json::object();  // evaluated, as last deployed
    std::string hash;                                      // of the evaluated properties
    std::string suffix;  // the random part of generated names, kept across replacements
    int64_t order = 0;   // creation order; deletes go in reverse
  };
  std::map<std::string, Entry> resources;
  nlohmann::json outputs = nlohmann::json::object();

  nlohmann::json ToJson() const;
  static StatusOr<StackState> FromJson(const nlohmann::json& j);
};

struct DeploySummary {
  int created = 0;
  int updated = 0;
  int replaced = 0;
  int unchanged = 0;
  int deleted = 0;
};

// Runs the plan. `state` is updated after every call, so a failure part-way leaves it naming
// what exists (save it either way). Outputs (Value, with Conditions) are evaluated at the end
// into state.outputs. Progress lines ("create WorkQueue AWS::SQS::Queue") go to `progress`.
StatusOr<DeploySummary> DeployStack(const Plan& plan, const Template& t, Scope scope,
                                    ResourceApi& api, StackState& state, std::ostream* progress);

// Deletes every resource of the stack, last made first.
Status DeleteStack(ResourceApi& api, StackState& state, std::ostream* progress);

}  // namespace thaw::sam
