#include "lambda/event_invoke_config.h"

#include <regex>
#include <vector>

#include "lambda/api_error.h"
#include "lambda/function_request.h"
#include "lambda/stored_json.h"

namespace thaw::lambda {

using nlohmann::json;

namespace {

// DestinationArn's pattern in the API model.
constexpr char kDestinationPattern[] =
    "^$|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\\d{1})?:"
    "(\\d{12})?:(.*)";

bool MatchesDestinationPattern(const std::string& arn) {
  static const std::regex pattern(
      "arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\\d{1})?:"
      "(\\d{12})?:(.*)");
  return arn.empty() || std::regex_match(arn, pattern);
}

std::vector<std::string> SplitArn(const std::string& arn) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t colon = arn.find(':', start);
    parts.push_back(arn.substr(start, colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return parts;
}

// The Destination of DestinationConfig.<key>: nullopt when the member is absent.
StatusOr<std::optional<std::string>> ReadDestination(const json& config, const char* key) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_object()) return BadRequestContent(std::string(key) + " must be an object");
  THAW_ASSIGN_OR_RETURN(auto arn, OptionalString(*it, "Destination"));
  return std::optional<std::string>(arn.value_or(""));
}

std::string Described(const std::string& on_success, const std::string& on_failure) {
  auto part = [](const char* type, const std::string& arn) {
    return arn.empty() ? std::string("null") : std::string(type) + "(destination=" + arn + ")";
  };
  return "The provided destination config DestinationConfig(onSuccess=" +
         part("OnSuccess", on_success) + ", onFailure=" + part("OnFailure", on_failure) +
         ") is invalid.";
}

}  // namespace

DestinationKind KindOf(const std::string& arn) {
  std::vector<std::string> parts = SplitArn(arn);
  if (parts.size() < 6 || parts[0] != "arn") return DestinationKind::kOther;
  if (parts[2] == "sqs") return DestinationKind::kQueue;
  if (parts[2] == "lambda") return DestinationKind::kFunction;
  if (parts[2] == "sns") return DestinationKind::kTopic;
  return DestinationKind::kOther;
}

