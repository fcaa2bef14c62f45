// Maps API Gateway (REST v1 and HTTP v2) and ALB events to HTTP requests, and HTTP responses back
// to the proxy-integration result Lambda expects, as the Lambda Web Adapter does. Pure;
// thread-compatible.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace thaw::host {

struct HttpRequest {
  std::string method;
  std::string target;  // path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool v2 = false;  // the event was payload format 2.0
};

struct HttpResult {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  bool v2 = false;

  // The first value of a header, or "".
  std::string Header(const std::string& lower_name) const;
};

// The request an HTTP event stands for; InvalidArgument when the event is not an HTTP event.
StatusOr<HttpRequest> RequestFromEvent(const std::string& event_json);

// {"statusCode","headers","multiValueHeaders"(v1),"cookies"(v2),"body","isBase64Encoded"}.
// Text bodies (text/*, JSON, XML, JavaScript, form data) stay text; others are base64.
std::string ResponseToEvent(const HttpResult& result);

}  // namespace thaw::host
