#include "sns/service.h"

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "base/log.h"
#include "base/xml.h"
#include "http/client.h"

namespace thaw::sns {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

constexpr size_t kPageSize = 100;
constexpr size_t kMaxTags = 50;

std::string Get(const Params& p, const std::string& key) {
  auto it = p.find(key);
  return it == p.end() ? std::string() : it->second;
}

bool Has(const Params& p, const std::string& key) { return p.count(key) > 0; }

std::string Element(const std::string& name, const std::string& value) {
  return "<" + name + ">" + XmlEscape(value) + "</" + name + ">";
}

std::string Entries(const std::map<std::string, std::string>& map) {
  std::string xml = "<Attributes>";
  for (const auto& [k, v] : map) {
    xml += "<entry>" + Element("key", k) + Element("value", v) + "</entry>";
  }
  return xml + "</Attributes>";
}

Outcome Result(std::string xml) {
  Outcome o;
  o.result = std::move(xml);
  o.has_result = true;
  return o;
}

Outcome Empty() { return Outcome{}; }

Outcome Fail(std::string code, std::string message) {
  Outcome o;
  o.error = MakeError(std::move(code), std::move(message));
  return o;
}

Outcome Fail(Error e) {
  Outcome o;
  o.error = std::move(e);
  return o;
}

bool ValidTopicName(const std::string& name, bool fifo) {
  std::string base = name;
  if (fifo) {
    if (!base.ends_with(".fifo")) return false;
    base.resize(base.size() - 5);
  }
  if (base.empty() || name.size() > 256) return false;
  return std::all_of(base.begin(), base.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

bool IsDigits(const std::string& s, size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c));
         });
}

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

const std::set<std::string>& SettableSubscriptionAttributes() {
  static const std::set<std::string> kNames = {
      "DeliveryPolicy",     "FilterPolicy",  "FilterPolicyScope",
      "RawMessageDelivery", "RedrivePolicy", "SubscriptionRoleArn",
  };
  return kNames;
}

std::string DefaultPolicy(const Topic& t) {
  json policy = {
      {"Version", "2008-10-17"},
      {"Id", "__default_policy_ID"},
      {"Statement",
       json::array({{{"Sid", "__default_statement_ID"},
                     {"Effect", "Allow"},
                     {"Principal", {{"AWS", "*"}}},
                     {"Action", json::array({"SNS:GetTopicAttributes", "SNS:SetTopicAttributes",
                                             "SNS:AddPermission", "SNS:RemovePermission",
                                             "SNS:DeleteTopic", "SNS:Subscribe",
                                             "SNS:ListSubscriptionsByTopic", "SNS:Publish"})},
                     {"Resource", t.Arn()},
                     {"Condition", {{"StringEquals", {{"AWS:SourceOwner", t.account}}}}}}})}};
  return policy.dump();
}

constexpr char kDefaultHttpPolicy[] =
    R"({"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,)"
    R"("numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,)"
    R"("backoffFunction":"linear"},"disableSubscriptionOverrides":false,)"
    R"("defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}})";

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

bool IsLoopbackUrl(const std::string& url) {
  static const std::regex kLoopback(
      R"(^https?://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]+)?(/.*)?$)");
  return std::regex_match(url, kLoopback);
}

bool ClientSide(const Status& s) {
  return s.code() == StatusCode::kNotFound || s.code() == StatusCode::kInvalidArgument ||
         s.code() == StatusCode::kPermissionDenied || s.code() == StatusCode::kFailedPrecondition;
}

}  // namespace

Error MakeError(std::string code, std::string message) {
  Error e;
  e.code = std::move(code);
  e.message = std::move(message);
  if (e.code == "NotFound" || e.code == "ResourceNotFound") e.status = 404;
  if (e.code == "AuthorizationError" || e.code == "TopicLimitExceeded" ||
      e.code == "SubscriptionLimitExceeded" || e.code == "FilterPolicyLimitExceeded" ||
      e.code == "AccessDenied") {
    e.status = 403;
  }
  if (e.code == "Throttled") e.status = 429;
  if (e.code == "InternalError") {
    e.status = 500;
    e.sender = false;
  }
  return e;
}

