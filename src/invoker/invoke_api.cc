#include "invoker/invoke_api.h"

#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "lambda/managed_runtime.h"
#include "trace/trace_header.h"

namespace thaw::invoker {

namespace {

constexpr uint64_t kSmallBodyBytes = uint64_t{64} * 1024;

}  // namespace

InvokeApi::InvokeApi(Invoker& invoker, AsyncQueue& queue, const lambda::Registry& registry,
                     const Clock& clock)
    : invoker_(invoker), queue_(queue), registry_(registry), clock_(clock) {}

std::optional<uint64_t> InvokeApi::BodyLimit(const http::Request& head) const {
  if (head.path == "/thaw/environments" && head.method == "GET") return kSmallBodyBytes;
  if (!InvokeTarget(head)) return std::nullopt;
  // Invoke checks the size itself (and answers in Lambda's words); a body over this is not read.
  return InvokeBodyLimit(head);
}

std::optional<auth::Operation> InvokeApi::Describe(const http::Request& request) const {
  using Plane = auth::Operation::Plane;
  if (request.path == "/thaw/environments" && request.method == "GET") {
    return auth::Operation{Plane::kThaw, "thaw:ListEnvironments", "*", ""};
  }
  std::optional<std::string> name = InvokeTarget(request);
  if (!name) return std::nullopt;
  return auth::Operation{
      Plane::kData, "lambda:InvokeFunction",
      auth::FunctionArn(*name, request.QueryParam("Qualifier").value_or(""), request.account),
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
  const std::string request_id = NewUuid();
  auto who = lambda::InvokePrincipal::Account(request.account.empty() ? std::string(auth::kAccount)
                                                                      : request.account);
  auto parsed = ParseInvoke(function_name, std::move(request), registry_);
  if (auto* error = std::get_if<InvokeError>(&parsed)) {
    return writer.Send(Render(request_id, *error));
  }
  InvokeRequest& invoke = std::get<InvokeRequest>(parsed);
  if (auto denied = lambda::AuthorizeInvoke(invoke.target, who)) {
    return writer.Send(Render(request_id, InvokeError{InvokeErrorType::kAccessDenied, *denied}));
  }
  switch (invoke.type) {
    case InvocationType::kDryRun:
      return writer.Send(
          Render(request_id, Accepted{InvocationType::kDryRun, invoke.target.executed_version}));
    case InvocationType::kEvent:
      return Enqueue(std::move(invoke), request_id, std::move(writer));
    case InvocationType::kRequestResponse:
      return Run(std::move(invoke), request_id, arrived_ns, std::move(writer));
  }
}

void InvokeApi::Enqueue(InvokeRequest request, const std::string& request_id,
                        http::ResponseWriter writer) {
  QueuedEvent event;
  event.request_id = request_id;
  event.function_name = request.target.config->key();
  event.qualifier = request.target.executed_version;
  event.payload = std::move(request.payload);
  event.trace_id = TraceOrNew(std::move(request.trace_header));
  event.received_ms = clock_.RealtimeMillis();
  // 202 only once the event is committed.
  auto shared = std::make_shared<http::ResponseWriter>(std::move(writer));
  queue_.Enqueue(std::move(event), [shared, request_id,
                                    version = request.target.executed_version](const Status& s) {
    if (!s.ok()) {
      shared->Send(Render(request_id, InvokeError{InvokeErrorType::kNotQueued, s.message()}));
      return;
    }
    shared->Send(Render(request_id, Accepted{InvocationType::kEvent, version}));
  });
}

void InvokeApi::Run(InvokeRequest request, const std::string& request_id, int64_t arrived_ns,
                    http::ResponseWriter writer) {
  runtime_api::Event event;
  event.request_id = request_id;
  event.payload = std::move(request.payload);
  event.trace_id = TraceOrNew(std::move(request.trace_header));
  event.client_context = std::move(request.client_context);
  std::string trace = event.trace_id;
  auto shared = std::make_shared<http::ResponseWriter>(std::move(writer));
  Status s = invoker_.Invoke(request.target, std::move(event), request.want_tail,
                             [shared, request_id, trace = std::move(trace)](InvokeResult result) {
                               if (result.trace_header.empty()) result.trace_header = trace;
                               shared->Send(Render(request_id, std::move(result)));
                             },
                             {.arrived_ns = arrived_ns});
  if (s.ok()) return;
  InvokeErrorType type = s.code() == StatusCode::kResourceExhausted
                             ? InvokeErrorType::kTooManyRequests
                             : InvokeErrorType::kNotStarted;
  if (IsRecursiveInvocation(s)) type = InvokeErrorType::kRecursiveInvocation;
  shared->Send(Render(request_id, InvokeError{type, s.message()}));
}

void EnqueueEvent(AsyncQueue& queue, const lambda::Registry& registry, const Clock& clock,
                  const lambda::InvokePrincipal& who, const std::string& function,
                  std::string payload, std::string trace_header, std::function<void(Status)> done) {
  StatusOr<lambda::Resolved> target = registry.Resolve(function, "");
  if (!target.ok()) return done(target.status());
  if (auto denied = lambda::AuthorizeInvoke(*target, who)) {
    return done(Status::PermissionDenied(*denied));
  }
  QueuedEvent event;
  event.request_id = NewUuid();
  event.function_name = target->config->key();
  event.qualifier = target->executed_version;
  event.payload = std::move(payload);
  event.trace_id = trace_header.empty()
                       ? trace::FormatTraceHeader(trace::NewTrace(clock.RealtimeMillis()))
                       : std::move(trace_header);
  event.received_ms = clock.RealtimeMillis();
  queue.Enqueue(std::move(event), std::move(done));
}

std::string InvokeApi::TraceOrNew(std::string trace_header) const {
  if (!trace_header.empty()) return trace_header;
  return trace::FormatTraceHeader(trace::NewTrace(clock_.RealtimeMillis()));
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
  // Lambda's RecursiveInvocationsDropped, DeadLetterErrors and DestinationDeliveryFailures
  // metrics, per function (thaw has no metrics API yet).
  auto per_function = [](const std::map<std::string, int64_t>& counts) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [function, count] : counts) out[function] = count;
    return out;
  };
  const DeliveryCounts& delivery = invoker_.delivery_counts();
  nlohmann::json body = {
      {"environments", list},
      {"busy", invoker_.busy()},
      {"asyncPending", queue_.pending()},
      {"recursiveInvocationsDropped", per_function(invoker_.recursive_drops())},
      {"deadLetterErrors", per_function(delivery.dead_letter_errors)},
      {"destinationDeliveryFailures", per_function(delivery.destination_delivery_failures)},
      {"retryDelayScale", queue_.delay_scale()}};
  // The interpreters the managed runtimes really run (probed once, at the server's start), so
  // that `thaw deploy -t` can say when python3.12 runs on a 3.11.
  nlohmann::json runtimes = nlohmann::json::object();
  for (const lambda::ManagedRuntime* runtime : lambda::HostManagedRuntimes()) {
    runtimes[runtime->family] = {{"version", runtime->version}, {"available", runtime->ok()}};
  }
  body["managedRuntimes"] = std::move(runtimes);
  writer.Send(http::Response::Json(
      200, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
}

}  // namespace thaw::invoker
