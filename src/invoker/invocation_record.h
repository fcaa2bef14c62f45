// The invocation record (records/record.h) of an invocation that has ended, as views of what
// the invocation and its environment hold: no copy, no allocation, no system call. Loop thread
// only; the record is valid while `inv` and the config are.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "invoker/invocation.h"
#include "lambda/function.h"
#include "records/record.h"

namespace thaw::invoker {

// What the environment knows at the end of an invocation, besides the Invocation itself.
struct RecordFacts {
  const lambda::FunctionConfig& config;
  std::string_view version;
  std::string_view environment;
  std::string_view status;      // REPORT's: "", "error" or "timeout"
  std::string_view error_type;  // REPORT's
  int64_t ended_ns = 0;
  int64_t duration_ns = 0;
  int64_t billed_ms = 0;
  int64_t max_memory_mb = 0;
  int64_t cpu_ns = 0;
  int64_t freeze_ns = 0;
};

records::InvocationRecord MakeRecord(const Invocation& inv, const RecordFacts& facts);

// The error type of an /error post: its header's, else the body's "errorType" (aws-lambda-go
// sends no header). Error path only: it may parse JSON.
std::string ErrorTypeOf(std::string_view header, std::string_view body);

}  // namespace thaw::invoker
