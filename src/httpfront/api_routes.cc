#include "httpfront/api_routes.h"

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <utility>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "base/log.h"
#include "httpfront/cors.h"
#include "httpfront/payload_v1.h"
#include "httpfront/payload_v2.h"
#include "httpfront/response_v1.h"
#include "httpfront/response_v2.h"
#include "invoker/invoke_request.h"
#include "lambda/function.h"
#include "trace/trace_header.h"

namespace thaw::httpfront {

using nlohmann::json;

namespace {

constexpr uint64_t kMaxRequestBytes = invoker::kMaxSyncRequestBytes;
constexpr uint64_t kControlBodyLimit = 1 << 20;

std::string RawPath(const http::Request& request) {
  std::string_view target = request.target;
  std::string path(target.substr(0, target.find('?')));
  return path.empty() ? "/" : path;
}

// The id in /thaw/api-routes/{id}; "" for the collection, nullopt for other paths.
std::optional<std::string> ControlId(const http::Request& request) {
  std::string_view path = request.path;
  std::string_view prefix = kApiRoutesPath;
  if (!path.starts_with(prefix)) return std::nullopt;
  path.remove_prefix(prefix.size());
  if (path.empty()) return std::string();
  if (!path.starts_with('/') || path.size() == 1) return std::nullopt;
  path.remove_prefix(1);
  if (path.find('/') != std::string_view::npos) return std::nullopt;
  return std::string(path);
}

// A short stable id for a route's resource, as API Gateway gives each path one.
std::string ResourceId(const Route& route) {
  static const char kDigits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  uint64_t h = std::hash<std::string>{}(route.api_id + " " + route.path);
  std::string out;
  for (int i = 0; i < 6; ++i, h /= 36) out += kDigits[h % 36];
  return out;
}

http::Response HttpApiError() {  // an HTTP API's 500
  return ApiError(500, "Internal Server Error");
}

}  // namespace

ApiRoutes::ApiRoutes(invoker::Invoker& invoker, const lambda::Registry& registry,
                     const Clock& clock, boost::asio::io_context& loop,
                     boost::asio::io_context& control, store::Database* db)
    : invoker_(invoker),
      registry_(registry),
      clock_(clock),
      loop_(loop),
      control_(control),
      db_(db) {}

ApiRoutes::~ApiRoutes() = default;

Status ApiRoutes::Start(std::string legacy_file) {
  if (db_ == nullptr) return Status::Ok();
  THAW_RETURN_IF_ERROR(db_->Exec(
      "CREATE TABLE IF NOT EXISTS api_routes (id TEXT PRIMARY KEY, route TEXT NOT NULL)"));
  if (std::ifstream in(legacy_file); in) {
    std::stringstream text;
    text << in.rdbuf();
    json j = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) {
      THAW_LOG(kWarn, "api") << legacy_file << " is not a JSON object: left alone, not imported";
      j = json::object();
      legacy_file.clear();
    }
    for (const auto& [id, value] : j.items()) {
      THAW_ASSIGN_OR_RETURN(auto stmt,
                            db_->Prepare("INSERT OR REPLACE INTO api_routes VALUES (?, ?)"));
      stmt.Bind(1, id);
      stmt.Bind(2, value.dump());
      THAW_RETURN_IF_ERROR(stmt.Run());
    }
    std::error_code ec;
    // Imported: state.db keeps them from now on.
    if (!legacy_file.empty()) std::filesystem::remove(legacy_file, ec);
  }
  THAW_ASSIGN_OR_RETURN(auto stmt, db_->Prepare("SELECT id, route FROM api_routes"));
  for (;;) {
    THAW_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    std::string id = stmt.Text(0);
    StatusOr<Route> route = RouteFromJson(json::parse(stmt.Text(1), nullptr, false));
    if (!route.ok()) {
      THAW_LOG(kWarn, "api") << "skipping stored route " << id << ": " << route.status().ToString();
      continue;
    }
    routes_[id] = std::move(*route);
  }
  list_.clear();
  for (const auto& [id, route] : routes_) list_.push_back(route);
  return Status::Ok();
}