StatusOr<EventInvokeConfig> ParseEventInvokeConfig(const json& body,
                                                   const EventInvokeConfig* base) {
  THAW_ASSIGN_OR_RETURN(auto retries, OptionalInt(body, "MaximumRetryAttempts"));
  THAW_ASSIGN_OR_RETURN(auto age, OptionalInt(body, "MaximumEventAgeInSeconds"));
  std::optional<std::string> on_success;
  std::optional<std::string> on_failure;
  bool has_destinations = false;
  if (auto it = body.find("DestinationConfig"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return BadRequestContent("DestinationConfig must be an object");
    has_destinations = true;
    THAW_ASSIGN_OR_RETURN(on_success, ReadDestination(*it, "OnSuccess"));
    THAW_ASSIGN_OR_RETURN(on_failure, ReadDestination(*it, "OnFailure"));
  }
  std::vector<std::string> violations;
  if (retries) {
    if (*retries < 0) {
      violations.push_back(
          ConstraintViolation(std::to_string(*retries), "maximumRetryAttempts",
                              "Member must have value greater than or equal to 0"));
    } else if (*retries > 2) {
      violations.push_back(ConstraintViolation(std::to_string(*retries), "maximumRetryAttempts",
                                               "Member must have value less than or equal to 2"));
    }
  }
  if (age) {
    if (*age < 60) {
      violations.push_back(
          ConstraintViolation(std::to_string(*age), "maximumEventAgeInSeconds",
                              "Member must have value greater than or equal to 60"));
    } else if (*age > 21600) {
      violations.push_back(
          ConstraintViolation(std::to_string(*age), "maximumEventAgeInSeconds",
                              "Member must have value less than or equal to 21600"));
    }
  }
  const std::string constraint =
      std::string("Member must satisfy regular expression pattern: ") + kDestinationPattern;
  if (on_success && !MatchesDestinationPattern(*on_success)) {
    violations.push_back(
        ConstraintViolation(*on_success, "destinationConfig.onSuccess.destination", constraint));
  }
  if (on_failure && !MatchesDestinationPattern(*on_failure)) {
    violations.push_back(
        ConstraintViolation(*on_failure, "destinationConfig.onFailure.destination", constraint));
  }
  if (!violations.empty()) return ValidationError(violations);
  if (!retries && !age && !has_destinations) {
    return Status::InvalidArgument(
        "You must specify at least one of error handling or destination setting.");
  }

  EventInvokeConfig config = base ? *base : EventInvokeConfig{};
  if (retries) config.max_retry_attempts = retries;
  if (age) config.max_event_age_s = age;
  if (has_destinations) {
    // A DestinationConfig replaces both destinations, as on AWS.
    config.on_success = on_success.value_or("");
    config.on_failure = on_failure.value_or("");
  }
  for (const std::string* arn : {&config.on_success, &config.on_failure}) {
    if (arn->empty()) continue;
    switch (KindOf(*arn)) {
      case DestinationKind::kQueue:
        if (arn->ends_with(".fifo")) {
          return Status::InvalidArgument(Described(config.on_success, config.on_failure) +
                                         " FIFO queues are not supported as destinations.");
        }
        break;
      case DestinationKind::kFunction:
        break;
      case DestinationKind::kTopic:
        if (arn->ends_with(".fifo")) {
          return Status::InvalidArgument(Described(config.on_success, config.on_failure) +
                                         " FIFO topics are not supported as destinations.");
        }
        break;
      case DestinationKind::kOther:
        return Status::InvalidArgument(
            Described(config.on_success, config.on_failure) +
            " thaw delivers to SQS queues, SNS topics and Lambda functions only.");
    }
  }
  return config;
}

json RenderEventInvokeConfig(const EventInvokeConfig& config, const std::string& function_arn) {
  json destinations = {{"OnSuccess", json::object()}, {"OnFailure", json::object()}};
  if (!config.on_success.empty()) destinations["OnSuccess"]["Destination"] = config.on_success;
  if (!config.on_failure.empty()) destinations["OnFailure"]["Destination"] = config.on_failure;
  json j = {
      {"LastModified", static_cast<double>(config.last_modified_ms) / 1000.0},
      {"FunctionArn", function_arn},
      {"DestinationConfig", std::move(destinations)},
  };
  if (config.max_retry_attempts) j["MaximumRetryAttempts"] = *config.max_retry_attempts;
  if (config.max_event_age_s) j["MaximumEventAgeInSeconds"] = *config.max_event_age_s;
  return j;
}

std::string EventInvokeConfigToStorage(const EventInvokeConfig& config) {
  json j = {{"on_success", config.on_success},
            {"on_failure", config.on_failure},
            {"last_modified_ms", config.last_modified_ms}};
  if (config.max_retry_attempts) j["max_retry_attempts"] = *config.max_retry_attempts;
  if (config.max_event_age_s) j["max_event_age_s"] = *config.max_event_age_s;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

EventInvokeConfig EventInvokeConfigFromStorage(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  EventInvokeConfig config;
  if (!j.is_object()) return config;
  config.on_success = StoredString(j, "on_success");
  config.on_failure = StoredString(j, "on_failure");
  config.last_modified_ms = StoredInt(j, "last_modified_ms");
  if (j.contains("max_retry_attempts"))
    config.max_retry_attempts = StoredInt(j, "max_retry_attempts");
  if (j.contains("max_event_age_s")) config.max_event_age_s = StoredInt(j, "max_event_age_s");
  return config;
}

Status ValidateDeadLetterTarget(const std::string& arn) {
  if (arn.empty()) return Status::Ok();
  static const std::regex pattern("arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*");
  if (!std::regex_match(arn, pattern)) {
    return ValidationError(arn, "deadLetterConfig.targetArn",
                           "Member must satisfy regular expression pattern: "
                           "(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()");
  }
  switch (KindOf(arn)) {
    case DestinationKind::kQueue:
      if (arn.ends_with(".fifo")) {
        return Status::InvalidArgument("FIFO queues are not supported as dead-letter queues: " +
                                       arn);
      }
      return Status::Ok();
    case DestinationKind::kTopic:
      if (arn.ends_with(".fifo")) {
        return Status::InvalidArgument("FIFO topics are not supported as dead-letter queues: " +
                                       arn);
      }
      return Status::Ok();
    default:
      return Status::InvalidArgument(
          "The provided target arn is invalid. Provide a valid SQS queue or SNS topic arn: " + arn);
  }
}

}  // namespace thaw::lambda
