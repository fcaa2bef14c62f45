// Payload format 1.0: the event an HTTP request becomes for a REST API route (and an HTTP API
// route whose PayloadFormatVersion is 1.0), as API Gateway's Lambda proxy integration builds it:
// headers and queryStringParameters with the last value of a repeated name, their
// multiValue* twins with every value, pathParameters, stageVariables, a requestContext, and the
// body base64-encoded when the API's BinaryMediaTypes cover its Content-Type. What is absent
// (no query, no parameters, no body) is null, as AWS sends it. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "httpfront/payload_v2.h"

namespace thaw::httpfront {

struct V1Context {
  std::string resource;  // the route's path: "/items/{id}"
  std::string path;      // the path the route matched, without the stage
  std::string stage;
  std::map<std::string, std::string> path_parameters;
  std::map<std::string, std::string> stage_variables;
  std::string account_id;
  std::string api_id;
  std::string resource_id;
  std::string domain_name;
  std::string request_id;
  int64_t time_ms = 0;
  std::string
      authorizer;  // requestContext.authorizer as JSON text (a Lambda authorizer's); "" none
};

// Whether a body of this Content-Type is binary for an API with these BinaryMediaTypes
// ("image/png", "image/*", "*/*"; SAM's "~1" for "/" is understood).
bool IsBinaryMediaType(std::string_view content_type, const std::vector<std::string>& types);

// The event as JSON text. `binary` says whether the body is passed base64-encoded.
std::string BuildV1Event(const HttpInput& in, const V1Context& context, bool binary);

}  // namespace thaw::httpfront