void ApiRoutes::Persist(const std::string& id, std::optional<std::string> stored,
                        std::function<void(Status)> done) {
  if (db_ == nullptr) return done(Status::Ok());
  boost::asio::post(control_, [this, alive = std::weak_ptr<int>(alive_), id,
                               stored = std::move(stored), done = std::move(done)]() mutable {
    if (alive.expired()) return;
    Status s = [&]() -> Status {
      THAW_ASSIGN_OR_RETURN(auto stmt,
                            db_->Prepare(stored ? "INSERT OR REPLACE INTO api_routes VALUES (?, ?)"
                                                : "DELETE FROM api_routes WHERE id = ?"));
      stmt.Bind(1, id);
      if (stored) stmt.Bind(2, *stored);
      return stmt.Run();
    }();
    if (!s.ok()) THAW_LOG(kError, "api") << "storing route " << id << ": " << s.ToString();
    boost::asio::post(loop_, [alive, s, done = std::move(done)] {
      if (!alive.expired()) done(s);
    });
  });
}

std::optional<uint64_t> ApiRoutes::BodyLimit(const http::Request& head) const {
  if (!ControlId(head)) return std::nullopt;
  return kControlBodyLimit;
}

std::optional<auth::Operation> ApiRoutes::Describe(const http::Request& request) const {
  std::optional<std::string> id = ControlId(request);
  if (!id) return std::nullopt;
  std::string action = request.method == "GET"      ? "thaw:GetApiRoutes"
                       : request.method == "DELETE" ? "thaw:DeleteApiRoute"
                                                    : "thaw:PutApiRoute";
  return auth::Operation{auth::Operation::Plane::kThaw, action, "*", ""};
}

bool ApiRoutes::Handle(http::Request& request, http::ResponseWriter& writer) {
  std::optional<std::string> id = ControlId(request);
  if (!id) return false;
  auto error = [&](int status, std::string_view message) {
    writer.Send(http::Response::Json(status, json{{"message", message}}.dump()));
    return true;
  };
  if (id->empty()) {
    if (request.method != "GET") return error(405, "method not allowed");
    json routes = json::array();
    for (const auto& [rid, route] : routes_) {
      json r = RouteToJson(route);
      r["Id"] = rid;
      routes.push_back(std::move(r));
    }
    json listener = listener_url_.empty() ? json(nullptr) : json(listener_url_);
    writer.Send(http::Response::Json(
        200, json{{"Routes", std::move(routes)}, {"Listener", listener}}.dump()));
    return true;
  }
  std::optional<std::string> stored;
  if (request.method == "DELETE") {
    routes_.erase(*id);
  } else if (request.method == "PUT") {
    if (request.oversized) return error(413, "route too large");
    json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    StatusOr<Route> route = RouteFromJson(body);
    if (!route.ok()) return error(400, route.status().message());
    // The API belongs to the caller's account, and reaches only that account's functions: a
    // route is public, so it must not expose another account's function.
    route->account = request.account.empty() ? lambda::kAccount : request.account;
    for (const std::string* fn :
         {&route->function, route->authorizer ? &route->authorizer->function : &route->function}) {
      auto ref = lambda::ParseFunctionRef(*fn);
      if (ref && !ref->account.empty() && ref->account != route->account) {
        return error(403, "a route may name only functions of its own account");
      }
    }
    stored = RouteToJson(*route).dump();
    routes_[*id] = std::move(*route);
  } else {
    return error(405, "method not allowed");
  }
  list_.clear();
  for (const auto& [rid, route] : routes_) list_.push_back(route);
  http::Response answer;
  answer.status = 204;
  if (stored) {
    json body = RouteToJson(routes_[*id]);
    body["Listener"] = listener_url_.empty() ? json(nullptr) : json(listener_url_);
    answer = http::Response::Json(200, body.dump());
  }
  // Answered once committed, so a route acknowledged survives a killed server.
  Persist(*id, std::move(stored),
          [w = std::make_shared<http::ResponseWriter>(std::move(writer)),
           answer = std::move(answer)](Status s) mutable {
            if (!s.ok()) {
              return w->Send(http::Response::Json(500, json{{"message", s.message()}}.dump()));
            }
            w->Send(std::move(answer));
          });
  return true;
}

