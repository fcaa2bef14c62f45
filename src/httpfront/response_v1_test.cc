#include "httpfront/response_v1.h"

#include <gtest/gtest.h>

namespace thaw::httpfront {
namespace {

TEST(ResponseV1, MapsStatusHeadersAndBody) {
  auto r = MapResponseV1(R"({"statusCode":201,"headers":{"X-A":"1","X-B":2},
    "multiValueHeaders":{"X-A":["m1","m2"],"Set-Cookie":["a=1","b=2"]},"body":"hi"})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "hi");
  int a = 0, cookies = 0;
  for (const auto& [name, value] : r->headers.all()) {
    if (name == "X-A") {
      ++a;
      EXPECT_NE(value, "1");  // only multiValueHeaders' values for a name in both
    }
    if (name == "Set-Cookie") ++cookies;
  }
  EXPECT_EQ(a, 2);
  EXPECT_EQ(cookies, 2);
  EXPECT_EQ(r->headers.Get("X-B"), "2");
}

TEST(ResponseV1, Base64Body) {
  auto r = MapResponseV1(R"({"statusCode":200,"body":"aGk=","isBase64Encoded":true})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "hi");
  // A REST API whose client did not ask for a binary media type gets the base64 text.
  auto text = MapResponseV1(R"({"statusCode":200,"body":"aGk=","isBase64Encoded":true})",
                            /*decode_binary=*/false);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->body, "aGk=");
  EXPECT_FALSE(MapResponseV1(R"({"body":"aGk=","isBase64Encoded":"yes"})", false).ok());
}

TEST(ResponseV1, MalformedAnswers) {
  for (const char* bad :
       {"not json", "\"text\"", "42", R"({"statusCode":"x1","body":"b"})",
        R"({"statusCode":200,"body":{"a":1}})", R"({"statusCode":200,"x":1})",
        R"({"statusCode":200,"headers":[]})", R"({"statusCode":200,"multiValueHeaders":{"a":"b"}})",
        R"({"statusCode":200,"isBase64Encoded":true,"body":"!!"})"}) {
    EXPECT_FALSE(MapResponseV1(bad).ok()) << bad;
  }
}

TEST(ResponseV1, ApiGatewayErrors) {
  EXPECT_EQ(ApiMissingToken().status, 403);
  EXPECT_EQ(ApiMissingToken().body, R"({"message":"Missing Authentication Token"})");
  EXPECT_EQ(ApiNotFound().body, R"({"message":"Not Found"})");
  EXPECT_EQ(ApiInternalError().status, 502);
  EXPECT_EQ(ApiInternalError().body, R"({"message": "Internal server error"})");
}

}  // namespace
}  // namespace thaw::httpfront
