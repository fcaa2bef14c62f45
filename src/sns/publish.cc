#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "sns/service.h"

namespace thaw::sns {

using nlohmann::json;

namespace {

// Parses MessageAttributes.entry.N.*: AWS's checks on types and values.
std::optional<Error> ParseAttributes(const Params& p, sqs::MessageAttributes* out) {
  for (const Params& m : Members(p, "MessageAttributes.entry")) {
    std::string name = Get(m, "Name");
    std::string type = Get(m, "Value.DataType");
    if (name.empty()) {
      return MakeError("ParameterValueInvalid", "The message attribute name must not be empty.");
    }
    if (type.empty()) {
      return MakeError("ParameterValueInvalid", "The message attribute '" + name +
                                                    "' must contain non-empty message attribute "
                                                    "type.");
    }
    sqs::MessageAttribute a;
    a.data_type = type;
    if (type.starts_with("Binary")) {
      auto raw = Base64Decode(Get(m, "Value.BinaryValue"));
      if (!raw) {
        return MakeError("ParameterValueInvalid",
                         "The message attribute '" + name + "' with type 'Binary' must be base64.");
      }
      a.value = *raw;
    } else if (type.starts_with("String") || type.starts_with("Number")) {
      if (!Has(m, "Value.StringValue")) {
        std::string text = "The message attribute '" + name;
        text += "' must contain non-empty message attribute value for message attribute type '";
        text += type + "'.";
        return MakeError("ParameterValueInvalid", text);
      }
      a.value = Get(m, "Value.StringValue");
      if (type.starts_with("Number")) {
        auto n = json::parse(a.value, nullptr, false);
        if (!n.is_number()) {
          return MakeError("ParameterValueInvalid",
                           "An error occurred while trying to parse "
                           "the message attribute '" +
                               name + "': " + a.value + " is not a valid number");
        }
      }
      if (type.starts_with("String.Array") && !json::parse(a.value, nullptr, false).is_array()) {
        return MakeError("ParameterValueInvalid",
                         "The message attribute '" + name +
                             "' with type 'String.Array' has to be a JSON array.");
      }
    } else {
      return MakeError("ParameterValueInvalid", "The message attribute '" + name +
                                                    "' has an invalid message attribute "
                                                    "type, the set of supported type "
                                                    "prefixes is Binary, Number, and "
                                                    "String.");
    }
    (*out)[name] = std::move(a);
  }
  return std::nullopt;
}

// A batch's checks that refuse it whole: 1 to 10 entries with distinct valid Ids, and a group
// for each entry of a FIFO topic.
std::optional<Error> CheckBatch(const std::vector<Params>& entries, bool fifo) {
  if (entries.empty()) {
    return MakeError("EmptyBatchRequest", "The batch request doesn't contain any entries.");
  }
  if (entries.size() > 10) {
    return MakeError("TooManyEntriesInBatchRequest",
                     "The batch request contains more entries than permissible.");
  }
  std::set<std::string> ids;
  for (const Params& entry : entries) {
    std::string id = Get(entry, "Id");
    if (id.empty() || id.size() > 80 || !std::all_of(id.begin(), id.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
        })) {
      return MakeError("InvalidBatchEntryId",
                       "The Id of a batch entry in a batch request doesn't abide by the "
                       "specification.");
    }
    if (!ids.insert(id).second) {
      return MakeError("BatchEntryIdsNotDistinct",
                       "Two or more batch entries in the request have the same Id.");
    }
  }
  if (fifo) {
    for (const Params& entry : entries) {
      if (Get(entry, "MessageGroupId").empty()) {
        return MakeError("InvalidParameter",
                         "Invalid parameter: The MessageGroupId parameter is required for FIFO "
                         "topics");
      }
    }
  }
  return std::nullopt;
}

}  // namespace

// ---- Publishing ----

std::optional<Error> SnsService::PublishOne(const Context& ctx, Topic& topic, const Params& entry,
                                            std::string* message_id, std::string* sequence_number) {
  if (!Has(entry, "Message")) {
    return MakeError("ValidationError",
                     "1 validation error detected: Value null at 'message' failed to satisfy "
                     "constraint: Member must not be null");
  }
  Published pub;
  pub.message = Get(entry, "Message");
  if (pub.message.empty()) return MakeError("InvalidParameter", "Invalid parameter: Empty message");
  if (Has(entry, "Subject")) {
    std::string subject = Get(entry, "Subject");
    bool ok =
        !subject.empty() && subject.size() <= 100 &&
        std::all_of(subject.begin(), subject.end(), [](char c) {
          return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
        });
    if (!ok) return MakeError("InvalidParameter", "Invalid parameter: Subject");
    pub.subject = subject;
  }
  if (auto err = ParseAttributes(entry, &pub.attributes)) return err;
  if (pub.message.size() + sqs::MessageSize("", pub.attributes) > kMaxMessageBytes) {
    return MakeError("InvalidParameter", "Invalid parameter: Message too long");
  }
  if (Has(entry, "MessageStructure")) {
    if (Get(entry, "MessageStructure") != "json") {
      return MakeError("InvalidParameter", "Invalid parameter: MessageStructure");
    }
    Status s = CheckStructured(pub.message);
    if (!s.ok()) return MakeError("InvalidParameter", s.message());
    pub.structured = true;
  }
  pub.group_id = Get(entry, "MessageGroupId");
  pub.dedup_id = Get(entry, "MessageDeduplicationId");
  if (topic.fifo) {
    if (pub.group_id.empty()) {
      return MakeError("InvalidParameter",
                       "Invalid parameter: The MessageGroupId parameter is required for FIFO "
                       "topics");
    }
    if (pub.dedup_id.empty()) {
      if (!topic.content_dedup) {
        return MakeError("InvalidParameter",
                         "Invalid parameter: The topic should either have "
                         "ContentBasedDeduplication enabled or MessageDeduplicationId provided "
                         "explicitly");
      }
      pub.dedup_id = Sha256Hex(pub.message);
    }
  } else if (!pub.dedup_id.empty()) {
    return MakeError("InvalidParameter",
                     "Invalid parameter: MessageDeduplicationId Reason: The request includes "
                     "MessageDeduplicationId parameter that is not valid for this topic type");
  }
  pub.message_id = NewUuid();
  pub.topic_arn = topic.Arn();
  pub.timestamp_ms = store_.clock().RealtimeMillis();
  pub.trace_header = ctx.trace_header;
  if (topic.fifo) {
    if (auto earlier = store_.Deduplicate(topic, pub.dedup_id, pub.message_id)) {
      *message_id = *earlier;
      *sequence_number = "";
      return std::nullopt;
    }
    char seq[32];
    std::snprintf(seq, sizeof(seq), "%020lld", static_cast<long long>(topic.next_sequence++));
    pub.sequence_number = seq;
    store_.SaveTopic(topic);
  }
  *message_id = pub.message_id;
  *sequence_number = pub.sequence_number;
  store_.AddDeliveries(Render(pub));
  return std::nullopt;
}

