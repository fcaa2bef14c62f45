// HttpPrelude: splits a streamed response in the HTTP integration format (what a function URL
// in RESPONSE_STREAM mode gets; Content-Type application/vnd.awslambda.http-integration-response):
// a JSON prelude {statusCode, headers, cookies}, 8 NUL bytes, then the body. aws-lambda-go's
// events.LambdaFunctionURLStreamingResponse and Node's HttpResponseStream.from write it. Fed the
// stream's pieces in order (a ResponseSink's OnChunk); thread-compatible.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace thaw::invoker {

inline constexpr char kHttpIntegrationContentType[] =
    "application/vnd.awslambda.http-integration-response";

class HttpPrelude {
 public:
  // A prelude longer than this is not one: everything so far counts as body.
  static constexpr size_t kMaxPreludeBytes = 64 * 1024;

  // The next piece of the stream; returns the body bytes it completes (empty while the
  // prelude is still arriving).
  std::string Feed(std::string_view data);
  // The prelude's JSON text once the separator came; nullopt before (or when there was none).
  const std::optional<std::string>& prelude() const { return prelude_; }
  // True once the body has begun (after the prelude, or after giving up on one).
  bool in_body() const { return in_body_; }

 private:
  std::string pending_;
  std::optional<std::string> prelude_;
  bool in_body_ = false;
};

}  // namespace thaw::invoker
