// InvokeApi: Lambda's Invoke operation on the front door,
// POST /2015-03-31/functions/{FunctionName}/invocations, with its validation, limits and
// error shapes (RequestResponse, Event, DryRun; X-Amz-Log-Type: Tail). Also serves
// GET /thaw/environments, an introspection view of live environments for tests and tools.
// Loop thread only.
#pragma once

#include <optional>

#include "base/clock.h"
#include "http/api.h"
#include "invoker/async_queue.h"
#include "invoker/invoker.h"
#include "lambda/registry.h"

namespace thaw::invoker {

inline constexpr size_t kMaxSyncRequestBytes = 6291456;   // 6 MiB
inline constexpr size_t kMaxAsyncRequestBytes = 1048576;  // 1 MiB

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
  void Environments(http::ResponseWriter writer);

  Invoker& invoker_;
  AsyncQueue& queue_;
  const lambda::Registry& registry_;
  const Clock& clock_;
};

}  // namespace thaw::invoker
