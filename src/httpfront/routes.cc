#include "httpfront/routes.h"

#include <cctype>

#include "base/codec.h"

namespace thaw::httpfront {

namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.starts_with('/')) path.remove_prefix(1);
  while (!path.empty()) {
    size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

enum Kind { kGreedy = 0, kParam = 1, kLiteral = 2 };

Kind KindOf(std::string_view segment) {
  if (segment.size() > 2 && segment.front() == '{' && segment.back() == '}') {
    return segment.ends_with("+}") ? kGreedy : kParam;
  }
  return kLiteral;
}

std::string_view ParamName(std::string_view segment) {
  segment = segment.substr(1, segment.size() - 2);
  if (segment.ends_with('+')) segment.remove_suffix(1);
  return segment;
}

// The kinds of a route's segments when it matches `path`, with its parameters.
std::optional<std::vector<int>> Match(const Route& route, const std::vector<std::string_view>& path,
                                      std::map<std::string, std::string>* params) {
  std::vector<std::string_view> segments = Segments(route.path);
  std::vector<int> kinds;
  for (size_t i = 0; i < segments.size(); ++i) {
    Kind kind = KindOf(segments[i]);
    kinds.push_back(kind);
    if (kind == kGreedy) {
      if (i >= path.size()) return std::nullopt;
      std::string rest;
      for (size_t j = i; j < path.size(); ++j) {
        if (j > i) rest += '/';
        rest += path[j];
      }
      (*params)[std::string(ParamName(segments[i]))] = PercentDecode(rest);
      return kinds;
    }
    if (i >= path.size()) return std::nullopt;
    if (kind == kParam) {
      if (path[i].empty()) return std::nullopt;
      (*params)[std::string(ParamName(segments[i]))] = PercentDecode(path[i]);
    } else if (segments[i] != path[i]) {
      return std::nullopt;
    }
  }
  if (segments.size() != path.size()) return std::nullopt;
  return kinds;
}

}  // namespace

bool ValidRoutePath(std::string_view path) {
  if (path == "/") return true;
  if (!path.starts_with('/')) return false;
  std::vector<std::string_view> segments = Segments(path);
  for (size_t i = 0; i < segments.size(); ++i) {
    if (segments[i].empty()) return false;
    if (KindOf(segments[i]) == kGreedy && i + 1 != segments.size()) return false;
  }
  return true;
}

std::optional<RouteMatch> MatchRoute(const std::vector<Route>& routes, std::string_view method,
                                     std::string_view path, bool* path_only) {
  if (path_only) *path_only = false;
  std::vector<std::string_view> segments = Segments(path);
  std::optional<RouteMatch> best;
  std::vector<int> best_kinds;
  bool best_exact = false;
  const Route* fallback = nullptr;  // an HTTP API's $default route
  for (const Route& route : routes) {
    if (route.path == "$default") {
      fallback = &route;
      continue;
    }
    std::map<std::string, std::string> params;
    std::optional<std::vector<int>> kinds = Match(route, segments, &params);
    if (!kinds) continue;
    bool exact = route.method == method;
    if (!exact && route.method != "ANY") {
      if (path_only) *path_only = true;
      continue;
    }
    // Lexicographically larger kinds are more specific; a route's own method breaks the tie.
    bool better = !best || *kinds > best_kinds || (*kinds == best_kinds && exact && !best_exact);
    if (better) {
      best = RouteMatch{&route, std::move(params)};
      best_kinds = std::move(*kinds);
      best_exact = exact;
    }
  }
  if (!best && fallback) best = RouteMatch{fallback, {}};
  if (best && path_only) *path_only = false;
  return best;
}

