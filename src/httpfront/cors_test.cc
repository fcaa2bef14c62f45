#include "httpfront/cors.h"

#include <gtest/gtest.h>

namespace thaw::httpfront {
namespace {

lambda::UrlCors Config() {
  lambda::UrlCors c;
  c.allow_origins = {"http://app.example"};
  c.allow_methods = {"GET", "POST"};
  c.allow_headers = {"x-custom"};
  c.expose_headers = {"x-out"};
  c.allow_credentials = true;
  c.max_age = 300;
  return c;
}

http::Request Preflighting(const std::string& origin) {
  http::Request r;
  r.method = "OPTIONS";
  r.headers.Set("Origin", origin);
  r.headers.Set("Access-Control-Request-Method", "POST");
  r.headers.Set("Access-Control-Request-Headers", "x-custom");
  return r;
}

TEST(Cors, PreflightFromAnAllowedOrigin) {
  http::Request req = Preflighting("http://app.example");
  ASSERT_TRUE(IsPreflight(req));
  http::Response r = Preflight(Config(), req);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.Get("Access-Control-Allow-Origin"), "http://app.example");
  EXPECT_EQ(r.headers.Get("Access-Control-Allow-Methods"), "GET,POST");
  EXPECT_EQ(r.headers.Get("Access-Control-Allow-Headers"), "x-custom");
  EXPECT_EQ(r.headers.Get("Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(r.headers.Get("Access-Control-Max-Age"), "300");
}

TEST(Cors, OtherOriginsGetNoCorsHeaders) {
  http::Response r = Preflight(Config(), Preflighting("http://evil.example"));
  EXPECT_FALSE(r.headers.Get("Access-Control-Allow-Origin"));
  http::Request get;
  get.method = "GET";
  get.headers.Set("Origin", "http://evil.example");
  http::Response real;
  AddCorsHeaders(Config(), get, &real);
  EXPECT_FALSE(real.headers.Get("Access-Control-Allow-Origin"));
}

TEST(Cors, RealResponsesGetOriginExposeAndCredentials) {
  http::Request get;
  get.method = "GET";
  get.headers.Set("Origin", "http://app.example");
  http::Response r;
  AddCorsHeaders(Config(), get, &r);
  EXPECT_EQ(r.headers.Get("Access-Control-Allow-Origin"), "http://app.example");
  EXPECT_EQ(r.headers.Get("Access-Control-Expose-Headers"), "x-out");
  EXPECT_EQ(r.headers.Get("Access-Control-Allow-Credentials"), "true");
}

TEST(Cors, WildcardOriginWithoutCredentials) {
  lambda::UrlCors c;
  c.allow_origins = {"*"};
  c.allow_methods = {"*"};
  http::Request req = Preflighting("http://any.example");
  http::Response r = Preflight(c, req);
  EXPECT_EQ(r.headers.Get("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(r.headers.Get("Access-Control-Allow-Methods"), "POST");
}

}  // namespace
}  // namespace thaw::httpfront
