#include "httpfront/payload_v1.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace thaw::httpfront {
namespace {

using nlohmann::json;

V1Context Context() {
  V1Context c;
  c.resource = "/items/{id}";
  c.path = "/items/7";
  c.stage = "Prod";
  c.path_parameters = {{"id", "7"}};
  c.account_id = "123456789012";
  c.api_id = "ServerlessRestApi";
  c.resource_id = "res1";
  c.domain_name = "127.0.0.1:3000";
  c.request_id = "req-1";
  c.time_ms = 1587481701123;
  return c;
}

TEST(PayloadV1, AllFieldsAsApiGatewaySendsThem) {
  HttpInput in;
  in.method = "POST";
  in.raw_path = "/Prod/items/7";
  in.raw_query = "x=1&y=a+b&x=3";
  in.headers = {{"X-Multi", "one"}, {"X-Multi", "two"}, {"User-Agent", "curl/8"}};
  in.body = "hello";
  in.source_ip = "127.0.0.1";
  V1Context c = Context();
  c.stage_variables = {{"env", "test"}};
  json e = json::parse(BuildV1Event(in, c, /*binary=*/false));
  EXPECT_EQ(e["resource"], "/items/{id}");
  EXPECT_EQ(e["path"], "/items/7");
  EXPECT_EQ(e["httpMethod"], "POST");
  EXPECT_EQ(e["headers"]["X-Multi"], "two");
  EXPECT_EQ(e["multiValueHeaders"]["X-Multi"], json::array({"one", "two"}));
  EXPECT_EQ(e["queryStringParameters"], json({{"x", "3"}, {"y", "a b"}}));
  EXPECT_EQ(e["multiValueQueryStringParameters"]["x"], json::array({"1", "3"}));
  EXPECT_EQ(e["pathParameters"], json({{"id", "7"}}));
  EXPECT_EQ(e["stageVariables"], json({{"env", "test"}}));
  const json& rc = e["requestContext"];
  EXPECT_EQ(rc["accountId"], "123456789012");
  EXPECT_EQ(rc["resourceId"], "res1");
  EXPECT_EQ(rc["stage"], "Prod");
  EXPECT_EQ(rc["requestId"], "req-1");
  EXPECT_EQ(rc["identity"]["sourceIp"], "127.0.0.1");
  EXPECT_EQ(rc["identity"]["userAgent"], "curl/8");
  EXPECT_TRUE(rc["identity"]["accessKey"].is_null());
  EXPECT_EQ(rc["resourcePath"], "/items/{id}");
  EXPECT_EQ(rc["httpMethod"], "POST");
  EXPECT_EQ(rc["apiId"], "ServerlessRestApi");
  EXPECT_EQ(rc["path"], "/Prod/items/7");
  EXPECT_EQ(rc["protocol"], "HTTP/1.1");
  EXPECT_EQ(rc["requestTime"], "21/Apr/2020:15:08:21 +0000");
  EXPECT_EQ(rc["requestTimeEpoch"], 1587481701123);
  EXPECT_EQ(rc["domainName"], "127.0.0.1:3000");
  EXPECT_EQ(e["body"], "hello");
  EXPECT_EQ(e["isBase64Encoded"], false);
}

TEST(PayloadV1, AbsentPartsAreNull) {
  HttpInput in;
  in.method = "GET";
  in.raw_path = "/";
  V1Context c = Context();
  c.path_parameters.clear();
  json e = json::parse(BuildV1Event(in, c, false));
  for (const char* key :
       {"headers", "multiValueHeaders", "queryStringParameters", "multiValueQueryStringParameters",
        "pathParameters", "stageVariables", "body"}) {
    EXPECT_TRUE(e.contains(key)) << key;
    EXPECT_TRUE(e[key].is_null()) << key;
  }
}

TEST(PayloadV1, BinaryBodyIsBase64) {
  HttpInput in;
  in.method = "POST";
  in.body = std::string("\x89PNG", 4);
  json e = json::parse(BuildV1Event(in, Context(), /*binary=*/true));
  EXPECT_EQ(e["body"], "iVBORw==");
  EXPECT_EQ(e["isBase64Encoded"], true);
}

TEST(PayloadV1, BinaryMediaTypes) {
  std::vector<std::string> types = {"image~1png", "application~1*"};
  EXPECT_TRUE(IsBinaryMediaType("image/png", types));
  EXPECT_TRUE(IsBinaryMediaType("Image/PNG; x=1", types));
  EXPECT_TRUE(IsBinaryMediaType("application/octet-stream", types));
  EXPECT_FALSE(IsBinaryMediaType("image/gif", types));
  EXPECT_FALSE(IsBinaryMediaType("", types));
  EXPECT_TRUE(IsBinaryMediaType("text/plain", {"*/*"}));
  EXPECT_FALSE(IsBinaryMediaType("image/png", {}));
}

}  // namespace
}  // namespace thaw::httpfront
