// The verdicts of `thaw stress`: what one Invoke answer shows (status, X-Amz-Function-Error, the
// error body, the REPORT line of the log tail) and the checks that compare it with what Lambda
// does for each misbehaviour. Pure functions; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/message.h"

namespace thaw::cli {

// The REPORT line of one invocation, e.g.
// "REPORT RequestId: ID\tDuration: 2000.00 ms\t...\tMemory Size: 128 MB\tMax Memory Used: 7 MB
//  \tStatus: error\tError Type: Runtime.OutOfMemory\t".
struct ReportLine {
  bool found = false;
  std::string status;      // "timeout", "error"; empty on success
  std::string error_type;  // "Runtime.ExitError", ...; empty when absent
  int64_t memory_size_mb = -1;
  int64_t max_memory_used_mb = -1;
};

// The last REPORT line for request_id in a log tail; found = false when there is none.
ReportLine ParseReportLine(std::string_view log_tail, std::string_view request_id);

// What a synchronous Invoke with LogType=Tail answered.
struct Observation {
  int http_status = 0;
  std::string request_id;      // x-amzn-RequestId
  std::string function_error;  // X-Amz-Function-Error ("Unhandled"), empty on success
  std::string body;
  nlohmann::json json;  // the body parsed; discarded (is_discarded()) when it is not JSON
  std::string log_tail;
  ReportLine report;

  std::string ErrorType() const;     // body errorType, or ""
  std::string ErrorMessage() const;  // body errorMessage, or ""
};

Observation Observe(const http::Response& response);

// One line for the OBSERVED column: "Unhandled Sandbox.Timedout; REPORT timeout" or "ok {...}".
std::string Describe(const Observation& o);

// The outcome of one check: pass when no mismatch was found.
struct Verdict {
  std::string observed;                 // for the OBSERVED column
  std::vector<std::string> mismatches;  // "errorType: got X, want Y"
  bool pass() const { return mismatches.empty(); }
};

// Lambda's timeout: Unhandled Sandbox.Timedout, "RequestId: ID Error: Task timed out after
// 2.00 seconds", REPORT Status: timeout.
Verdict CheckTimeout(const Observation& o, int64_t timeout_s);
// Lambda's cgroup OOM kill: Unhandled Runtime.OutOfMemory, "RequestId: ID Error: Runtime exited
// with error: signal: killed", REPORT Status: error Error Type: Runtime.OutOfMemory with Max
// Memory Used equal to Memory Size.
Verdict CheckOutOfMemory(const Observation& o);
// aws-lambda-go's panic body: Unhandled, errorType and errorMessage exactly, and a non-empty
// stackTrace of {path,line,label} frames that includes the function's own handler.
Verdict CheckGoPanic(const Observation& o, std::string_view error_type,
                     std::string_view error_message);
// The runtime exited: Unhandled Runtime.ExitError "RequestId: ID Error: Runtime exited with
// error: exit status N", REPORT Status: error Error Type: Runtime.ExitError.
Verdict CheckExitError(const Observation& o, int exit_status);
// Unhandled Function.ResponseSizeTooLarge with Lambda's message.
Verdict CheckResponseTooLarge(const Observation& o);
// A handled result whose "error" mentions EAGAIN (the pids limit), or Sandbox.Timedout.
Verdict CheckForkBomb(const Observation& o);
// A handled result whose "error" mentions ENOSPC, with "written" within [400, 520] MiB.
Verdict CheckTmpFill(const Observation& o);
// The second invocation of stress-goroutines: counter_at_start - previous < 50.
Verdict CheckGoroutinesFrozen(const Observation& o);
// A plain success (no X-Amz-Function-Error, HTTP 200).
Verdict CheckSuccess(const Observation& o);
// The recovery invocation: success with body {"ok":true}.
bool Recovered(const Observation& o);

}  // namespace thaw::cli
