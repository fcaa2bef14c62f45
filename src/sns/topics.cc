#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "sns/delivery_policy.h"
#include "sns/service.h"
#include "sns/topic_policy.h"

namespace thaw::sns {

using nlohmann::json;

namespace {

constexpr size_t kMaxTags = 50;

const std::set<std::string>& SettableTopicAttributes() {
  static const std::set<std::string> kNames = {
      "Policy",
      "DisplayName",
      "DeliveryPolicy",
      "KmsMasterKeyId",
      "SignatureVersion",
      "TracingConfig",
      "ContentBasedDeduplication",
      "FifoTopic",
      "ArchivePolicy",
      "FifoThroughputScope",
      "DataProtectionPolicy",
      "HTTPSuccessFeedbackRoleArn",
      "HTTPSuccessFeedbackSampleRate",
      "HTTPFailureFeedbackRoleArn",
      "LambdaSuccessFeedbackRoleArn",
      "LambdaSuccessFeedbackSampleRate",
      "LambdaFailureFeedbackRoleArn",
      "SQSSuccessFeedbackRoleArn",
      "SQSSuccessFeedbackSampleRate",
      "SQSFailureFeedbackRoleArn",
  };
  return kNames;
}

// Policy and DeliveryPolicy must be documents thaw understands whole; else nothing is stored.
std::optional<Error> CheckTopicDocuments(const std::map<std::string, std::string>& attributes) {
  if (auto it = attributes.find("Policy"); it != attributes.end()) {
    auto parsed = ParseTopicPolicy(it->second);
    if (!parsed.ok()) return MakeError("InvalidParameter", parsed.status().message());
  }
  if (auto it = attributes.find("DeliveryPolicy"); it != attributes.end()) {
    auto parsed = ParseTopicDeliveryPolicy(it->second);
    if (!parsed.ok()) return MakeError("InvalidParameter", parsed.status().message());
  }
  return std::nullopt;
}

}  // namespace

// ---- Topics ----

Outcome SnsService::CreateTopic(const Context& ctx, const Params& p) {
  std::string name = Get(p, "Name");
  std::map<std::string, std::string> attributes;
  for (const Params& e : Members(p, "Attributes.entry"))
    attributes[Get(e, "key")] = Get(e, "value");
  for (const auto& [k, v] : attributes) {
    if (!SettableTopicAttributes().count(k)) {
      return Fail("InvalidParameter",
                  "Invalid parameter: Attributes Reason: Unknown attribute " + k);
    }
  }
  if (auto err = CheckTopicDocuments(attributes)) return Fail(*err);
  const bool fifo =
      attributes.count("FifoTopic") && EqualsIgnoreCase(attributes["FifoTopic"], "true");
  if (attributes.count("FifoTopic") && !fifo &&
      !EqualsIgnoreCase(attributes["FifoTopic"], "false")) {
    return Fail("InvalidParameter",
                "Invalid parameter: Attributes Reason: FifoTopic must be true or false");
  }
  if (!ValidTopicName(name, fifo)) {
    return Fail("InvalidParameter",
                fifo ? "Fifo Topic names must end with .fifo and must be made up of only "
                       "uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, "
                       "and must be between 1 and 256 characters long."
                     : "Invalid parameter: Topic Name");
  }
  if (!fifo && attributes.count("ContentBasedDeduplication") &&
      EqualsIgnoreCase(attributes["ContentBasedDeduplication"], "true")) {
    return Fail("InvalidParameter",
                "Invalid parameter: Attributes Reason: Content-based deduplication can only be "
                "set for FIFO topics");
  }
  std::map<std::string, std::string> tags;
  for (const Params& t : Members(p, "Tags.member")) tags[Get(t, "Key")] = Get(t, "Value");
  Topic topic;
  topic.account = ctx.account;
  topic.name = name;
  const std::string arn = topic.Arn();
  if (Topic* existing = store_.FindTopic(arn)) {
    // Idempotent with the same attributes (those given must equal what is set).
    for (const auto& [k, v] : attributes) {
      auto it = existing->attributes.find(k);
      std::string have = it == existing->attributes.end() ? "" : it->second;
      if (k == "FifoTopic" || k == "ContentBasedDeduplication") {
        if (EqualsIgnoreCase(have.empty() ? "false" : have, v)) continue;
      } else if (have == v) {
        continue;
      }
      return Fail("InvalidParameter",
                  "Invalid parameter: Attributes Reason: Topic already exists with different "
                  "attributes");
    }
    for (const auto& [k, v] : tags) {
      auto it = existing->tags.find(k);
      if (it == existing->tags.end() || it->second != v) {
        return Fail("InvalidParameter",
                    "Invalid parameter: Tags Reason: Topic already exists with different tags");
      }
    }
    return Result(Element("TopicArn", arn));
  }
  if (tags.size() > kMaxTags) {
    return Fail("TagLimitExceeded",
                "Could not complete request: tag quota of per resource exceeded");
  }
  topic.attributes = std::move(attributes);
  topic.tags = std::move(tags);
  store_.CreateTopic(std::move(topic));
  return Result(Element("TopicArn", arn));
}

Outcome SnsService::DeleteTopic(const Context& ctx, const Params& p) {
  std::string arn = Get(p, "TopicArn");
  if (!ParseTopicArn(arn)) return Fail("InvalidParameter", "Invalid parameter: TopicArn");
  // Deleting a topic that does not exist succeeds, as on AWS.
  if (store_.FindTopic(arn)) {
    Error e;
    if (!LookUpTopic(ctx, arn, "SNS:DeleteTopic", &e)) return Fail(e);
  }
  store_.DeleteTopic(arn);
  return Empty();
}

Outcome SnsService::ListTopics(const Context& ctx, const Params& p) {
  std::vector<std::pair<std::string, std::string>> members;
  for (Topic* t : store_.Topics(ctx.account)) {
    std::string arn = t->Arn();
    std::string xml = Element("TopicArn", arn);
    members.emplace_back(std::move(arn), std::move(xml));
  }
  return Page(p, "Topics", members);
}

Outcome SnsService::GetTopicAttributes(const Context& ctx, const Params& p) {
  Error e;
  Topic* t = LookUpTopic(ctx, Get(p, "TopicArn"), "SNS:GetTopicAttributes", &e);
  if (!t) return Fail(e);
  std::map<std::string, std::string> out = t->attributes;
  int confirmed = 0, pending = 0;
  for (Subscription* s : store_.SubscriptionsOf(t->Arn())) (s->confirmed ? confirmed : pending)++;
  out["TopicArn"] = t->Arn();
  out["Owner"] = t->account;
  if (!out.count("Policy")) out["Policy"] = DefaultTopicPolicy(t->Arn(), t->account);
  if (!out.count("DisplayName")) out["DisplayName"] = "";
  out["SubscriptionsConfirmed"] = std::to_string(confirmed);
  out["SubscriptionsPending"] = std::to_string(pending);
  out["SubscriptionsDeleted"] = "0";
  out["EffectiveDeliveryPolicy"] =
      TopicEffectiveJson(EffectiveHttpPolicy(out["DeliveryPolicy"], ""));
  if (out["DeliveryPolicy"].empty()) out.erase("DeliveryPolicy");
  if (t->fifo) {
    out["FifoTopic"] = "true";
    out["ContentBasedDeduplication"] = t->content_dedup ? "true" : "false";
  } else {
    out.erase("FifoTopic");
  }
  return Result(Entries(out));
}

Outcome SnsService::SetTopicAttributes(const Context& ctx, const Params& p) {
  Error e;
  Topic* t = LookUpTopic(ctx, Get(p, "TopicArn"), "SNS:SetTopicAttributes", &e);
  if (!t) return Fail(e);
  std::string name = Get(p, "AttributeName");
  std::string value = Get(p, "AttributeValue");
  if (!SettableTopicAttributes().count(name)) {
    return Fail("InvalidParameter", "Invalid parameter: AttributeName");
  }
  if (name == "FifoTopic") {
    return Fail("InvalidParameter",
                "Invalid parameter: AttributeName Reason: FifoTopic can only be set when the "
                "topic is created");
  }
  if (name == "ContentBasedDeduplication" && !t->fifo) {
    return Fail("InvalidParameter",
                "Invalid parameter: ContentBasedDeduplication Reason: Content-based "
                "deduplication can only be set for FIFO topics");
  }
  if ((name == "Policy" || name == "DeliveryPolicy") && !value.empty()) {
    if (auto err = CheckTopicDocuments({{name, value}})) return Fail(*err);
  }
  if (value.empty() && name != "DisplayName") {
    t->attributes.erase(name);
  } else {
    t->attributes[name] = value;
  }
  t->Refresh();
  store_.SaveTopic(*t);
  return Empty();
}

// ---- Tags ----

Outcome SnsService::TagResource(const Context& ctx, const Params& p) {
  Error e;
  Topic* t = LookUpTopic(ctx, Get(p, "ResourceArn"), "SNS:TagResource", &e);
  if (!t) {
    if (e.code == "AuthorizationError") return Fail(e);
    return Fail("ResourceNotFound", "Resource does not exist");
  }
  auto tags = t->tags;
  for (const Params& m : Members(p, "Tags.member")) tags[Get(m, "Key")] = Get(m, "Value");
  if (tags.size() > kMaxTags) {
    return Fail("TagLimitExceeded",
                "Could not complete request: tag quota of per resource exceeded");
  }
  t->tags = std::move(tags);
  store_.SaveTopic(*t);
  return Result("");
}

Outcome SnsService::UntagResource(const Context& ctx, const Params& p) {
  Error e;
  Topic* t = LookUpTopic(ctx, Get(p, "ResourceArn"), "SNS:UntagResource", &e);
  if (!t) {
    if (e.code == "AuthorizationError") return Fail(e);
    return Fail("ResourceNotFound", "Resource does not exist");
  }
  for (const std::string& key : ScalarMembers(p, "TagKeys.member")) t->tags.erase(key);
  store_.SaveTopic(*t);
  return Result("");
}

Outcome SnsService::ListTagsForResource(const Context& ctx, const Params& p) {
  Error e;
  Topic* t = LookUpTopic(ctx, Get(p, "ResourceArn"), "SNS:ListTagsForResource", &e);
  if (!t) {
    if (e.code == "AuthorizationError") return Fail(e);
    return Fail("ResourceNotFound", "Resource does not exist");
  }
  std::string xml = "<Tags>";
  for (const auto& [k, v] : t->tags) {
    xml += "<member>" + Element("Key", k) + Element("Value", v) + "</member>";
  }
  return Result(xml + "</Tags>");
}

}  // namespace thaw::sns
