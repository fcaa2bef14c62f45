#include "sns/topic_policy.h"

#include <gtest/gtest.h>

namespace thaw::sns {
namespace {

constexpr char kTopic[] = "arn:aws:sns:us-east-1:222222222222:t";

auth::PolicyPtr Parse(const std::string& text) {
  auto p = ParseTopicPolicy(text);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *p : nullptr;
}

TEST(TopicPolicy, TheOwnerMayAndOthersMayNotByDefault) {
  EXPECT_FALSE(AuthorizeTopic(kTopic, "222222222222", nullptr, "222222222222", "SNS:Publish"));
  auto denied = AuthorizeTopic(kTopic, "222222222222", nullptr, "111111111111", "SNS:Subscribe");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->code, "AuthorizationError");
  EXPECT_EQ(denied->status, 403);
  EXPECT_EQ(denied->message,
            "User: arn:aws:iam::111111111111:root is not authorized to perform: SNS:Subscribe on "
            "resource: arn:aws:sns:us-east-1:222222222222:t because no resource-based policy "
            "allows the SNS:Subscribe action");
  // AWS's default document says the same: only the owner's account (AWS:SourceOwner).
  auto def = Parse(DefaultTopicPolicy(kTopic, "222222222222"));
  EXPECT_TRUE(AuthorizeTopic(kTopic, "222222222222", def.get(), "111111111111", "SNS:Publish"));
}

TEST(TopicPolicy, AStatementAdmitsAnotherAccount) {
  auto p = Parse(
      R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},)"
      R"("Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:222222222222:t"}]})");
  EXPECT_FALSE(AuthorizeTopic(kTopic, "222222222222", p.get(), "111111111111", "SNS:Publish"));
  EXPECT_TRUE(AuthorizeTopic(kTopic, "222222222222", p.get(), "111111111111", "SNS:Subscribe"));
  EXPECT_TRUE(AuthorizeTopic(kTopic, "222222222222", p.get(), "333333333333", "SNS:Publish"));
  // AWS's cross-account example: anyone whose account is the one named in SourceOwner.
  auto owner = Parse(R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},)"
                     R"("Action":"SNS:Publish","Resource":"*",)"
                     R"("Condition":{"StringEquals":{"AWS:SourceOwner":"111111111111"}}}]})");
  EXPECT_FALSE(AuthorizeTopic(kTopic, "222222222222", owner.get(), "111111111111", "SNS:Publish"));
  EXPECT_TRUE(AuthorizeTopic(kTopic, "222222222222", owner.get(), "333333333333", "SNS:Publish"));
}

TEST(TopicPolicy, AnExplicitDenyWins) {
  auto p =
      Parse(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:*","Resource":"*"},)"
            R"({"Effect":"Deny","Principal":{"AWS":"111111111111"},"Action":"sns:Publish",)"
            R"("Resource":"*"}]})");
  auto denied = AuthorizeTopic(kTopic, "222222222222", p.get(), "111111111111", "SNS:Publish");
  ASSERT_TRUE(denied);
  EXPECT_TRUE(denied->message.ends_with("with an explicit deny in a resource-based policy"));
  EXPECT_FALSE(AuthorizeTopic(kTopic, "222222222222", p.get(), "111111111111", "SNS:Subscribe"));
}

TEST(TopicPolicy, WhatTheEvaluatorCannotReadIsRefused) {
  auto bad = ParseTopicPolicy(R"({"Statement":[{"Effect":"Allow","NotPrincipal":"*"}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().message().starts_with("Invalid parameter: Policy Error: "));
  EXPECT_FALSE(ParseTopicPolicy("{").ok());
  auto none = ParseTopicPolicy("");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, nullptr);
}

}  // namespace
}  // namespace thaw::sns
