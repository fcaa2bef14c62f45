// How a function's answer becomes the HTTP response of a function URL (payload format 2.0's
// response, as AWS maps it): a JSON object with statusCode gives the status, headers, cookies
// (one set-cookie each) and body (base64-decoded when isBase64Encoded); any other JSON answer
// (a string, a number, an object without statusCode) is a 200 application/json whose body is the
// answer (a string's text without its quotes). An answer that is not JSON, or a statusCode,
// headers, cookies or body of the wrong type, is malformed: 502. Also reads the
// HTTP-integration prelude of a streamed answer (JSON metadata, then 8 NUL bytes) out of a
// buffered body. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "http/message.h"

namespace thaw::httpfront {

// InvalidArgument for a malformed answer.
StatusOr<http::Response> MapResponse(std::string_view output);

// An answer object's body and isBase64Encoded (payload 1.0 and 2.0 alike) into *body; left as it
// is when the answer has no body. InvalidArgument when either has the wrong type.
Status ReadAnswerBody(const nlohmann::json& answer, std::string* body);

// A streamed answer's prelude and body, when `output` begins with one.
std::optional<http::Response> MapStreamedResponse(std::string_view output);

// AWS's answers for the URL's own errors, {"Message": ...} JSON or Lambda's text.
http::Response UrlError(int status, std::string_view message);
http::Response BadGateway();  // 502: the function failed or answered malformed

}  // namespace thaw::httpfront
