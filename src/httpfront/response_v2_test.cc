#include "httpfront/response_v2.h"

#include <gtest/gtest.h>

namespace thaw::httpfront {
namespace {

TEST(ResponseV2, StatusHeadersCookiesAndBody) {
  auto r = MapResponse(R"({"statusCode":201,"headers":{"x-a":"1","x-n":2},)"
                       R"("cookies":["a=1","b=2; Path=/"],"body":"hi"})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->headers.Get("x-a"), "1");
  EXPECT_EQ(r->headers.Get("x-n"), "2");
  int cookies = 0;
  for (const auto& [name, value] : r->headers.all()) cookies += name == "set-cookie";
  EXPECT_EQ(cookies, 2);
  EXPECT_EQ(r->body, "hi");
}

TEST(ResponseV2, Base64BodyIsDecoded) {
  auto r = MapResponse(R"({"statusCode":200,"body":"AP8B","isBase64Encoded":true})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, std::string("\x00\xff\x01", 3));
}

TEST(ResponseV2, AnswersWithoutStatusCodeAre200Json) {
  auto s = MapResponse(R"("Hello, world!")");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->status, 200);
  EXPECT_EQ(s->headers.Get("content-type"), "application/json");
  EXPECT_EQ(s->body, "Hello, world!");
  auto o = MapResponse(R"({"message":"hi"})");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->body, R"({"message":"hi"})");
  auto n = MapResponse("42");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->body, "42");
}

TEST(ResponseV2, MalformedAnswersAreRefused) {
  EXPECT_FALSE(MapResponse("not json").ok());
  EXPECT_FALSE(MapResponse(R"({"statusCode":"abc"})").ok());
  EXPECT_FALSE(MapResponse(R"({"statusCode":200,"body":5})").ok());
  EXPECT_FALSE(MapResponse(R"({"statusCode":200,"headers":[]})").ok());
  EXPECT_FALSE(MapResponse(R"({"statusCode":200,"body":"*","isBase64Encoded":true})").ok());
}

TEST(ResponseV2, StreamedPreludeIsReadOut) {
  std::string out = R"({"statusCode":202,"headers":{"x-s":"1"},"cookies":["c=1"]})";
  out += std::string(8, '\0');
  out += "raw body";
  auto r = MapStreamedResponse(out);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 202);
  EXPECT_EQ(r->headers.Get("x-s"), "1");
  EXPECT_EQ(r->headers.Get("set-cookie"), "c=1");
  EXPECT_EQ(r->body, "raw body");
  EXPECT_FALSE(MapStreamedResponse(R"({"statusCode":200})").has_value());
}

}  // namespace
}  // namespace thaw::httpfront
