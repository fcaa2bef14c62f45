#include "cli/lambda_calls.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/aws_errors.h"
#include "cli/client_fakes.h"
#include "cli/json_fields.h"

namespace thaw::cli {
namespace {

using nlohmann::json;

constexpr char kFn[] = "/2015-03-31/functions/hello";

TEST(RestTest, FunctionTargetEncodes) {
  EXPECT_EQ(FunctionTarget("fn"), "/2015-03-31/functions/fn");
  EXPECT_EQ(FunctionTarget("fn", "/invocations", "$LATEST"),
            "/2015-03-31/functions/fn/invocations?Qualifier=%24LATEST");
  EXPECT_EQ(FunctionTarget("fn:prod", "/configuration"),
            "/2015-03-31/functions/fn%3Aprod/configuration");
}

TEST(RestTest, CallJsonSendsJsonAndDecodesErrors) {
  FakeClient client;
  client.Expect("POST", "/x", MakeResponse(201, R"({"ok":true})"));
  client.Expect("GET", "/y",
                MakeResponse(409, R"({"Type":"User","Message":"update in progress"})",
                             {{"x-amzn-ErrorType", "ResourceConflictException"}}));
  client.Expect("GET", "/z", MakeResponse(200, "not json"));
  json body = {{"a", 1}};
  StatusOr<json> ok = CallJson(client, "POST", "/x", &body);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["ok"], true);
  EXPECT_EQ(client.calls[0].body, R"({"a":1})");
  EXPECT_EQ(client.calls[0].headers.Get("content-type"), "application/json");
  EXPECT_EQ(client.calls[0].timeout_ms, kControlTimeoutMs);

  StatusOr<json> conflict = CallJson(client, "GET", "/y");
  EXPECT_EQ(conflict.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(conflict.status().message(),
            "ResourceConflictException: update in progress (HTTP 409)");
  EXPECT_EQ(CallJson(client, "GET", "/z").status().code(), StatusCode::kInternal);
}

TEST(RestTest, UnreachableServerIsUnavailable) {
  FakeClient client;
  client.ExpectUnavailable();
  StatusOr<json> r = CallJson(client, "GET", "/x");
  EXPECT_EQ(ExitCodeFor(r.status()), kExitUnavailable);
}

TEST(RestTest, ConnectRejectsBadEndpoint) {
  EXPECT_TRUE(Connect("http://127.0.0.1:9001").ok());
  EXPECT_FALSE(Connect("http://").ok());
}

TEST(LambdaCallsTest, FindFunctionDistinguishesMissing) {
  FakeClient client;
  client.Expect("GET", kFn,
                MakeResponse(404, R"({"Type":"User","Message":"Function not found"})",
                             {{"x-amzn-ErrorType", "ResourceNotFoundException"}}));
  client.Expect(
      "GET", kFn,
      MakeResponse(200, R"({"Configuration":{"FunctionName":"hello","Architectures":["arm64"]}})"));
  client.Expect("GET", kFn,
                MakeResponse(500, R"({"Type":"Service","Message":"boom"})",
                             {{"x-amzn-ErrorType", "ServiceException"}}));
  StatusOr<std::optional<json>> missing = FindFunction(client, "hello");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  StatusOr<std::optional<json>> found = FindFunction(client, "hello");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ(JsonString(**found, "FunctionName"), "hello");
  EXPECT_EQ(FindFunction(client, "hello").status().message(), "ServiceException: boom (HTTP 500)");
}

TEST(ListTest, FollowsNextMarker) {
  FakeClient client;
  client.Expect("GET", "/2015-03-31/functions/?MaxItems=50",
                MakeResponse(200, R"({"Functions":[{"FunctionName":"b"}],"NextMarker":"m 1"})"));
  client.Expect("GET", "/2015-03-31/functions/?MaxItems=50&Marker=m%201",
                MakeResponse(200, R"({"Functions":[{"FunctionName":"a"}],"NextMarker":""})"));
  StatusOr<std::vector<json>> functions = ListAllFunctions(client);
  ASSERT_TRUE(functions.ok()) << functions.status().ToString();
  ASSERT_EQ(functions->size(), 2u);
  EXPECT_TRUE(client.Done());
}

TEST(ListTest, RepeatedMarkerIsAnError) {
  FakeClient client;
  client.Expect("GET", "/2015-03-31/functions/?MaxItems=50",
                MakeResponse(200, R"({"Functions":[],"NextMarker":"x"})"));
  client.Expect("GET", "/2015-03-31/functions/?MaxItems=50&Marker=x",
                MakeResponse(200, R"({"Functions":[],"NextMarker":"x"})"));
  EXPECT_EQ(ListAllFunctions(client).status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace thaw::cli
