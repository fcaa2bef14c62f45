// API routes: the paths of a REST API (Api events, payload 1.0) or an HTTP API (HttpApi events,
// payload 2.0 or 1.0) and how a request finds its route, by API Gateway's rules: literal path
// segments before {param} before {proxy+} (greedy, one or more segments), segment by segment;
// a route's own method before ANY. Pure; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "lambda/function_url.h"

namespace thaw::httpfront {

enum class ApiKind { kRest, kHttp };

// A Lambda authorizer (SAM Auth.Authorizers): a REST API's, TOKEN or REQUEST; or an HTTP API's
// (REQUEST, with its payload format and maybe simple responses).
struct Authorizer {
  std::string name;
  std::string function;  // name or ARN
  std::string type = "TOKEN";
  std::vector<std::string> headers;        // identity sources; TOKEN: the one header
  std::vector<std::string> query_strings;  // REQUEST only
  int64_t ttl_s = 300;                     // ReauthorizeEvery; 0: no caching
  std::string payload_version;             // HTTP API: "1.0" or "2.0"; "" for REST
  bool simple_responses = false;           // HTTP API at 2.0: {"isAuthorized": ...}
};

struct Route {
  ApiKind kind = ApiKind::kRest;
  std::string api_id;    // the API's logical id, or ServerlessRestApi / ServerlessHttpApi
  std::string stage;     // "Prod" for SAM's implicit REST API, "$default" for HTTP
  std::string method;    // upper case, or "ANY"
  std::string path;      // "/", "/items/{id}", "/files/{proxy+}"
  std::string function;  // the function's name
  std::string account = "000000000000";  // the API's owner: the account that deployed it
  std::string payload_version = "1.0";   // "2.0" for HttpApi unless PayloadFormatVersion says
  std::map<std::string, std::string> stage_variables;
  std::vector<std::string> binary_media_types;  // "image/png", "image/*", "*/*"
  // The API's CORS (HttpApi CorsConfiguration, Api Cors): preflights are answered from it,
  // and an HTTP API adds its headers to responses.
  std::optional<lambda::UrlCors> cors;
  std::optional<Authorizer> authorizer;
};

struct RouteMatch {
  const Route* route = nullptr;
  std::map<std::string, std::string> path_parameters;  // percent-decoded
};

// Whether `path` is a route path API Gateway accepts: starts with '/', segments non-empty,
// a {name+} only as the last segment.
bool ValidRoutePath(std::string_view path);

// The most specific route of `routes` for this method and path (raw, not decoded); nullopt when
// none matches. `path_only` is set when some route has the path but not the method.
std::optional<RouteMatch> MatchRoute(const std::vector<Route>& routes, std::string_view method,
                                     std::string_view path, bool* path_only = nullptr);

// A route as JSON (what thaw deploy sends and the server keeps), and back; InvalidArgument
// names the bad field.
nlohmann::json RouteToJson(const Route& route);
StatusOr<Route> RouteFromJson(const nlohmann::json& j);

// HTTP API's route key: "GET /items/{id}", "ANY /x", or "$default" for the path "$default".
std::string RouteKey(const Route& route);

}  // namespace thaw::httpfront
