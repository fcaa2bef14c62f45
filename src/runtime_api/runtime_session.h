// RuntimeSession: the Runtime API and Extensions API of ONE execution environment, with the
// runtime state machine of rapid (core/states.go): Started -> Ready -> Running -> ResponseSent
// -> Ready ..., InitError from Started only; every other transition is refused with 403.
// It holds the runtime's parked /next, delivers events to it, and tells its Listener about
// responses, errors and the end of each invocation.
// Extensions, as in Lambda: init is done only when the runtime has called /next and every
// expected external extension has registered and called /event/next; an invocation ends only
// when the runtime and every extension subscribed to INVOKE have called next again (their time
// after the response counts toward Duration and the timeout).
// A streamed /response (chunked, with Response-Mode: streaming or for an event whose caller
// takes a stream) reaches the listener as it arrives:
// OnStreamStart, OnStreamChunk per piece read, OnStreamEnd with the trailers' error, if any;
// it is paced and capped as protocol.h says. Loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/server.h"
#include "runtime_api/protocol.h"

namespace thaw::runtime_api {

struct Event {
  std::string request_id;
  std::string payload;
  int64_t deadline_ms = 0;  // Unix epoch milliseconds
  std::string invoked_function_arn;
  std::string trace_id;
  std::string client_context;    // JSON text, already base64-decoded
  std::string cognito_identity;  // JSON text
  std::string content_type = "application/json";
  // The caller takes a stream (InvokeWithResponseStream): a chunked /response is streamed even
  // without the Response-Mode header, which aws-lambda-go never sends.
  bool stream_response = false;
};

class Listener {
 public:
  virtual ~Listener() = default;
  // Init is done (the runtime and every expected extension called next) or the running
  // invocation has ended (the runtime and every INVOKE subscriber called next again).
  virtual void OnRuntimeNext() = 0;
  virtual void OnInvocationResponse(std::string body, std::string content_type) = 0;
  // `body` as posted (passed to the caller unchanged); `error_type` from the header, if any.
  virtual void OnInvocationError(std::string body, std::string error_type) = 0;
  // The runtime posted a response larger than kMaxResponseBytes; it got 413.
  virtual void OnResponseTooLarge() = 0;
  // A streamed response began (its content type as posted); its pieces follow as they arrive.
  virtual void OnStreamStart(std::string content_type) = 0;
  virtual void OnStreamChunk(std::string data) = 0;
  // The streamed response ended: `error_type` empty when it completed, else the error of its
  // trailers (`error_body` base64-decoded), or Function.ResponseSizeTooLarge past
  // kMaxStreamedBytes (the stream was cut there).
  virtual void OnStreamEnd(std::string error_type, std::string error_body) = 0;
  // The runtime posted /init/error (`error_type` as FromRuntime keeps it), or an extension
  // /extension/init/error during init (as FromExtension keeps it: "Extension.*").
  virtual void OnInitError(std::string body, std::string error_type) = 0;
};

enum class RuntimeState { kStarted, kReady, kRunning, kResponseSent, kInitError };
const char* RuntimeStateName(RuntimeState state);

struct SessionIdentity {
  std::string function_name;
  std::string function_version;
  std::string handler;
};

class RuntimeSession final : public http::Handler {
 public:
  // `listener` must outlive the session.
  RuntimeSession(Listener* listener, SessionIdentity identity);
  RuntimeSession(const RuntimeSession&) = delete;
  RuntimeSession& operator=(const RuntimeSession&) = delete;

  ~RuntimeSession() override;

  void Handle(http::Request request, http::ResponseWriter writer) override;
  std::shared_ptr<http::BodyStream> StreamBody(const http::Request& head) override;

  // The streamed-response cap and pacing (protocol.h's by default; tests make them small).
  struct StreamLimits {
    size_t max_bytes = kMaxStreamedBytes;
    size_t unthrottled_bytes = kUnthrottledStreamBytes;
    double bytes_per_second = kStreamBytesPerSecond;
  };
  void SetStreamLimits(StreamLimits limits) { stream_limits_ = limits; }

  // Hands an event to the runtime: answers its parked /next now, or the next one it makes.
  // Only in state() kReady (the runtime finished init or its previous invocation); otherwise
  // the event is logged and dropped.
  void Deliver(Event event);
  // Forgets everything about the current runtime process (after a kill); back to kStarted.
  // Registered extensions are forgotten too: a reset restarts them.
  void Reset();
  // The external extensions started with the runtime (file names in /opt/extensions); init
  // waits for each to register under that name and call /event/next. Set before each start.
  void ExpectExtensions(std::vector<std::string> names) { expected_ = std::move(names); }
  // Answers every extension's parked /event/next with a SHUTDOWN event.
  void SendShutdown(const std::string& reason, int64_t deadline_ms);

  RuntimeState state() const { return state_; }
  const std::string& current_request_id() const { return current_id_; }
  bool has_extensions() const { return !extensions_.empty(); }
  bool init_done() const { return init_done_; }
  // Names of INVOKE subscribers that have not called next since the current event (tests, logs).
  std::vector<std::string> busy_extensions() const;
  // True when only internal extensions (none external, none subscribed to SHUTDOWN) are
  // registered.
  bool only_internal_extensions() const;

 private:
  struct Extension {
    std::string name;
    bool wants_invoke = false;
    bool wants_shutdown = false;
    bool external = false;  // one of the expected names
    bool ready = false;     // called /event/next at least once
    bool busy = false;      // has an INVOKE it has not finished (no next since)
    std::optional<http::ResponseWriter> parked_next;
    std::deque<std::string> queued;  // events not yet taken
  };

  class ResponseStream;

  void HandleNext(http::ResponseWriter writer);
  void FinishStream(http::Request& request, http::ResponseWriter writer);
  void DropStream();
  void HandlePost(const std::string& id, const std::string& verb, http::Request& request,
                  http::ResponseWriter writer);
  void HandleInitError(http::Request& request, http::ResponseWriter writer);
  void HandleExtensionRegister(http::Request& request, http::ResponseWriter writer);
  void HandleExtensionNext(http::Request& request, http::ResponseWriter writer);
  void SendEvent(http::ResponseWriter writer, Event event);
  void QueueExtensionEvent(Extension& ext, std::string event_json);
  void HandleExtensionInitError(http::Request& request, http::ResponseWriter writer);
  // Tell the listener once init, or the running invocation, is complete.
  void MaybeFinishInit();
  void MaybeFinishInvoke();

  Listener* listener_;
  SessionIdentity identity_;
  RuntimeState state_ = RuntimeState::kStarted;
  std::string current_id_;
  bool current_streams_ = false;  // the current event's stream_response
  std::optional<Event> pending_event_;
  std::optional<http::ResponseWriter> parked_next_;
  std::map<std::string, Extension> extensions_;  // by identifier
  std::vector<std::string> expected_;            // external extension names
  bool init_done_ = false;
  bool awaiting_end_ = false;  // an event was delivered; its end is not reported yet
  StreamLimits stream_limits_;
  std::shared_ptr<ResponseStream> stream_;  // the streamed /response being read, if any
};

}  // namespace thaw::runtime_api
