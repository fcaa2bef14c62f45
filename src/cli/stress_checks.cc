#include "cli/stress_checks.h"

#include <cstdio>
#include <optional>
#include <utility>

#include "base/codec.h"
#include "base/lambda_error.h"

namespace thaw::cli {

namespace {

using nlohmann::json;

constexpr char kResponseTooLargeMessage[] =
    "Response payload size exceeded maximum allowed payload size (6291556 bytes).";
constexpr int64_t kMiB = 1 << 20;
constexpr int64_t kMinTmpFillBytes = 400 * kMiB;
constexpr int64_t kMaxTmpFillBytes = 520 * kMiB;
constexpr int64_t kMaxIdleCounterAdvance = 50;  // stamps of 1 ms

// At most `limit` characters on one line.
std::string Shorten(std::string_view text, size_t limit = 60) {
  std::string out;
  for (char c : text) {
    if (out.size() >= limit) return out + "...";
    out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  }
  return out;
}

void Want(Verdict& v, bool ok, std::string what) {
  if (!ok) v.mismatches.push_back(std::move(what));
}

void WantEqual(Verdict& v, std::string_view what, const std::string& got, std::string_view want) {
  if (got == want) return;
  v.mismatches.push_back(std::string(what) + ": got '" + Shorten(got, 120) + "', want '" +
                         std::string(want) + "'");
}

void WantEqual(Verdict& v, std::string_view what, int64_t got, int64_t want) {
  if (got == want) return;
  v.mismatches.push_back(std::string(what) + ": got " + std::to_string(got) + ", want " +
                         std::to_string(want));
}

// HTTP 200 with X-Amz-Function-Error: Unhandled and the given errorType.
void WantUnhandled(Verdict& v, const Observation& o, std::string_view error_type) {
  WantEqual(v, "HTTP status", o.http_status, 200);
  WantEqual(v, "X-Amz-Function-Error", o.function_error, "Unhandled");
  WantEqual(v, "errorType", o.ErrorType(), error_type);
}

void WantReport(Verdict& v, const Observation& o, std::string_view status,
                std::string_view error_type) {
  if (!o.report.found) {
    v.mismatches.push_back("no REPORT line for " + o.request_id + " in the log tail");
    return;
  }
  WantEqual(v, "REPORT Status", o.report.status, status);
  WantEqual(v, "REPORT Error Type", o.report.error_type, error_type);
}

void WantSuccess(Verdict& v, const Observation& o) {
  WantEqual(v, "HTTP status", o.http_status, 200);
  WantEqual(v, "X-Amz-Function-Error", o.function_error, "");
  Want(v, o.json.is_object(), "body is not a JSON object: " + Shorten(o.body));
}

// "write /tmp/fill: no space left on device" -> "no space left on device".
std::string Errno(const std::string& error) {
  size_t colon = error.rfind(": ");
  return colon == std::string::npos ? error : error.substr(colon + 2);
}

std::string ResultError(const Observation& o) {
  if (!o.json.is_object()) return "";
  auto it = o.json.find("error");
  return it != o.json.end() && it->is_string() ? it->get<std::string>() : "";
}

std::optional<int64_t> ResultInt(const Observation& o, const char* key) {
  if (!o.json.is_object()) return std::nullopt;
  auto it = o.json.find(key);
  if (it == o.json.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

// "128 MB" -> 128.
int64_t ParseMegabytes(std::string_view value) {
  size_t space = value.find(' ');
  return ParseInt(value.substr(0, space)).value_or(-1);
}

// "; REPORT timeout", "; REPORT error Runtime.ExitError", or "" without a Status.
std::string DescribeReport(const Observation& o) {
  if (o.report.status.empty()) return "";
  std::string out = "; REPORT " + o.report.status;
  if (!o.report.error_type.empty()) out += " " + o.report.error_type;
  return out;
}

}  // namespace

ReportLine ParseReportLine(std::string_view log_tail, std::string_view request_id) {
  ReportLine report;
  std::string prefix = "REPORT RequestId: " + std::string(request_id) + "\t";
  size_t at = log_tail.rfind(prefix);
  if (request_id.empty() || at == std::string_view::npos) return report;
  std::string_view line = log_tail.substr(at);
  line = line.substr(0, line.find('\n'));
  report.found = true;
  while (!line.empty()) {
    size_t tab = line.find('\t');
    std::string_view field = line.substr(0, tab);
    line = tab == std::string_view::npos ? std::string_view() : line.substr(tab + 1);
    size_t colon = field.find(": ");
    if (colon == std::string_view::npos) continue;
    std::string_view key = field.substr(0, colon), value = field.substr(colon + 2);
    if (key == "Status") {
      report.status = value;
    } else if (key == "Error Type") {
      report.error_type = value;
    } else if (key == "Memory Size") {
      report.memory_size_mb = ParseMegabytes(value);
    } else if (key == "Max Memory Used") {
      report.max_memory_used_mb = ParseMegabytes(value);
    }
  }
  return report;
}

std::string Observation::ErrorType() const {
  if (!json.is_object()) return "";
  auto it = json.find("errorType");
  return it != json.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string Observation::ErrorMessage() const {
  if (!json.is_object()) return "";
  auto it = json.find("errorMessage");
  return it != json.end() && it->is_string() ? it->get<std::string>() : "";
}

Observation Observe(const http::Response& response) {
  Observation o;
  o.http_status = response.status;
  o.request_id = response.headers.Get("x-amzn-RequestId").value_or("");
  o.function_error = response.headers.Get("X-Amz-Function-Error").value_or("");
  o.body = response.body;
  o.json = json::parse(o.body, nullptr, /*allow_exceptions=*/false);
  if (auto log = response.headers.Get("X-Amz-Log-Result")) {
    o.log_tail = Base64Decode(*log).value_or("");
  }
  o.report = ParseReportLine(o.log_tail, o.request_id);
  return o;
}

std::string Describe(const Observation& o) {
  std::string out;
  if (o.http_status != 200) {
    out = "HTTP " + std::to_string(o.http_status) + " " + Shorten(o.body, 40);
  } else if (!o.function_error.empty()) {
    std::string type = o.ErrorType();
    out = o.function_error + " " + (type.empty() ? Shorten(o.body, 40) : type);
  } else {
    out = "ok " + Shorten(o.body, 40);
  }
  return out + DescribeReport(o);
}

Verdict CheckTimeout(const Observation& o, int64_t timeout_s) {
  Verdict v{Describe(o), {}};
  WantUnhandled(v, o, Name(LambdaError::kSandboxTimedout));
  char seconds[32];
  std::snprintf(seconds, sizeof(seconds), "%.2f", static_cast<double>(timeout_s));
  WantEqual(v, "errorMessage", o.ErrorMessage(),
            "RequestId: " + o.request_id + " Error: Task timed out after " + seconds + " seconds");
  WantReport(v, o, "timeout", "");
  return v;
}

Verdict CheckOutOfMemory(const Observation& o) {
  Verdict v{Describe(o), {}};
  WantUnhandled(v, o, Name(LambdaError::kRuntimeOutOfMemory));
  WantEqual(v, "errorMessage", o.ErrorMessage(),
            "RequestId: " + o.request_id + " Error: Runtime exited with error: signal: killed");
  WantReport(v, o, "error", Name(LambdaError::kRuntimeOutOfMemory));
  if (o.report.found) {
    v.observed += "; Max Memory Used " + std::to_string(o.report.max_memory_used_mb) + "/" +
                  std::to_string(o.report.memory_size_mb) + " MB";
    WantEqual(v, "REPORT Max Memory Used (MB, = Memory Size)", o.report.max_memory_used_mb,
              o.report.memory_size_mb);
  }
  return v;
}

Verdict CheckGoPanic(const Observation& o, std::string_view error_type,
                     std::string_view error_message) {
  Verdict v{Describe(o), {}};
  WantUnhandled(v, o, error_type);
  WantEqual(v, "errorMessage", o.ErrorMessage(), error_message);
  const json* trace = nullptr;
  if (o.json.is_object() && o.json.contains("stackTrace")) trace = &o.json["stackTrace"];
  if (trace == nullptr || !trace->is_array() || trace->empty()) {
    v.mismatches.emplace_back("stackTrace: missing or empty");
    return v;
  }
  bool frames_ok = true, has_handler = false;
  for (const json& frame : *trace) {
    if (!frame.is_object() || !frame.contains("path") || !frame.contains("line") ||
        !frame.contains("label")) {
      frames_ok = false;
      continue;
    }
    const json& path = frame["path"];
    if (frame["label"] == "handler" && path.is_string() &&
        path.get<std::string>().ends_with("main.go")) {
      has_handler = true;
    }
  }
  Want(v, frames_ok, "stackTrace: a frame is not a {path,line,label} object");
  Want(v, has_handler, "stackTrace: no frame of the function's handler (.../main.go)");
  v.observed = o.function_error + " " + o.ErrorType() + " \"" + Shorten(o.ErrorMessage(), 30) +
               "\" + " + std::to_string(trace->size()) + " frames" + DescribeReport(o);
  return v;
}

Verdict CheckExitError(const Observation& o, int exit_status) {
  Verdict v{Describe(o), {}};
  WantUnhandled(v, o, Name(LambdaError::kRuntimeExitError));
  WantEqual(v, "errorMessage", o.ErrorMessage(),
            "RequestId: " + o.request_id + " Error: Runtime exited with error: exit status " +
                std::to_string(exit_status));
  WantReport(v, o, "error", Name(LambdaError::kRuntimeExitError));
  return v;
}

Verdict CheckResponseTooLarge(const Observation& o) {
  Verdict v{Describe(o), {}};
  WantUnhandled(v, o, Name(LambdaError::kFunctionResponseSizeTooLarge));
  WantEqual(v, "errorMessage", o.ErrorMessage(), kResponseTooLargeMessage);
  return v;
}

Verdict CheckForkBomb(const Observation& o) {
  if (o.http_status == 200 && o.ErrorType() == Name(LambdaError::kSandboxTimedout)) {
    return {Describe(o), {}};
  }
  Verdict v;
  WantSuccess(v, o);
  std::string error = ResultError(o);
  v.observed = o.function_error.empty()
                   ? "started " + std::to_string(ResultInt(o, "started").value_or(-1)) +
                         ", error '" + Errno(error) + "'"
                   : Describe(o);
  Want(v, error.find("resource temporarily unavailable") != std::string::npos,
       "error: got '" + error + "', want EAGAIN (resource temporarily unavailable)");
  return v;
}

Verdict CheckTmpFill(const Observation& o) {
  Verdict v;
  WantSuccess(v, o);
  std::string error = ResultError(o);
  int64_t written = ResultInt(o, "written").value_or(-1);
  v.observed = o.function_error.empty() ? "wrote " + std::to_string(written / kMiB) +
                                              " MiB, error '" + Errno(error) + "'"
                                        : Describe(o);
  Want(v, error.find("no space left on device") != std::string::npos,
       "error: got '" + error + "', want ENOSPC (no space left on device)");
  Want(v, written >= kMinTmpFillBytes && written <= kMaxTmpFillBytes,
       "written: got " + std::to_string(written) + " bytes, want 400-520 MiB");
  return v;
}

Verdict CheckGoroutinesFrozen(const Observation& o) {
  Verdict v;
  WantSuccess(v, o);
  std::optional<int64_t> at_start = ResultInt(o, "counter_at_start");
  std::optional<int64_t> previous = ResultInt(o, "previous");
  if (!at_start || !previous) {
    v.observed = Describe(o);
    v.mismatches.push_back("body lacks counter_at_start/previous: " + Shorten(o.body));
    return v;
  }
  int64_t advance = *at_start - *previous;
  v.observed = "counter advanced " + std::to_string(advance) + " while idle";
  Want(v, advance < kMaxIdleCounterAdvance,
       "counter_at_start - previous: got " + std::to_string(advance) +
           ", want < 50 (the environment ran while idle; it should be frozen)");
  return v;
}

Verdict CheckSuccess(const Observation& o) {
  Verdict v{Describe(o), {}};
  WantSuccess(v, o);
  return v;
}

bool Recovered(const Observation& o) {
  if (o.http_status != 200 || !o.function_error.empty() || !o.json.is_object()) return false;
  auto it = o.json.find("ok");
  return it != o.json.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace thaw::cli