std::vector<Delivery> SnsService::Render(const Published& p) {
  std::vector<Delivery> out;
  for (Subscription* s : store_.SubscriptionsOf(p.topic_arn)) {
    if (!s->confirmed) continue;
    if (s->filter) {
      json view;
      if (s->body_scope) {
        view = json::parse(MessageFor(p, s->protocol), nullptr, false);
        if (!view.is_object()) continue;
      } else {
        view = FilterView(p.attributes);
      }
      if (!s->filter->Matches(view)) continue;
    }
    Delivery d;
    d.subscription_arn = s->arn;
    d.protocol = s->protocol;
    d.target = s->endpoint;
    d.message_id = p.message_id;
    d.dlq_arn = s->dlq_arn;
    d.group_id = p.group_id;
    d.dedup_id = p.dedup_id;
    d.trace_header = p.trace_header;
    const Signer* signer = options_.signer.get();
    if (s->protocol == "lambda") {
      d.body = LambdaEvent(p, s->arn, options_.endpoint, signer);
    } else if (s->raw) {
      d.body = MessageFor(p, s->protocol);
      d.attributes = p.attributes;
    } else {
      d.body = Envelope(p, s->protocol, s->arn, options_.endpoint, signer);
    }
    d.message_type = "Notification";
    out.push_back(std::move(d));
  }
  return out;
}

Outcome SnsService::Publish(const Context& ctx, const Params& p, bool batch) {
  if (!batch && Has(p, "PhoneNumber")) {
    return Fail("InvalidParameter",
                "Invalid parameter: PhoneNumber Reason: thaw does not send SMS");
  }
  std::string arn = Get(p, "TopicArn");
  if (!batch && arn.empty()) arn = Get(p, "TargetArn");
  if (!batch && arn.empty()) {
    return Fail("InvalidParameter",
                "Invalid parameter: TopicArn or TargetArn Reason: no value for required "
                "parameter");
  }
  Error e;
  Topic* t = LookUpTopic(ctx, arn, "SNS:Publish", &e);
  if (!t) return Fail(e);
  if (!batch) {
    std::string id, seq;
    if (auto err = PublishOne(ctx, *t, p, &id, &seq)) return Fail(*err);
    std::string xml = Element("MessageId", id);
    if (!seq.empty()) xml += Element("SequenceNumber", seq);
    return Result(std::move(xml));
  }
  std::vector<Params> entries = Members(p, "PublishBatchRequestEntries.member");
  if (auto err = CheckBatch(entries, t->fifo)) return Fail(*err);
  std::string ok = "<Successful>";
  std::string failed = "<Failed>";
  for (const Params& entry : entries) {
    std::string id, seq;
    if (auto err = PublishOne(ctx, *t, entry, &id, &seq)) {
      failed += "<member>" + Element("Id", Get(entry, "Id")) + Element("Code", err->code) +
                Element("Message", err->message) +
                Element("SenderFault", err->sender ? "true" : "false") + "</member>";
      continue;
    }
    ok += "<member>" + Element("Id", Get(entry, "Id")) + Element("MessageId", id);
    if (!seq.empty()) ok += Element("SequenceNumber", seq);
    ok += "</member>";
  }
  return Result(ok + "</Successful>" + failed + "</Failed>");
}

void SnsService::PublishToTopic(const std::string& topic_arn, std::string message,
                                sqs::MessageAttributes attributes,
                                std::function<void(Status)> done) {
  Topic* t = store_.FindTopic(topic_arn);
  if (!t) {
    done(Status::NotFound("topic " + topic_arn + " does not exist"));
    return;
  }
  if (t->fifo) {
    done(Status::InvalidArgument("topic " + topic_arn + " is a FIFO topic"));
    return;
  }
  Published pub;
  pub.message_id = NewUuid();
  pub.topic_arn = topic_arn;
  pub.message = std::move(message);
  pub.attributes = std::move(attributes);
  pub.timestamp_ms = store_.clock().RealtimeMillis();
  store_.AddDeliveries(Render(pub));
  store_.AfterCommit(std::move(done));
}

}  // namespace thaw::sns
