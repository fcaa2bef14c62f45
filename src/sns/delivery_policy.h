// DeliveryPolicy: how SNS retries an HTTP/S delivery. A topic's policy ({"http":
// {"defaultHealthyRetryPolicy": {...}, "disableSubscriptionOverrides", "defaultRequestPolicy"}})
// is the default for its http/https subscriptions; a subscription's own ({"healthyRetryPolicy":
// {...}, "requestPolicy": {...}}) overrides it unless the topic disables overrides. A retry
// policy has four phases, as AWS's: numNoDelayRetries at once, numMinDelayRetries at
// minDelayTarget, a backoff from minDelayTarget to maxDelayTarget (backoffFunction linear,
// arithmetic, geometric or exponential), then numMaxDelayRetries at maxDelayTarget; numRetries
// in all. Without a policy: 3 retries 20 s apart. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace thaw::sns {

struct RetryPolicy {
  int min_delay_s = 20;
  int max_delay_s = 20;
  int num_retries = 3;
  int num_no_delay = 0;
  int num_min_delay = 0;
  int num_max_delay = 0;
  std::string backoff = "linear";

  // The delay before retry `retry` (1-based), unscaled; nullopt once numRetries are spent.
  std::optional<int64_t> DelayMs(int retry) const;
  nlohmann::ordered_json ToJson() const;  // AWS's key order
};

struct HttpPolicy {
  RetryPolicy healthy;
  std::string content_type = "text/plain; charset=UTF-8";
  bool disable_overrides = false;  // the topic's disableSubscriptionOverrides
};

// Checks a topic's DeliveryPolicy (empty: the default). Errors are SNS's InvalidParameter texts.
StatusOr<HttpPolicy> ParseTopicDeliveryPolicy(const std::string& text);
// Checks a subscription's DeliveryPolicy over the topic's effective one.
StatusOr<HttpPolicy> ParseSubscriptionDeliveryPolicy(const std::string& text,
                                                     const HttpPolicy& topic);

// What an http/https subscription's deliveries follow: its policy over the topic's (a policy
// that no longer parses counts as absent).
HttpPolicy EffectiveHttpPolicy(const std::string& topic_policy,
                               const std::string& subscription_policy);

// GetTopicAttributes' and GetSubscriptionAttributes' EffectiveDeliveryPolicy.
std::string TopicEffectiveJson(const HttpPolicy& policy);
std::string SubscriptionEffectiveJson(const HttpPolicy& policy);

}  // namespace thaw::sns
