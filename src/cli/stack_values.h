// Property values as the stack's API calls take them: ARNs split, tag lists and maps, attribute
// text, what changed between two deploys, a directory zipped. Free functions; thread-safe.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace thaw::cli {

// "NAME" or an ARN (function, version or alias) -> {name, qualifier}.
std::pair<std::string, std::string> FunctionAndQualifier(const std::string& name_or_arn);

// CloudFormation's Tags list -> the API's map.
nlohmann::json TagMap(const nlohmann::json& tags);

// An attribute value as SQS and SNS take it: text, objects as JSON.
std::string AttributeText(const nlohmann::json& v);

// props[key] when it is a string, else fallback.
std::string PropertyText(const nlohmann::json& props, const char* key, const std::string& fallback);

// Whether `a` and `b` differ only in `keys` (keys absent from both are equal).
bool DifferOnlyIn(const nlohmann::json& a, const nlohmann::json& b,
                  std::initializer_list<const char*> keys);

// Whether props[key] differs between the two (absent counts as a value).
bool Changed(const nlohmann::json& a, const nlohmann::json& b, const char* key);

// Every regular file under dir in a zip (names relative to dir, sorted), for a layer.
StatusOr<std::string> ZipDirectory(const std::string& dir);

}  // namespace thaw::cli
