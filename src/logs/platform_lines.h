// Lambda's platform log lines (INIT_START, START, END, REPORT, INIT_REPORT, the timeout line) in
// the text log format, byte for byte, plus billing and log stream naming. Each line is returned
// with its trailing "\n", as CloudWatch stores Lambda messages.
// Pure functions: stateless and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace thaw::logs {

// "INIT_START Runtime Version: provided:al2023.v<N>\tRuntime Version ARN: arn:...\n".
// Both strings are used as given.
std::string FormatInitStart(std::string_view runtime_version, std::string_view runtime_version_arn);

// "START RequestId: <id> Version: $LATEST\n" (spaces, not tabs).
std::string FormatStart(std::string_view request_id, std::string_view version);

// "END RequestId: <id>\n".
std::string FormatEnd(std::string_view request_id);

struct ReportFields {
  std::string request_id = {};
  double duration_ms = 0;
  int64_t billed_ms = 0;
  int64_t memory_mb = 0;
  int64_t max_memory_used_mb = 0;
  std::optional<double> init_duration_ms = {};  // first invoke of an environment only
  std::string status = {};                      // "" (success), "timeout" or "error"
  std::string error_type = {};  // a LambdaError Name() or the runtime's type; with status "error"
};

// "REPORT RequestId: <id>\tDuration: 1.16 ms\tBilled Duration: 33 ms\tMemory Size: 128 MB\t
// Max Memory Used: 17 MB\t[Init Duration: 31.20 ms\t][Status: <s>\t[Error Type: <t>\t]]\n".
// Durations have 2 decimals; every field ends with a TAB, as Lambda writes it.
std::string FormatReport(const ReportFields& fields);

// "INIT_REPORT Init Duration: 10.17 ms\tPhase: init\tStatus: error\tError Type: <t>\n".
// `phase` is "init" or "invoke", `status` "error" or "timeout"; an empty `error_type` drops
// the Error Type part.
std::string FormatInitReport(double init_ms, std::string_view phase, std::string_view status,
                             std::string_view error_type);

// Billed Duration for provided.* (custom) runtimes: ceil(duration + init) to 1 ms, at least
// 1 ms. Custom runtimes bill their init phase, so `init_ms` is added when present
// (1.16 + 31.20 -> 33).
int64_t BilledMillis(double duration_ms, std::optional<double> init_ms);

// "<2019-09-18T00:02:46.542Z> <id> Task timed out after 3.00 seconds\n".
std::string FormatTimeoutLine(int64_t realtime_ms, std::string_view request_id, double timeout_s);

// A new environment's stream: "YYYY/MM/DD/[<version>]<32 lowercase hex>", dated in UTC.
std::string LogStreamName(int64_t realtime_ms, std::string_view version);

}  // namespace thaw::logs