nlohmann::json RouteToJson(const Route& route) {
  nlohmann::json j = {{"Kind", route.kind == ApiKind::kRest ? "REST" : "HTTP"},
                      {"ApiId", route.api_id},
                      {"Stage", route.stage},
                      {"Method", route.method},
                      {"Path", route.path},
                      {"FunctionName", route.function},
                      {"Account", route.account},
                      {"PayloadFormatVersion", route.payload_version},
                      {"StageVariables", route.stage_variables},
                      {"BinaryMediaTypes", route.binary_media_types}};
  if (route.cors) {
    const lambda::UrlCors& c = *route.cors;
    nlohmann::json cors = {{"AllowOrigins", c.allow_origins},
                           {"AllowMethods", c.allow_methods},
                           {"AllowHeaders", c.allow_headers},
                           {"ExposeHeaders", c.expose_headers}};
    if (c.allow_credentials) cors["AllowCredentials"] = *c.allow_credentials;
    if (c.max_age) cors["MaxAge"] = *c.max_age;
    j["Cors"] = std::move(cors);
  }
  if (route.authorizer) {
    const Authorizer& a = *route.authorizer;
    j["Authorizer"] = {{"Name", a.name},       {"FunctionArn", a.function},       {"Type", a.type},
                       {"Headers", a.headers}, {"QueryStrings", a.query_strings}, {"Ttl", a.ttl_s}};
    if (!a.payload_version.empty()) {
      j["Authorizer"]["PayloadFormatVersion"] = a.payload_version;
      j["Authorizer"]["SimpleResponses"] = a.simple_responses;
    }
  }
  return j;
}