std::optional<uint64_t> ApiRoutes::Listener::BodyLimit(const http::Request& head) {
  (void)head;
  return kMaxRequestBytes;
}

void ApiRoutes::Listener::Handle(http::Request request, http::ResponseWriter writer) {
  routes_.Dispatch(std::move(request), std::move(writer));
}

void ApiRoutes::Dispatch(http::Request request, http::ResponseWriter writer) {
  const std::string path = RawPath(request);
  if (IsPreflight(request)) {
    // Answered from the CORS of the route the real request would take, as API Gateway does.
    std::string method(request.headers.Get("Access-Control-Request-Method").value_or(""));
    std::optional<RouteMatch> m = MatchRoute(list_, method, path);
    std::string_view rest_path = std::string_view(path).substr(1);
    if (!m && rest_path.find('/') != std::string_view::npos) {
      m = MatchRoute(list_, method, rest_path.substr(rest_path.find('/')));
    }
    if (m && m->route->cors) return writer.Send(Preflight(*m->route->cors, request));
  }
  bool any_http = false;
  for (const Route& r : list_) any_http = any_http || r.kind == ApiKind::kHttp;
  // /<stage>/rest: the routes of that stage, as execute-api serves them.
  std::string_view rest = std::string_view(path).substr(1);
  std::string first(rest.substr(0, rest.find('/')));
  std::string staged =
      rest.find('/') == std::string_view::npos ? "/" : std::string(rest.substr(rest.find('/')));
  std::vector<Route> of_stage;
  for (const Route& r : list_) {
    if (!first.empty() && r.stage == first) of_stage.push_back(r);
  }
  std::optional<RouteMatch> match;
  std::string route_path = path;
  if (!of_stage.empty()) {
    match = MatchRoute(of_stage, request.method, staged);
    route_path = staged;
    if (match) {
      Route route = *match->route;
      return Serve(route, std::move(match->path_parameters), route_path, std::move(request),
                   std::move(writer));
    }
  }
  // /path: every route, as `sam local start-api` serves them.
  match = MatchRoute(list_, request.method, path);
  if (!match) {
    bool rest_stage = !of_stage.empty() && of_stage.front().kind == ApiKind::kRest;
    return writer.Send(any_http && !rest_stage ? ApiNotFound() : ApiMissingToken());
  }
  Route route = *match->route;
  Serve(route, std::move(match->path_parameters), path, std::move(request), std::move(writer));
}

// A request on its way to its route's function, held across the authorizer's invoke.
struct ApiRoutes::Pending {
  Route route;
  std::map<std::string, std::string> path_parameters;
  std::string path;
  HttpInput in;
  std::string content_type;
  bool accepts_binary = false;  // the first Accept type is a binary media type (REST)
  std::string domain;
  std::string request_id;
  std::string trace;
  int64_t arrived_ns = 0;
  http::Request origin;  // the Origin alone, for CORS headers
  http::ResponseWriter writer;

  bool rest() const { return route.kind == ApiKind::kRest; }
  http::Response Failed() const {
    http::Response r = rest() ? ApiInternalError() : HttpApiError();
    r.headers.Set(rest() ? "x-amzn-RequestId" : "apigw-requestid", request_id);
    return r;
  }
  void Send(http::Response r) {
    r.headers.Set(rest() ? "x-amzn-RequestId" : "apigw-requestid", request_id);
    writer.Send(std::move(r));
  }
};