std::vector<Params> Members(const Params& params, const std::string& prefix) {
  std::map<int64_t, Params> by_index;
  const std::string head = prefix + ".";
  for (auto it = params.lower_bound(head); it != params.end() && it->first.starts_with(head);
       ++it) {
    std::string rest = it->first.substr(head.size());
    auto dot = rest.find('.');
    if (dot == std::string::npos) continue;
    auto n = ParseInt(rest.substr(0, dot));
    if (!n || *n < 1) continue;
    by_index[*n].emplace(rest.substr(dot + 1), it->second);
  }
  std::vector<Params> out;
  out.reserve(by_index.size());
  for (auto& [n, m] : by_index) out.push_back(std::move(m));
  return out;
}

std::vector<std::string> ScalarMembers(const Params& params, const std::string& prefix) {
  std::map<int64_t, std::string> by_index;
  const std::string head = prefix + ".";
  for (auto it = params.lower_bound(head); it != params.end() && it->first.starts_with(head);
       ++it) {
    auto n = ParseInt(it->first.substr(head.size()));
    if (n && *n >= 1) by_index[*n] = it->second;
  }
  std::vector<std::string> out;
  out.reserve(by_index.size());
  for (auto& [n, v] : by_index) out.push_back(v);
  return out;
}

std::optional<TopicArnParts> ParseTopicArn(const std::string& arn) {
  // arn:aws:sns:REGION:ACCOUNT:NAME
  std::vector<std::string> parts;
  size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    auto colon = arn.find(':', start);
    if (colon == std::string::npos) return std::nullopt;
    parts.push_back(arn.substr(start, colon - start));
    start = colon + 1;
  }
  std::string name = arn.substr(start);
  if (parts[0] != "arn" || parts[1].empty() || parts[2] != "sns" || parts[3].empty() ||
      !IsDigits(parts[4], 12) || !ValidTopicName(name, name.ends_with(".fifo"))) {
    return std::nullopt;
  }
  return TopicArnParts{parts[3], parts[4], name};
}

std::optional<int64_t> SnsService::ManagedRetryDelayMs(int attempt) {
  if (attempt < 1) return 0;
  if (attempt <= 3) return 0;     // 3 immediate
  if (attempt <= 5) return 1000;  // 2 at 1 s
  if (attempt <= 15) {            // 10 backing off from 1 to 20 s
    double step = std::pow(20.0, (attempt - 6) / 9.0);
    return static_cast<int64_t>(std::lround(step * 1000));
  }
  if (attempt <= 100015) return 20000;  // 100,000 at 20 s
  return std::nullopt;
}

SnsService::SnsService(TopicStore& store, delivery::Sinks& sinks, Options options)
    : store_(store),
      sinks_(sinks),
      options_(std::move(options)),
      alive_(std::make_shared<bool>(true)),
      http_work_(asio::make_work_guard(http_io_)) {
  store_.SetListener([this](const Delivery& d) { Attempt(d); });
  http_thread_ = std::thread([this] { http_io_.run(); });
}

SnsService::~SnsService() {
  *alive_ = false;
  store_.SetListener(nullptr);
  http_work_.reset();
  http_io_.stop();
  if (http_thread_.joinable()) http_thread_.join();
}

void SnsService::Start() { store_.Start(); }

bool SnsService::IsOperation(const std::string& op) {
  static const std::set<std::string> kOps = {
      "CreateTopic",
      "DeleteTopic",
      "ListTopics",
      "GetTopicAttributes",
      "SetTopicAttributes",
      "Subscribe",
      "ConfirmSubscription",
      "Unsubscribe",
      "ListSubscriptions",
      "ListSubscriptionsByTopic",
      "GetSubscriptionAttributes",
      "SetSubscriptionAttributes",
      "Publish",
      "PublishBatch",
      "TagResource",
      "UntagResource",
      "ListTagsForResource",
  };
  return kOps.count(op) > 0;
}

