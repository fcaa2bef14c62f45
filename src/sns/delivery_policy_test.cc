#include "sns/delivery_policy.h"

#include <gtest/gtest.h>

namespace thaw::sns {
namespace {

using nlohmann::json;

TEST(DeliveryPolicy, TheDefaultIsThreeRetriesTwentySecondsApart) {
  HttpPolicy p = EffectiveHttpPolicy("", "");
  EXPECT_EQ(p.healthy.DelayMs(1), 20000);
  EXPECT_EQ(p.healthy.DelayMs(3), 20000);
  EXPECT_FALSE(p.healthy.DelayMs(4));
  EXPECT_EQ(p.content_type, "text/plain; charset=UTF-8");
  EXPECT_EQ(
      json::parse(TopicEffectiveJson(p)),
      json::parse(R"({"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,)"
                  R"("maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,)"
                  R"("numNoDelayRetries":0,"numMinDelayRetries":0,)"
                  R"("backoffFunction":"linear"},"disableSubscriptionOverrides":false,)"
                  R"("defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}})"));
}

TEST(DeliveryPolicy, TheFourPhases) {
  auto p = ParseTopicDeliveryPolicy(
      R"({"http":{"defaultHealthyRetryPolicy":{"numRetries":10,"numNoDelayRetries":2,)"
      R"("numMinDelayRetries":2,"numMaxDelayRetries":2,"minDelayTarget":1,"maxDelayTarget":9,)"
      R"("backoffFunction":"linear"}}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const RetryPolicy& r = p->healthy;
  EXPECT_EQ(r.DelayMs(1), 0);
  EXPECT_EQ(r.DelayMs(2), 0);
  EXPECT_EQ(r.DelayMs(3), 1000);
  EXPECT_EQ(r.DelayMs(4), 1000);
  // Backoff: 4 retries from 1 s to 9 s, linearly.
  EXPECT_EQ(r.DelayMs(5), 1000);
  EXPECT_EQ(r.DelayMs(6), 3667);
  EXPECT_EQ(r.DelayMs(7), 6333);
  EXPECT_EQ(r.DelayMs(8), 9000);
  EXPECT_EQ(r.DelayMs(9), 9000);
  EXPECT_EQ(r.DelayMs(10), 9000);
  EXPECT_FALSE(r.DelayMs(11));
  for (const char* f : {"arithmetic", "geometric", "exponential"}) {
    RetryPolicy b = r;
    b.backoff = f;
    EXPECT_EQ(b.DelayMs(5), 1000) << f;
    EXPECT_LT(*b.DelayMs(6), *b.DelayMs(7)) << f;
    EXPECT_EQ(b.DelayMs(8), 9000) << f;
  }
}

TEST(DeliveryPolicy, ASubscriptionOverridesUnlessTheTopicForbids) {
  const std::string topic = R"({"http":{"defaultHealthyRetryPolicy":{"numRetries":1}}})";
  const std::string sub =
      R"({"healthyRetryPolicy":{"numRetries":7,"minDelayTarget":2,)"
      R"("maxDelayTarget":2},"requestPolicy":{"headerContentType":"application/json"}})";
  HttpPolicy p = EffectiveHttpPolicy(topic, sub);
  EXPECT_EQ(p.healthy.num_retries, 7);
  EXPECT_EQ(p.content_type, "application/json");
  EXPECT_EQ(json::parse(SubscriptionEffectiveJson(p))["healthyRetryPolicy"]["numRetries"], 7);
  HttpPolicy locked = EffectiveHttpPolicy(
      R"({"http":{"defaultHealthyRetryPolicy":{"numRetries":1},"disableSubscriptionOverrides":true}})",
      sub);
  EXPECT_EQ(locked.healthy.num_retries, 1);
}

TEST(DeliveryPolicy, BadPoliciesAreRefused) {
  for (const char* bad : {
           "not json",
           R"({"http":{"defaultHealthyRetryPolicy":{"numRetries":101}}})",
           R"({"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":30,"maxDelayTarget":20}}})",
           R"({"http":{"defaultHealthyRetryPolicy":{"numRetries":1,"numNoDelayRetries":2}}})",
           R"({"http":{"defaultHealthyRetryPolicy":{"backoffFunction":"cubic"}}})",
           R"({"http":{"defaultHealthyRetryPolicy":{"numRetries":"3"}}})",
       }) {
    auto p = ParseTopicDeliveryPolicy(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_TRUE(p.status().message().starts_with("Invalid parameter: DeliveryPolicy: ")) << bad;
  }
  EXPECT_FALSE(ParseSubscriptionDeliveryPolicy(R"({"healthyRetryPolicy":{"maxDelayTarget":3601}})",
                                               HttpPolicy{})
                   .ok());
}

}  // namespace
}  // namespace thaw::sns