void ApiRoutes::Serve(const Route& route, std::map<std::string, std::string> path_parameters,
                      std::string path, http::Request request, http::ResponseWriter writer) {
  auto p = std::make_shared<Pending>();
  p->arrived_ns = clock_.MonotonicNanos();
  p->request_id = NewUuid();
  p->route = route;
  p->path_parameters = std::move(path_parameters);
  p->path = path;
  p->writer = std::move(writer);
  if (request.oversized) return p->Send(ApiError(413, "Request Entity Too Large"));
  HttpInput& in = p->in;
  in.method = request.method;
  in.raw_path = path;
  in.raw_query = request.query;
  in.headers = request.headers.all();
  in.source_ip = request.peer_address;
  // A trace the caller started continues (as API Gateway continues an X-Ray trace); otherwise a
  // new one begins here.
  std::string incoming(request.headers.Get("X-Amzn-Trace-Id").value_or(""));
  const bool continued = incoming.find("Root=") != std::string::npos;
  p->trace =
      continued ? incoming : trace::FormatTraceHeader(trace::NewTrace(clock_.RealtimeMillis()));
  in.headers.emplace_back("X-Forwarded-For", request.peer_address);
  in.headers.emplace_back("X-Forwarded-Port", std::to_string(request.local_port));
  in.headers.emplace_back("X-Forwarded-Proto", "http");
  if (!continued) in.headers.emplace_back("X-Amzn-Trace-Id", p->trace);
  p->content_type = std::string(request.headers.Get("Content-Type").value_or(""));
  std::string_view accept = request.headers.Get("Accept").value_or("");
  p->accepts_binary =
      IsBinaryMediaType(accept.substr(0, accept.find(',')), route.binary_media_types);
  in.body = std::move(request.body);
  p->domain = std::string(request.headers.Get("Host").value_or("localhost"));
  if (auto o = request.headers.Get("Origin")) p->origin.headers.Set("Origin", *o);
  if (route.authorizer) return Authorize(std::move(p));
  Invoke(std::move(p), "");
}

namespace {

// Whether a policy Resource ("arn:...:api/stage/GET/path", with * wildcards) covers `arn`.
bool ArnMatches(std::string_view pattern, std::string_view arn) {
  if (pattern.empty()) return arn.empty();
  if (pattern.front() == '*') {
    for (size_t i = 0; i <= arn.size(); ++i) {
      if (ArnMatches(pattern.substr(1), arn.substr(i))) return true;
    }
    return false;
  }
  return !arn.empty() && pattern.front() == arn.front() &&
         ArnMatches(pattern.substr(1), arn.substr(1));
}

// The policy's verdict on `arn`: "Allow", "Deny" (an explicit deny) or "" (nothing allows).
std::string Verdict(const json& answer, const std::string& arn) {
  const json* doc = nullptr;
  if (auto d = answer.find("policyDocument"); d != answer.end() && d->is_object()) doc = &*d;
  if (!doc || !doc->contains("Statement")) return "";
  json statements = (*doc)["Statement"];
  if (statements.is_object()) statements = json::array({statements});
  if (!statements.is_array()) return "";
  bool allowed = false;
  for (const json& st : statements) {
    if (!st.is_object()) continue;
    std::string effect = st.value("Effect", "");
    json resources = st.value("Resource", json::array());
    if (resources.is_string()) resources = json::array({resources});
    bool covers = false;
    for (const json& r : resources) {
      covers = covers || (r.is_string() && ArnMatches(r.get<std::string>(), arn));
    }
    if (!covers) continue;
    if (effect == "Deny") return "Deny";
    if (effect == "Allow") allowed = true;
  }
  return allowed ? "Allow" : "";
}

}  // namespace

// An authorizer that failed (not found, an error, a malformed answer): REST's 500, or an HTTP
// API's.
http::Response ApiRoutes::AuthorizerError(const Pending& p) {
  return p.rest() ? ApiError(500, "Internal server error") : HttpApiError();
}

