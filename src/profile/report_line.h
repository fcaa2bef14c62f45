// Lambda's REPORT platform line read back from an invocation's log tail (the base64
// X-Amz-Log-Result of an invoke with X-Amz-Log-Type: Tail): Duration, Billed Duration, Memory
// Size, Max Memory Used and, on a cold start only, Init Duration. Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace thaw::profile {

struct Report {
  std::string request_id;
  double duration_ms = 0;
  int64_t billed_duration_ms = 0;
  int64_t memory_size_mb = 0;
  int64_t max_memory_used_mb = 0;
  std::optional<double> init_duration_ms;     // the environment's first invocation only
  std::optional<double> restore_duration_ms;  // SnapStart (not a cold init)
  std::string status;                         // "timeout" or "error"; empty on success
  std::string error_type;  // with status "error": LambdaError Name() or runtime's

  // An "Init Duration" field marks the invocation that started its environment.
  bool cold() const { return init_duration_ms.has_value(); }
};

// Parses "REPORT RequestId: <id>\tDuration: 1.16 ms\tBilled Duration: 33 ms\tMemory Size: 128
// MB\tMax Memory Used: 17 MB\t[Init Duration: 31.20 ms\t][Status: timeout\t]" (a trailing
// newline is allowed; unknown fields are skipped). InvalidArgument when the line is not a
// REPORT line or one of the first five fields is missing or malformed.
StatusOr<Report> ParseReportLine(std::string_view line);

// The last REPORT line of a log tail (decoded text). NotFound when there is none.
StatusOr<Report> FindReport(std::string_view log_tail);

}  // namespace thaw::profile
