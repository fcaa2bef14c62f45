#include "invoker/stream_api.h"

#include <string_view>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "http/event_stream.h"
#include "invoker/invoke_request.h"
#include "lambda/invoke_permission.h"
#include "trace/trace_header.h"

namespace thaw::invoker {

namespace {

constexpr std::string_view kPrefix = "/2021-11-15/functions/";
constexpr std::string_view kSuffix = "/response-streaming-invocations";

}  // namespace

std::optional<std::string> StreamTarget(const http::Request& request) {
  return FunctionInPostPath(request, kPrefix, kSuffix);
}

std::string InvokeCompletePayload(const InvokeResult& result) {
  nlohmann::json out = nlohmann::json::object();
  if (result.function_error) {
    auto error = nlohmann::json::parse(result.body, nullptr, false);
    if (error.is_object() && error.contains("errorType") && error["errorType"].is_string()) {
      out["ErrorCode"] = error["errorType"];
      out["ErrorDetails"] = error.value("errorMessage", std::string());
    } else {
      out["ErrorCode"] = "Unhandled";
      out["ErrorDetails"] = result.body;
    }
  }
  if (!result.log_tail.empty()) out["LogResult"] = Base64Encode(result.log_tail);
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

EventStreamSink::EventStreamSink(http::ResponseWriter writer, std::string request_id,
                                 std::string version)
    : writer_(std::move(writer)),
      request_id_(std::move(request_id)),
      version_(std::move(version)) {}

void EventStreamSink::Begin() {
  if (started_) return;
  started_ = true;
  http::Response head;
  head.status = 200;
  head.headers.Set("Content-Type", "application/vnd.amazon.eventstream");
  head.headers.Set("X-Amz-Executed-Version", version_);
  head.headers.Set("x-amzn-RequestId", request_id_);
  stream_ = writer_.Stream(std::move(head));
}

void EventStreamSink::OnStart(const std::string& content_type) {
  (void)content_type;  // the event stream carries bytes; AWS does not pass it on
  streamed_ = true;
  Begin();
}

void EventStreamSink::OnChunk(std::string data) {
  Begin();
  if (data.empty()) return;
  stream_.Write(http::EncodeEvent("PayloadChunk", "application/octet-stream", data));
}

void EventStreamSink::OnEnd(InvokeResult result) {
  Begin();
  if (!streamed_ && !result.function_error && !result.body.empty()) {
    stream_.Write(http::EncodeEvent("PayloadChunk", "application/octet-stream", result.body));
  }
  stream_.Write(
      http::EncodeEvent("InvokeComplete", "application/json", InvokeCompletePayload(result)));
  stream_.End();
}

StreamApi::StreamApi(Invoker& invoker, const lambda::Registry& registry, const Clock& clock)
    : invoker_(invoker), registry_(registry), clock_(clock) {}

std::optional<uint64_t> StreamApi::BodyLimit(const http::Request& head) const {
  if (!StreamTarget(head)) return std::nullopt;
  return kMaxSyncRequestBytes;
}

std::optional<auth::Operation> StreamApi::Describe(const http::Request& request) const {
  std::optional<std::string> name = StreamTarget(request);
  if (!name) return std::nullopt;
  // IAM authorizes InvokeWithResponseStream as lambda:InvokeFunction.
  return auth::Operation{
      auth::Operation::Plane::kData, "lambda:InvokeFunction",
      auth::FunctionArn(*name, request.QueryParam("Qualifier").value_or(""), request.account),
      *name};
}

bool StreamApi::Handle(http::Request& request, http::ResponseWriter& writer) {
  auto name = StreamTarget(request);
  if (!name) return false;
  const int64_t arrived_ns = clock_.MonotonicNanos();
  const std::string request_id = NewUuid();
  auto who = lambda::InvokePrincipal::Account(request.account.empty() ? std::string(auth::kAccount)
                                                                      : request.account);
  auto parsed = ParseInvoke(*name, std::move(request), registry_);
  if (auto* error = std::get_if<InvokeError>(&parsed)) {
    writer.Send(Render(request_id, *error));
    return true;
  }
  InvokeRequest& invoke = std::get<InvokeRequest>(parsed);
  if (auto denied = lambda::AuthorizeInvoke(invoke.target, who)) {
    writer.Send(Render(request_id, InvokeError{InvokeErrorType::kAccessDenied, *denied}));
    return true;
  }
  if (invoke.type == InvocationType::kDryRun) {
    writer.Send(
        Render(request_id, Accepted{InvocationType::kDryRun, invoke.target.executed_version}));
    return true;
  }
  if (invoke.type != InvocationType::kRequestResponse) {
    writer.Send(Render(request_id, InvokeError{InvokeErrorType::kInvalidParameterValue,
                                               "Unsupported invocation type Event"}));
    return true;
  }
  runtime_api::Event event;
  event.request_id = request_id;
  event.payload = std::move(invoke.payload);
  event.trace_id = invoke.trace_header.empty()
                       ? trace::FormatTraceHeader(trace::NewTrace(clock_.RealtimeMillis()))
                       : std::move(invoke.trace_header);
  event.client_context = std::move(invoke.client_context);
  auto sink = std::make_shared<EventStreamSink>(std::move(writer), request_id,
                                                invoke.target.executed_version);
  InvokeOrigin origin;
  origin.arrived_ns = arrived_ns;
  Status s =
      invoker_.Invoke(invoke.target, std::move(event), invoke.want_tail, nullptr, origin, sink);
  // The 200 head goes out with the first event (OnStart, OnChunk or OnEnd).
  if (s.ok()) return true;
  InvokeErrorType type = s.code() == StatusCode::kResourceExhausted
                             ? InvokeErrorType::kTooManyRequests
                             : InvokeErrorType::kNotStarted;
  if (IsRecursiveInvocation(s)) type = InvokeErrorType::kRecursiveInvocation;
  // Not started: the writer is still the sink's, unanswered.
  sink->Fail(Render(request_id, InvokeError{type, s.message()}));
  return true;
}

}  // namespace thaw::invoker