void ApiRoutes::Authorize(std::shared_ptr<Pending> p) {
  const Authorizer& auth = *p->route.authorizer;
  // The identity sources: each must be present, as API Gateway requires.
  std::string identity;
  std::string token;
  std::vector<std::string> sources;
  for (const std::string& header : auth.headers) {
    std::optional<std::string> value;
    for (const auto& [name, v] : p->in.headers) {
      if (EqualsIgnoreCase(name, header)) value = v;
    }
    if (!value || value->empty()) return p->Send(ApiError(401, "Unauthorized"));
    if (token.empty()) token = *value;
    identity += *value + "\n";
    sources.push_back(*value);
  }
  for (const std::string& key : auth.query_strings) {
    http::Request q;
    q.query = p->in.raw_query;
    std::optional<std::string> value = q.QueryParam(key);
    if (!value || value->empty()) return p->Send(ApiError(401, "Unauthorized"));
    identity += *value + "\n";
    sources.push_back(*value);
  }
  const std::string method_arn = "arn:aws:execute-api:us-east-1:" + p->route.account + ":" +
                                 p->route.api_id + "/" + p->route.stage + "/" + p->in.method +
                                 p->path;
  const std::string cache_key = p->route.api_id + "\n" + auth.name + "\n" + identity;
  const int64_t now_ms = clock_.RealtimeMillis();
  if (auto cached = auth_cache_.find(cache_key); cached != auth_cache_.end()) {
    if (cached->second.expires_ms > now_ms)
      return Authorized(std::move(p), cached->second.answer, method_arn);
    auth_cache_.erase(cached);
  }
  StatusOr<lambda::Resolved> target = registry_.Resolve(auth.function, "", p->route.account);
  if (!target.ok()) {
    THAW_LOG(kInfo, "api-routes") << "authorizer " << auth.name << ": "
                                  << target.status().message();
    return p->Send(AuthorizerError(*p));
  }
  json event;
  if (auth.type == "TOKEN") {
    event = {{"type", "TOKEN"}, {"authorizationToken", token}, {"methodArn", method_arn}};
  } else if (auth.payload_version == "2.0") {  // an HTTP API's
    event = json::parse(BuildV2Event(p->in, V2ContextOf(*p)), nullptr, false);
    event.erase("body");
    event.erase("isBase64Encoded");
    event["type"] = "REQUEST";
    event["routeArn"] = method_arn;
    event["identitySource"] = sources;
  } else {
    V1Context c = V1ContextOf(*p);
    event = json::parse(BuildV1Event(p->in, c, false), nullptr, /*allow_exceptions=*/false);
    event["type"] = "REQUEST";
    event["methodArn"] = method_arn;
    if (!auth.payload_version.empty()) {  // an HTTP API's at 1.0
      std::string joined;
      for (const std::string& s : sources) joined += (joined.empty() ? "" : ",") + s;
      event["version"] = "1.0";
      event["identitySource"] = joined;
      event["authorizationToken"] = joined;
    }
  }
  runtime_api::Event e;
  e.request_id = NewUuid();
  e.trace_id = p->trace;
  e.payload = event.dump();
  // Without identity sources there is nothing to cache by.
  const int64_t ttl_ms = sources.empty() ? 0 : auth.ttl_s * 1000;
  Status s = invoker_.Invoke(
      *target, std::move(e), /*want_tail=*/false,
      [this, p, cache_key, method_arn, ttl_ms](invoker::InvokeResult result) mutable {
        // A REST authorizer's error is the client's 401; an HTTP API's is the API's 500.
        if (result.function_error) {
          return p->Send(p->rest() ? ApiError(401, "Unauthorized") : AuthorizerError(*p));
        }
        json answer = json::parse(result.body, nullptr, /*allow_exceptions=*/false);
        if (!answer.is_object()) return p->Send(AuthorizerError(*p));
        if (ttl_ms > 0) {
          auth_cache_[cache_key] = {clock_.RealtimeMillis() + ttl_ms, answer};
        }
        Authorized(std::move(p), answer, method_arn);
      },
      {.arrived_ns = p->arrived_ns});
  if (!s.ok()) p->Send(AuthorizerError(*p));
}

void ApiRoutes::Authorized(std::shared_ptr<Pending> p, const json& answer,
                           const std::string& method_arn) {
  const Authorizer& auth = *p->route.authorizer;
  if (!p->rest()) {
    bool allowed = false;
    if (auth.simple_responses) {
      auto yes = answer.find("isAuthorized");
      if (yes == answer.end() || !yes->is_boolean()) return p->Send(AuthorizerError(*p));
      allowed = yes->get<bool>();
    } else {
      allowed = Verdict(answer, method_arn) == "Allow";
    }
    if (!allowed) return p->Send(ApiError(403, "Forbidden"));
    json context = json::object();
    if (auto c = answer.find("context"); c != answer.end() && c->is_object()) context = *c;
    if (p->route.payload_version == "2.0")
      return Invoke(std::move(p), json{{"lambda", context}}.dump());
    context["principalId"] = answer.value("principalId", json(""));
    context["integrationLatency"] = 0;
    return Invoke(std::move(p), context.dump());
  }
  std::string verdict = Verdict(answer, method_arn);
  if (verdict == "Deny") {
    return p->Send(http::Response::Json(
        403, json{{"Message",
                   "User is not authorized to access this resource with an explicit "
                   "deny"}}
                 .dump()));
  }
  if (verdict != "Allow") {
    return p->Send(http::Response::Json(
        403, json{{"Message", "User is not authorized to access this resource"}}.dump()));
  }
  json authorizer = json::object();
  if (auto c = answer.find("context"); c != answer.end() && c->is_object()) authorizer = *c;
  authorizer["principalId"] = answer.value("principalId", json(""));
  authorizer["integrationLatency"] = 0;
  Invoke(std::move(p), authorizer.dump());
}

