#include "invoker/invoke_api.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "http/aws_error.h"
#include "trace/trace_header.h"

namespace thaw::invoker {

namespace {

constexpr char kPrefix[] = "/2015-03-31/functions/";
constexpr char kSuffix[] = "/invocations";

constexpr uint64_t kSmallBodyBytes = 64 * 1024;

// The function name of an Invoke request, or nullopt when the request is not one.
std::optional<std::string> InvokeTarget(const http::Request& request) {
  const std::string& path = request.path;
  size_t prefix = sizeof(kPrefix) - 1, suffix = sizeof(kSuffix) - 1;
  if (request.method != "POST" || path.size() <= prefix + suffix ||
      path.compare(0, prefix, kPrefix) != 0 ||
      path.compare(path.size() - suffix, suffix, kSuffix) != 0) {
    return std::nullopt;
  }
  std::string name = path.substr(prefix, path.size() - prefix - suffix);
  if (name.find('/') != std::string::npos) return std::nullopt;
  return name;
}

http::Response WithRequestId(http::Response r, const std::string& id) {
  r.headers.Set("x-amzn-RequestId", id);
  return r;
}

}  // namespace

InvokeApi::InvokeApi(Invoker& invoker, AsyncQueue& queue, const lambda::Registry& registry,
                     const Clock& clock)
    : invoker_(invoker), queue_(queue), registry_(registry), clock_(clock) {}

std::optional<uint64_t> InvokeApi::BodyLimit(const http::Request& head) const {
  if (head.path == "/thaw/environments" && head.method == "GET") return kSmallBodyBytes;
  if (!InvokeTarget(head)) return std::nullopt;
  // Invoke checks the size itself (and answers in Lambda's words); a body over this is not read.
  return head.headers.Get("X-Amz-Invocation-Type").value_or("") == "Event" ? kMaxAsyncRequestBytes
                                                                           : kMaxSyncRequestBytes;
}

std::optional<auth::Operation> InvokeApi::Describe(const http::Request& request) const {
  using Plane = auth::Operation::Plane;
  if (request.path == "/thaw/environments" && request.method == "GET") {
    return auth::Operation{Plane::kThaw, "thaw:ListEnvironments", "*", ""};
  }
  std::optional<std::string> name = InvokeTarget(request);
  if (!name) return std::nullopt;
  return auth::Operation{Plane::kData, "lambda:InvokeFunction",
                         auth::FunctionArn(*name, request.QueryParam("Qualifier").value_or("")),
                         *name};
}

bool InvokeApi::Handle(http::Request& request, http::ResponseWriter& writer) {
  if (request.path == "/thaw/environments" && request.method == "GET") {
    Environments(std::move(writer));
    return true;
  }
  auto name = InvokeTarget(request);
  if (!name) return false;
  Invoke(request, *name, std::move(writer));
  return true;
}

void InvokeApi::Invoke(http::Request& request, const std::string& function_name,
                       http::ResponseWriter writer) {
  const int64_t arrived_ns = clock_.MonotonicNanos();  // for the invocation record
  std::string request_id = NewUuid();
  auto fail = [&](int status, std::string_view type, std::string_view message) {
    writer.Send(WithRequestId(http::RestJsonError(status, type, message), request_id));
  };
  std::string type(request.headers.Get("X-Amz-Invocation-Type").value_or("RequestResponse"));
  if (type != "RequestResponse" && type != "Event" && type != "DryRun") {
    return fail(400, "InvalidParameterValueException",
                "1 validation error detected: Value '" + type +
                    "' at 'invocationType' failed to satisfy constraint: Member must satisfy "
                    "enum value set: [Event, RequestResponse, DryRun]");
  }
  std::string log_type(request.headers.Get("X-Amz-Log-Type").value_or("None"));
  if (log_type != "None" && log_type != "Tail") {
    return fail(400, "InvalidParameterValueException",
                "1 validation error detected: Value '" + log_type +
                    "' at 'logType' failed to satisfy constraint: Member must satisfy enum value "
                    "set: [None, Tail]");
  }
  size_t limit = type == "Event" ? kMaxAsyncRequestBytes : kMaxSyncRequestBytes;
  if (request.oversized || request.body.size() > limit) {
    return fail(413, "RequestEntityTooLargeException",
                "Request must be smaller than " + std::to_string(limit) +
                    " bytes for the InvokeFunction operation");
  }
  std::string qualifier = request.QueryParam("Qualifier").value_or("");
  auto resolved = registry_.Resolve(function_name, qualifier);
  if (!resolved.ok()) {
    if (resolved.status().code() == StatusCode::kNotFound) {
      return fail(404, "ResourceNotFoundException", resolved.status().message());
    }
    return fail(400, "InvalidParameterValueException", resolved.status().message());
  }
  if (request.body.empty()) request.body = "{}";
  if (!nlohmann::json::accept(request.body)) {
    return fail(400, "InvalidRequestContentException",
                "Could not parse request body into json: Could not parse payload into json: "
                "Unexpected character or malformed JSON at the start of the payload");
  }
  std::string client_context;
  if (auto cc = request.headers.Get("X-Amz-Client-Context"); cc && !cc->empty()) {
    auto decoded = Base64Decode(*cc);
    if (!decoded || !nlohmann::json::accept(*decoded)) {
      return fail(400, "InvalidRequestContentException",
                  "Client context must be a valid Base64-encoded JSON object.");
    }
    client_context = std::move(*decoded);
  }
  std::string trace(request.headers.Get("X-Amzn-Trace-Id").value_or(""));
  if (trace.empty()) trace = trace::FormatTraceHeader(trace::NewTrace(clock_.RealtimeMillis()));

  if (type == "DryRun") {
    http::Response r;
    r.status = 204;
    r.headers.Set("X-Amz-Executed-Version", resolved->executed_version);
    return writer.Send(WithRequestId(std::move(r), request_id));
  }
  if (type == "Event") {
    QueuedEvent event;
    event.request_id = request_id;
    event.function_name = resolved->config->name;
    event.qualifier = resolved->executed_version;
    event.payload = std::move(request.body);
    event.trace_id = trace;
    event.received_ms = clock_.RealtimeMillis();
    // 202 only once the event is committed.
    auto shared = std::make_shared<http::ResponseWriter>(std::move(writer));
    queue_.Enqueue(std::move(event), [shared, request_id,
                                      version = resolved->executed_version](const Status& s) {
      if (!s.ok()) {
        shared->Send(WithRequestId(
            http::RestJsonError(500, "ServiceException", s.message(), "Service"), request_id));
        return;
      }
      http::Response r;
      r.status = 202;
      r.headers.Set("X-Amz-Executed-Version", version);
      shared->Send(WithRequestId(std::move(r), request_id));
    });
    return;
  }
  runtime_api::Event event;
  event.request_id = request_id;
  event.payload = std::move(request.body);
  event.trace_id = trace;
  event.client_context = std::move(client_context);
  auto shared_writer = std::make_shared<http::ResponseWriter>(std::move(writer));
  Status s = invoker_.Invoke(
      *resolved, std::move(event), log_type == "Tail",
      [shared_writer, request_id, trace](InvokeResult result) {
        http::Response r;
        r.status = 200;
        r.headers.Set("Content-Type", result.content_type);
        r.headers.Set("X-Amz-Executed-Version", result.executed_version);
        r.headers.Set("X-Amzn-Trace-Id", result.trace_header.empty() ? trace : result.trace_header);
        if (result.function_error) r.headers.Set("X-Amz-Function-Error", "Unhandled");
        if (!result.log_tail.empty()) {
          r.headers.Set("X-Amz-Log-Result", Base64Encode(result.log_tail));
        }
        r.body = std::move(result.body);
        shared_writer->Send(WithRequestId(std::move(r), request_id));
      },
      {.arrived_ns = arrived_ns});
  if (s.ok()) return;
  if (s.code() == StatusCode::kResourceExhausted) {
    nlohmann::json body = {
        {"Reason", s.message()}, {"Type", "User"}, {"message", "Rate Exceeded."}};
    http::Response r = http::Response::Json(
        429, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    r.headers.Set("x-amzn-ErrorType", "TooManyRequestsException");
    r.headers.Set("Retry-After", "1");
    return shared_writer->Send(WithRequestId(std::move(r), request_id));
  }
  shared_writer->Send(WithRequestId(
      http::RestJsonError(503, "ServiceException", s.message(), "Service"), request_id));
}

void InvokeApi::Environments(http::ResponseWriter writer) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : invoker_.Snapshot()) {
    list.push_back({{"function", e.function},
                    {"version", e.version},
                    {"id", e.id},
                    {"state", e.state},
                    {"pid", e.pid},
                    {"runtimeApiPort", e.runtime_api_port},
                    {"logStream", e.log_stream},
                    {"requestId", e.request_id},
                    {"invocations", e.invocations},
                    {"sandboxed", e.sandboxed},
                    {"mechanism", e.mechanism},
                    {"frozen", e.frozen},
                    {"maxMemoryKiB", e.max_memory_kib},
                    {"lastInvocationMemoryKiB", e.last_invocation_memory_kib},
                    {"lastCpuNs", e.last_cpu_ns},
                    {"lastFreezeNs", e.last_freeze_ns},
                    {"lastThawNs", e.last_thaw_ns}});
  }
  nlohmann::json body = {
      {"environments", list}, {"busy", invoker_.busy()}, {"asyncPending", queue_.pending()}};
  writer.Send(http::Response::Json(
      200, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
}

}  // namespace thaw::invoker
