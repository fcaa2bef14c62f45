#include "esm/invoke.h"

#include <utility>

#include <boost/asio/post.hpp>

#include "base/codec.h"
#include "base/log.h"
#include "trace/trace_header.h"

namespace thaw::esm {

InvokeFn InvokerFn(boost::asio::io_context& loop, invoker::Invoker& invoker,
                   const lambda::Registry& registry, const Clock& clock) {
  return [&loop, &invoker, &registry, &clock](const std::string& function_arn, std::string payload,
                                              InvokeMeta meta,
                                              std::function<void(InvokeOutcome)> done) {
    auto not_invoked = [&loop, done](std::string why) {
      // Answered later, as an invoke would be: the poller does not expect a reentrant call.
      boost::asio::post(loop, [done, why = std::move(why)] {
        done({.kind = InvokeOutcome::Kind::kNotInvoked, .body = why, .request_id = ""});
      });
    };
    auto resolved = registry.Resolve(function_arn, "");
    if (!resolved.ok()) {
      THAW_LOG(kWarn, "esm") << "cannot invoke " << function_arn << ": "
                             << resolved.status().message();
      not_invoked(resolved.status().message());
      return;
    }
    runtime_api::Event event;
    std::string request_id = NewUuid();
    event.request_id = request_id;
    event.payload = std::move(payload);
    event.trace_id = meta.trace_header.empty()
                         ? trace::FormatTraceHeader(trace::NewTrace(clock.RealtimeMillis()))
                         : std::move(meta.trace_header);
    invoker::InvokeOrigin origin;
    origin.source = std::move(meta.source);
    Status s = invoker.Invoke(
        *resolved, std::move(event), /*want_tail=*/false,
        [done, request_id](invoker::InvokeResult result) {
          done({.kind = result.function_error ? InvokeOutcome::Kind::kFunctionError
                                              : InvokeOutcome::Kind::kOk,
                .body = std::move(result.body),
                .request_id = request_id});
        },
        std::move(origin));
    if (!s.ok()) not_invoked(s.message());
  };
}

}  // namespace thaw::esm
