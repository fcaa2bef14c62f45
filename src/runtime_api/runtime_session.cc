#include "runtime_api/runtime_session.h"

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "base/lambda_error.h"
#include "base/log.h"
#include "runtime_api/protocol.h"

namespace thaw::runtime_api {

namespace {

// The error types of the Extensions API's own answers (the RIE's rapi/handler constants); not
// Lambda error types, so they stay out of base/lambda_error.h.
constexpr char kMissingExtensionName[] = "Extension.MissingExtensionName";
constexpr char kExtensionInvalidState[] = "Extension.InvalidState";
constexpr char kTooManyExtensions[] = "Extension.TooManyExtensions";
constexpr char kAlreadyRegistered[] = "Extension.AlreadyRegistered";
constexpr char kMissingExtensionIdentifier[] = "Extension.MissingExtensionIdentifier";
constexpr char kInvalidExtensionIdentifier[] = "Extension.InvalidExtensionIdentifier";

http::Response ErrorReply(int status, std::string_view type, std::string_view message) {
  nlohmann::json body = {{"errorMessage", std::string(message)}, {"errorType", std::string(type)}};
  return http::Response::Json(
      status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

http::Response Accepted() { return http::Response::Json(202, "{\"status\":\"OK\"}\n"); }

http::Response Transition(RuntimeState from, std::string_view to) {
  return ErrorReply(403, "InvalidStateTransition",
                    std::string("State transition from ") + RuntimeStateName(from) + " to " +
                        std::string(to) +
                        " failed for runtime. Error: State transition is not allowed");
}

}  // namespace

const char* RuntimeStateName(RuntimeState state) {
  switch (state) {
    case RuntimeState::kStarted:
      return "Started";
    case RuntimeState::kReady:
      return "Ready";
    case RuntimeState::kRunning:
      return "Running";
    case RuntimeState::kResponseSent:
      return "ResponseSent";
    case RuntimeState::kInitError:
      return "InitError";
  }
  return "Unknown";
}

// Reads a streamed /response for the session while it is current: counts, caps and paces it.
// The HTTP connection may outlive the session, or the invocation (a reset): then it is detached
// and what still arrives is dropped.
class RuntimeSession::ResponseStream final : public http::BodyStream {
 public:
  ResponseStream(RuntimeSession* session, StreamLimits limits)
      : session_(session), limits_(limits) {}

  void Detach() { session_ = nullptr; }
  bool oversized() const { return oversized_; }

  int64_t OnBodyData(std::string data) override {
    if (!session_) return 0;
    size_t before = total_;
    total_ += data.size();
    if (before >= limits_.max_bytes) {
      oversized_ = true;
      return 0;  // read and dropped as fast as it comes
    }
    if (total_ > limits_.max_bytes) {
      oversized_ = true;
      data.resize(limits_.max_bytes - before);
    }
    session_->listener_->OnStreamChunk(std::move(data));
    return PauseMs();
  }

  void OnBodyAbort() override {
    // The runtime's connection broke mid-stream: its exit, or the timeout, ends the invocation.
    if (session_) session_->stream_.reset();
  }

 private:
  // How long until the bytes past the unthrottled part are due at the paced rate.
  int64_t PauseMs() {
    if (oversized_ || total_ <= limits_.unthrottled_bytes || limits_.bytes_per_second <= 0) {
      return 0;
    }
    auto now = std::chrono::steady_clock::now();
    if (!throttled_since_) throttled_since_ = now;
    double due_s =
        static_cast<double>(total_ - limits_.unthrottled_bytes) / limits_.bytes_per_second;
    auto due = *throttled_since_ + std::chrono::microseconds(static_cast<int64_t>(due_s * 1e6));
    if (due <= now) return 0;
    return std::chrono::duration_cast<std::chrono::milliseconds>(due - now).count() + 1;
  }

  RuntimeSession* session_;
  StreamLimits limits_;
  size_t total_ = 0;
  bool oversized_ = false;
  std::optional<std::chrono::steady_clock::time_point> throttled_since_;
};

RuntimeSession::RuntimeSession(Listener* listener, SessionIdentity identity)
    : listener_(listener), identity_(std::move(identity)) {}

RuntimeSession::~RuntimeSession() { DropStream(); }

void RuntimeSession::DropStream() {
  if (stream_) stream_->Detach();
  stream_.reset();
}

std::shared_ptr<http::BodyStream> RuntimeSession::StreamBody(const http::Request& head) {
  if (head.method != "POST" || head.path.rfind(kInvocationPrefix, 0) != 0) return nullptr;
  auto mode = head.headers.Get(kHeaderResponseMode);
  if (mode ? *mode != "streaming" : !current_streams_) return nullptr;
  // Only the running invocation's /response streams; anything else gets its error as before.
  std::string expected = std::string(kInvocationPrefix) + current_id_ + "/response";
  if (current_id_.empty() || head.path != expected || state_ != RuntimeState::kRunning || stream_) {
    return nullptr;
  }
  stream_ = std::make_shared<ResponseStream>(this, stream_limits_);
  listener_->OnStreamStart(
      std::string(head.headers.Get("Content-Type").value_or("application/octet-stream")));
  return stream_;
}

void RuntimeSession::FinishStream(http::Request& request, http::ResponseWriter writer) {
  bool oversized = stream_->oversized();
  DropStream();
  state_ = RuntimeState::kResponseSent;
  if (oversized) {
    writer.Send(ErrorReply(413, "RequestEntityTooLarge",
                           "Exceeded maximum allowed payload size (" +
                               std::to_string(stream_limits_.max_bytes) + " bytes)."));
    listener_->OnStreamEnd(Name(LambdaError::kFunctionResponseSizeTooLarge),
                           "Response payload size exceeded maximum allowed payload size (" +
                               std::to_string(stream_limits_.max_bytes) + " bytes).");
    return;
  }
  std::string error_type(request.headers.Get(kHeaderErrorType).value_or(""));
  std::string error_body;
  if (auto b = request.headers.Get(kHeaderErrorBody)) {
    error_body = Base64Decode(*b).value_or(std::string(*b));
  }
  writer.Send(Accepted());
  listener_->OnStreamEnd(std::move(error_type), std::move(error_body));
}

void RuntimeSession::Handle(http::Request request, http::ResponseWriter writer) {
  const std::string& path = request.path;
  if (path == kNextPath && request.method == "GET") return HandleNext(std::move(writer));
  if (path == kInitErrorPath && request.method == "POST") {
    return HandleInitError(request, std::move(writer));
  }
  if (path.rfind(kInvocationPrefix, 0) == 0 && request.method == "POST") {
    // "/2018-06-01/runtime/invocation/{id}/response" or ".../error"
    std::string rest = path.substr(sizeof(kInvocationPrefix) - 1);
    size_t slash = rest.find('/');
    if (slash != std::string::npos) {
      std::string verb = rest.substr(slash + 1);
      if (verb == "response" || verb == "error") {
        return HandlePost(rest.substr(0, slash), verb, request, std::move(writer));
      }
    }
  }
  if (path == kExtensionRegisterPath && request.method == "POST") {
    return HandleExtensionRegister(request, std::move(writer));
  }
  if (path == kExtensionNextPath && request.method == "GET") {
    return HandleExtensionNext(request, std::move(writer));
  }
  if (path == kExtensionInitErrorPath && request.method == "POST") {
    return HandleExtensionInitError(request, std::move(writer));
  }
  if (path == kExtensionExitErrorPath && request.method == "POST") {
    return writer.Send(Accepted());
  }
  if (path == kTelemetryPath && request.method == "PUT") {
    return writer.Send(ErrorReply(202, "Telemetry.NotSupported", "Telemetry API is not supported"));
  }
  if (path == kLogsPath && request.method == "PUT") {
    return writer.Send(ErrorReply(202, "Logs.NotSupported", "Logs API is not supported"));
  }
  writer.Send(
      ErrorReply(404, "NotFound", "No Runtime API route for " + request.method + " " + path));
}

void RuntimeSession::HandleNext(http::ResponseWriter writer) {
  switch (state_) {
    case RuntimeState::kInitError:
      return writer.Send(Transition(state_, "Ready"));
    case RuntimeState::kRunning:
      // rapid treats this as a no-op; the invocation still needs its response or times out.
      parked_next_ = std::move(writer);
      return;
    case RuntimeState::kReady:
      parked_next_ = std::move(writer);
      if (pending_event_) Deliver(std::move(*pending_event_));
      return;
    case RuntimeState::kStarted:
      state_ = RuntimeState::kReady;
      parked_next_ = std::move(writer);
      // May call Deliver() before returning.
      MaybeFinishInit();
      return;
    case RuntimeState::kResponseSent:
      state_ = RuntimeState::kReady;
      parked_next_ = std::move(writer);
      MaybeFinishInvoke();
      return;
  }
}

void RuntimeSession::Deliver(Event event) {
  // Not a DCHECK: environment_test drives the environment's listener calls without a runtime,
  // so its session is never ready; the event is dropped and logged, as before.
  if (state_ != RuntimeState::kReady) {
    THAW_LOG(kError, "runtime_api") << "Deliver in state " << RuntimeStateName(state_);
    return;
  }
  if (!parked_next_ || !parked_next_->connected()) {
    parked_next_.reset();
    pending_event_ = std::move(event);
    return;
  }
  http::ResponseWriter writer = std::move(*parked_next_);
  parked_next_.reset();
  pending_event_.reset();
  state_ = RuntimeState::kRunning;
  current_id_ = event.request_id;
  current_streams_ = event.stream_response;
  awaiting_end_ = true;
  for (auto& [_, ext] : extensions_) {
    if (!ext.wants_invoke) continue;
    ext.busy = true;
    nlohmann::json ev = {{"eventType", "INVOKE"},
                         {"deadlineMs", event.deadline_ms},
                         {"requestId", event.request_id},
                         {"invokedFunctionArn", event.invoked_function_arn},
                         {"tracing", {{"type", "X-Amzn-Trace-Id"}, {"value", event.trace_id}}}};
    QueueExtensionEvent(ext, ev.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  SendEvent(std::move(writer), std::move(event));
}

void RuntimeSession::SendEvent(http::ResponseWriter writer, Event event) {
  http::Response r;
  r.status = 200;
  r.headers.Set("Content-Type",
                event.content_type.empty() ? "application/json" : event.content_type);
  r.headers.Set(kHeaderRequestId, event.request_id);
  r.headers.Set(kHeaderDeadlineMs, std::to_string(event.deadline_ms));
  r.headers.Set(kHeaderFunctionArn, event.invoked_function_arn);
  if (!event.trace_id.empty()) r.headers.Set(kHeaderTraceId, event.trace_id);
  if (!event.client_context.empty()) r.headers.Set(kHeaderClientContext, event.client_context);
  if (!event.cognito_identity.empty()) {
    r.headers.Set(kHeaderCognitoIdentity, event.cognito_identity);
  }
  r.body = std::move(event.payload);
  writer.Send(std::move(r));
}

void RuntimeSession::HandlePost(const std::string& id, const std::string& verb,
                                http::Request& request, http::ResponseWriter writer) {
  // As in rapid: the request id is checked before the state.
  if (current_id_.empty() || id != current_id_) {
    return writer.Send(ErrorReply(400, "InvalidRequestID", "Invalid request ID"));
  }
  if (state_ != RuntimeState::kRunning) {
    return writer.Send(
        Transition(state_, verb == "response" ? "InvocationResponse" : "InvocationErrorResponse"));
  }
  if (stream_ && verb == "response") return FinishStream(request, std::move(writer));
  if (request.oversized) {
    state_ = RuntimeState::kResponseSent;
    writer.Send(ErrorReply(413, "RequestEntityTooLarge",
                           "Exceeded maximum allowed payload size (" +
                               std::to_string(kMaxResponseBytes) + " bytes)."));
    listener_->OnResponseTooLarge();
    return;
  }
  std::string content_type(request.headers.Get("Content-Type").value_or("application/json"));
  if (verb == "response") {
    auto mode = request.headers.Get(kHeaderResponseMode);
    if (mode && *mode != "streaming") {
      state_ = RuntimeState::kResponseSent;
      writer.Send(ErrorReply(400, "InvalidFunctionResponseMode",
                             "Invalid function response mode: " + std::string(*mode)));
      const std::string type = Name(LambdaError::kRuntimeInvalidResponseModeHeader);
      listener_->OnInvocationError(
          R"({"errorType":")" + type + R"(","errorMessage":"Invalid response mode header"})", type);
      return;
    }
    // aws-lambda-go reports a handler reader that failed mid-body through trailers.
    auto trailer_type = request.headers.Get(kHeaderErrorType);
    if (trailer_type && !trailer_type->empty()) {
      std::string body;
      if (auto b = request.headers.Get(kHeaderErrorBody)) {
        body = Base64Decode(*b).value_or(std::string(*b));
      }
      state_ = RuntimeState::kResponseSent;
      writer.Send(Accepted());
      listener_->OnInvocationError(std::move(body), std::string(*trailer_type));
      return;
    }
    state_ = RuntimeState::kResponseSent;
    writer.Send(Accepted());
    listener_->OnInvocationResponse(std::move(request.body), std::move(content_type));
    return;
  }
  std::string error_type(request.headers.Get(kHeaderErrorType).value_or(""));
  state_ = RuntimeState::kResponseSent;
  writer.Send(Accepted());
  listener_->OnInvocationError(std::move(request.body), std::move(error_type));
}

void RuntimeSession::HandleInitError(http::Request& request, http::ResponseWriter writer) {
  if (state_ != RuntimeState::kStarted) return writer.Send(Transition(state_, "InitError"));
  state_ = RuntimeState::kInitError;
  writer.Send(Accepted());
  listener_->OnInitError(std::move(request.body),
                         FromRuntime(request.headers.Get(kHeaderErrorType).value_or("")));
}

void RuntimeSession::HandleExtensionRegister(http::Request& request, http::ResponseWriter writer) {
  auto name = request.headers.Get(kHeaderExtensionName);
  if (!name || name->empty()) {
    return writer.Send(
        ErrorReply(403, kMissingExtensionName, "Missing Lambda-Extension-Name header"));
  }
  if (init_done_ || state_ == RuntimeState::kInitError) {
    return writer.Send(
        ErrorReply(403, kExtensionInvalidState, "Extensions may register only during init"));
  }
  if (static_cast<int>(extensions_.size()) >= kMaxExtensions) {
    return writer.Send(ErrorReply(400, kTooManyExtensions, "At most 10 extensions may register"));
  }
  Extension ext;
  ext.name = std::string(*name);
  for (const auto& [_, other] : extensions_) {
    if (other.name == ext.name) {
      return writer.Send(
          ErrorReply(409, kAlreadyRegistered, "Extension " + ext.name + " is already registered"));
    }
  }
  ext.external = std::find(expected_.begin(), expected_.end(), ext.name) != expected_.end();
  if (!request.body.empty()) {
    auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return writer.Send(ErrorReply(400, "InvalidRequestFormat", "Register body is not JSON"));
    }
    if (body.contains("configurationKeys")) {
      return writer.Send(ErrorReply(400, "InvalidRequestFormat",
                                    "configurationKeys is deprecated and not supported"));
    }
    if (body.contains("events") && body["events"].is_array()) {
      for (const auto& e : body["events"]) {
        if (!e.is_string()) continue;
        if (e == "INVOKE") ext.wants_invoke = true;
        if (e == "SHUTDOWN") ext.wants_shutdown = true;
      }
    }
  }
  std::string id = NewUuid();
  extensions_[id] = std::move(ext);
  nlohmann::json reply = {{"functionName", identity_.function_name},
                          {"functionVersion", identity_.function_version},
                          {"handler", identity_.handler}};
  http::Response r = http::Response::Json(
      200, reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  r.headers.Set(kHeaderExtensionId, id);
  writer.Send(std::move(r));
}

void RuntimeSession::HandleExtensionNext(http::Request& request, http::ResponseWriter writer) {
  auto id = request.headers.Get(kHeaderExtensionId);
  if (!id || id->empty()) {
    return writer.Send(
        ErrorReply(403, kMissingExtensionIdentifier, "Missing Lambda-Extension-Identifier header"));
  }
  auto it = extensions_.find(std::string(*id));
  if (it == extensions_.end()) {
    return writer.Send(
        ErrorReply(403, kInvalidExtensionIdentifier, "Invalid Lambda-Extension-Identifier"));
  }
  Extension& ext = it->second;
  if (!ext.queued.empty()) {
    std::string ev = std::move(ext.queued.front());
    ext.queued.pop_front();
    http::Response r = http::Response::Json(200, std::move(ev));
    r.headers.Set(kHeaderExtensionId, it->first);
    return writer.Send(std::move(r));
  }
  ext.parked_next = std::move(writer);
  bool was_busy = ext.busy;
  bool was_ready = ext.ready;
  ext.busy = false;
  ext.ready = true;
  if (!was_ready) MaybeFinishInit();
  if (was_busy) MaybeFinishInvoke();
}

void RuntimeSession::HandleExtensionInitError(http::Request& request, http::ResponseWriter writer) {
  auto id = request.headers.Get(kHeaderExtensionId);
  if (!id || extensions_.count(std::string(*id)) == 0) {
    return writer.Send(
        ErrorReply(403, kInvalidExtensionIdentifier, "Invalid Lambda-Extension-Identifier"));
  }
  if (init_done_) return writer.Send(Accepted());
  std::string type = FromExtension(request.headers.Get(kHeaderExtensionErrorType).value_or(""));
  writer.Send(Accepted());
  listener_->OnInitError(std::move(request.body), std::move(type));
}

void RuntimeSession::MaybeFinishInit() {
  if (init_done_ || state_ != RuntimeState::kReady) return;
  for (const std::string& name : expected_) {
    bool ready = false;
    for (const auto& [_, ext] : extensions_) ready = ready || (ext.name == name && ext.ready);
    if (!ready) return;
  }
  init_done_ = true;
  listener_->OnRuntimeNext();  // may call Deliver() before returning
}

void RuntimeSession::MaybeFinishInvoke() {
  if (!awaiting_end_ || state_ != RuntimeState::kReady) return;
  for (const auto& [_, ext] : extensions_) {
    if (ext.busy) return;
  }
  awaiting_end_ = false;
  listener_->OnRuntimeNext();
}

std::vector<std::string> RuntimeSession::busy_extensions() const {
  std::vector<std::string> out;
  for (const auto& [_, ext] : extensions_) {
    if (ext.busy) out.push_back(ext.name);
  }
  return out;
}

void RuntimeSession::QueueExtensionEvent(Extension& ext, std::string event_json) {
  if (ext.parked_next) {
    http::ResponseWriter w = std::move(*ext.parked_next);
    ext.parked_next.reset();
    w.Send(http::Response::Json(200, std::move(event_json)));
    return;
  }
  ext.queued.push_back(std::move(event_json));
}

void RuntimeSession::SendShutdown(const std::string& reason, int64_t deadline_ms) {
  nlohmann::json ev = {
      {"eventType", "SHUTDOWN"}, {"shutdownReason", reason}, {"deadlineMs", deadline_ms}};
  for (auto& [_, ext] : extensions_) {
    if (ext.wants_shutdown)
      QueueExtensionEvent(ext, ev.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
}

bool RuntimeSession::only_internal_extensions() const {
  for (const auto& [_, ext] : extensions_) {
    if (ext.wants_shutdown || ext.external) return false;
  }
  return true;
}

void RuntimeSession::Reset() {
  DropStream();
  state_ = RuntimeState::kStarted;
  current_id_.clear();
  current_streams_ = false;
  pending_event_.reset();
  parked_next_.reset();
  extensions_.clear();
  init_done_ = false;
  awaiting_end_ = false;
}

}  // namespace thaw::runtime_api
