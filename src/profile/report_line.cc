#include "profile/report_line.h"

#include <charconv>
#include <vector>

namespace thaw::profile {

namespace {

constexpr std::string_view kPrefix = "REPORT RequestId: ";

std::optional<double> ParseMillis(std::string_view value) {
  // "1.16 ms"
  if (value.size() < 4 || value.substr(value.size() - 3) != " ms") return std::nullopt;
  value.remove_suffix(3);
  double out = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc() || end != value.data() + value.size() || out < 0) return std::nullopt;
  return out;
}

std::optional<int64_t> ParseWhole(std::string_view value, std::string_view unit) {
  // "33 ms", "128 MB"
  if (value.size() <= unit.size() + 1 || value.substr(value.size() - unit.size()) != unit ||
      value[value.size() - unit.size() - 1] != ' ') {
    return std::nullopt;
  }
  value.remove_suffix(unit.size() + 1);
  int64_t out = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc() || end != value.data() + value.size() || out < 0) return std::nullopt;
  return out;
}

Status Malformed(std::string_view field, std::string_view line) {
  return Status::InvalidArgument("malformed " + std::string(field) +
                                 " in REPORT line: " + std::string(line.substr(0, 200)));
}

}  // namespace

StatusOr<Report> ParseReportLine(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.substr(0, kPrefix.size()) != kPrefix) {
    return Status::InvalidArgument("not a REPORT line: " + std::string(line.substr(0, 80)));
  }
  // Fields are "Key: value", each followed by a TAB (the last TAB may be missing).
  std::vector<std::string_view> fields;
  std::string_view rest = line.substr(7);  // "RequestId: ..."
  while (!rest.empty()) {
    size_t tab = rest.find('\t');
    fields.push_back(rest.substr(0, tab));
    if (tab == std::string_view::npos) break;
    rest.remove_prefix(tab + 1);
  }
  Report report;
  bool seen[5] = {false, false, false, false, false};
  for (std::string_view field : fields) {
    size_t colon = field.find(": ");
    if (colon == std::string_view::npos) continue;
    std::string_view key = field.substr(0, colon);
    std::string_view value = field.substr(colon + 2);
    if (key == "RequestId") {
      if (value.empty()) return Malformed(key, line);
      report.request_id = std::string(value);
      seen[0] = true;
    } else if (key == "Duration") {
      std::optional<double> ms = ParseMillis(value);
      if (!ms) return Malformed(key, line);
      report.duration_ms = *ms;
      seen[1] = true;
    } else if (key == "Billed Duration") {
      std::optional<int64_t> ms = ParseWhole(value, "ms");
      if (!ms) return Malformed(key, line);
      report.billed_duration_ms = *ms;
      seen[2] = true;
    } else if (key == "Memory Size") {
      std::optional<int64_t> mb = ParseWhole(value, "MB");
      if (!mb) return Malformed(key, line);
      report.memory_size_mb = *mb;
      seen[3] = true;
    } else if (key == "Max Memory Used") {
      std::optional<int64_t> mb = ParseWhole(value, "MB");
      if (!mb) return Malformed(key, line);
      report.max_memory_used_mb = *mb;
      seen[4] = true;
    } else if (key == "Init Duration") {
      report.init_duration_ms = ParseMillis(value);
      if (!report.init_duration_ms) return Malformed(key, line);
    } else if (key == "Restore Duration") {
      report.restore_duration_ms = ParseMillis(value);
      if (!report.restore_duration_ms) return Malformed(key, line);
    } else if (key == "Status") {
      report.status = std::string(value);
    } else if (key == "Error Type") {
      report.error_type = std::string(value);
    }
  }
  const char* names[5] = {"RequestId", "Duration", "Billed Duration", "Memory Size",
                          "Max Memory Used"};
  for (int i = 0; i < 5; ++i) {
    if (!seen[i]) {
      return Status::InvalidArgument("REPORT line has no " + std::string(names[i]) + ": " +
                                     std::string(line.substr(0, 200)));
    }
  }
  return report;
}

StatusOr<Report> FindReport(std::string_view log_tail) {
  // The REPORT line is the last platform line of the invocation; a function may print text that
  // looks like one, so the last line that starts with the prefix wins.
  size_t pos = log_tail.rfind(kPrefix);
  while (pos != std::string_view::npos && pos != 0 && log_tail[pos - 1] != '\n') {
    pos = log_tail.rfind(kPrefix, pos - 1);
  }
  if (pos == std::string_view::npos) return Status::NotFound("no REPORT line in the log tail");
  std::string_view line = log_tail.substr(pos);
  line = line.substr(0, line.find('\n'));
  return ParseReportLine(line);
}

}  // namespace thaw::profile
