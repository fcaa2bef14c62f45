#include "auth/policy_eval.h"

#include <gtest/gtest.h>

namespace thaw::auth {
namespace {

Policy MustParse(std::string_view text) {
  auto p = Policy::ParseText(text);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.ok() ? *p : Policy();
}

AccessRequest Service(std::string service, std::string action, std::string resource,
                      std::string source_arn, std::string source_account = "") {
  AccessRequest r;
  r.service = std::move(service);
  r.action = std::move(action);
  r.resource = std::move(resource);
  if (!source_arn.empty()) r.context["aws:sourcearn"] = source_arn;
  if (!source_account.empty()) r.context["aws:sourceaccount"] = source_account;
  return r;
}

AccessRequest Account(std::string account, std::string action, std::string resource) {
  AccessRequest r;
  r.principal_account = account;
  r.principal_arn = "arn:aws:iam::" + account + ":root";
  r.action = std::move(action);
  r.resource = std::move(resource);
  return r;
}

constexpr char kFunction[] = "arn:aws:lambda:us-east-2:123456789012:function:my-function";
constexpr char kTopic[] = "arn:aws:sns:us-east-2:123456789012:my-topic";

// Lambda's AddPermission for SNS, as GetPolicy shows it (lambda-dg with-sns).
TEST(PolicyTest, LambdaPermissionForSnsHonoursSourceArn) {
  Policy p = MustParse(R"({"Version":"2012-10-17","Id":"default","Statement":[{
    "Sid":"sns","Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},
    "Action":"lambda:InvokeFunction",
    "Resource":"arn:aws:lambda:us-east-2:123456789012:function:my-function",
    "Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:sns:us-east-2:123456789012:my-topic"}}}]})");
  EXPECT_EQ(p.Evaluate(Service("sns.amazonaws.com", "lambda:InvokeFunction", kFunction, kTopic)),
            Decision::kAllow);
  EXPECT_EQ(p.Evaluate(Service("sns.amazonaws.com", "lambda:InvokeFunction", kFunction,
                               "arn:aws:sns:us-east-2:123456789012:other-topic")),
            Decision::kImplicitDeny);
  // No source: the condition's key is missing, so it fails.
  EXPECT_EQ(p.Evaluate(Service("sns.amazonaws.com", "lambda:InvokeFunction", kFunction, "")),
            Decision::kImplicitDeny);
  EXPECT_EQ(p.Evaluate(Service("s3.amazonaws.com", "lambda:InvokeFunction", kFunction, kTopic)),
            Decision::kImplicitDeny);
  EXPECT_EQ(p.Evaluate(Account("123456789012", "lambda:InvokeFunction", kFunction)),
            Decision::kImplicitDeny);
  EXPECT_EQ(p.Evaluate(Service("sns.amazonaws.com", "lambda:GetFunction", kFunction, kTopic)),
            Decision::kImplicitDeny);
  EXPECT_EQ(p.Evaluate(Service("sns.amazonaws.com", "lambda:InvokeFunction",
                               std::string(kFunction) + ":1", kTopic)),
            Decision::kImplicitDeny);
}

// Lambda's AddPermission for S3 with SourceAccount and a bucket ARN (lambda-dg with-s3).
TEST(PolicyTest, LambdaPermissionForS3NeedsSourceAccountAndArn) {
  Policy p = MustParse(R"({"Statement":[{"Sid":"s3","Effect":"Allow",
    "Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction",
    "Resource":"arn:aws:lambda:us-east-2:123456789012:function:my-function",
    "Condition":{"StringEquals":{"AWS:SourceAccount":"123456789012"},
                 "ArnLike":{"AWS:SourceArn":"arn:aws:s3:::lambda-bucket"}}}]})");
  const char* bucket = "arn:aws:s3:::lambda-bucket";
  EXPECT_EQ(p.Evaluate(Service("s3.amazonaws.com", "lambda:InvokeFunction", kFunction, bucket,
                               "123456789012")),
            Decision::kAllow);
  EXPECT_EQ(p.Evaluate(Service("s3.amazonaws.com", "lambda:InvokeFunction", kFunction, bucket,
                               "999999999999")),
            Decision::kImplicitDeny);
  EXPECT_EQ(p.Evaluate(Service("s3.amazonaws.com", "lambda:InvokeFunction", kFunction, bucket)),
            Decision::kImplicitDeny);
  EXPECT_EQ(p.Evaluate(Service("s3.amazonaws.com", "lambda:InvokeFunction", kFunction,
                               "arn:aws:s3:::other-bucket", "123456789012")),
            Decision::kImplicitDeny);
}

