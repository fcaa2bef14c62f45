// The plan of a stack: the template's resources after SAM's transform (a Serverless::Function
// becomes its Lambda function, role, event source mappings, subscriptions, permissions, version
// and alias, with the logical ids SAM gives them), checked against what thaw serves, and put in
// dependency order (Ref, Fn::GetAtt, Fn::Sub, DependsOn). Plain functions; thread-safe.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "sam/intrinsics.h"
#include "sam/template.h"

namespace thaw::sam {

struct Step {
  std::string logical_id;
  std::string type;  // a CloudFormation type: AWS::Lambda::Function, AWS::SQS::Queue, ...
  nlohmann::json properties = nlohmann::json::object();  // intrinsics unresolved
  nlohmann::json metadata = nlohmann::json::object();    // the template resource's (BuildMethod)
  std::set<std::string> needs;                           // logical ids it waits for
  std::string from;  // the template resource it came from (itself, or the SAM resource)
};

struct Plan {
  std::vector<Step> steps;  // each after everything it needs

  const Step* Find(const std::string& logical_id) const;
};

// The template's selected resources (Conditions applied) as steps in dependency order.
// InvalidArgument naming the resource and property for unknown types, unknown properties, event
// types thaw does not serve, functions it cannot build
// (no BuildKindOf) and dependency circles;
// nothing is deployed when the plan fails.
StatusOr<Plan> MakePlan(const Template& t, const Scope& scope);

// How thaw builds a function of this build method (Metadata BuildMethod, else Runtime), as
// `sam build` does: Go for go1.x and the provided.* runtimes, Python for python3.x, Node.js for
// nodejs*.x; nullopt for the rest (esbuild, makefile, java, ...).
enum class BuildKind { kGo, kPython, kNode };
std::optional<BuildKind> BuildKindOf(const std::string& build_method);

// A name as CloudFormation makes one when the template gives none: STACK-LogicalId-SUFFIX, the
// stack and logical id shortened so that the whole fits max_len.
std::string PhysicalName(const std::string& stack, const std::string& logical_id,
                         const std::string& suffix, size_t max_len);

// Twelve random characters [A-Za-z0-9] for PhysicalName.
std::string RandomSuffix();

}  // namespace thaw::sam
