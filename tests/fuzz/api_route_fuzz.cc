// Fuzzes the HTTP fronts' parsers (src/httpfront): a route's JSON (RouteFromJson, then matched
// against a path), a function's answer mapped as payload 1.0 (REST, decoded or not) and 2.0 (HTTP
// API and function URLs) map them, the events both payload formats build from a request, and the
// CORS preflight. Input: "METHOD PATH?QUERY\n", header lines "Name: value\n", an empty line, then
// the body, which is also read as a route and as a function's answer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/message.h"
#include "httpfront/cors.h"
#include "httpfront/payload_v1.h"
#include "httpfront/payload_v2.h"
#include "httpfront/response_v1.h"
#include "httpfront/response_v2.h"
#include "httpfront/routes.h"

namespace front = thaw::httpfront;

namespace {

std::string_view Line(std::string_view& rest) {
  size_t end = rest.find('\n');
  std::string_view line = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::string_view head = Line(rest);
  front::HttpInput in;
  in.method = std::string(head.substr(0, head.find(' ')));
  std::string_view target = in.method.size() < head.size() ? head.substr(in.method.size() + 1) : "";
  in.raw_path = std::string(target.substr(0, target.find('?')));
  if (in.raw_path.empty()) in.raw_path = "/";
  if (target.find('?') != std::string_view::npos) {
    in.raw_query = std::string(target.substr(target.find('?') + 1));
  }
  for (std::string_view line = Line(rest); !line.empty(); line = Line(rest)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    in.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  in.body = std::string(rest);
  in.source_ip = "127.0.0.1";

  auto route = front::RouteFromJson(nlohmann::json::parse(in.body, nullptr, false));
  std::vector<front::Route> routes;
  if (route.ok()) {
    (void)front::RouteFromJson(front::RouteToJson(*route));
    routes.push_back(*route);
  }
  front::Route fixed;
  fixed.path = "/items/{id}/{proxy+}";
  fixed.method = "ANY";
  routes.push_back(fixed);
  bool path_only = false;
  auto match = front::MatchRoute(routes, in.method, in.raw_path, &path_only);

  front::V1Context v1;
  v1.resource = match ? match->route->path : "/";
  v1.path = in.raw_path;
  if (match) v1.path_parameters = match->path_parameters;
  front::V2Context v2;
  if (match) v2.path_parameters = match->path_parameters;
  std::string content_type;
  for (const auto& [name, value] : in.headers) {
    if (name == "Content-Type") content_type = value;
  }
  bool binary = front::IsBinaryMediaType(content_type, {"image/*", "application/octet-stream"});
  (void)nlohmann::json::parse(front::BuildV1Event(in, v1, binary));
  (void)nlohmann::json::parse(front::BuildV2Event(in, v2));

  (void)front::MapResponseV1(in.body, true);
  (void)front::MapResponseV1(in.body, false);
  (void)front::MapResponse(in.body);
  (void)front::MapStreamedResponse(in.body);

  thaw::lambda::UrlCors cors;
  cors.allow_origins = {"*"};
  cors.allow_methods = {"GET", "POST"};
  cors.allow_headers = {"x-custom"};
  thaw::http::Request request;
  request.method = in.method;
  for (const auto& [name, value] : in.headers) request.headers.Add(name, value);
  if (front::IsPreflight(request)) (void)front::Preflight(cors, request);
  thaw::http::Response response;
  front::AddCorsHeaders(cors, request, &response);
  return 0;
}
