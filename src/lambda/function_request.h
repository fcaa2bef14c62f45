// Parsing and validation of the JSON bodies of CreateFunction, UpdateFunctionConfiguration and
// UpdateFunctionCode. Every error is a Status carrying AWS's message (see api_error.h for the
// error codes). Never throws: bodies are parsed with exceptions off and types checked before
// any get<>. Stateless, thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "lambda/function.h"

namespace thaw::lambda {

// Largest CreateFunction/UpdateFunctionCode request Lambda reads (a ~50 MB zip in base64).
inline constexpr size_t kMaxCodeRequestBytes = 70167211;
// Lambda's limit on the JSON form of Environment.Variables.
inline constexpr size_t kMaxEnvironmentBytes = 4096;

// Parses a request body that must be a JSON object; an empty body reads as {}.
StatusOr<nlohmann::json> ParseJsonObject(std::string_view body);

// Typed optional members: absent or null -> nullopt, wrong type -> InvalidRequestContent.
StatusOr<std::optional<std::string>> OptionalString(const nlohmann::json& body, const char* key);
StatusOr<std::optional<int64_t>> OptionalInt(const nlohmann::json& body, const char* key);
StatusOr<std::optional<bool>> OptionalBool(const nlohmann::json& body, const char* key);

// The configuration members shared by CreateFunction and UpdateFunctionConfiguration; only
// members present in the body are set.
struct ConfigUpdate {
  std::optional<std::string> runtime;
  std::optional<std::string> role;
  std::optional<std::string> handler;
  std::optional<std::string> description;
  std::optional<int64_t> timeout_s;
  std::optional<int64_t> memory_mb;
  std::optional<int64_t> ephemeral_mb;
  std::optional<std::vector<std::pair<std::string, std::string>>> environment;
  std::optional<std::string> tracing_mode;
  std::optional<std::string> dead_letter_arn;      // "" removes the dead-letter queue
  std::optional<std::vector<std::string>> layers;  // layer version ARNs, resolved by the caller
  // LoggingConfig's members (its LogGroup is always /aws/lambda/NAME here).
  std::optional<std::string> log_format;
  std::optional<std::string> application_log_level;
  std::optional<std::string> system_log_level;
};

// Validates every member it finds, reporting constraint violations together as AWS does.
StatusOr<ConfigUpdate> ParseConfigUpdate(const nlohmann::json& body);
FunctionConfig ApplyConfigUpdate(FunctionConfig config, const ConfigUpdate& update);

// "Architectures": exactly one of x86_64, arm64; nullopt when absent.
StatusOr<std::optional<std::string>> ParseArchitectures(const nlohmann::json& body);
// A "Tags" object of string values (at most 50, AWS's key/value length limits).
StatusOr<std::map<std::string, std::string>> ParseTags(const nlohmann::json& tags);
// Decodes a base64 Code.ZipFile / ZipFile member.
StatusOr<std::string> DecodeZipFile(const nlohmann::json& value);

// A function name for CreateFunction: a name or ARN without a qualifier. Returns the bare name.
StatusOr<std::string> ValidateNewFunctionName(const std::string& function_name);
// An alias name: 1-128 of [a-zA-Z0-9-_], not all digits (that would read as a version).
Status ValidateAliasName(const std::string& alias);

// A Qualifier value: $LATEST, a version number or an alias name (1-128 of [a-zA-Z0-9-_]).
bool IsValidQualifier(std::string_view qualifier);

bool IsKnownRuntime(std::string_view runtime);

}  // namespace thaw::lambda
