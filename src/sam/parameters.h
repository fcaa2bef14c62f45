// A stack's inputs: parameter values (defaults and --parameter-overrides), the pseudo
// parameters, and the Conditions evaluated on them, gathered into the Scope that intrinsic
// functions read. Plain functions; thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "sam/intrinsics.h"
#include "sam/template.h"

namespace thaw::sam {

inline constexpr char kRegion[] = "us-east-1";
inline constexpr char kAccountId[] = "000000000000";

struct StackInputs {
  std::string stack_name;
  std::string region = kRegion;
  std::string account_id = kAccountId;
  std::map<std::string, std::string> parameter_overrides;
};

// `Key=Value` words as `sam deploy --parameter-overrides` takes them; also the
// `ParameterKey=K,ParameterValue=V` form. InvalidArgument for a word of neither shape.
StatusOr<std::map<std::string, std::string>> ParseParameterOverrides(
    const std::vector<std::string>& words);

// Parameters (each from its override, else its Default; typed by Type and checked against
// AllowedValues, MinValue/MaxValue, and MinLength/MaxLength;
// AllowedPattern is not checked), the pseudo
// parameters (AWS::Region, AWS::AccountId, AWS::StackName, AWS::StackId, AWS::Partition,
// AWS::URLSuffix), Mappings and every Conditions entry. InvalidArgument for a parameter with no
// value, an override naming no parameter, or a condition that refers in a circle.
StatusOr<Scope> MakeScope(const Template& t, const StackInputs& inputs);

}  // namespace thaw::sam
