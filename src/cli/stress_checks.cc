#include "cli/stress_checks.h"

#include <cstdio>
#include <optional>
#include <string_view>
#include <utility>

#include "base/codec.h"
#include "base/lambda_error.h"
#include "invoker/async_queue.h"
#include "trace/trace_header.h"

namespace thaw::cli {

namespace {

using nlohmann::json;

constexpr char kResponseTooLargeMessage[] =
    "Response payload size exceeded maximum allowed payload size (6291556 bytes).";
constexpr int64_t kMiB = 1 << 20;
constexpr int64_t kMinTmpFillBytes = 400 * kMiB;
constexpr int64_t kMaxTmpFillBytes = 520 * kMiB;
constexpr int64_t kMaxIdleCounterAdvance = 50;  // stamps of 1 ms
// A retry may start this much before its delay is up (the record's start and duration are the
// function's, the delay runs from the server's end of the attempt; on a loaded host the two
// clocks were seen 140 ms apart) ...
constexpr double kEarlyMs = 250;
// ... and this much (plus half the delay) after it: a loaded host, a cold start.
constexpr double kLateMs = 2000;

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

std::string Text(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string Seconds(double ms) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f s", ms / 1000);
  return text;
}

// "2019-11-14T18:16:05.568Z"
bool IsIsoMillis(std::string_view t) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (t.size() != kShape.size()) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    if (kShape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != kShape[i]) return false;
  }
  return true;
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

Verdict CheckScriptError(const Observation& o, std::string_view language,
                         std::string_view handler) {
  Verdict v{Describe(o), {}};
  const bool python = language == "python";
  WantUnhandled(v, o, python ? "Exception" : "Error");
  WantEqual(v, "errorMessage", o.ErrorMessage(), "boom");
  const char* key = python ? "stackTrace" : "trace";
  const json* trace = nullptr;
  if (o.json.is_object() && o.json.contains(key)) trace = &o.json[key];
  if (trace == nullptr || !trace->is_array() || trace->empty()) {
    v.mismatches.push_back(std::string(key) + ": missing or empty");
    return v;
  }
  bool strings = true, has_handler = false;
  for (const json& line : *trace) {
    if (!line.is_string()) {
      strings = false;
      continue;
    }
    const std::string& text = line.get_ref<const std::string&>();
    if (python) {
      has_handler = has_handler || (text.find("File \"/var/task/app.py\"") != std::string::npos &&
                                    text.find("in " + std::string(handler)) != std::string::npos);
    } else {
      has_handler = has_handler || text.find("/var/task/index.js:") != std::string::npos;
    }
  }
  Want(v, strings, std::string(key) + ": a line is not a string");
  Want(v, has_handler,
       std::string(key) + ": no line of the handler (" +
           (python ? "File \"/var/task/app.py\" ... in " + std::string(handler)
                   : std::string("/var/task/index.js")) +
           ")");
  if (!python && (*trace)[0] != "Error: boom") {
    v.mismatches.emplace_back("trace: the first line is not 'Error: boom'");
  }
  v.observed = o.function_error + " " + o.ErrorType() + " \"" + Shorten(o.ErrorMessage(), 30) +
               "\" + " + std::to_string(trace->size()) + " " + key + " lines" + DescribeReport(o);
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

AttemptRecord ParseAttemptRecord(const json& record) {
  AttemptRecord r;
  r.request_id = Text(record, "requestId");
  r.status = Text(record, "status");
  r.error_type = Text(record, "errorType");
  if (record.is_object()) {
    r.start_ms = record.value("startTime", int64_t{0});
    auto d = record.find("durationMs");
    if (d != record.end() && d->is_number()) r.duration_ms = d->get<double>();
  }
  return r;
}

QueueMessage ParseQueueMessage(const json& message) {
  QueueMessage m;
  m.body = Text(message, "Body");
  if (!message.is_object()) return m;
  auto attrs = message.find("MessageAttributes");
  if (attrs != message.end() && attrs->is_object()) {
    for (const auto& [name, value] : attrs->items()) {
      m.attributes[name] = {Text(value, "DataType"), Text(value, "StringValue")};
    }
  }
  auto system = message.find("Attributes");
  if (system != message.end() && system->is_object()) {
    m.receive_count = ParseInt(Text(*system, "ApproximateReceiveCount")).value_or(0);
  }
  return m;
}

Verdict CheckAsyncAttempts(const std::vector<AttemptRecord>& attempts, const AsyncFailure& want) {
  Verdict v;
  WantEqual(v, "attempts", static_cast<int64_t>(attempts.size()), want.max_retry_attempts + 1);
  v.observed = std::to_string(attempts.size()) + " attempts";
  for (size_t i = 0; i < attempts.size(); ++i) {
    const AttemptRecord& a = attempts[i];
    std::string which = "attempt " + std::to_string(i + 1);
    WantEqual(v, which + " status", a.status, want.status);
    WantEqual(v, which + " REPORT Error Type", a.error_type, want.report_error);
    if (i == 0) continue;
    const AttemptRecord& prev = attempts[i - 1];
    double gap = static_cast<double>(a.start_ms - prev.start_ms) - prev.duration_ms;
    auto delay = static_cast<double>(
        invoker::FunctionErrorDelay(static_cast<int>(i), want.delay_scale).count());
    v.observed += (i == 1 ? " (+" : ", +") + Seconds(gap);
    if (gap < delay - kEarlyMs || gap > delay * 1.5 + kLateMs) {
      v.mismatches.push_back(which + " started " + Seconds(gap) + " after attempt " +
                             std::to_string(i) + " ended, want about " + Seconds(delay));
    }
  }
  if (attempts.size() > 1) v.observed += ")";
  return v;
}

Verdict CheckFailureRecord(const std::string& body, const AsyncFailure& want) {
  Verdict v;
  json record = json::parse(body, nullptr, false);
  if (!record.is_object()) {
    v.observed = "OnFailure: not JSON";
    v.mismatches.push_back("OnFailure record is not a JSON object: " + Shorten(body));
    return v;
  }
  const json empty = json::object();
  const json& context = record.contains("requestContext") ? record["requestContext"] : empty;
  const json& response = record.contains("responseContext") ? record["responseContext"] : empty;
  int64_t count = context.is_object() ? context.value("approximateInvokeCount", int64_t{-1}) : -1;
  v.observed = "OnFailure " + Text(context, "condition") + " x" + std::to_string(count);
  WantEqual(v, "record version", Text(record, "version"), "1.0");
  Want(v, IsIsoMillis(Text(record, "timestamp")),
       "record timestamp: got '" + Text(record, "timestamp") + "', want 2019-11-14T18:16:05.568Z");
  WantEqual(v, "requestContext.requestId", Text(context, "requestId"), want.request_id);
  WantEqual(v, "requestContext.functionArn", Text(context, "functionArn"), want.function_arn);
  WantEqual(v, "requestContext.condition", Text(context, "condition"), "RetriesExhausted");
  WantEqual(v, "requestContext.approximateInvokeCount", count, want.max_retry_attempts + 1);
  Want(v, record.contains("requestPayload") && record["requestPayload"] == want.payload,
       "requestPayload: got " + Shorten(record.value("requestPayload", json()).dump()) + ", want " +
           want.payload.dump());
  int64_t status = response.is_object() ? response.value("statusCode", int64_t{-1}) : -1;
  WantEqual(v, "responseContext.statusCode", status, 200);
  WantEqual(v, "responseContext.executedVersion", Text(response, "executedVersion"), "$LATEST");
  WantEqual(v, "responseContext.functionError", Text(response, "functionError"), "Unhandled");
  const json& payload = record.contains("responsePayload") ? record["responsePayload"] : empty;
  WantEqual(v, "responsePayload.errorType", Text(payload, "errorType"), want.error_type);
  return v;
}

Verdict CheckDeadLetter(const QueueMessage& m, const AsyncFailure& want) {
  Verdict v;
  v.observed = "DLQ";
  json body = json::parse(m.body, nullptr, false);
  Want(v, body == want.payload,
       "DLQ body: got '" + Shorten(m.body) + "', want the event " + want.payload.dump());
  auto attribute = [&](const std::string& name) {
    auto it = m.attributes.find(name);
    return it == m.attributes.end() ? std::pair<std::string, std::string>() : it->second;
  };
  auto [id_type, id] = attribute("RequestID");
  auto [code_type, code] = attribute("ErrorCode");
  auto [message_type, message] = attribute("ErrorMessage");
  WantEqual(v, "DLQ RequestID", id_type + " " + id, "String " + want.request_id);
  WantEqual(v, "DLQ ErrorCode", code_type + " " + code, "Number 200");
  WantEqual(v, "DLQ ErrorMessage type", message_type, "String");
  Want(v, !message.empty() && message.size() <= 1024,
       "DLQ ErrorMessage: got " + std::to_string(message.size()) + " bytes, want 1-1024");
  if (v.pass()) v.observed += " RequestID, ErrorCode " + code + ", ErrorMessage";
  return v;
}

Verdict CheckPoisonCycles(const std::vector<AttemptRecord>& invocations,
                          const QueueMessage* dead_letter, const PoisonCycle& want) {
  Verdict v;
  v.observed = std::to_string(invocations.size()) + " receives";
  WantEqual(v, "invocations (= maxReceiveCount)", static_cast<int64_t>(invocations.size()),
            want.max_receive_count);
  const double visibility_ms = static_cast<double>(want.visibility_timeout_s) * 1000;
  for (size_t i = 0; i < invocations.size(); ++i) {
    std::string which = "receive " + std::to_string(i + 1);
    WantEqual(v, which + " status", invocations[i].status, want.status);
    WantEqual(v, which + " REPORT Error Type", invocations[i].error_type, want.report_error);
    if (i == 0) continue;
    // The message is invisible for the visibility timeout from its receive, just before the
    // invocation starts; the poller takes it again as soon as it is visible.
    double gap = static_cast<double>(invocations[i].start_ms - invocations[i - 1].start_ms);
    v.observed += (i == 1 ? " (+" : ", +") + Seconds(gap);
    if (gap < visibility_ms - kEarlyMs ||
        gap > std::max(visibility_ms, invocations[i - 1].duration_ms) + kLateMs) {
      v.mismatches.push_back(which + " came " + Seconds(gap) + " after the previous one, want " +
                             "one visibility timeout (" + Seconds(visibility_ms) + ")");
    }
  }
  if (invocations.size() > 1) v.observed += ")";
  if (dead_letter == nullptr) {
    v.observed += ", not in the DLQ";
    v.mismatches.emplace_back("the message did not reach the queue's DLQ");
  } else {
    v.observed += ", DLQ (ReceiveCount " + std::to_string(dead_letter->receive_count) + ")";
  }
  return v;
}

Verdict CheckRecursionStopped(int64_t invocations, int64_t drops_before, int64_t drops_after,
                              const QueueMessage* dead_letter) {
  Verdict v;
  v.observed = std::to_string(invocations) + " hops, " +
               std::to_string(drops_after - drops_before) + " dropped";
  WantEqual(v, "invocations of the chain", invocations, trace::kMaxRecursiveInvocations);
  Want(v, drops_after > drops_before, "recursiveInvocationsDropped did not grow");
  std::string want_body = json{{"hop", trace::kMaxRecursiveInvocations + 1}}.dump();
  if (dead_letter == nullptr) {
    v.observed += ", not in the DLQ";
    v.mismatches.push_back("the dropped event (" + want_body + ") did not reach the DLQ");
  } else {
    json body = json::parse(dead_letter->body, nullptr, false);
    v.observed += ", DLQ " + Shorten(dead_letter->body, 20);
    Want(v, body == json::parse(want_body),
         "DLQ body: got '" + Shorten(dead_letter->body) + "', want " + want_body);
  }
  return v;
}

std::string XmlElementText(std::string_view xml, std::string_view tag) {
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  size_t begin = xml.find(open);
  if (begin == std::string_view::npos) return "";
  begin += open.size();
  size_t end = xml.find(close, begin);
  if (end == std::string_view::npos) return "";
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  std::string_view text = xml.substr(begin, end - begin);
  for (size_t i = 0; i < text.size(); ++i) {
    bool decoded = false;
    for (const auto& [entity, c] : kEntities) {
      if (text.substr(i).starts_with(entity)) {
        out.push_back(c);
        i += entity.size() - 1;
        decoded = true;
        break;
      }
    }
    if (!decoded) out.push_back(text[i]);
  }
  return out;
}

std::optional<std::string> SnsMessage(const json& event) {
  if (!event.is_object() || !event.contains("Records") || !event["Records"].is_array() ||
      event["Records"].empty()) {
    return std::nullopt;
  }
  const json& record = event["Records"][0];
  if (Text(record, "EventSource") != "aws:sns" || !record.contains("Sns")) return std::nullopt;
  return Text(record["Sns"], "Message");
}

Verdict CheckSnsEvent(const json& event, const SnsDelivery& want) {
  Verdict v;
  if (!event.is_object() || !event.contains("Records") || !event["Records"].is_array()) {
    v.observed = "not an SNSEvent";
    v.mismatches.push_back("the event has no Records: " + Shorten(event.dump()));
    return v;
  }
  WantEqual(v, "Records", static_cast<int64_t>(event["Records"].size()), 1);
  if (event["Records"].empty()) return v;
  const json& record = event["Records"][0];
  const json empty = json::object();
  const json& sns = record.is_object() && record.contains("Sns") ? record["Sns"] : empty;
  WantEqual(v, "EventVersion", Text(record, "EventVersion"), "1.0");
  WantEqual(v, "EventSource", Text(record, "EventSource"), "aws:sns");
  WantEqual(v, "EventSubscriptionArn", Text(record, "EventSubscriptionArn"), want.subscription_arn);
  WantEqual(v, "Sns.Type", Text(sns, "Type"), "Notification");
  WantEqual(v, "Sns.MessageId", Text(sns, "MessageId"), want.message_id);
  WantEqual(v, "Sns.TopicArn", Text(sns, "TopicArn"), want.topic_arn);
  WantEqual(v, "Sns.Message", Text(sns, "Message"), want.message);
  if (want.subject.empty()) {
    Want(v, sns.contains("Subject") && sns["Subject"].is_null(),
         "Sns.Subject: got " + Shorten(sns.value("Subject", json("(absent)")).dump()) +
             ", want null");
  } else {
    WantEqual(v, "Sns.Subject", Text(sns, "Subject"), want.subject);
  }
  Want(v, IsIsoMillis(Text(sns, "Timestamp")),
       "Sns.Timestamp: got '" + Text(sns, "Timestamp") + "', want 2019-01-02T12:45:07.000Z");
  WantEqual(v, "Sns.SignatureVersion", Text(sns, "SignatureVersion"), "1");
  Want(v, Base64Decode(Text(sns, "Signature")).value_or("").size() >= 64,
       "Sns.Signature: got '" + Shorten(Text(sns, "Signature")) + "', want an RSA signature");
  Want(v, Text(sns, "SigningCertUrl").starts_with("http"),
       "Sns.SigningCertUrl: got '" + Text(sns, "SigningCertUrl") + "', want a URL");
  std::string unsubscribe = Text(sns, "UnsubscribeUrl");
  Want(v,
       unsubscribe.find("Action=Unsubscribe") != std::string::npos &&
           unsubscribe.find("SubscriptionArn=") != std::string::npos,
       "Sns.UnsubscribeUrl: got '" + unsubscribe +
           "', want ...?Action=Unsubscribe&SubscriptionArn=");
  Want(v, !sns.contains("SigningCertURL") && !sns.contains("UnsubscribeURL"),
       "Sns: the SQS envelope's SigningCertURL/UnsubscribeURL spellings in a Lambda event");
  const json& attributes = sns.contains("MessageAttributes") ? sns["MessageAttributes"] : empty;
  for (const auto& [name, type_value] : want.attributes) {
    const json& a = attributes.is_object() && attributes.contains(name) ? attributes[name] : empty;
    WantEqual(v, "Sns.MessageAttributes." + name, Text(a, "Type") + " " + Text(a, "Value"),
              type_value.first + " " + type_value.second);
  }
  v.observed = v.pass() ? "SNSEvent ok"
                        : "SNSEvent: " + std::to_string(v.mismatches.size()) + " differences";
  return v;
}

// ---- Through a stream ------------------------------------------------------------------------

namespace {

int64_t Int(const json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

bool Covers(const ShardInvocation& i, const std::string& seq) {
  return !SequenceLess(seq, i.first_seq) && !SequenceLess(i.last_seq, seq);
}

// Whether `seq` was delivered in an OK invocation among invocations[from...].
bool DeliveredOk(const std::vector<ShardInvocation>& invocations, size_t from,
                 const std::string& seq) {
  for (size_t i = from; i < invocations.size(); ++i) {
    if (invocations[i].result == "OK" && Covers(invocations[i], seq)) return true;
  }
  return false;
}

}  // namespace

std::vector<ShardInvocation> ParseShardInvocations(const json& shard) {
  std::vector<ShardInvocation> out;
  if (!shard.is_object() || !shard.contains("Invocations") || !shard["Invocations"].is_array()) {
    return out;
  }
  for (const json& i : shard["Invocations"]) {
    out.push_back({Text(i, "RequestId"), Text(i, "FirstSequenceNumber"),
                   Text(i, "LastSequenceNumber"), Int(i, "Records"), Text(i, "Result")});
  }
  return out;
}

bool SequenceLess(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

Verdict CheckShardBlocked(const std::vector<ShardInvocation>& invocations,
                          const std::string& failing_seq, const std::vector<std::string>& later,
                          int max_retry_attempts) {
  Verdict v;
  size_t attempts = 0;
  while (attempts < invocations.size() && invocations[attempts].first_seq == failing_seq) {
    const ShardInvocation& i = invocations[attempts];
    Want(v, i.result != "OK",
         "attempt " + std::to_string(attempts + 1) + " of the failing record answered OK");
    for (const std::string& seq : later) {
      Want(v, !Covers(i, seq), "a record after the failing one rode in its batch: " + seq);
    }
    ++attempts;
  }
  WantEqual(v, "invocations of the failing record's batch", static_cast<int64_t>(attempts),
            max_retry_attempts + 1);
  size_t delivered = 0;
  for (const std::string& seq : later) delivered += DeliveredOk(invocations, attempts, seq) ? 1 : 0;
  WantEqual(v, "records after it delivered once it was given up", static_cast<int64_t>(delivered),
            static_cast<int64_t>(later.size()));
  v.observed = std::to_string(attempts) + " attempts blocking the shard (" +
               (attempts > 0 ? invocations[0].result : std::string("none")) + "), then " +
               std::to_string(delivered) + "/" + std::to_string(later.size()) + " after it OK";
  return v;
}

Verdict CheckBisected(const std::vector<ShardInvocation>& invocations,
                      const std::string& poison_seq, const std::vector<std::string>& others,
                      int64_t bisections) {
  Verdict v;
  Want(v, bisections > 0, "no bisection counted in /thaw/esm");
  bool alone = false;
  for (const ShardInvocation& i : invocations) {
    alone = alone || (i.first_seq == poison_seq && i.last_seq == poison_seq && i.result != "OK");
  }
  Want(v, alone, "no failed invocation of the poison record alone");
  size_t delivered = 0;
  for (const std::string& seq : others) {
    bool ok = DeliveredOk(invocations, 0, seq);
    delivered += ok ? 1 : 0;
    Want(v, ok, "record " + seq + " was not delivered");
  }
  v.observed = std::to_string(invocations.size()) + " batches, " + std::to_string(bisections) +
               " bisections, poison alone " + (alone ? "failed" : "never") + ", " +
               std::to_string(delivered) + "/" + std::to_string(others.size()) + " others OK";
  return v;
}

Verdict CheckStreamFailureRecord(const std::string& body, const StreamFailure& want) {
  Verdict v;
  json record = json::parse(body, nullptr, false);
  if (!record.is_object()) {
    v.observed = "OnFailure: not JSON";
    v.mismatches.push_back("OnFailure record is not a JSON object: " + Shorten(body));
    return v;
  }
  WantEqual(v, "version", Text(record, "version"), "1.0");
  Want(v, IsIsoMillis(Text(record, "timestamp")), "timestamp is not ISO 8601 with milliseconds");
  const json context = record.value("requestContext", json::object());
  WantEqual(v, "requestContext.functionArn", Text(context, "functionArn"), want.function_arn);
  WantEqual(v, "requestContext.condition", Text(context, "condition"), want.condition);
  WantEqual(v, "requestContext.approximateInvokeCount", Int(context, "approximateInvokeCount"),
            want.invokes);
  WantEqual(v, "responseContext.functionError",
            Text(record.value("responseContext", json::object()), "functionError"), "Unhandled");
  Want(v, record.contains(want.info_name), "no " + want.info_name + " in the OnFailure record");
  const json info = record.value(want.info_name, json::object());
  WantEqual(v, want.info_name + ".streamArn", Text(info, "streamArn"), want.stream_arn);
  Want(v, !Text(info, "shardId").empty(), want.info_name + ".shardId is empty");
  WantEqual(v, want.info_name + ".startSequenceNumber", Text(info, "startSequenceNumber"),
            want.start_seq);
  WantEqual(v, want.info_name + ".endSequenceNumber", Text(info, "endSequenceNumber"),
            want.end_seq);
  WantEqual(v, want.info_name + ".batchSize", Int(info, "batchSize"), want.batch_size);
  Want(v, !Text(info, "approximateArrivalOfFirstRecord").empty(),
       want.info_name + ".approximateArrivalOfFirstRecord is empty");
  v.observed = "OnFailure " + Text(context, "condition") + " x" +
               std::to_string(Int(context, "approximateInvokeCount")) + ", " + want.info_name +
               " " + std::to_string(Int(info, "batchSize")) + " record";
  return v;
}

ShardSample ParseShardSample(const json& shard, int64_t at_ms) {
  return {at_ms, Int(shard, "Records"), Int(shard, "RecordsBehind"), Int(shard, "IteratorAgeMs"),
          Int(shard, "Batches")};
}

Verdict CheckBombGrowth(const std::vector<ShardSample>& enabled,
                        const std::vector<ShardSample>& stopped) {
  Verdict v;
  if (enabled.size() < 2 || stopped.size() < 2) {
    v.observed = "too few samples";
    v.mismatches.emplace_back("fewer than 2 samples of /thaw/esm before or after disabling");
    return v;
  }
  const ShardSample& first = enabled.front();
  const ShardSample& last = enabled.back();
  Want(v, last.records > first.records, "the records delivered did not grow while enabled");
  Want(v, last.behind > first.behind || last.iterator_age_ms > first.iterator_age_ms,
       "neither records behind nor the iterator age grew while enabled");
  Want(v, stopped.back().batches == stopped.front().batches,
       "batches still ran after the mapping was disabled");
  v.observed = "records " + std::to_string(first.records) + " -> " + std::to_string(last.records) +
               " in " + Seconds(static_cast<double>(last.at_ms)) + ", behind " +
               std::to_string(first.behind) + " -> " + std::to_string(last.behind) + ", age " +
               std::to_string(first.iterator_age_ms) + " -> " +
               std::to_string(last.iterator_age_ms) + " ms; disabled: " +
               (stopped.back().batches == stopped.front().batches ? "stopped" : "still running");
  return v;
}

}  // namespace thaw::cli