// An SNS topic's default policy plus a cross-account Publish statement (sns-dg
// sns-access-policy-use-cases).
TEST(PolicyTest, SnsTopicPolicyAllowsCrossAccountPublish) {
  const char* topic = "arn:aws:sns:us-east-2:444455556666:MyTopic";
  Policy p = MustParse(R"({"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[
    {"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},
     "Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission",
               "SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe",
               "SNS:ListSubscriptionsByTopic","SNS:Publish"],
     "Resource":"arn:aws:sns:us-east-2:444455556666:MyTopic",
     "Condition":{"StringEquals":{"AWS:SourceOwner":"444455556666"}}},
    {"Sid":"cross-account","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},
     "Action":"sns:Publish","Resource":"arn:aws:sns:us-east-2:444455556666:MyTopic"}]})");
  AccessRequest a = Account("111122223333", "sns:Publish", topic);
  EXPECT_EQ(p.Evaluate(a), Decision::kAllow);
  a.action = "SNS:Subscribe";
  EXPECT_EQ(p.Evaluate(a), Decision::kImplicitDeny);
  AccessRequest owner = Account("444455556666", "sns:Subscribe", topic);
  owner.context["aws:sourceowner"] = "444455556666";
  EXPECT_EQ(p.Evaluate(owner), Decision::kAllow);
  EXPECT_EQ(p.Evaluate(Account("999999999999", "sns:Publish", topic)), Decision::kImplicitDeny);
  // A user of the allowed account is that account's.
  AccessRequest user = Account("111122223333", "sns:publish", topic);
  user.principal_arn = "arn:aws:iam::111122223333:user/alice";
  EXPECT_EQ(p.Evaluate(user), Decision::kAllow);
}

// An SQS queue policy that lets one SNS topic send (sns-dg subscribe-sqs-queue-to-sns-topic).
TEST(PolicyTest, SqsQueuePolicyAllowsSnsWithSourceArn) {
  const char* queue = "arn:aws:sqs:us-east-2:123456789012:MyQueue";
  Policy p = MustParse(R"({"Statement":[{"Effect":"Allow",
    "Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage",
    "Resource":"arn:aws:sqs:us-east-2:123456789012:MyQueue",
    "Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-2:123456789012:MyTopic"}}}]})");
  EXPECT_EQ(p.Evaluate(Service("sns.amazonaws.com", "sqs:SendMessage", queue,
                               "arn:aws:sns:us-east-2:123456789012:MyTopic")),
            Decision::kAllow);
  EXPECT_EQ(p.Evaluate(Service("sns.amazonaws.com", "sqs:SendMessage", queue,
                               "arn:aws:sns:us-east-2:123456789012:Other")),
            Decision::kImplicitDeny);
  EXPECT_EQ(p.Evaluate(Service("sns.amazonaws.com", "sqs:DeleteMessage", queue,
                               "arn:aws:sns:us-east-2:123456789012:MyTopic")),
            Decision::kImplicitDeny);
}

TEST(PolicyTest, ExplicitDenyWins) {
  Policy p = MustParse(R"({"Statement":[
    {"Effect":"Allow","Principal":"*","Action":"sqs:*","Resource":"*"},
    {"Effect":"Deny","Principal":{"AWS":"111111111111"},"Action":"sqs:Send*",
     "Resource":"arn:aws:sqs:*:*:q"}]})");
  EXPECT_EQ(p.Evaluate(Account("111111111111", "sqs:SendMessage", "arn:aws:sqs:us-east-1:2:q")),
            Decision::kExplicitDeny);
  EXPECT_EQ(p.Evaluate(Account("111111111111", "sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:2:q")),
            Decision::kAllow);
  EXPECT_EQ(p.Evaluate(Account("222222222222", "sqs:SendMessage", "arn:aws:sqs:us-east-1:2:q")),
            Decision::kAllow);
  EXPECT_EQ(p.Evaluate(Service("sns.amazonaws.com", "sqs:SendMessage", "arn:aws:sqs:x:2:q", "")),
            Decision::kAllow);
}

