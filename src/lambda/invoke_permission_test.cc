#include "lambda/invoke_permission.h"

#include <gtest/gtest.h>

#include "lambda/policy.h"

namespace thaw::lambda {
namespace {

using nlohmann::json;

constexpr char kFn[] = "arn:aws:lambda:us-east-1:000000000000:function:fn";
constexpr char kTopic[] = "arn:aws:sns:us-east-1:111111111111:topic";

// A target as Registry::Resolve gives it, with the policy AddPermission bodies build.
Resolved Target(std::string arn, std::vector<json> bodies) {
  Resolved r;
  r.invoked_arn = arn;
  if (bodies.empty()) return r;
  json statements = json::array();
  for (const json& body : bodies) {
    auto s = BuildStatement(body, arn);
    EXPECT_TRUE(s.ok()) << s.status().message();
    statements.push_back(*s);
  }
  auto policy = auth::Policy::Parse(statements);
  EXPECT_TRUE(policy.ok()) << policy.status().message();
  r.policy = std::make_shared<const auth::Policy>(std::move(*policy));
  return r;
}

TEST(InvokePermissionTest, SameAccountCallersAreAllowedOthersNeedAStatement) {
  Resolved none = Target(kFn, {});
  EXPECT_FALSE(AuthorizeInvoke(none, InvokePrincipal::Account("000000000000")));
  auto denied = AuthorizeInvoke(none, InvokePrincipal::Account("111111111111"));
  ASSERT_TRUE(denied);
  EXPECT_EQ(*denied,
            "User: arn:aws:iam::111111111111:root is not authorized to perform: "
            "lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:000000000000:function:fn "
            "because no resource-based policy allows the lambda:InvokeFunction action");
  Resolved granted = Target(
      kFn,
      {{{"StatementId", "a"}, {"Action", "lambda:InvokeFunction"}, {"Principal", "111111111111"}}});
  EXPECT_FALSE(AuthorizeInvoke(granted, InvokePrincipal::Account("111111111111")));
  EXPECT_TRUE(AuthorizeInvoke(granted, InvokePrincipal::Account("222222222222")));
}

TEST(InvokePermissionTest, ServicesNeedAStatementEvenInTheSameAccount) {
  auto who =
      InvokePrincipal::Service("sns.amazonaws.com", "arn:aws:sns:us-east-1:000000000000:topic");
  EXPECT_EQ(who.source_account, "000000000000");
  auto denied = AuthorizeInvoke(Target(kFn, {}), who);
  ASSERT_TRUE(denied);
  EXPECT_EQ(*denied,
            "User: sns.amazonaws.com is not authorized to perform: lambda:InvokeFunction on "
            "resource: arn:aws:lambda:us-east-1:000000000000:function:fn because no "
            "resource-based policy allows the lambda:InvokeFunction action");
}

TEST(InvokePermissionTest, SourceArnAndSourceAccountAreHonoured) {
  Resolved t = Target(kFn, {{{"StatementId", "sns"},
                             {"Action", "lambda:InvokeFunction"},
                             {"Principal", "sns.amazonaws.com"},
                             {"SourceArn", kTopic}}});
  EXPECT_FALSE(AuthorizeInvoke(t, InvokePrincipal::Service("sns.amazonaws.com", kTopic)));
  EXPECT_TRUE(AuthorizeInvoke(
      t, InvokePrincipal::Service("sns.amazonaws.com", "arn:aws:sns:us-east-1:111111111111:x")));
  EXPECT_TRUE(AuthorizeInvoke(t, InvokePrincipal::Service("s3.amazonaws.com", kTopic)));
  // The topic's account calling Invoke itself is not SNS.
  EXPECT_TRUE(AuthorizeInvoke(t, InvokePrincipal::Account("111111111111")));

  Resolved s3 = Target(kFn, {{{"StatementId", "s3"},
                              {"Action", "lambda:InvokeFunction"},
                              {"Principal", "s3.amazonaws.com"},
                              {"SourceArn", "arn:aws:s3:::bucket-*"},
                              {"SourceAccount", "111111111111"}}});
  EXPECT_FALSE(AuthorizeInvoke(
      s3, InvokePrincipal::Service("s3.amazonaws.com", "arn:aws:s3:::bucket-a", "111111111111")));
  EXPECT_TRUE(AuthorizeInvoke(
      s3, InvokePrincipal::Service("s3.amazonaws.com", "arn:aws:s3:::bucket-a", "222222222222")));
  EXPECT_TRUE(AuthorizeInvoke(
      s3, InvokePrincipal::Service("s3.amazonaws.com", "arn:aws:s3:::other", "111111111111")));
}

TEST(InvokePermissionTest, PrincipalOrgIdIsRefusedWhenAdded) {
  auto s = BuildStatement({{"StatementId", "org"},
                           {"Action", "lambda:InvokeFunction"},
                           {"Principal", "*"},
                           {"PrincipalOrgID", "o-abc"}},
                          kFn);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("PrincipalOrgID is not supported"), std::string::npos);
}

TEST(InvokePermissionTest, FunctionUrlCallersNeedInvokeFunctionUrl) {
  InvokePrincipal url_caller = InvokePrincipal::Account("111111111111");
  url_caller.function_url_auth_type = "AWS_IAM";
  // A statement for InvokeFunction does not cover the URL, nor one for another auth type.
  Resolved invoke_only = Target(kFn, {json{{"StatementId", "a"},
                                           {"Action", "lambda:InvokeFunction"},
                                           {"Principal", "111111111111"}}});
  auto denied = AuthorizeInvoke(invoke_only, url_caller);
  ASSERT_TRUE(denied);
  EXPECT_NE(denied->find("lambda:InvokeFunctionUrl"), std::string::npos);
  Resolved other_type = Target(kFn, {json{{"StatementId", "b"},
                                          {"Action", "lambda:InvokeFunctionUrl"},
                                          {"Principal", "111111111111"},
                                          {"FunctionUrlAuthType", "NONE"}}});
  EXPECT_TRUE(AuthorizeInvoke(other_type, url_caller));
  Resolved url = Target(kFn, {json{{"StatementId", "c"},
                                   {"Action", "lambda:InvokeFunctionUrl"},
                                   {"Principal", "111111111111"},
                                   {"FunctionUrlAuthType", "AWS_IAM"}}});
  EXPECT_FALSE(AuthorizeInvoke(url, url_caller));
  EXPECT_TRUE(AuthorizeInvoke(url, InvokePrincipal::Account("111111111111")));
}

}  // namespace
}  // namespace thaw::lambda
