#include "host/http_event.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace thaw::host {
namespace {

using nlohmann::json;

TEST(HttpEventTest, RestApiV1MapsMethodPathQueryHeadersAndBase64Body) {
  json ev = {{"httpMethod", "POST"},
             {"path", "/items/7"},
             {"multiValueQueryStringParameters", {{"tag", {"a b", "c"}}}},
             {"multiValueHeaders", {{"X-Test", {"1", "2"}}}},
             {"body", "aGVsbG8="},
             {"isBase64Encoded", true}};
  StatusOr<HttpRequest> r = RequestFromEvent(ev.dump());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->target, "/items/7?tag=a%20b&tag=c");
  ASSERT_EQ(r->headers.size(), 2u);
  EXPECT_EQ(r->headers[1].second, "2");
  EXPECT_EQ(r->body, "hello");
  EXPECT_FALSE(r->v2);
}

TEST(HttpEventTest, HttpApiV2UsesRawPathQueryAndCookies) {
  json ev = {{"version", "2.0"},
             {"rawPath", "/hello"},
             {"rawQueryString", "name=x&y=1"},
             {"cookies", {"a=1", "b=2"}},
             {"headers", {{"content-type", "text/plain"}}},
             {"requestContext", {{"http", {{"method", "PUT"}}}}},
             {"body", "hi"}};
  StatusOr<HttpRequest> r = RequestFromEvent(ev.dump());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->v2);
  EXPECT_EQ(r->method, "PUT");
  EXPECT_EQ(r->target, "/hello?name=x&y=1");
  EXPECT_EQ(r->body, "hi");
  bool cookie = false;
  for (const auto& [k, v] : r->headers) cookie |= (k == "cookie" && v == "a=1; b=2");
  EXPECT_TRUE(cookie);
}

TEST(HttpEventTest, OtherEventsAreNotHttp) {
  EXPECT_FALSE(RequestFromEvent(R"({"action":"echo"})").ok());
  EXPECT_FALSE(RequestFromEvent("[1,2]").ok());
  EXPECT_FALSE(RequestFromEvent("not json").ok());
  EXPECT_FALSE(
      RequestFromEvent(R"({"httpMethod":"GET","path":"/","body":"%%","isBase64Encoded":true})")
          .ok());
}

TEST(HttpEventTest, ResponseKeepsTextAndEncodesBinary) {
  HttpResult text;
  text.status = 201;
  text.headers = {{"content-type", "application/json"},
                  {"set-cookie", "s=1"},
                  {"x-a", "1"},
                  {"x-a", "2"},
                  {"content-length", "2"}};
  text.body = "{}";
  json v1 = json::parse(ResponseToEvent(text));
  EXPECT_EQ(v1["statusCode"], 201);
  EXPECT_EQ(v1["body"], "{}");
  EXPECT_EQ(v1["isBase64Encoded"], false);
  EXPECT_EQ(v1["headers"]["x-a"], "1");
  EXPECT_EQ(v1["multiValueHeaders"]["x-a"], json({"1", "2"}));
  EXPECT_FALSE(v1["headers"].contains("content-length"));

  text.v2 = true;
  json v2 = json::parse(ResponseToEvent(text));
  EXPECT_EQ(v2["cookies"], json({"s=1"}));
  EXPECT_FALSE(v2.contains("multiValueHeaders"));

  HttpResult png;
  png.status = 200;
  png.headers = {{"content-type", "image/png"}};
  png.body = std::string("\x89PNG", 4);
  json b = json::parse(ResponseToEvent(png));
  EXPECT_EQ(b["isBase64Encoded"], true);
  EXPECT_EQ(b["body"], "iVBORw==");
}

}  // namespace
}  // namespace thaw::host
