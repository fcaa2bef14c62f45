#include "logs/platform_lines.h"

#include <cmath>
#include <cstdio>

#include "base/codec.h"

namespace thaw::logs {

namespace {

// "%.2f" without locale surprises: thaw never calls setlocale, so the C locale applies.
std::string TwoDecimals(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", value);
  return buf;
}

}  // namespace

std::string FormatInitStart(std::string_view runtime_version,
                            std::string_view runtime_version_arn) {
  std::string out = "INIT_START Runtime Version: ";
  out.append(runtime_version);
  out += "\tRuntime Version ARN: ";
  out.append(runtime_version_arn);
  out += '\n';
  return out;
}

std::string FormatStart(std::string_view request_id, std::string_view version) {
  std::string out = "START RequestId: ";
  out.append(request_id);
  out += " Version: ";
  out.append(version);
  out += '\n';
  return out;
}

std::string FormatEnd(std::string_view request_id) {
  std::string out = "END RequestId: ";
  out.append(request_id);
  out += '\n';
  return out;
}

std::string FormatReport(const ReportFields& fields) {
  std::string out = "REPORT RequestId: " + fields.request_id;
  out += "\tDuration: " + TwoDecimals(fields.duration_ms) + " ms";
  out += "\tBilled Duration: " + std::to_string(fields.billed_ms) + " ms";
  out += "\tMemory Size: " + std::to_string(fields.memory_mb) + " MB";
  out += "\tMax Memory Used: " + std::to_string(fields.max_memory_used_mb) + " MB\t";
  if (fields.init_duration_ms) {
    out += "Init Duration: " + TwoDecimals(*fields.init_duration_ms) + " ms\t";
  }
  if (!fields.status.empty()) {
    out += "Status: " + fields.status + "\t";
    if (!fields.error_type.empty()) out += "Error Type: " + fields.error_type + "\t";
  }
  out += '\n';
  return out;
}

std::string FormatInitReport(double init_ms, std::string_view phase, std::string_view status,
                             std::string_view error_type) {
  std::string out = "INIT_REPORT Init Duration: " + TwoDecimals(init_ms) + " ms\tPhase: ";
  out.append(phase);
  out += "\tStatus: ";
  out.append(status);
  if (!error_type.empty()) {
    out += "\tError Type: ";
    out.append(error_type);
  }
  out += '\n';
  return out;
}

int64_t BilledMillis(double duration_ms, std::optional<double> init_ms) {
  double total = duration_ms + init_ms.value_or(0.0);
  // Durations are measured in nanoseconds and handed over as doubles; shave float noise so
  // that an exact 3000.00 ms timeout bills 3000 ms, not 3001.
  auto billed = static_cast<int64_t>(std::ceil(total - 1e-6));
  return billed < 1 ? 1 : billed;
}

std::string FormatTimeoutLine(int64_t realtime_ms, std::string_view request_id, double timeout_s) {
  std::string out = FormatIsoMillis(realtime_ms);
  out += ' ';
  out.append(request_id);
  out += " Task timed out after " + TwoDecimals(timeout_s) + " seconds\n";
  return out;
}

std::string LogStreamName(int64_t realtime_ms, std::string_view version) {
  std::string out = FormatLogDate(realtime_ms) + "/[";
  out.append(version);
  out += ']';
  out += RandomHex(16);
  return out;
}

}  // namespace thaw::logs
