// StreamApi: Lambda's InvokeWithResponseStream on the front door,
// POST /2021-11-15/functions/{FunctionName}/response-streaming-invocations?Qualifier=.
// Checked as Invoke is (ParseInvoke, the resource policy); errors before the stream starts are
// Invoke's AWS error answers. Then 200 with application/vnd.amazon.eventstream: a PayloadChunk
// per piece the runtime streams, as it arrives (a function that does not stream: its whole
// response as one), and a final InvokeComplete {ErrorCode, ErrorDetails, LogResult}.
// EventStreamSink is the ResponseSink that writes that stream. Loop thread only.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "base/clock.h"
#include "http/api.h"
#include "invoker/invocation.h"
#include "invoker/invoker.h"
#include "lambda/registry.h"

namespace thaw::invoker {

// The function name of an InvokeWithResponseStream request, or nullopt when it is not one.
std::optional<std::string> StreamTarget(const http::Request& request);

// InvokeComplete's payload for an invocation's end: ErrorCode and ErrorDetails from the error
// JSON when it failed (its errorType and errorMessage), LogResult (base64) with the tail.
std::string InvokeCompletePayload(const InvokeResult& result);

// Answers one caller with the event stream. The 200 head goes out with the first event, not
// when the invoke starts: the AWS SDK for Go v2 (1.114) now and then drops a stream whose head
// came well before its first event ("use of closed network connection", no events). The
// stream ends with OnEnd.
class EventStreamSink final : public ResponseSink {
 public:
  EventStreamSink(http::ResponseWriter writer, std::string request_id, std::string version);
  void Begin();
  void OnStart(const std::string& content_type) override;
  void OnChunk(std::string data) override;
  void OnEnd(InvokeResult result) override;
  // An error answer instead of the stream (before Begin).
  void Fail(http::Response response) { writer_.Send(std::move(response)); }

 private:
  http::ResponseWriter writer_;
  http::StreamWriter stream_;
  std::string request_id_;
  std::string version_;
  bool started_ = false;
  bool streamed_ = false;  // the runtime streamed (else the end carries the whole response)
};

class StreamApi final : public http::Api {
 public:
  // Every reference must outlive the API.
  StreamApi(Invoker& invoker, const lambda::Registry& registry, const Clock& clock);
  std::optional<uint64_t> BodyLimit(const http::Request& head) const override;
  bool Handle(http::Request& request, http::ResponseWriter& writer) override;
  std::optional<auth::Operation> Describe(const http::Request& request) const override;

 private:
  Invoker& invoker_;
  const lambda::Registry& registry_;
  const Clock& clock_;
};

}  // namespace thaw::invoker
