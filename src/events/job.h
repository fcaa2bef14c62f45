// Job: what fires on a schedule, as stored: an EventBridge rule (with its targets) or an
// EventBridge Scheduler schedule (with its one target). Also the payloads they deliver.
// Pure; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace thaw::events {

inline constexpr char kRegion[] = "us-east-1";

struct Target {
  std::string id;  // a rule's target id; "" for a schedule's
  std::string arn;
  std::optional<std::string> input;  // delivered verbatim
  std::string input_path;            // a rule's: a part of the event ("$.detail")
  std::string role_arn;
};

struct Job {
  enum class Kind { kRule, kSchedule };
  Kind kind = Kind::kRule;
  std::string account;
  std::string name;
  std::string group = "default";  // a schedule's group
  std::string expression;         // "" for a rule with only an EventPattern
  std::string event_pattern;      // a rule's; stored, never matched
  std::string timezone;           // a schedule's ScheduleExpressionTimezone; "" is UTC
  std::string state = "ENABLED";  // "ENABLED" or "DISABLED"
  std::string description;
  std::string role_arn;            // a rule's
  nlohmann::json flexible_window;  // a schedule's FlexibleTimeWindow
  // A schedule's StartDate and EndDate (Unix seconds): it runs only between them.
  std::optional<int64_t> start_s, end_s;
  std::string action_after_completion;  // a schedule's
  std::vector<Target> targets;          // a schedule has exactly one
  nlohmann::json target_extra;          // a schedule target's RetryPolicy etc., kept as given
  int64_t created_ms = 0;
  int64_t modified_ms = 0;

  // arn:aws:events:us-east-1:ACCOUNT:rule/NAME, arn:aws:scheduler:...:schedule/GROUP/NAME.
  std::string Arn() const;
  // "rule/NAME" or "schedule/GROUP/NAME" with the account: unique across both kinds.
  std::string Key() const;
  bool enabled() const { return state != "DISABLED"; }

  nlohmann::json ToJson() const;
  static StatusOr<Job> FromJson(const nlohmann::json& j);
};

std::string RuleKey(const std::string& account, const std::string& name);
std::string ScheduleKey(const std::string& account, const std::string& group,
                        const std::string& name);

// EventBridge's scheduled event for `rule_arn` at `time_ms`.
nlohmann::json ScheduledEvent(const std::string& account, const std::string& rule_arn,
                              int64_t time_ms, const std::string& id);

// What `target` receives: its Input verbatim; else the part of `event` its InputPath names
// ("$", "$.a.b"; nothing there is null); else the event.
std::string TargetPayload(const Target& target, const nlohmann::json& event);

}  // namespace thaw::events