void SnsService::Execute(const Context& ctx, const std::string& op, const Params& p,
                         std::function<void(Outcome)> done) {
  Outcome o;
  if (op == "CreateTopic")
    o = CreateTopic(ctx, p);
  else if (op == "DeleteTopic")
    o = DeleteTopic(p);
  else if (op == "ListTopics")
    o = ListTopics(ctx, p);
  else if (op == "GetTopicAttributes")
    o = GetTopicAttributes(p);
  else if (op == "SetTopicAttributes")
    o = SetTopicAttributes(p);
  else if (op == "Subscribe")
    o = Subscribe(ctx, p);
  else if (op == "ConfirmSubscription")
    o = ConfirmSubscription(p);
  else if (op == "Unsubscribe")
    o = Unsubscribe(p);
  else if (op == "ListSubscriptions")
    o = ListSubscriptions(ctx, p, false);
  else if (op == "ListSubscriptionsByTopic")
    o = ListSubscriptions(ctx, p, true);
  else if (op == "GetSubscriptionAttributes")
    o = GetSubscriptionAttributes(p);
  else if (op == "SetSubscriptionAttributes")
    o = SetSubscriptionAttributes(p);
  else if (op == "Publish")
    o = Publish(p);
  else if (op == "PublishBatch")
    o = PublishBatch(p);
  else if (op == "TagResource")
    o = TagResource(p);
  else if (op == "UntagResource")
    o = UntagResource(p);
  else if (op == "ListTagsForResource")
    o = ListTagsForResource(p);
  else
    o = Fail("InvalidAction",
             "The action " + op.substr(0, 64) + " is not valid for this endpoint.");
  if (o.error) {
    done(std::move(o));
    return;
  }
  // Answered once what it changed is durable.
  store_.AfterCommit([done = std::move(done), o = std::move(o)](const Status& s) mutable {
    if (!s.ok()) o = Fail("InternalError", "Internal error: " + s.message());
    done(std::move(o));
  });
}

Topic* SnsService::LookUpTopic(const std::string& arn, Error* error) {
  if (!ParseTopicArn(arn)) {
    *error = MakeError("InvalidParameter", "Invalid parameter: TopicArn");
    return nullptr;
  }
  Topic* t = store_.FindTopic(arn);
  if (!t) *error = MakeError("NotFound", "Topic does not exist");
  return t;
}

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

Outcome SnsService::DeleteTopic(const Params& p) {
  std::string arn = Get(p, "TopicArn");
  if (!ParseTopicArn(arn)) return Fail("InvalidParameter", "Invalid parameter: TopicArn");
  // Deleting a topic that does not exist succeeds, as on AWS.
  store_.DeleteTopic(arn);
  return Empty();
}

Outcome SnsService::ListTopics(const Context& ctx, const Params& p) {
  std::string after;
  if (Has(p, "NextToken")) {
    auto decoded = Base64Decode(Get(p, "NextToken"));
    if (!decoded) return Fail("InvalidParameter", "Invalid parameter: NextToken");
    after = *decoded;
  }
  std::string xml = "<Topics>";
  size_t n = 0;
  std::string last;
  bool more = false;
  for (Topic* t : store_.Topics(ctx.account)) {
    std::string arn = t->Arn();
    if (!after.empty() && arn <= after) continue;
    if (n == kPageSize) {
      more = true;
      break;
    }
    xml += "<member>" + Element("TopicArn", arn) + "</member>";
    last = arn;
    ++n;
  }
  xml += "</Topics>";
  if (more) xml += Element("NextToken", Base64Encode(last));
  return Result(std::move(xml));
}

Outcome SnsService::GetTopicAttributes(const Params& p) {
  Error e;
  Topic* t = LookUpTopic(Get(p, "TopicArn"), &e);
  if (!t) return Fail(e);
  std::map<std::string, std::string> out = t->attributes;
  int confirmed = 0, pending = 0;
  for (Subscription* s : store_.SubscriptionsOf(t->Arn())) (s->confirmed ? confirmed : pending)++;
  out["TopicArn"] = t->Arn();
  out["Owner"] = t->account;
  if (!out.count("Policy")) out["Policy"] = DefaultPolicy(*t);
  if (!out.count("DisplayName")) out["DisplayName"] = "";
  out["SubscriptionsConfirmed"] = std::to_string(confirmed);
  out["SubscriptionsPending"] = std::to_string(pending);
  out["SubscriptionsDeleted"] = "0";
  out["EffectiveDeliveryPolicy"] = kDefaultHttpPolicy;
  if (out.count("DeliveryPolicy")) out["EffectiveDeliveryPolicy"] = out["DeliveryPolicy"];
  if (t->fifo) {
    out["FifoTopic"] = "true";
    out["ContentBasedDeduplication"] = t->content_dedup ? "true" : "false";
  } else {
    out.erase("FifoTopic");
  }
  return Result(Entries(out));
}

