// InvokeApi: Lambda's Invoke operation on the front door,
// POST /2015-03-31/functions/{FunctionName}/invocations (RequestResponse, Event, DryRun;
// X-Amz-Log-Type: Tail). Invoke parses (ParseInvoke), checks the function's resource policy for
// the caller's account (lambda/invoke_permission.h), executes (the invoker, or the async queue
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
#include "lambda/invoke_permission.h"
#include "lambda/registry.h"

namespace thaw::invoker {

// An Event invoke from inside thaw on behalf of a service (SNS or S3 delivering:
// lambda::InvokePrincipal::Service), as Lambda receives one: resolves `function` (a name or ARN,
// maybe qualified), checks the resource policy of the ARN for `who`, and stores the event.
// `done` is called on the loop: Ok once stored (Lambda's 202), else NotFound or InvalidArgument
// (Lambda's message), PermissionDenied (the AccessDeniedException message: a client-side error,
// not to be retried), or the store's error. Loop thread.
void EnqueueEvent(AsyncQueue& queue, const lambda::Registry& registry, const Clock& clock,
                  const lambda::InvokePrincipal& who, const std::string& function,
                  std::string payload, std::string trace_header, std::function<void(Status)> done);

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
