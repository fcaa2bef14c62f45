// Printing for the CLI: aligned tables (functions among them) and lines. Stateless,
// thread-safe (each call writes to the stream it is given).
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace thaw::cli {

// Left-aligned columns separated by two spaces; the first row is the header. Every line ends
// with '\n' and carries no trailing spaces.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

// NAME, RUNTIME, MEMORY, TIMEOUT, LAST MODIFIED for FunctionConfiguration objects.
std::string FormatFunctionTable(const std::vector<nlohmann::json>& functions);

// Writes text to stdout, adding '\n' unless it is empty or already ends with one.
void PrintLine(std::ostream& out, std::string_view text);

}  // namespace thaw::cli