V1Context ApiRoutes::V1ContextOf(const Pending& p) const {
  V1Context c;
  c.resource = p.route.path;
  c.path = p.path;
  c.stage = p.route.stage;
  c.path_parameters = p.path_parameters;
  c.stage_variables = p.route.stage_variables;
  c.account_id = p.route.account;
  c.api_id = p.route.api_id;
  c.resource_id = ResourceId(p.route);
  c.domain_name = p.domain;
  c.request_id = p.request_id;
  c.time_ms = clock_.RealtimeMillis();
  return c;
}

V2Context ApiRoutes::V2ContextOf(const Pending& p) const {
  V2Context c;
  c.account_id = p.route.account;
  c.api_id = p.route.api_id;
  c.domain_name = p.domain;
  c.domain_prefix = p.domain.substr(0, p.domain.find('.'));
  c.request_id = p.request_id;
  c.time_ms = clock_.RealtimeMillis();
  c.route_key = RouteKey(p.route);
  c.stage = p.route.stage;
  c.path_parameters = p.path_parameters;
  c.stage_variables = p.route.stage_variables;
  return c;
}

void ApiRoutes::Invoke(std::shared_ptr<Pending> p, std::string authorizer) {
  const Route& route = p->route;
  const bool rest = p->rest();
  const bool v1 = route.payload_version == "1.0";
  StatusOr<lambda::Resolved> target = registry_.Resolve(route.function, "", route.account);
  if (!target.ok()) {
    THAW_LOG(kInfo, "api-routes") << "route " << route.method << " " << route.path << ": "
                                  << target.status().message();
    return p->writer.Send(p->Failed());
  }
  runtime_api::Event event;
  event.request_id = p->request_id;
  event.trace_id = p->trace;
  if (v1) {
    V1Context c = V1ContextOf(*p);
    c.authorizer = std::move(authorizer);
    bool binary = rest ? IsBinaryMediaType(p->content_type, route.binary_media_types)
                       : !IsTextContentType(p->content_type);
    event.payload = BuildV1Event(p->in, c, binary);
  } else {
    V2Context c = V2ContextOf(*p);
    c.authorizer = std::move(authorizer);
    event.payload = BuildV2Event(p->in, c);
  }
  if (event.payload.size() > kMaxRequestBytes) {
    return p->Send(ApiError(413, "Request Entity Too Large"));
  }
  const int64_t arrived_ns = p->arrived_ns;
  Status s = invoker_.Invoke(
      *target, std::move(event), /*want_tail=*/false,
      [p, v1, rest](invoker::InvokeResult result) {
        if (result.function_error) return p->writer.Send(p->Failed());
        // A REST API sends binary only to a client that asks first
        // for a binary media type; an HTTP API always decodes.
        StatusOr<http::Response> mapped =
            v1 ? MapResponseV1(result.body, !rest || p->accepts_binary) : MapResponse(result.body);
        if (!mapped.ok()) {
          THAW_LOG(kInfo, "api-routes")
              << "request " << p->request_id << ": malformed answer: " << mapped.status().message();
          return p->writer.Send(p->Failed());
        }
        // An HTTP API adds CORS headers; a REST proxy integration leaves
        // them to the function.
        if (!rest && p->route.cors) AddCorsHeaders(*p->route.cors, p->origin, &*mapped);
        p->Send(std::move(*mapped));
      },
      {.arrived_ns = arrived_ns});
  if (s.ok()) return;
  p->Send(s.code() == StatusCode::kResourceExhausted ? ApiError(429, "Too Many Requests")
                                                     : p->Failed());
}

}  // namespace thaw::httpfront
