// How a function's answer becomes the HTTP response of an API route with payload format 1.0
// (API Gateway's Lambda proxy integration): a JSON object of statusCode, headers,
// multiValueHeaders, body and isBase64Encoded; headers and multiValueHeaders merge, a name in
// both keeping only the multiValueHeaders values, as AWS does. Anything else (not an object,
// other keys, wrong types) is malformed, which the caller answers 502. Pure; thread-safe.
#pragma once

#include <string_view>

#include "base/status.h"
#include "http/message.h"

namespace thaw::httpfront {

// InvalidArgument for a malformed answer. With `decode_binary` false, an isBase64Encoded body is
// sent as the base64 text it is: what a REST API does unless the request's first Accept type is
// one of its binaryMediaTypes.
StatusOr<http::Response> MapResponseV1(std::string_view output, bool decode_binary = true);

// API Gateway's own answers: {"message": ...}.
http::Response ApiError(int status, std::string_view message);
http::Response ApiNotFound();       // 404 {"message":"Not Found"} (HTTP API)
http::Response ApiMissingToken();   // 403 {"message":"Missing Authentication Token"} (REST)
http::Response ApiInternalError();  // 502 {"message": "Internal server error"}

}  // namespace thaw::httpfront
