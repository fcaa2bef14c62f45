#include "cli/tables.h"

#include <algorithm>
#include <ostream>

#include "cli/json_fields.h"
#include "profile/table.h"

namespace thaw::cli {

using nlohmann::json;

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  return profile::FormatLeftAligned(rows);
}

std::string FormatFunctionTable(const std::vector<json>& functions) {
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "RUNTIME", "MEMORY", "TIMEOUT", "LAST MODIFIED"}};
  for (const json& f : functions) {
    auto Number = [&](std::string_view key, std::string_view unit) {
      int64_t v = JsonInt(f, key, -1);
      return v < 0 ? std::string("-") : std::to_string(v) + " " + std::string(unit);
    };
    std::string runtime = JsonString(f, "Runtime");
    std::string modified = JsonString(f, "LastModified");
    rows.push_back({JsonString(f, "FunctionName"), runtime.empty() ? "-" : runtime,
                    Number("MemorySize", "MB"), Number("Timeout", "s"),
                    modified.empty() ? "-" : modified});
  }
  std::sort(rows.begin() + 1, rows.end());
  return FormatTable(rows);
}

void PrintLine(std::ostream& out, std::string_view text) {
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!text.empty() && text.back() != '\n') out.put('\n');
  out.flush();
}

}  // namespace thaw::cli