StatusOr<Route> RouteFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::InvalidArgument("a route is a JSON object");
  auto text = [&](const char* key, std::string* out, bool required) -> Status {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      return required ? Status::InvalidArgument(std::string(key) + " is required") : Status::Ok();
    }
    if (!it->is_string()) return Status::InvalidArgument(std::string(key) + " must be a string");
    *out = it->get<std::string>();
    return Status::Ok();
  };
  Route r;
  std::string kind = "REST";
  THAW_RETURN_IF_ERROR(text("Kind", &kind, false));
  if (kind != "REST" && kind != "HTTP") return Status::InvalidArgument("Kind is REST or HTTP");
  r.kind = kind == "REST" ? ApiKind::kRest : ApiKind::kHttp;
  r.stage = r.kind == ApiKind::kRest ? "Prod" : "$default";
  r.payload_version = r.kind == ApiKind::kRest ? "1.0" : "2.0";
  THAW_RETURN_IF_ERROR(text("ApiId", &r.api_id, true));
  THAW_RETURN_IF_ERROR(text("Stage", &r.stage, false));
  THAW_RETURN_IF_ERROR(text("Method", &r.method, true));
  THAW_RETURN_IF_ERROR(text("Path", &r.path, true));
  THAW_RETURN_IF_ERROR(text("FunctionName", &r.function, true));
  THAW_RETURN_IF_ERROR(text("Account", &r.account, false));
  THAW_RETURN_IF_ERROR(text("PayloadFormatVersion", &r.payload_version, false));
  for (char& c : r.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (r.method == "X-AMAZON-APIGATEWAY-ANY-METHOD" || r.method == "*") r.method = "ANY";
  if (r.payload_version != "1.0" && r.payload_version != "2.0") {
    return Status::InvalidArgument("PayloadFormatVersion is 1.0 or 2.0");
  }
  if (r.kind == ApiKind::kRest && r.payload_version != "1.0") {
    return Status::InvalidArgument("a REST API's payload format is 1.0");
  }
  if (r.stage.empty()) return Status::InvalidArgument("Stage is empty");
  if (!(r.kind == ApiKind::kHttp && r.path == "$default") && !ValidRoutePath(r.path)) {
    return Status::InvalidArgument("Path " + r.path + " is not a valid route path");
  }
  if (auto v = j.find("StageVariables"); v != j.end() && !v->is_null()) {
    if (!v->is_object()) return Status::InvalidArgument("StageVariables must be a map");
    for (const auto& [k, value] : v->items()) {
      if (!value.is_string()) return Status::InvalidArgument("StageVariables." + k);
      r.stage_variables[k] = value.get<std::string>();
    }
  }
  if (auto b = j.find("BinaryMediaTypes"); b != j.end() && !b->is_null()) {
    if (!b->is_array()) return Status::InvalidArgument("BinaryMediaTypes must be a list");
    for (const auto& t : *b) {
      if (!t.is_string()) return Status::InvalidArgument("BinaryMediaTypes has a non-string");
      r.binary_media_types.push_back(t.get<std::string>());
    }
  }
  if (auto c = j.find("Cors"); c != j.end() && !c->is_null()) {
    if (!c->is_object()) return Status::InvalidArgument("Cors must be an object");
    lambda::UrlCors cors;
    for (auto [key, list] : {std::pair{"AllowOrigins", &cors.allow_origins},
                             std::pair{"AllowMethods", &cors.allow_methods},
                             std::pair{"AllowHeaders", &cors.allow_headers},
                             std::pair{"ExposeHeaders", &cors.expose_headers}}) {
      auto it = c->find(key);
      if (it == c->end() || it->is_null()) continue;
      if (!it->is_array()) return Status::InvalidArgument(std::string("Cors.") + key);
      for (const auto& v : *it) {
        if (!v.is_string()) return Status::InvalidArgument(std::string("Cors.") + key);
        list->push_back(v.get<std::string>());
      }
    }
    if (auto a = c->find("AllowCredentials"); a != c->end() && a->is_boolean()) {
      cors.allow_credentials = a->get<bool>();
    }
    if (auto m = c->find("MaxAge"); m != c->end() && m->is_number_integer()) {
      cors.max_age = m->get<int64_t>();
    }
    r.cors = std::move(cors);
  }
  if (auto a = j.find("Authorizer"); a != j.end() && !a->is_null()) {
    if (!a->is_object()) return Status::InvalidArgument("Authorizer must be an object");
    Authorizer auth;
    auto str = [&](const char* key, std::string* out) -> Status {
      auto it = a->find(key);
      if (it == a->end() || it->is_null()) return Status::Ok();
      if (!it->is_string()) return Status::InvalidArgument(std::string("Authorizer.") + key);
      *out = it->get<std::string>();
      return Status::Ok();
    };
    THAW_RETURN_IF_ERROR(str("Name", &auth.name));
    THAW_RETURN_IF_ERROR(str("FunctionArn", &auth.function));
    THAW_RETURN_IF_ERROR(str("Type", &auth.type));
    THAW_RETURN_IF_ERROR(str("PayloadFormatVersion", &auth.payload_version));
    if (auth.function.empty()) return Status::InvalidArgument("Authorizer.FunctionArn is required");
    if (auth.type != "TOKEN" && auth.type != "REQUEST") {
      return Status::InvalidArgument("Authorizer.Type is TOKEN or REQUEST");
    }
    if (r.kind == ApiKind::kHttp) {
      if (auth.payload_version != "1.0" && auth.payload_version != "2.0") {
        return Status::InvalidArgument("Authorizer.PayloadFormatVersion is 1.0 or 2.0");
      }
      if (auth.type != "REQUEST") return Status::InvalidArgument("Authorizer.Type is REQUEST");
      auto simple = a->find("SimpleResponses");
      auth.simple_responses = simple != a->end() && simple->is_boolean() && simple->get<bool>() &&
                              auth.payload_version == "2.0";
    } else {
      auth.payload_version.clear();
    }
    for (auto [key, list] :
         {std::pair{"Headers", &auth.headers}, std::pair{"QueryStrings", &auth.query_strings}}) {
      auto it = a->find(key);
      if (it == a->end() || it->is_null()) continue;
      if (!it->is_array()) return Status::InvalidArgument(std::string("Authorizer.") + key);
      for (const auto& v : *it) {
        if (!v.is_string()) return Status::InvalidArgument(std::string("Authorizer.") + key);
        list->push_back(v.get<std::string>());
      }
    }
    if (auth.type == "TOKEN" && auth.headers.empty()) auth.headers.push_back("Authorization");
    if (auto t = a->find("Ttl"); t != a->end() && t->is_number_integer()) {
      auth.ttl_s = t->get<int64_t>();
    }
    r.authorizer = std::move(auth);
  }
  return r;
}

std::string RouteKey(const Route& route) {
  if (route.path == "$default") return "$default";
  return route.method + " " + route.path;
}

}  // namespace thaw::httpfront
