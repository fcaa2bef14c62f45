// CloudFormation's intrinsic functions over template values: Ref, Fn::GetAtt, Fn::Sub (both
// forms), Fn::Join, Fn::Select, Fn::Split, Fn::If, Fn::Equals, Fn::Not, Fn::And, Fn::Or,
// Fn::GetAZs, Fn::Base64, Fn::FindInMap, Condition. Refs to resources and GetAtt go to the
// scope's resolver, so planning and deploying can answer them differently. Plain functions;
// thread-compatible (a Scope is not shared between threads while it changes).
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace thaw::sam {

// The value an !If branch or a Ref to AWS::NoValue stands for: the key or item is dropped.
inline constexpr char kNoValue[] = "AWS::NoValue";

struct Scope {
  // Parameter and pseudo-parameter values by name (a list parameter is a JSON array).
  std::map<std::string, nlohmann::json> refs;
  std::map<std::string, bool> conditions;  // evaluated Conditions
  nlohmann::json mappings = nlohmann::json::object();
  std::string region = "us-east-1";
  // Ref (attribute empty) and GetAtt of a resource; nullptr: NotFound for any resource.
  std::function<StatusOr<nlohmann::json>(const std::string& logical_id,
                                         const std::string& attribute)>
      resource;
};

// `value` with every intrinsic function replaced by its result; keys and list items whose
// value is AWS::NoValue are removed (a whole value of AWS::NoValue is null).
StatusOr<nlohmann::json> Evaluate(const nlohmann::json& value, const Scope& scope);

// A Conditions entry's body (Fn::Equals, Fn::Not, ..., Condition) as true or false.
StatusOr<bool> EvaluateCondition(const nlohmann::json& body, const Scope& scope);

// The resources a value refers to through Ref, Fn::GetAtt and Fn::Sub, given a test of whether
// a name is a resource (parameters and pseudo parameters are not).
void CollectReferences(const nlohmann::json& value,
                       const std::function<bool(const std::string&)>& is_resource,
                       std::set<std::string>& out);

}  // namespace thaw::sam
