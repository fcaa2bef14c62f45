// Renders functions and aliases in the JSON shapes of the Lambda API (FunctionConfiguration,
// AliasConfiguration). Stateless, thread-safe.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "lambda/function.h"
#include "lambda/registry.h"

namespace thaw::lambda {

// Which moment of the function's life a FunctionConfiguration describes. We apply changes
// synchronously, but clients (and boto3 waiters) expect AWS's transitions in the replies.
enum class ConfigPhase {
  kCreating,  // CreateFunction's own reply: State Pending
  kUpdating,  // UpdateFunctionCode/Configuration replies: LastUpdateStatus InProgress
  kSteady,    // every read: State Active, LastUpdateStatus Successful
};

// `arn_qualifier` qualifies FunctionArn (a version, an alias or "$LATEST"); empty leaves it
// unqualified, except that a published version is always qualified with its number.
nlohmann::json RenderConfiguration(const FunctionConfig& config, ConfigPhase phase,
                                   const std::string& arn_qualifier = "");

nlohmann::json RenderAlias(const std::string& function_name, const Alias& alias);

}  // namespace thaw::lambda
