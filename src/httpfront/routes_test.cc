#include "httpfront/routes.h"

#include <gtest/gtest.h>

namespace thaw::httpfront {
namespace {

Route R(std::string method, std::string path, std::string function) {
  Route r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.function = std::move(function);
  return r;
}

std::string Found(const std::vector<Route>& routes, std::string_view method,
                  std::string_view path) {
  auto m = MatchRoute(routes, method, path);
  return m ? m->route->function : "none";
}

TEST(Routes, LiteralBeforeParamBeforeGreedy) {
  std::vector<Route> routes = {R("GET", "/items/{proxy+}", "greedy"),
                               R("GET", "/items/{id}", "param"),
                               R("GET", "/items/special", "literal")};
  EXPECT_EQ(Found(routes, "GET", "/items/special"), "literal");
  EXPECT_EQ(Found(routes, "GET", "/items/7"), "param");
  EXPECT_EQ(Found(routes, "GET", "/items/7/parts"), "greedy");
  EXPECT_EQ(Found(routes, "GET", "/items"), "none");  // {proxy+} needs a segment
  EXPECT_EQ(Found(routes, "GET", "/other"), "none");
}

TEST(Routes, SegmentBySegment) {
  std::vector<Route> routes = {R("GET", "/{a}/x", "param-first"),
                               R("GET", "/a/{b}", "literal-first")};
  EXPECT_EQ(Found(routes, "GET", "/a/x"), "literal-first");
  EXPECT_EQ(Found(routes, "GET", "/b/x"), "param-first");
}

TEST(Routes, OwnMethodBeforeAny) {
  std::vector<Route> routes = {R("ANY", "/x", "any"), R("POST", "/x", "post")};
  EXPECT_EQ(Found(routes, "POST", "/x"), "post");
  EXPECT_EQ(Found(routes, "GET", "/x"), "any");
}

TEST(Routes, PathOnlyWhenTheMethodIsWrong) {
  std::vector<Route> routes = {R("GET", "/x", "get")};
  bool path_only = false;
  EXPECT_FALSE(MatchRoute(routes, "DELETE", "/x", &path_only));
  EXPECT_TRUE(path_only);
  EXPECT_FALSE(MatchRoute(routes, "GET", "/y", &path_only));
  EXPECT_FALSE(path_only);
}

TEST(Routes, ParametersAreDecoded) {
  std::vector<Route> routes = {R("GET", "/u/{name}/{rest+}", "f")};
  auto m = MatchRoute(routes, "GET", "/u/a%20b/c/d%2Fe");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->path_parameters.at("name"), "a b");
  EXPECT_EQ(m->path_parameters.at("rest"), "c/d/e");
}

TEST(Routes, RootAndDefault) {
  std::vector<Route> routes = {R("GET", "/", "root"), R("ANY", "$default", "default")};
  EXPECT_EQ(Found(routes, "GET", "/"), "root");
  EXPECT_EQ(Found(routes, "GET", ""), "root");
  EXPECT_EQ(Found(routes, "POST", "/"), "default");
  EXPECT_EQ(Found(routes, "GET", "/anything/else"), "default");
  EXPECT_EQ(RouteKey(routes[0]), "GET /");
  EXPECT_EQ(RouteKey(routes[1]), "$default");
}

TEST(Routes, ValidPaths) {
  EXPECT_TRUE(ValidRoutePath("/"));
  EXPECT_TRUE(ValidRoutePath("/a/{b}/{c+}"));
  EXPECT_FALSE(ValidRoutePath("a"));
  EXPECT_FALSE(ValidRoutePath("/a//b"));
  EXPECT_FALSE(ValidRoutePath("/{p+}/x"));
}

}  // namespace
}  // namespace thaw::httpfront

namespace thaw::httpfront {
namespace {

TEST(Routes, JsonRoundTrip) {
  nlohmann::json j = {{"Kind", "REST"},
                      {"ApiId", "MyApi"},
                      {"Method", "get"},
                      {"Path", "/a/{b}"},
                      {"FunctionName", "f"},
                      {"StageVariables", {{"k", "v"}}},
                      {"BinaryMediaTypes", {"image~1png"}}};
  auto r = RouteFromJson(j);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->stage, "Prod");
  EXPECT_EQ(r->payload_version, "1.0");
  EXPECT_EQ(r->stage_variables.at("k"), "v");
  auto again = RouteFromJson(RouteToJson(*r));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->path, "/a/{b}");
  EXPECT_EQ(again->binary_media_types, r->binary_media_types);

  auto http = RouteFromJson({{"Kind", "HTTP"},
                             {"ApiId", "A"},
                             {"Method", "ANY"},
                             {"Path", "$default"},
                             {"FunctionName", "f"}});
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(http->payload_version, "2.0");
  EXPECT_EQ(http->stage, "$default");

  EXPECT_FALSE(RouteFromJson({{"Kind", "REST"},
                              {"ApiId", "A"},
                              {"Method", "GET"},
                              {"Path", "/{p+}/x"},
                              {"FunctionName", "f"}})
                   .ok());
  EXPECT_FALSE(RouteFromJson({{"Kind", "REST"},
                              {"ApiId", "A"},
                              {"Method", "GET"},
                              {"Path", "/x"},
                              {"FunctionName", "f"},
                              {"PayloadFormatVersion", "2.0"}})
                   .ok());
}

TEST(Routes, HttpApiAuthorizerRoundTrip) {
  nlohmann::json j = {{"Kind", "HTTP"},
                      {"ApiId", "A"},
                      {"Method", "GET"},
                      {"Path", "/in"},
                      {"FunctionName", "f"},
                      {"Authorizer",
                       {{"Name", "S"},
                        {"FunctionArn", "auth"},
                        {"Type", "REQUEST"},
                        {"PayloadFormatVersion", "2.0"},
                        {"SimpleResponses", true},
                        {"Headers", {"X-Token"}},
                        {"Ttl", 0}}}};
  auto r = RouteFromJson(j);
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_TRUE(r->authorizer.has_value());
  EXPECT_TRUE(r->authorizer->simple_responses);
  EXPECT_EQ(r->authorizer->ttl_s, 0);
  auto again = RouteFromJson(RouteToJson(*r));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->authorizer->payload_version, "2.0");
  EXPECT_TRUE(again->authorizer->simple_responses);
  // An HTTP API's authorizer names its payload format; simple responses need 2.0.
  j["Authorizer"].erase("PayloadFormatVersion");
  EXPECT_FALSE(RouteFromJson(j).ok());
  j["Authorizer"]["PayloadFormatVersion"] = "1.0";
  auto v1 = RouteFromJson(j);
  ASSERT_TRUE(v1.ok());
  EXPECT_FALSE(v1->authorizer->simple_responses);
}

}  // namespace
}  // namespace thaw::httpfront