Outcome SnsService::SetTopicAttributes(const Params& p) {
  Error e;
  Topic* t = LookUpTopic(Get(p, "TopicArn"), &e);
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
  if ((name == "Policy" || name == "DeliveryPolicy") && !value.empty() &&
      !json::parse(value, nullptr, false).is_object()) {
    return Fail("InvalidParameter", "Invalid parameter: " + name + ": failed to parse JSON");
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

// ---- Subscriptions ----

Outcome SnsService::Subscribe(const Context& ctx, const Params& p) {
  Error e;
  Topic* t = LookUpTopic(Get(p, "TopicArn"), &e);
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
  Error e;
  Topic* t = LookUpTopic(Get(p, "TopicArn"), &e);
  if (!t) return Fail(e);
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

Outcome SnsService::Unsubscribe(const Params& p) {
  std::string arn = Get(p, "SubscriptionArn");
  auto colon = arn.rfind(':');
  if (colon == std::string::npos || !ParseTopicArn(arn.substr(0, colon))) {
    return Fail("InvalidParameter", "Invalid parameter: SubscriptionArn");
  }
  store_.RemoveSubscription(arn);
  return Empty();
}

Outcome SnsService::ListSubscriptions(const Context& ctx, const Params& p, bool by_topic) {
  std::vector<Subscription*> subs;
  if (by_topic) {
    Error e;
    Topic* t = LookUpTopic(Get(p, "TopicArn"), &e);
    if (!t) return Fail(e);
    subs = store_.SubscriptionsOf(t->Arn());
  } else {
    subs = store_.Subscriptions(ctx.account);
  }
  std::string after;
  if (Has(p, "NextToken")) {
    auto decoded = Base64Decode(Get(p, "NextToken"));
    if (!decoded) return Fail("InvalidParameter", "Invalid parameter: NextToken");
    after = *decoded;
  }
  std::string xml = "<Subscriptions>";
  size_t n = 0;
  std::string last;
  bool more = false;
  for (Subscription* s : subs) {
    if (!after.empty() && s->arn <= after) continue;
    if (n == kPageSize) {
      more = true;
      break;
    }
    xml += "<member>" + Element("SubscriptionArn", s->confirmed ? s->arn : "PendingConfirmation") +
           Element("Owner", s->owner) + Element("Protocol", s->protocol) +
           Element("Endpoint", s->endpoint) + Element("TopicArn", s->topic_arn) + "</member>";
    last = s->arn;
    ++n;
  }
  xml += "</Subscriptions>";
  if (more) xml += Element("NextToken", Base64Encode(last));
  return Result(std::move(xml));
}

Outcome SnsService::GetSubscriptionAttributes(const Params& p) {
  std::string arn = Get(p, "SubscriptionArn");
  Subscription* s = store_.FindSubscription(arn);
  if (!s) {
    auto colon = arn.rfind(':');
    if (colon == std::string::npos || !ParseTopicArn(arn.substr(0, colon))) {
      return Fail("InvalidParameter", "Invalid parameter: SubscriptionArn");
    }
    return Fail("NotFound", "Subscription does not exist");
  }
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
    out["EffectiveDeliveryPolicy"] = kDefaultHttpPolicy;
  }
  return Result(Entries(out));
}

Outcome SnsService::SetSubscriptionAttributes(const Params& p) {
  std::string arn = Get(p, "SubscriptionArn");
  Subscription* s = store_.FindSubscription(arn);
  if (!s) {
    auto colon = arn.rfind(':');
    if (colon == std::string::npos || !ParseTopicArn(arn.substr(0, colon))) {
      return Fail("InvalidParameter", "Invalid parameter: SubscriptionArn");
    }
    return Fail("NotFound", "Subscription does not exist");
  }
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

// ---- Publishing ----

std::optional<Error> SnsService::PublishOne(Topic& topic, const Params& entry,
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

Outcome SnsService::Publish(const Params& p) {
  if (Has(p, "PhoneNumber")) {
    return Fail("InvalidParameter",
                "Invalid parameter: PhoneNumber Reason: thaw does not send SMS");
  }
  std::string arn = Get(p, "TopicArn");
  if (arn.empty()) arn = Get(p, "TargetArn");
  if (arn.empty()) {
    return Fail("InvalidParameter",
                "Invalid parameter: TopicArn or TargetArn Reason: no value for required "
                "parameter");
  }
  Error e;
  Topic* t = LookUpTopic(arn, &e);
  if (!t) return Fail(e);
  std::string id, seq;
  if (auto err = PublishOne(*t, p, &id, &seq)) return Fail(*err);
  std::string xml = Element("MessageId", id);
  if (!seq.empty()) xml += Element("SequenceNumber", seq);
  return Result(std::move(xml));
}

Outcome SnsService::PublishBatch(const Params& p) {
  Error e;
  Topic* t = LookUpTopic(Get(p, "TopicArn"), &e);
  if (!t) return Fail(e);
  std::vector<Params> entries = Members(p, "PublishBatchRequestEntries.member");
  if (entries.empty()) {
    return Fail("EmptyBatchRequest", "The batch request doesn't contain any entries.");
  }
  if (entries.size() > 10) {
    return Fail("TooManyEntriesInBatchRequest",
                "The batch request contains more entries than permissible.");
  }
  std::set<std::string> ids;
  for (const Params& entry : entries) {
    std::string id = Get(entry, "Id");
    if (id.empty() || id.size() > 80 || !std::all_of(id.begin(), id.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
        })) {
      return Fail("InvalidBatchEntryId",
                  "The Id of a batch entry in a batch request doesn't abide by the "
                  "specification.");
    }
    if (!ids.insert(id).second) {
      return Fail("BatchEntryIdsNotDistinct",
                  "Two or more batch entries in the request have the same Id.");
    }
  }
  if (t->fifo) {
    for (const Params& entry : entries) {
      if (Get(entry, "MessageGroupId").empty()) {
        return Fail("InvalidParameter",
                    "Invalid parameter: The MessageGroupId parameter is required for FIFO "
                    "topics");
      }
    }
  }
  std::string ok = "<Successful>";
  std::string failed = "<Failed>";
  for (const Params& entry : entries) {
    std::string id, seq;
    if (auto err = PublishOne(*t, entry, &id, &seq)) {
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

// ---- Tags ----

Outcome SnsService::TagResource(const Params& p) {
  Topic* t =
      ParseTopicArn(Get(p, "ResourceArn")) ? store_.FindTopic(Get(p, "ResourceArn")) : nullptr;
  if (!t) return Fail("ResourceNotFound", "Resource does not exist");
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

Outcome SnsService::UntagResource(const Params& p) {
  Topic* t =
      ParseTopicArn(Get(p, "ResourceArn")) ? store_.FindTopic(Get(p, "ResourceArn")) : nullptr;
  if (!t) return Fail("ResourceNotFound", "Resource does not exist");
  for (const std::string& key : ScalarMembers(p, "TagKeys.member")) t->tags.erase(key);
  store_.SaveTopic(*t);
  return Result("");
}

Outcome SnsService::ListTagsForResource(const Params& p) {
  Topic* t =
      ParseTopicArn(Get(p, "ResourceArn")) ? store_.FindTopic(Get(p, "ResourceArn")) : nullptr;
  if (!t) return Fail("ResourceNotFound", "Resource does not exist");
  std::string xml = "<Tags>";
  for (const auto& [k, v] : t->tags) {
    xml += "<member>" + Element("Key", k) + Element("Value", v) + "</member>";
  }
  return Result(xml + "</Tags>");
}

// ---- Delivery ----

void SnsService::Attempt(const Delivery& d) {
  auto finish = [this, d, alive = std::weak_ptr<bool>(alive_)](const Status& s) {
    auto a = alive.lock();
    if (!a || !*a) return;
    Finished(d, s);
  };
  if (d.protocol == "lambda") {
    sinks_.InvokeAsync(d.target, d.body, std::move(finish));
  } else if (d.protocol == "sqs") {
    sinks_.SendToQueue(d.target, d.body, d.attributes, std::move(finish));
  } else if (d.protocol == "http" || d.protocol == "https") {
    PostHttp(d);
  } else {
    Finished(d, Status::InvalidArgument("unknown protocol " + d.protocol));
  }
}

void SnsService::PostHttp(const Delivery& d) {
  std::string endpoint = options_.endpoint;
  asio::post(http_io_, [this, d, alive = std::weak_ptr<bool>(alive_)] {
    Status status = Status::Ok();
    // http://host:port/path -> ("http://host:port", "/path")
    std::string url = d.target;
    auto scheme = url.find("://");
    auto slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    std::string base = slash == std::string::npos ? url : url.substr(0, slash);
    std::string path = slash == std::string::npos ? "/" : url.substr(slash);
    if (base.starts_with("https://")) {
      status = Status::InvalidArgument("thaw cannot deliver over TLS: " + url);
    } else {
      auto client = http::Client::Create(base);
      if (!client.ok()) {
        status = client.status();
      } else {
        http::Headers headers;
        headers.Set("Content-Type", "text/plain; charset=UTF-8");
        headers.Set("x-amz-sns-message-type", d.message_type);
        headers.Set("x-amz-sns-message-id", d.message_id);
        auto topic_end = d.subscription_arn.rfind(':');
        headers.Set("x-amz-sns-topic-arn", d.subscription_arn.substr(0, topic_end));
        if (d.message_type == "Notification") {
          headers.Set("x-amz-sns-subscription-arn", d.subscription_arn);
        }
        headers.Set("User-Agent", "Amazon Simple Notification Service Agent");
        auto r = (*client)->Do("POST", path, headers, d.body, 15000);
        if (!r.ok()) {
          status = Status::Unavailable(r.status().message());
        } else if (r->status >= 500) {
          status = Status::Unavailable("HTTP " + std::to_string(r->status));
        } else if (r->status >= 400) {
          status = Status::InvalidArgument("HTTP " + std::to_string(r->status));
        }
      }
    }
    asio::post(store_.loop(), [this, d, status, alive] {
      auto a = alive.lock();
      if (!a || !*a) return;
      Finished(d, status);
    });
  });
}

void SnsService::Finished(Delivery d, const Status& status) {
  if (status.ok()) {
    store_.RemoveDelivery(d.id);
    return;
  }
  d.attempts++;
  std::optional<int64_t> delay;
  if (d.message_type == "SubscriptionConfirmation") {
    delay = std::nullopt;  // sent once; Subscribe may be called again
  } else if (d.protocol == "http" || d.protocol == "https") {
    // The default HTTP policy: 3 retries 20 s apart.
    if (d.attempts <= 3) delay = 20000;
  } else {
    delay = ManagedRetryDelayMs(d.attempts);
  }
  if (ClientSide(status) || !delay) {
    GiveUp(d, status);
    return;
  }
  store_.SaveDelivery(d);
  const auto scaled = static_cast<int64_t>(static_cast<double>(*delay) * options_.delay_scale);
  auto timer = std::make_unique<asio::steady_timer>(store_.loop());
  timer->expires_after(std::chrono::milliseconds(scaled));
  timer->async_wait([this, d, alive = std::weak_ptr<bool>(alive_)](boost::system::error_code ec) {
    auto a = alive.lock();
    if (ec || !a || !*a) return;
    timers_.erase(d.id);
    Attempt(d);
  });
  timers_[d.id] = std::move(timer);
}

void SnsService::GiveUp(const Delivery& d, const Status& why) {
  THAW_LOG(kInfo, "sns") << "delivery of " << d.message_id << " to " << d.target
                         << " failed: " << why.message()
                         << (d.dlq_arn.empty() ? "; dropped" : "; to " + d.dlq_arn);
  if (d.dlq_arn.empty() || d.message_type != "Notification") {
    store_.RemoveDelivery(d.id);
    return;
  }
  // The DLQ gets what the subscriber would have: for Lambda, the notification's SNS body.
  std::string body = d.body;
  if (d.protocol == "lambda") {
    auto event = json::parse(d.body, nullptr, false);
    if (event.is_object() && event["Records"].is_array() && !event["Records"].empty()) {
      json sns = event["Records"][0]["Sns"];
      if (sns.is_object()) {
        sns["SigningCertURL"] = sns["SigningCertUrl"];
        sns["UnsubscribeURL"] = sns["UnsubscribeUrl"];
        sns.erase("SigningCertUrl");
        sns.erase("UnsubscribeUrl");
        if (sns["Subject"].is_null()) sns.erase("Subject");
        body = sns.dump();
      }
    }
  }
  sinks_.SendToQueue(
      d.dlq_arn, body, d.attributes,
      [this, id = d.id, dlq = d.dlq_arn, alive = std::weak_ptr<bool>(alive_)](const Status& s) {
        auto a = alive.lock();
        if (!a || !*a) return;
        if (!s.ok()) {
          THAW_LOG(kWarn, "sns") << "cannot send to DLQ " << dlq << ": " << s.message();
        }
        store_.RemoveDelivery(id);
      });
}

}  // namespace thaw::sns
