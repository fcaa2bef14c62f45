// EventInvokeConfig: a function's settings for asynchronous invocation (Put/Get/Update/Delete/
// ListFunctionEventInvokeConfigs), one per qualifier ($LATEST, a version or an alias): retries,
// maximum event age and the OnSuccess / OnFailure destinations. Parsing checks the body as AWS
// does; RenderEventInvokeConfig is the API's shape. Also the function's DeadLetterConfig target
// check. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace thaw::lambda {

inline constexpr int64_t kDefaultMaxRetryAttempts = 2;
inline constexpr int64_t kDefaultEventAgeSeconds = 21600;

struct EventInvokeConfig {
  std::optional<int64_t> max_retry_attempts;  // absent: Lambda's default (2)
  std::optional<int64_t> max_event_age_s;     // absent: Lambda's default (6 hours)
  std::string on_success;                     // destination ARN; "" for none
  std::string on_failure;
  int64_t last_modified_ms = 0;

  int64_t retries() const { return max_retry_attempts.value_or(kDefaultMaxRetryAttempts); }
  int64_t max_age_s() const { return max_event_age_s.value_or(kDefaultEventAgeSeconds); }
  bool operator==(const EventInvokeConfig&) const = default;
};

// What a destination ARN names.
enum class DestinationKind { kQueue, kFunction, kTopic, kOther };
DestinationKind KindOf(const std::string& arn);

// Parses a Put (base null: omitted settings reset) or Update (merged onto *base) body. Checks
// ranges and ARN patterns (ValidationException) and what thaw can deliver to (SQS standard
// queues and Lambda functions; InvalidParameterValueException otherwise). Whether a Lambda
// destination exists is the caller's check (DestinationFunctions).
StatusOr<EventInvokeConfig> ParseEventInvokeConfig(const nlohmann::json& body,
                                                   const EventInvokeConfig* base);

// {"LastModified": epoch seconds, "FunctionArn", "MaximumRetryAttempts"?,
// "MaximumEventAgeInSeconds"?, "DestinationConfig": {"OnSuccess": {...}, "OnFailure": {...}}}.
nlohmann::json RenderEventInvokeConfig(const EventInvokeConfig& config,
                                       const std::string& function_arn);

std::string EventInvokeConfigToStorage(const EventInvokeConfig& config);
EventInvokeConfig EventInvokeConfigFromStorage(const std::string& text);

// A DeadLetterConfig.TargetArn: "" (none) or an SQS standard queue ARN; SNS is refused until
// thaw has SNS.
Status ValidateDeadLetterTarget(const std::string& arn);

}  // namespace thaw::lambda
