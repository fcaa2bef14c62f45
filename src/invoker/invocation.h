// One invocation in flight: what the caller asked, when, and how to answer it.
// Owned by the Environment that runs it. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/clock.h"
#include "records/record.h"
#include "runtime_api/runtime_session.h"
#include "trace/hlc.h"
#include "trace/trace_header.h"

namespace thaw::invoker {

// What a synchronous caller gets once the function has answered (HTTP 200 in every case).
struct InvokeResult {
  std::string body;
  std::string content_type = "application/json";
  bool function_error = false;  // X-Amz-Function-Error: Unhandled
  std::string executed_version;
  std::string log_tail;      // the invocation's log text, when the caller asked for Tail
  std::string trace_header;  // X-Amzn-Trace-Id for the answer: this span, the answer's Hlc
};

using ResultCallback = std::function<void(InvokeResult)>;

// Takes a response as the function streams it (InvokeWithResponseStream; a function URL in
// RESPONSE_STREAM mode). OnStart and OnChunk come only when the runtime streams; OnEnd always,
// once: after a stream its body is empty and function_error says whether the stream failed
// (timeout, error trailers, too large: body is the error JSON); without a stream, the body is
// the whole response. Loop thread.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual void OnStart(const std::string& content_type) = 0;
  virtual void OnChunk(std::string data) = 0;
  virtual void OnEnd(InvokeResult result) = 0;
};

struct Invocation {
  runtime_api::Event event;  // request id, payload and context headers
  std::string executed_version;
  bool want_tail = false;
  ResultCallback done;  // called exactly once
  bool answered = false;
  std::optional<InvokeResult> result;  // held until the end when the caller wants the tail

  // A streamed response: to `sink` as it arrives, or collected (up to the buffered limit) for a
  // caller that did not ask for a stream.
  std::shared_ptr<ResponseSink> sink;
  bool streamed = false;
  bool stream_too_large = false;
  std::string stream_content_type;
  std::string stream_body;

  // Monotonic nanoseconds.
  int64_t received_ns = 0;   // the invoke arrived at the invoker
  int64_t delivered_ns = 0;  // the event went to the runtime (start of Duration)
  int64_t deadline_ns = 0;   // the function timeout ends here

  std::string log_text;  // START .. REPORT of this invocation, capped

  // Causality (trace/): the caller's trace context (its Hlc taken in, then dropped; the kept
  // event.trace_id is the caller's header without it) and the server's clock stamps.
  trace::HlcClock* hlc = nullptr;
  trace::TraceContext caller;
  trace::HlcStamp hlc_arrived;
  trace::HlcStamp hlc_answered;

  // For the invocation record (records/record.h); set only while recording (clock != null).
  const Clock* clock = nullptr;
  int64_t arrived_ns = 0;    // at the Invoke API (Event: when queued)
  int64_t ready_ns = 0;      // the environment could take the event: thawed, or init done
  int64_t responded_ns = 0;  // /response or /error came in (or the failure was found)
  int64_t answered_ns = 0;   // the caller's answer went to the front door (before the send)
  int64_t init_ns = 0;       // init run inside this invocation
  bool cold = false;
  bool async = false;
  records::EventSource source;  // the mapping's batch this invocation delivers, if any
  bool function_error = false;
  std::string error_type;  // posted to /error

  // Sets `at` to now when recording.
  void Stamp(int64_t& at) const {
    if (clock) at = clock->MonotonicNanos();
  }

  void Answer(InvokeResult out) {
    if (answered) return;
    answered = true;
    function_error = out.function_error;
    // Before the send: a stamp after it could land after the caller already has the answer.
    Stamp(answered_ns);
    if (responded_ns == 0) responded_ns = answered_ns;
    if (hlc) {
      hlc_answered = hlc->Now();
      out.trace_header = trace::ForCallee(caller, trace::SpanIdFor(event.request_id), hlc_answered);
    }
    if (done) done(std::move(out));
  }
};

}  // namespace thaw::invoker
