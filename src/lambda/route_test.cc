#include "lambda/route.h"

#include <gtest/gtest.h>

namespace thaw::lambda {
namespace {

Op OpOf(std::string_view method, std::string_view path) {
  auto r = MatchRoute(method, path);
  EXPECT_TRUE(r.has_value()) << method << " " << path;
  return r ? r->op : Op::kUnknownOperation;
}

TEST(RouteTest, MapsControlPlanePaths) {
  EXPECT_EQ(OpOf("POST", "/2015-03-31/functions"), Op::kCreateFunction);
  EXPECT_EQ(OpOf("GET", "/2015-03-31/functions/"), Op::kListFunctions);
  EXPECT_EQ(OpOf("GET", "/2015-03-31/functions/f"), Op::kGetFunction);
  EXPECT_EQ(OpOf("DELETE", "/2015-03-31/functions/f"), Op::kDeleteFunction);
  EXPECT_EQ(OpOf("GET", "/2015-03-31/functions/f/configuration"), Op::kGetFunctionConfiguration);
  EXPECT_EQ(OpOf("PUT", "/2015-03-31/functions/f/configuration"), Op::kUpdateFunctionConfiguration);
  EXPECT_EQ(OpOf("PUT", "/2015-03-31/functions/f/code"), Op::kUpdateFunctionCode);
  EXPECT_EQ(OpOf("POST", "/2015-03-31/functions/f/versions"), Op::kPublishVersion);
  EXPECT_EQ(OpOf("GET", "/2015-03-31/functions/f/versions"), Op::kListVersionsByFunction);
  EXPECT_EQ(OpOf("POST", "/2015-03-31/functions/f/aliases"), Op::kCreateAlias);
  EXPECT_EQ(OpOf("GET", "/2015-03-31/functions/f/aliases"), Op::kListAliases);
  EXPECT_EQ(OpOf("PUT", "/2015-03-31/functions/f/aliases/live"), Op::kUpdateAlias);
  EXPECT_EQ(OpOf("PUT", "/2017-10-31/functions/f/concurrency"), Op::kPutFunctionConcurrency);
  EXPECT_EQ(OpOf("GET", "/2019-09-30/functions/f/concurrency"), Op::kGetFunctionConcurrency);
  EXPECT_EQ(OpOf("DELETE", "/2017-10-31/functions/f/concurrency"), Op::kDeleteFunctionConcurrency);
  EXPECT_EQ(OpOf("PUT", "/2024-08-31/functions/f/recursion-config"),
            Op::kPutFunctionRecursionConfig);
  EXPECT_EQ(OpOf("GET", "/2024-08-31/functions/f/recursion-config"),
            Op::kGetFunctionRecursionConfig);
  EXPECT_EQ(OpOf("DELETE", "/2024-08-31/functions/f/recursion-config"), Op::kUnknownOperation);
  EXPECT_EQ(OpOf("GET", "/2016-08-19/account-settings/"), Op::kGetAccountSettings);
  EXPECT_EQ(OpOf("POST", "/2017-03-31/tags/arn:aws:lambda:us-east-1:000000000000:function:f"),
            Op::kTagResource);
  EXPECT_EQ(OpOf("PATCH", "/2015-03-31/functions/f"), Op::kUnknownOperation);
  EXPECT_EQ(OpOf("POST", "/2015-03-31/functions/f/policy"), Op::kAddPermission);
  EXPECT_EQ(OpOf("GET", "/2015-03-31/functions/f/policy"), Op::kGetPolicy);
  EXPECT_EQ(OpOf("DELETE", "/2015-03-31/functions/f/policy/sid"), Op::kRemovePermission);
  EXPECT_EQ(OpOf("GET", "/2018-10-31/layers"), Op::kListLayers);
  EXPECT_EQ(OpOf("POST", "/2018-10-31/layers/l/versions"), Op::kPublishLayerVersion);
  EXPECT_EQ(OpOf("GET", "/2018-10-31/layers/l/versions"), Op::kListLayerVersions);
  EXPECT_EQ(OpOf("GET", "/2018-10-31/layers/l/versions/3"), Op::kGetLayerVersion);
  EXPECT_EQ(OpOf("DELETE", "/2018-10-31/layers/l/versions/3"), Op::kDeleteLayerVersion);
  EXPECT_FALSE(MatchRoute("GET", "/2018-10-31/layers/l/other"));

  auto layer = MatchRoute("DELETE", "/2018-10-31/layers/my-layer/versions/12");
  ASSERT_TRUE(layer);
  EXPECT_EQ(layer->layer, "my-layer");
  EXPECT_EQ(layer->layer_version, "12");
  auto sid = MatchRoute("DELETE", "/2015-03-31/functions/f/policy/s3-invoke");
  ASSERT_TRUE(sid);
  EXPECT_EQ(sid->function_name, "f");
  EXPECT_EQ(sid->statement_id, "s3-invoke");

  auto alias = MatchRoute("GET", "/2015-03-31/functions/my-fn/aliases/live");
  ASSERT_TRUE(alias);
  EXPECT_EQ(alias->op, Op::kGetAlias);
  EXPECT_EQ(alias->function_name, "my-fn");
  EXPECT_EQ(alias->alias, "live");

  std::string hex(64, 'a');
  auto code = MatchRoute("GET", "/thaw/code/" + hex + ".zip");
  ASSERT_TRUE(code);
  EXPECT_EQ(code->op, Op::kGetCodeZip);
  EXPECT_EQ(code->resource, hex);
}

TEST(RouteTest, LeavesOtherPathsAlone) {
  EXPECT_FALSE(MatchRoute("POST", "/2015-03-31/functions/f/invocations"));
  EXPECT_FALSE(MatchRoute("POST", "/2021-11-15/functions/f/response-streaming-invocations"));
  EXPECT_FALSE(MatchRoute("POST", "/2015-03-31/functions/f/url"));
  EXPECT_FALSE(MatchRoute("GET", "/2018-06-01/runtime/invocation/next"));
  EXPECT_FALSE(MatchRoute("POST", "/"));
  EXPECT_FALSE(MatchRoute("GET", "/thaw/code/../../etc/passwd.zip"));
  EXPECT_FALSE(MatchRoute("GET", "/thaw/code/" + std::string(64, 'G') + ".zip"));
}

}  // namespace
}  // namespace thaw::lambda
