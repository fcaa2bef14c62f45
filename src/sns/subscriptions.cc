#include <algorithm>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "sns/delivery_policy.h"
#include "sns/service.h"

namespace thaw::sns {

using nlohmann::json;

namespace {

const std::set<std::string>& SettableSubscriptionAttributes() {
  static const std::set<std::string> kNames = {
      "DeliveryPolicy",     "FilterPolicy",  "FilterPolicyScope",
      "RawMessageDelivery", "RedrivePolicy", "SubscriptionRoleArn",
  };
  return kNames;
}

// Validates a subscription attribute's value; the parsed filter policy comes with it.
std::optional<Error> CheckSubscriptionAttribute(const std::string& name, const std::string& value,
                                                bool body_scope) {
  if (!SettableSubscriptionAttributes().count(name)) {
    return MakeError("InvalidParameter", "Invalid parameter: AttributeName");
  }
  if (name == "RawMessageDelivery" && !EqualsIgnoreCase(value, "true") &&
      !EqualsIgnoreCase(value, "false")) {
    return MakeError("InvalidParameter", "Invalid parameter: RawMessageDelivery: Invalid value [" +
                                             value + "]. Must be true or false.");
  }
  if (name == "FilterPolicyScope" && value != "MessageAttributes" && value != "MessageBody") {
    return MakeError("InvalidParameter",
                     "Invalid parameter: FilterPolicyScope: Invalid filter policy scope, "
                     "valid values are: MessageAttributes, MessageBody");
  }
  if (name == "FilterPolicy" && !value.empty()) {
    auto parsed = ParseFilterPolicy(value, body_scope);
    if (!parsed.ok()) return MakeError("InvalidParameter", parsed.status().message());
  }
  if (name == "DeliveryPolicy" && !value.empty()) {
    auto parsed = ParseSubscriptionDeliveryPolicy(value, HttpPolicy{});
    if (!parsed.ok()) return MakeError("InvalidParameter", parsed.status().message());
  }
  if (name == "RedrivePolicy" && !value.empty()) {
    auto j = json::parse(value, nullptr, false);
    if (!j.is_object() || !j.contains("deadLetterTargetArn") ||
        !j["deadLetterTargetArn"].is_string()) {
      return MakeError("InvalidParameter",
                       "Invalid parameter: RedrivePolicy: Invalid parameter: Redrive policy is "
                       "not JSON or is missing deadLetterTargetArn");
    }
    std::string arn = j["deadLetterTargetArn"];
    if (!arn.starts_with("arn:aws:sqs:") || std::count(arn.begin(), arn.end(), ':') != 5) {
      return MakeError("InvalidParameter",
                       "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn");
    }
  }
  return std::nullopt;
}

bool IsLoopbackUrl(const std::string& url) {
  static const std::regex kLoopback(
      R"(^https?://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]+)?(/.*)?$)");
  return std::regex_match(url, kLoopback);
}

}  // namespace

// ---- Subscriptions ----

Outcome SnsService::Subscribe(const Context& ctx, const Params& p) {
  Error e;
  Topic* t = LookUpTopic(ctx, Get(p, "TopicArn"), "SNS:Subscribe", &e);
  if (!t) return Fail(e);
  std::string protocol = Get(p, "Protocol");
  std::string endpoint = Get(p, "Endpoint");
  if (protocol == "lambda") {
    if (!endpoint.starts_with("arn:aws:lambda:") ||
        endpoint.find(":function:") == std::string::npos) {
      return Fail("InvalidParameter", "Invalid parameter: Lambda endpoint ARN");
    }
  } else if (protocol == "sqs") {
    if (!endpoint.starts_with("arn:aws:sqs:") ||
        std::count(endpoint.begin(), endpoint.end(), ':') != 5) {
      return Fail("InvalidParameter", "Invalid parameter: SQS endpoint ARN");
    }
    if (endpoint.ends_with(".fifo") && !t->fifo) {
      return Fail("InvalidParameter",
                  "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not "
                  "be subscribed to standard SNS topics");
    }
    if (!endpoint.ends_with(".fifo") && t->fifo) {
      return Fail("InvalidParameter",
                  "Invalid parameter: Invalid parameter: Endpoint Reason: Please use FIFO SQS "
                  "queue");
    }
  } else if (protocol == "http" || protocol == "https") {
    if (!endpoint.starts_with(protocol + "://")) {
      return Fail("InvalidParameter",
                  "Invalid parameter: Endpoint must match the specified protocol");
    }
    if (!IsLoopbackUrl(endpoint)) {
      return Fail("InvalidParameter",
                  "Invalid parameter: Endpoint Reason: thaw delivers HTTP/S only to loopback "
                  "addresses (127.0.0.1, localhost, [::1])");
    }
  } else if (protocol == "email" || protocol == "email-json" || protocol == "sms" ||
             protocol == "application" || protocol == "firehose") {
    return Fail("InvalidParameter",
                "Invalid parameter: Protocol Reason: thaw does not deliver to " + protocol +
                    " subscriptions");
  } else {
    return Fail("InvalidParameter",
                "Invalid parameter: Amazon SNS does not support this protocol string: " + protocol);
  }
  std::map<std::string, std::string> attributes;
  for (const Params& a : Members(p, "Attributes.entry"))
    attributes[Get(a, "key")] = Get(a, "value");
  const bool body_scope =
      attributes.count("FilterPolicyScope") && attributes["FilterPolicyScope"] == "MessageBody";
  for (const auto& [k, v] : attributes) {
    if (auto err = CheckSubscriptionAttribute(k, v, body_scope)) return Fail(*err);
  }
  if (attributes.count("RawMessageDelivery") && protocol == "lambda") {
    return Fail("InvalidParameter",
                "Invalid parameter: Attributes Reason: Delivery protocol [lambda] does not "
                "support raw message delivery.");
  }
  if (attributes.count("FilterPolicy") && !attributes.count("FilterPolicyScope")) {
    attributes["FilterPolicyScope"] = "MessageAttributes";
  }
  const bool return_arn = EqualsIgnoreCase(Get(p, "ReturnSubscriptionArn"), "true");
  // The same endpoint subscribed again: the existing subscription.
  for (Subscription* s : store_.SubscriptionsOf(t->Arn())) {
    if (s->protocol != protocol || s->endpoint != endpoint) continue;
    for (const auto& [k, v] : attributes) {
      auto it = s->attributes.find(k);
      if (it == s->attributes.end() || it->second != v) {
        return Fail("InvalidParameter",
                    "Invalid parameter: Attributes Reason: Subscription already exists with "
                    "different attributes");
      }
    }
    bool shown = s->confirmed || return_arn;
    return Result(Element("SubscriptionArn", shown ? s->arn : "pending confirmation"));
  }
  Subscription sub;
  sub.arn = t->Arn() + ":" + NewUuid();
  sub.topic_arn = t->Arn();
  sub.protocol = protocol;
  sub.endpoint = endpoint;
  sub.owner = ctx.account;
  sub.attributes = std::move(attributes);
  const bool http = protocol == "http" || protocol == "https";
  sub.confirmed = !http;
  if (http) sub.token = RandomHex(64);
  Subscription& stored = store_.AddSubscription(std::move(sub));
  if (http) SendConfirmation(stored);
  return Result(Element("SubscriptionArn",
                        stored.confirmed || return_arn ? stored.arn : "pending confirmation"));
}

void SnsService::SendConfirmation(const Subscription& sub) {
  Delivery d;
  d.subscription_arn = sub.arn;
  d.protocol = sub.protocol;
  d.target = sub.endpoint;
  d.message_type = "SubscriptionConfirmation";
  d.message_id = NewUuid();
  const std::string message =
      "You have chosen to subscribe to the topic " + sub.topic_arn +
      ".\nTo confirm the subscription, visit the SubscribeURL included in this message.";
  const std::string timestamp = FormatIsoMillis(store_.clock().RealtimeMillis());
  const std::string subscribe_url = options_.endpoint +
                                    "/?Action=ConfirmSubscription&TopicArn=" + sub.topic_arn +
                                    "&Token=" + sub.token;
  std::string canonical = "Message\n" + message + "\nMessageId\n" + d.message_id +
                          "\nSubscribeURL\n" + subscribe_url + "\nTimestamp\n" + timestamp +
                          "\nToken\n" + sub.token + "\nTopicArn\n" + sub.topic_arn +
                          "\nType\nSubscriptionConfirmation\n";
  json env = {{"Type", "SubscriptionConfirmation"},
              {"MessageId", d.message_id},
              {"Token", sub.token},
              {"TopicArn", sub.topic_arn},
              {"Message", message},
              {"SubscribeURL", subscribe_url},
              {"Timestamp", timestamp},
              {"SignatureVersion", "1"},
              {"Signature", options_.signer ? options_.signer->Sign(canonical) : ""},
              {"SigningCertURL", SigningCertUrl(options_.endpoint)}};
  d.body = env.dump();
  store_.AddDeliveries({std::move(d)});
}

Outcome SnsService::ConfirmSubscription(const Params& p) {
  // The token is the authority: whoever holds it may confirm, as on AWS.
  std::string arn = Get(p, "TopicArn");
  if (!ParseTopicArn(arn)) return Fail("InvalidParameter", "Invalid parameter: TopicArn");
  Topic* t = store_.FindTopic(arn);
  if (!t) return Fail("NotFound", "Topic does not exist");
  std::string token = Get(p, "Token");
  for (Subscription* s : store_.SubscriptionsOf(t->Arn())) {
    if (!s->token.empty() && s->token == token) {
      s->confirmed = true;
      store_.SaveSubscription(*s);
      return Result(Element("SubscriptionArn", s->arn));
    }
  }
  return Fail("InvalidParameter", "Invalid token");
}

Outcome SnsService::Unsubscribe(const Context& ctx, const Params& p) {
  std::string arn = Get(p, "SubscriptionArn");
  auto colon = arn.rfind(':');
  if (colon == std::string::npos || !ParseTopicArn(arn.substr(0, colon))) {
    return Fail("InvalidParameter", "Invalid parameter: SubscriptionArn");
  }
  if (!ctx.unsubscribe_url && store_.FindSubscription(arn)) {
    Error e;
    if (!LookUpSubscription(ctx, arn, "SNS:Unsubscribe", &e)) return Fail(e);
  }
  store_.RemoveSubscription(arn);
  return Empty();
}

Outcome SnsService::ListSubscriptions(const Context& ctx, const Params& p, bool by_topic) {
  std::vector<Subscription*> subs;
  if (by_topic) {
    Error e;
    Topic* t = LookUpTopic(ctx, Get(p, "TopicArn"), "SNS:ListSubscriptionsByTopic", &e);
    if (!t) return Fail(e);
    subs = store_.SubscriptionsOf(t->Arn());
  } else {
    subs = store_.Subscriptions(ctx.account);
  }
  std::vector<std::pair<std::string, std::string>> members;
  for (Subscription* s : subs) {
    members.emplace_back(s->arn,
                         Element("SubscriptionArn", s->confirmed ? s->arn : "PendingConfirmation") +
                             Element("Owner", s->owner) + Element("Protocol", s->protocol) +
                             Element("Endpoint", s->endpoint) + Element("TopicArn", s->topic_arn));
  }
  return Page(p, "Subscriptions", members);
}

Outcome SnsService::GetSubscriptionAttributes(const Context& ctx, const Params& p) {
  Error e;
  Subscription* s =
      LookUpSubscription(ctx, Get(p, "SubscriptionArn"), "SNS:GetSubscriptionAttributes", &e);
  if (!s) return Fail(e);
  std::map<std::string, std::string> out = s->attributes;
  out["SubscriptionArn"] = s->arn;
  out["TopicArn"] = s->topic_arn;
  out["Owner"] = s->owner;
  out["Protocol"] = s->protocol;
  out["Endpoint"] = s->endpoint;
  out["ConfirmationWasAuthenticated"] =
      s->protocol == "http" || s->protocol == "https" ? "false" : "true";
  out["PendingConfirmation"] = s->confirmed ? "false" : "true";
  if (!out.count("RawMessageDelivery")) out["RawMessageDelivery"] = "false";
  if (s->protocol == "http" || s->protocol == "https") {
    const Topic* t = store_.FindTopic(s->topic_arn);
    out["EffectiveDeliveryPolicy"] = SubscriptionEffectiveJson(EffectiveHttpPolicy(
        t && t->attributes.count("DeliveryPolicy") ? t->attributes.at("DeliveryPolicy") : "",
        out.count("DeliveryPolicy") ? out["DeliveryPolicy"] : ""));
  }
  return Result(Entries(out));
}

Outcome SnsService::SetSubscriptionAttributes(const Context& ctx, const Params& p) {
  Error e;
  Subscription* s =
      LookUpSubscription(ctx, Get(p, "SubscriptionArn"), "SNS:SetSubscriptionAttributes", &e);
  if (!s) return Fail(e);
  std::string name = Get(p, "AttributeName");
  std::string value = Get(p, "AttributeValue");
  bool body_scope = name == "FilterPolicyScope" ? value == "MessageBody" : s->body_scope;
  if (auto err = CheckSubscriptionAttribute(name, value, body_scope)) return Fail(*err);
  if (name == "RawMessageDelivery" && s->protocol == "lambda") {
    return Fail("InvalidParameter",
                "Invalid parameter: Delivery protocol [lambda] does not support raw message "
                "delivery.");
  }
  if (name == "FilterPolicyScope" && s->attributes.count("FilterPolicy")) {
    auto parsed = ParseFilterPolicy(s->attributes["FilterPolicy"], body_scope);
    if (!parsed.ok()) return Fail("InvalidParameter", parsed.status().message());
  }
  if (value.empty()) {
    s->attributes.erase(name);
    if (name == "FilterPolicy") s->attributes.erase("FilterPolicyScope");
  } else {
    s->attributes[name] = value;
    if (name == "FilterPolicy" && !s->attributes.count("FilterPolicyScope")) {
      s->attributes["FilterPolicyScope"] = "MessageAttributes";
    }
  }
  s->Refresh();
  store_.SaveSubscription(*s);
  return Empty();
}

}  // namespace thaw::sns
