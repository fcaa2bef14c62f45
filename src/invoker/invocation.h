// One invocation in flight: what the caller asked, when, and how to answer it.
// Owned by the Environment that runs it. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "runtime_api/runtime_session.h"

namespace thaw::invoker {

// What a synchronous caller gets once the function has answered (HTTP 200 in every case).
struct InvokeResult {
  std::string body;
  std::string content_type = "application/json";
  bool function_error = false;  // X-Amz-Function-Error: Unhandled
  std::string executed_version;
  std::string log_tail;  // the invocation's log text, when the caller asked for Tail
};

using ResultCallback = std::function<void(InvokeResult)>;

struct Invocation {
  runtime_api::Event event;  // request id, payload and context headers
  std::string executed_version;
  bool want_tail = false;
  ResultCallback done;  // called exactly once
  bool answered = false;
  std::optional<InvokeResult> result;  // held until the end when the caller wants the tail

  // Monotonic nanoseconds.
  int64_t received_ns = 0;   // the invoke arrived at the invoker
  int64_t delivered_ns = 0;  // the event went to the runtime (start of Duration)
  int64_t deadline_ns = 0;   // the function timeout ends here

  std::string log_text;  // START .. REPORT of this invocation, capped

  void Answer(InvokeResult out) {
    if (answered) return;
    answered = true;
    if (done) done(std::move(out));
  }
};

}  // namespace thaw::invoker
