#include "invoker/invoke_request.h"

#include <utility>

#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "http/aws_error.h"

namespace thaw::invoker {

namespace {

constexpr std::string_view kPrefix = "/2015-03-31/functions/";
constexpr std::string_view kSuffix = "/invocations";

std::optional<InvocationType> ParseInvocationType(std::string_view s) {
  if (s == "RequestResponse") return InvocationType::kRequestResponse;
  if (s == "Event") return InvocationType::kEvent;
  if (s == "DryRun") return InvocationType::kDryRun;
  return std::nullopt;
}

InvokeError Invalid(std::string message) {
  return {InvokeErrorType::kInvalidParameterValue, std::move(message)};
}

http::Response WithRequestId(http::Response r, const std::string& id) {
  r.headers.Set("x-amzn-RequestId", id);
  return r;
}

}  // namespace

std::optional<std::string> FunctionInPostPath(const http::Request& request, std::string_view prefix,
                                              std::string_view suffix) {
  const std::string& path = request.path;
  if (request.method != "POST" || path.size() <= prefix.size() + suffix.size() ||
      !path.starts_with(prefix) || !path.ends_with(suffix)) {
    return std::nullopt;
  }
  std::string name = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
  if (name.find('/') != std::string::npos) return std::nullopt;
  return name;
}

std::optional<std::string> InvokeTarget(const http::Request& request) {
  return FunctionInPostPath(request, kPrefix, kSuffix);
}

size_t InvokeBodyLimit(const http::Request& head) {
  return head.headers.Get("X-Amz-Invocation-Type").value_or("") == "Event" ? kMaxAsyncRequestBytes
                                                                           : kMaxSyncRequestBytes;
}

std::variant<InvokeRequest, InvokeError> ParseInvoke(const std::string& function_name,
                                                     http::Request request,
                                                     const lambda::Registry& registry) {
  InvokeRequest out;
  std::string_view type = request.headers.Get("X-Amz-Invocation-Type").value_or("RequestResponse");
  auto parsed_type = ParseInvocationType(type);
  if (!parsed_type) {
    return Invalid("1 validation error detected: Value '" + std::string(type) +
                   "' at 'invocationType' failed to satisfy constraint: Member must satisfy "
                   "enum value set: [Event, RequestResponse, DryRun]");
  }
  out.type = *parsed_type;
  std::string_view log_type = request.headers.Get("X-Amz-Log-Type").value_or("None");
  if (log_type != "None" && log_type != "Tail") {
    return Invalid("1 validation error detected: Value '" + std::string(log_type) +
                   "' at 'logType' failed to satisfy constraint: Member must satisfy enum value "
                   "set: [None, Tail]");
  }
  out.want_tail = log_type == "Tail";
  size_t limit = out.type == InvocationType::kEvent ? kMaxAsyncRequestBytes : kMaxSyncRequestBytes;
  if (request.oversized || request.body.size() > limit) {
    return InvokeError{InvokeErrorType::kRequestTooLarge,
                       "Request must be smaller than " + std::to_string(limit) +
                           " bytes for the InvokeFunction operation"};
  }
  auto resolved = registry.Resolve(function_name, request.QueryParam("Qualifier").value_or(""),
                                   request.account);
  if (!resolved.ok()) {
    if (resolved.status().code() == StatusCode::kNotFound) {
      return InvokeError{InvokeErrorType::kResourceNotFound, resolved.status().message()};
    }
    return Invalid(resolved.status().message());
  }
  out.target = std::move(*resolved);
  out.payload = request.body.empty() ? "{}" : std::move(request.body);
  if (!nlohmann::json::accept(out.payload)) {
    return InvokeError{InvokeErrorType::kInvalidRequestContent,
                       "Could not parse request body into json: Could not parse payload into "
                       "json: Unexpected character or malformed JSON at the start of the payload"};
  }
  if (auto cc = request.headers.Get("X-Amz-Client-Context"); cc && !cc->empty()) {
    auto decoded = Base64Decode(*cc);
    if (!decoded || !nlohmann::json::accept(*decoded)) {
      return InvokeError{InvokeErrorType::kInvalidRequestContent,
                         "Client context must be a valid Base64-encoded JSON object."};
    }
    out.client_context = std::move(*decoded);
  }
  out.trace_header = std::string(request.headers.Get("X-Amzn-Trace-Id").value_or(""));
  return out;
}

http::Response Render(const std::string& request_id, InvokeResult result) {
  http::Response r;
  r.status = 200;
  r.headers.Set("Content-Type", result.content_type);
  r.headers.Set("X-Amz-Executed-Version", result.executed_version);
  r.headers.Set("X-Amzn-Trace-Id", result.trace_header);
  if (result.function_error) r.headers.Set("X-Amz-Function-Error", "Unhandled");
  if (!result.log_tail.empty()) r.headers.Set("X-Amz-Log-Result", Base64Encode(result.log_tail));
  r.body = std::move(result.body);
  return WithRequestId(std::move(r), request_id);
}

http::Response Render(const std::string& request_id, const Accepted& accepted) {
  http::Response r;
  r.status = accepted.type == InvocationType::kDryRun ? 204 : 202;
  r.headers.Set("X-Amz-Executed-Version", accepted.executed_version);
  return WithRequestId(std::move(r), request_id);
}

http::Response Render(const std::string& request_id, const InvokeError& error) {
  using T = InvokeErrorType;
  switch (error.type) {
    case T::kInvalidParameterValue:
      return WithRequestId(
          http::RestJsonError(400, "InvalidParameterValueException", error.message), request_id);
    case T::kInvalidRequestContent:
      return WithRequestId(
          http::RestJsonError(400, "InvalidRequestContentException", error.message), request_id);
    case T::kResourceNotFound:
      return WithRequestId(http::RestJsonError(404, "ResourceNotFoundException", error.message),
                           request_id);
    case T::kRequestTooLarge:
      return WithRequestId(
          http::RestJsonError(413, "RequestEntityTooLargeException", error.message), request_id);
    case T::kTooManyRequests: {
      // Lambda's throttle body: the reason apart from a fixed message, as botocore shows it.
      nlohmann::json body = {
          {"Reason", error.message}, {"Type", "User"}, {"message", "Rate Exceeded."}};
      http::Response r = http::Response::Json(
          429, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      r.headers.Set("x-amzn-ErrorType", "TooManyRequestsException");
      r.headers.Set("Retry-After", "1");
      return WithRequestId(std::move(r), request_id);
    }
    case T::kNotQueued:
      return WithRequestId(http::RestJsonError(500, "ServiceException", error.message, "Service"),
                           request_id);
    case T::kRecursiveInvocation: {
      // Its model names the field "Message", not "message".
      nlohmann::json body = {{"Type", "User"}, {"Message", error.message}};
      http::Response r = http::Response::Json(
          400, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      r.headers.Set("x-amzn-ErrorType", "RecursiveInvocationException");
      return WithRequestId(std::move(r), request_id);
    }
    case T::kNotStarted:
      return WithRequestId(http::RestJsonError(503, "ServiceException", error.message, "Service"),
                           request_id);
    case T::kAccessDenied:
      return WithRequestId(http::RestJsonError(403, "AccessDeniedException", error.message),
                           request_id);
  }
  return WithRequestId(http::RestJsonError(500, "ServiceException", error.message, "Service"),
                       request_id);
}

}  // namespace thaw::invoker