TEST(PolicyTest, PrincipalsActionsAndMultipleValues) {
  Policy p = MustParse(R"({"Statement":{"Effect":"Allow",
    "Principal":{"AWS":["111111111111","arn:aws:iam::222222222222:role/r"],
                 "Service":["events.amazonaws.com"]},
    "Action":["lambda:Invoke?unction","lambda:Get*"],"Resource":["arn:aws:lambda:*:*:function:f*"],
    "Condition":{"StringLike":{"aws:SourceArn":["arn:aws:events:*:*:rule/a*","x"]},
                 "ForAnyValue:StringEquals":{"aws:SourceAccount":["1","2"]}}}})");
  const char* fn = "arn:aws:lambda:us-east-1:000000000000:function:fun";
  AccessRequest a = Account("111111111111", "LAMBDA:invokefunction", fn);
  a.context = {{"aws:sourcearn", "arn:aws:events:us-east-1:1:rule/abc"},
               {"aws:sourceaccount", "2"}};
  EXPECT_EQ(p.Evaluate(a), Decision::kAllow);
  a.context["aws:sourceaccount"] = "3";
  EXPECT_EQ(p.Evaluate(a), Decision::kImplicitDeny);
  a.context["aws:sourceaccount"] = "1";
  AccessRequest role = a;
  role.principal_account = "222222222222";
  role.principal_arn = "arn:aws:iam::222222222222:role/r";
  EXPECT_EQ(p.Evaluate(role), Decision::kAllow);
  role.principal_arn = "arn:aws:iam::222222222222:root";  // the role only, not its account
  EXPECT_EQ(p.Evaluate(role), Decision::kImplicitDeny);
  AccessRequest events = Service("events.amazonaws.com", "lambda:GetPolicy", fn,
                                 "arn:aws:events:us-east-1:1:rule/a", "1");
  EXPECT_EQ(p.Evaluate(events), Decision::kAllow);
  events.resource = "arn:aws:lambda:us-east-1:000000000000:function:g";
  EXPECT_EQ(p.Evaluate(events), Decision::kImplicitDeny);
}

TEST(PolicyTest, UnknownOperatorsAndElementsAreRefusedWhenParsed) {
  auto refused = [](std::string_view text, std::string_view words) {
    auto p = Policy::ParseText(text);
    ASSERT_FALSE(p.ok()) << text;
    EXPECT_NE(p.status().message().find(words), std::string::npos) << p.status().message();
  };
  refused(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish",
    "Resource":"*","Condition":{"NumericLessThan":{"aws:EpochTime":"1"}}}]})",
          "condition operator NumericLessThan is not supported");
  refused(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish",
    "Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]})",
          "condition operator IpAddress");
  refused(R"({"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"1"},"Action":"a:b",
    "Resource":"*"}]})",
          "NotPrincipal is not supported");
  refused(R"({"Statement":[{"Effect":"Maybe","Principal":"*","Action":"a:b","Resource":"*"}]})",
          "Effect must be Allow or Deny");
  refused(R"({"Statement":[{"Effect":"Allow","Principal":{"Federated":"x"},"Action":"a:b",
    "Resource":"*"}]})",
          "Principal type Federated");
  refused(R"({"Statement":[{"Effect":"Allow","Principal":"*","Resource":"*"}]})", "missing Action");
  refused("{", "not valid JSON");
  refused(R"({"Version":"2012-10-17"})", "missing Statement");
}

TEST(PolicyTest, Wildcards) {
  EXPECT_TRUE(WildcardMatch("*", ""));
  EXPECT_TRUE(WildcardMatch("a*c", "abbbc"));
  EXPECT_TRUE(WildcardMatch("a?c", "abc"));
  EXPECT_FALSE(WildcardMatch("a?c", "ac"));
  EXPECT_FALSE(WildcardMatch("abc", "ABC"));
  EXPECT_TRUE(WildcardMatch("abc", "ABC", true));
  EXPECT_TRUE(WildcardMatch("*a*b*", "xxaxxbxx"));
  EXPECT_FALSE(WildcardMatch("*a*b", "xxaxxbxx"));
  EXPECT_TRUE(ArnMatch("arn:aws:sns:*:123456789012:*", "arn:aws:sns:us-east-1:123456789012:t"));
  EXPECT_FALSE(ArnMatch("arn:aws:sns:*:123456789012:*", "arn:aws:sns:us-east-1:999:t"));
  // A * stays inside its part: it does not swallow the account's colon.
  EXPECT_FALSE(ArnMatch("arn:aws:sns:us-east-1*", "arn:aws:sns:us-east-1:1:t"));
  EXPECT_TRUE(ArnMatch("arn:aws:lambda:*:*:function:f:*", "arn:aws:lambda:r:1:function:f:1"));
}

}  // namespace
}  // namespace thaw::auth
