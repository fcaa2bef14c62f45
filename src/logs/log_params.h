// Typed, non-throwing reads of CloudWatch Logs JSON 1.1 request members. A member that is
// missing or null reads as absent; a member of the wrong type is InvalidArgument (sent as
// InvalidParameterException). Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace thaw::logs {

StatusOr<std::optional<std::string>> OptionalString(const nlohmann::json& in, const char* key);
StatusOr<std::string> RequiredString(const nlohmann::json& in, const char* key);
StatusOr<std::optional<int64_t>> OptionalInt(const nlohmann::json& in, const char* key);
StatusOr<bool> OptionalBool(const nlohmann::json& in, const char* key, bool fallback);
StatusOr<std::vector<std::string>> OptionalStringList(const nlohmann::json& in, const char* key);
// "limit": 1..max, `max` when absent.
StatusOr<int64_t> Limit(const nlohmann::json& in, int64_t max);
// logGroupName, or logGroupIdentifier (a name or a log group ARN, with or without ":*").
StatusOr<std::string> LogGroupName(const nlohmann::json& in);

// A log group's name in logs.db: the name itself in 000000000000 (as before accounts), else
// "ACCOUNT:NAME" (group names hold no ':'). `account` empty is 000000000000.
std::string GroupKey(std::string_view account, std::string_view name);
// (account, name) of a GroupKey.
std::pair<std::string, std::string> SplitGroupKey(std::string_view key);

// `text` with bytes outside printable ASCII replaced by '?', for echoing input in messages.
std::string Printable(std::string_view text);

}  // namespace thaw::logs
