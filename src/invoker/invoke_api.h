// InvokeApi: Lambda's Invoke operation on the front door,
// POST /2015-03-31/functions/{FunctionName}/invocations (RequestResponse, Event, DryRun;
// X-Amz-Log-Type: Tail). Invoke parses (ParseInvoke), executes (the invoker, or the async queue
// for Event), and renders (Render); both pure steps are in invoke_request.h. Also serves
// GET /thaw/environments, an introspection view of live environments for tests and tools.
// Loop thread only.
#pragma once

#include <optional>

#include "base/clock.h"
#include "http/api.h"
#include "invoker/async_queue.h"
#include "invoker/invoke_request.h"
#include "invoker/invoker.h"
#include "lambda/registry.h"

namespace thaw::invoker {

class InvokeApi final : public http::Api {
 public:
  // Every reference must outlive the API.
  InvokeApi(Invoker& invoker, AsyncQueue& queue, const lambda::Registry& registry,
            const Clock& clock);
  std::optional<uint64_t> BodyLimit(const http::Request& head) const override;
  bool Handle(http::Request& request, http::ResponseWriter& writer) override;
  std::optional<auth::Operation> Describe(const http::Request& request) const override;

 private:
  void Invoke(http::Request& request, const std::string& function_name,
              http::ResponseWriter writer);
  // Execution: an Event is answered once stored, a RequestResponse once the function answered.
  void Enqueue(InvokeRequest request, const std::string& request_id, http::ResponseWriter writer);
  void Run(InvokeRequest request, const std::string& request_id, int64_t arrived_ns,
           http::ResponseWriter writer);
  // The caller's X-Amzn-Trace-Id, or a new trace when it sent none (as Lambda starts one).
  std::string TraceOrNew(std::string trace_header) const;
  void Environments(http::ResponseWriter writer);

  Invoker& invoker_;
  AsyncQueue& queue_;
  const lambda::Registry& registry_;
  const Clock& clock_;
};

}  // namespace thaw::invoker
