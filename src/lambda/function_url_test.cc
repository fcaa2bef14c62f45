#include "lambda/function_url.h"

#include <gtest/gtest.h>

#include "lambda/route.h"

namespace thaw::lambda {
namespace {

using nlohmann::json;

TEST(FunctionUrl, IdIsRandomLowercaseAlphanumeric) {
  std::string id = NewUrlId();
  EXPECT_EQ(id.size(), 32u);
  for (char c : id) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) << id;
  EXPECT_NE(id, NewUrlId());
}

TEST(FunctionUrl, HostNamesMatchInAnyCase) {
  std::string id = NewUrlId();
  EXPECT_EQ(UrlIdOfHost(UrlHostName(id) + ":9000"), id);
  std::string upper = UrlHostName(id);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(UrlIdOfHost(upper), id);
  EXPECT_EQ(UrlIdOfHost("127.0.0.1:9000"), "");
  EXPECT_EQ(UrlIdOfHost(id + ".lambda-url.us-east-1.on.aws"), "");
  EXPECT_EQ(FunctionUrl(id, 9000), "http://" + id + ".lambda-url.us-east-1.localhost:9000/");
}

TEST(FunctionUrl, CreateNeedsAuthTypeAndChecksEnums) {
  auto missing = ParseFunctionUrlConfig(json::object(), nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("'authType'"), std::string::npos);
  auto bad = ParseFunctionUrlConfig(json{{"AuthType", "NONE"}, {"InvokeMode", "X"}}, nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("invokeMode"), std::string::npos);
  auto age =
      ParseFunctionUrlConfig(json{{"AuthType", "NONE"}, {"Cors", {{"MaxAge", 90000}}}}, nullptr);
  EXPECT_FALSE(age.ok());
}

TEST(FunctionUrl, UpdateMergesAndStorageRoundTrips) {
  auto created = ParseFunctionUrlConfig(
      json{{"AuthType", "AWS_IAM"},
           {"Cors", {{"AllowOrigins", {"http://a"}}, {"AllowCredentials", true}, {"MaxAge", 5}}}},
      nullptr);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->invoke_mode, "BUFFERED");
  auto updated = ParseFunctionUrlConfig(json{{"InvokeMode", "RESPONSE_STREAM"}}, &*created);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->auth_type, "AWS_IAM");
  EXPECT_EQ(updated->invoke_mode, "RESPONSE_STREAM");
  ASSERT_TRUE(updated->cors.has_value());
  updated->url_id = NewUrlId();
  updated->created_ms = 1000;
  EXPECT_EQ(FunctionUrlFromStorage(FunctionUrlToStorage(*updated)), *updated);
  json rendered = RenderFunctionUrlConfig(*updated, "arn:f", 9000);
  EXPECT_EQ(rendered["AuthType"], "AWS_IAM");
  EXPECT_EQ(rendered["Cors"]["AllowOrigins"], json::array({"http://a"}));
  EXPECT_EQ(rendered["CreationTime"], "1970-01-01T00:00:01.000000Z");
}

TEST(FunctionUrl, Routes) {
  auto create = MatchRoute("POST", "/2021-10-31/functions/f/url");
  ASSERT_TRUE(create);
  EXPECT_EQ(create->op, Op::kCreateFunctionUrlConfig);
  EXPECT_EQ(create->function_name, "f");
  EXPECT_EQ(MatchRoute("GET", "/2021-10-31/functions/f/url")->op, Op::kGetFunctionUrlConfig);
  EXPECT_EQ(MatchRoute("PUT", "/2021-10-31/functions/f/url")->op, Op::kUpdateFunctionUrlConfig);
  EXPECT_EQ(MatchRoute("DELETE", "/2021-10-31/functions/f/url")->op, Op::kDeleteFunctionUrlConfig);
  EXPECT_EQ(MatchRoute("GET", "/2021-10-31/functions/f/urls")->op, Op::kListFunctionUrlConfigs);
}

}  // namespace
}  // namespace thaw::lambda
