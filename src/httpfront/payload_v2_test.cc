#include "httpfront/payload_v2.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace thaw::httpfront {
namespace {

using nlohmann::json;

V2Context Context() {
  V2Context c;
  c.account_id = "anonymous";
  c.api_id = "abc";
  c.domain_name = "abc.lambda-url.us-east-1.localhost";
  c.domain_prefix = "abc";
  c.request_id = "req-1";
  c.time_ms = 1587481701123;  // 21/Apr/2020:15:08:21
  return c;
}

TEST(PayloadV2, HeadersCookiesAndQueryAreJoinedAsAwsJoinsThem) {
  HttpInput in;
  in.method = "POST";
  in.raw_path = "/a/b%20c";
  in.raw_query = "x=1&y=2&x=3&e=%2F&flag";
  in.headers = {{"Host", "abc.lambda-url.us-east-1.localhost"},
                {"X-Multi", "one"},
                {"x-multi", "two"},
                {"Cookie", "a=1; b=2"},
                {"User-Agent", "curl/8"},
                {"Content-Type", "application/json"}};
  in.body = R"({"k":1})";
  in.source_ip = "127.0.0.1";
  json e = json::parse(BuildV2Event(in, Context()));
  EXPECT_EQ(e["version"], "2.0");
  EXPECT_EQ(e["routeKey"], "$default");
  EXPECT_EQ(e["rawPath"], "/a/b%20c");
  EXPECT_EQ(e["rawQueryString"], "x=1&y=2&x=3&e=%2F&flag");
  EXPECT_EQ(e["cookies"], json::array({"a=1", "b=2"}));
  EXPECT_EQ(e["headers"]["x-multi"], "one,two");
  EXPECT_FALSE(e["headers"].contains("cookie"));
  EXPECT_EQ(e["headers"]["user-agent"], "curl/8");
  EXPECT_EQ(e["queryStringParameters"]["x"], "1,3");
  EXPECT_EQ(e["queryStringParameters"]["e"], "/");
  EXPECT_EQ(e["queryStringParameters"]["flag"], "");
  const json& rc = e["requestContext"];
  EXPECT_EQ(rc["accountId"], "anonymous");
  EXPECT_EQ(rc["apiId"], "abc");
  EXPECT_EQ(rc["domainPrefix"], "abc");
  EXPECT_EQ(rc["http"]["method"], "POST");
  EXPECT_EQ(rc["http"]["path"], "/a/b%20c");
  EXPECT_EQ(rc["http"]["protocol"], "HTTP/1.1");
  EXPECT_EQ(rc["http"]["sourceIp"], "127.0.0.1");
  EXPECT_EQ(rc["http"]["userAgent"], "curl/8");
  EXPECT_EQ(rc["stage"], "$default");
  EXPECT_EQ(rc["time"], "21/Apr/2020:15:08:21 +0000");
  EXPECT_EQ(rc["timeEpoch"], 1587481701123);
  EXPECT_FALSE(rc.contains("authorizer"));
  EXPECT_EQ(e["body"], R"({"k":1})");
  EXPECT_EQ(e["isBase64Encoded"], false);
}

TEST(PayloadV2, AbsentPartsAreLeftOutAndBinaryIsBase64) {
  HttpInput in;
  in.method = "GET";
  in.raw_path = "/";
  json e = json::parse(BuildV2Event(in, Context()));
  EXPECT_FALSE(e.contains("cookies"));
  EXPECT_FALSE(e.contains("queryStringParameters"));
  EXPECT_FALSE(e.contains("body"));
  EXPECT_EQ(e["isBase64Encoded"], false);
  EXPECT_TRUE(e["headers"].is_object());

  in.method = "PUT";
  in.body = std::string("\x00\xff\x01", 3);
  in.headers = {{"content-type", "application/octet-stream"}};
  e = json::parse(BuildV2Event(in, Context()));
  EXPECT_EQ(e["body"], "AP8B");
  EXPECT_EQ(e["isBase64Encoded"], true);
}

TEST(PayloadV2, IamCallerFillsTheAuthorizer) {
  V2Context c = Context();
  c.account_id = "111111111111";
  c.iam = IamCaller{"AKIDEXAMPLE", "222222222222", "AKIDEXAMPLE", "arn:aws:iam::222222222222:root",
                    "222222222222"};
  HttpInput in;
  in.method = "GET";
  in.raw_path = "/";
  json e = json::parse(BuildV2Event(in, c));
  const json& iam = e["requestContext"]["authorizer"]["iam"];
  EXPECT_EQ(iam["accessKey"], "AKIDEXAMPLE");
  EXPECT_EQ(iam["accountId"], "222222222222");
  EXPECT_TRUE(iam["cognitoIdentity"].is_null());
  EXPECT_EQ(e["requestContext"]["accountId"], "111111111111");
}

TEST(PayloadV2, TextContentTypes) {
  EXPECT_TRUE(IsTextContentType("text/plain; charset=utf-8"));
  EXPECT_TRUE(IsTextContentType("Application/JSON"));
  EXPECT_TRUE(IsTextContentType("application/vnd.api+json"));
  EXPECT_TRUE(IsTextContentType("application/xml"));
  EXPECT_FALSE(IsTextContentType(""));
  EXPECT_FALSE(IsTextContentType("application/octet-stream"));
  EXPECT_FALSE(IsTextContentType("image/png"));
  EXPECT_FALSE(IsTextContentType("application/x-www-form-urlencoded"));
}

}  // namespace
}  // namespace thaw::httpfront
