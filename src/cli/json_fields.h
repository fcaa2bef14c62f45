// Reading and writing JSON in the CLI without exceptions: a member as a string or an integer, and
// a dump that replaces invalid UTF-8. Stateless, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace thaw::cli {

// object[key] when object is an object and the member is a string, else "".
std::string JsonString(const nlohmann::json& object, std::string_view key);
// object[key] when it is an integer, else fallback.
int64_t JsonInt(const nlohmann::json& object, std::string_view key, int64_t fallback = 0);
// json::dump that replaces invalid UTF-8 instead of throwing; indent < 0 is compact.
std::string DumpJson(const nlohmann::json& value, int indent = -1);

// Writes DumpJson(value, 2) and a newline to path (a --json file), replacing it.
Status WriteJsonFile(const std::string& path, const nlohmann::json& value);

}  // namespace thaw::cli
