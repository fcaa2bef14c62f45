// The Invoke operation's two pure steps, either side of its execution (invoke_api.cc):
// ParseInvoke reads and checks a request into an InvokeRequest, or the AWS error Lambda answers;
// Render turns an outcome (the function's result, an accepted Event or DryRun, an error) into
// the response, headers included. No I/O, no clock, no randomness: stateless and thread-safe
// (Registry::Resolve locks the registry).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "http/message.h"
#include "invoker/invocation.h"
#include "lambda/registry.h"

namespace thaw::invoker {

inline constexpr size_t kMaxSyncRequestBytes = 6291456;   // 6 MiB
inline constexpr size_t kMaxAsyncRequestBytes = 1048576;  // 1 MiB

enum class InvocationType { kRequestResponse, kEvent, kDryRun };

struct InvokeRequest {
  InvocationType type = InvocationType::kRequestResponse;
  bool want_tail = false;      // X-Amz-Log-Type: Tail
  lambda::Resolved target;     // the function name and ?Qualifier=, resolved
  std::string payload;         // valid JSON; an empty body reads as {}
  std::string client_context;  // X-Amz-Client-Context, decoded to JSON; empty when not sent
  std::string trace_header;    // X-Amzn-Trace-Id as sent; empty when not sent
};

// Invoke's error answers. The order of the checks in ParseInvoke, and so which error a request
// with several faults gets, is Lambda's.
enum class InvokeErrorType {
  kInvalidParameterValue,  // 400 InvalidParameterValueException
  kInvalidRequestContent,  // 400 InvalidRequestContentException
  kResourceNotFound,       // 404 ResourceNotFoundException
  kRequestTooLarge,        // 413 RequestEntityTooLargeException
  kTooManyRequests,        // 429 TooManyRequestsException; the message is the throttle's reason
  kRecursiveInvocation,    // 400 RecursiveInvocationException: recursive loop detection
  kNotQueued,              // 500 ServiceException: an Event could not be stored
  kNotStarted,             // 503 ServiceException: the invoker refused for another reason
  kAccessDenied,           // 403 AccessDeniedException: the resource policy does not allow it
};

struct InvokeError {
  InvokeErrorType type;
  std::string message;
};

// Event (202) or DryRun (204): nothing to return but the version that would run.
struct Accepted {
  InvocationType type = InvocationType::kEvent;
  std::string executed_version;
};

// The function name of an Invoke request (POST /2015-03-31/functions/{name}/invocations), or
// nullopt when the request is not one.
std::optional<std::string> InvokeTarget(const http::Request& request);
// The function name of a POST to `prefix` + name + `suffix` (no slash in the name), or nullopt.
std::optional<std::string> FunctionInPostPath(const http::Request& request, std::string_view prefix,
                                              std::string_view suffix);

// The largest body an Invoke may carry, from its X-Amz-Invocation-Type.
size_t InvokeBodyLimit(const http::Request& head);

// Checks, in Lambda's order: the invocation and log types, the payload's size, the function
// and qualifier (against `registry`), the payload's JSON, the client context (base64 JSON).
std::variant<InvokeRequest, InvokeError> ParseInvoke(const std::string& function_name,
                                                     http::Request request,
                                                     const lambda::Registry& registry);

// 200 with the function's answer (X-Amz-Function-Error when it failed, X-Amz-Log-Result when
// the caller asked for the tail). `result.trace_header` must be set.
http::Response Render(const std::string& request_id, InvokeResult result);
// 202 for an Event once it is stored; 204 for a DryRun.
http::Response Render(const std::string& request_id, const Accepted& accepted);
http::Response Render(const std::string& request_id, const InvokeError& error);

}  // namespace thaw::invoker
