// Payload format 2.0: the event an HTTP request becomes for a function behind a function URL
// (and, later, an HTTP API route), built as AWS builds it: lower-cased headers with duplicates
// comma-joined, cookies split out of the Cookie header, the query parsed with duplicates
// comma-joined, a requestContext, and the body base64-encoded unless its content type is text.
// Fields AWS leaves out (no query, no cookies, no body) are left out. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace thaw::httpfront {

// requestContext.authorizer.iam of an AWS_IAM function URL.
struct IamCaller {
  std::string access_key;
  std::string account_id;
  std::string caller_id;
  std::string user_arn;
  std::string user_id;
};

struct HttpInput {
  std::string method;
  std::string raw_path;   // as sent, not percent-decoded; "/" at least
  std::string raw_query;  // without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // as received, in order
  std::string body;
  std::string source_ip;
  std::string protocol = "HTTP/1.1";
};

struct V2Context {
  std::string account_id;  // "anonymous" for AuthType NONE
  std::string api_id;      // the URL id
  std::string domain_name;
  std::string domain_prefix;
  std::string request_id;
  int64_t time_ms = 0;  // Unix ms the request arrived
  std::optional<IamCaller> iam;
  std::string authorizer;  // an HTTP API's requestContext.authorizer, JSON text; "" for none
  // An HTTP API route's (routes.h); a function URL keeps the defaults.
  std::string route_key = "$default";
  std::string stage = "$default";
  std::map<std::string, std::string> path_parameters;  // left out when empty
  std::map<std::string, std::string> stage_variables;  // left out when empty
};

// Whether AWS passes a body of this Content-Type as text (else base64): text/*, JSON, XML,
// JavaScript and their +json/+xml kinds. No content type at all is binary.
bool IsTextContentType(std::string_view content_type);

// "21/Apr/2020:15:08:21 +0000".
std::string FormatRequestTime(int64_t ms);

// The event as JSON text.
std::string BuildV2Event(const HttpInput& in, const V2Context& context);

}  // namespace thaw::httpfront
