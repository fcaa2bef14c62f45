#include "sqs/operations.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>
#include <variant>

#include "base/codec.h"

namespace thaw::sqs {

using nlohmann::json;

namespace {

constexpr int64_t kMaxBatchBytes = 1048576;
constexpr int kMaxBatchEntries = 10;
constexpr int64_t kPurgeIntervalMs = 60 * 1000;

const std::set<std::string, std::less<>> kOperations = {"CreateQueue",
                                                        "GetQueueUrl",
                                                        "GetQueueAttributes",
                                                        "SetQueueAttributes",
                                                        "ListQueues",
                                                        "DeleteQueue",
                                                        "PurgeQueue",
                                                        "SendMessage",
                                                        "SendMessageBatch",
                                                        "ReceiveMessage",
                                                        "DeleteMessage",
                                                        "DeleteMessageBatch",
                                                        "ChangeMessageVisibility",
                                                        "ChangeMessageVisibilityBatch",
                                                        "TagQueue",
                                                        "UntagQueue",
                                                        "ListQueueTags",
                                                        "ListDeadLetterSourceQueues",
                                                        "AddPermission",
                                                        "RemovePermission",
                                                        "StartMessageMoveTask",
                                                        "CancelMessageMoveTask",
                                                        "ListMessageMoveTasks"};

const std::set<std::string, std::less<>> kSystemAttributes = {"SenderId",
                                                              "SentTimestamp",
                                                              "ApproximateReceiveCount",
                                                              "ApproximateFirstReceiveTimestamp",
                                                              "SequenceNumber",
                                                              "MessageDeduplicationId",
                                                              "MessageGroupId",
                                                              "AWSTraceHeader",
                                                              "DeadLetterQueueSourceArn"};

Error Missing(std::string_view parameter) {
  return MakeError("MissingParameter",
                   "The request must contain the parameter " + std::string(parameter) + ".");
}

Error Invalid(std::string message) {
  return MakeError("InvalidParameterValue", std::move(message));
}

Error InvalidValue(std::string_view parameter, std::string_view value, std::string_view reason) {
  return Invalid("Value " + std::string(value) + " for parameter " + std::string(parameter) +
                 " is invalid. Reason: " + std::string(reason));
}

std::string ToLower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

Error NoQueue() { return MakeError("QueueDoesNotExist", "The specified queue does not exist."); }

std::optional<std::string> Str(const json& input, const char* key) {
  if (!input.is_object() || !input.contains(key) || !input[key].is_string()) return std::nullopt;
  return input[key].get<std::string>();
}

// A member that must be an integer when present; strings of digits pass too (query).
std::variant<std::monostate, int64_t, Error> Int(const json& input, const char* key) {
  if (!input.is_object() || !input.contains(key) || input[key].is_null()) return std::monostate{};
  const json& v = input[key];
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string()) {
    if (auto n = ParseInt(v.get<std::string>())) return *n;
  }
  return InvalidValue(key, v.is_string() ? v.get<std::string>() : v.dump(), "must be an integer");
}

std::vector<std::string> StrList(const json& input, const char* key) {
  std::vector<std::string> out;
  if (!input.is_object() || !input.contains(key) || !input[key].is_array()) return out;
  for (auto& v : input[key]) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::map<std::string, std::string> StrMap(const json& input, const char* key) {
  std::map<std::string, std::string> out;
  if (!input.is_object() || !input.contains(key) || !input[key].is_object()) return out;
  for (auto& [k, v] : input[key].items()) {
    if (v.is_string())
      out[k] = v.get<std::string>();
    else if (v.is_number() || v.is_boolean())
      out[k] = v.dump();
  }
  return out;
}

std::string QueueUrl(const Context& ctx, const Queue& q) {
  return "http://" + ctx.host + "/" + q.account + "/" + q.name;
}

bool ValidName(std::string_view name, bool fifo) {
  if (fifo) {
    if (!name.ends_with(".fifo")) return false;
    name.remove_suffix(5);
  }
  if (name.empty() || name.size() + (fifo ? 5 : 0) > 80) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

// The body's characters must be XML 1.0's: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD |
// #x10000-#x10FFFF, in valid UTF-8. Returns the first bad code point, or nullopt.
std::optional<uint32_t> BadCharacter(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    uint32_t cp;
    size_t n;
    if (c < 0x80) {
      cp = c;
      n = 1;
    } else if ((c & 0xE0) == 0xC0) {
      cp = c & 0x1F;
      n = 2;
    } else if ((c & 0xF0) == 0xE0) {
      cp = c & 0x0F;
      n = 3;
    } else if ((c & 0xF8) == 0xF0) {
      cp = c & 0x07;
      n = 4;
    } else {
      return 0xFFFD;
    }
    if (i + n > s.size()) return 0xFFFD;
    for (size_t k = 1; k < n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return 0xFFFD;
      cp = (cp << 6) | (cc & 0x3F);
    }
    i += n;
    bool ok = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
              (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
    if (!ok) return cp;
  }
  return std::nullopt;
}

std::string HexCodePoint(uint32_t cp) {
  static const char* kDigits = "0123456789ABCDEF";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[cp % 16]);
    cp /= 16;
  } while (cp);
  return "#x" + out;
}

// ---- Queue attributes ----

struct Range {
  int64_t min, max;
};
const std::map<std::string, Range, std::less<>> kIntAttributes = {
    {"DelaySeconds", {0, 900}},
    {"MaximumMessageSize", {1024, 1048576}},
    {"MessageRetentionPeriod", {60, 1209600}},
    {"ReceiveMessageWaitTimeSeconds", {0, 20}},
    {"VisibilityTimeout", {0, 43200}},
    {"KmsDataKeyReusePeriodSeconds", {60, 86400}},
};
const std::set<std::string, std::less<>> kOtherAttributes = {"Policy",
                                                             "RedrivePolicy",
                                                             "RedriveAllowPolicy",
                                                             "KmsMasterKeyId",
                                                             "SqsManagedSseEnabled",
                                                             "FifoQueue",
                                                             "ContentBasedDeduplication",
                                                             "DeduplicationScope",
                                                             "FifoThroughputLimit"};
const std::set<std::string, std::less<>> kReadOnlyAttributes = {
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp"};

Error BadAttribute(std::string_view name) {
  return MakeError("InvalidAttributeValue",
                   "Invalid value for the parameter " + std::string(name) + ".");
}

// The value a queue shows for a settable attribute (defaults included), or nullopt.
std::optional<std::string> Effective(const Queue& q, std::string_view name) {
  if (auto it = q.attributes.find(std::string(name)); it != q.attributes.end()) return it->second;
  if (name == "DelaySeconds" || name == "ReceiveMessageWaitTimeSeconds") return "0";
  if (name == "MaximumMessageSize") return "1048576";
  if (name == "MessageRetentionPeriod") return "345600";
  if (name == "VisibilityTimeout") return "30";
  if (name == "SqsManagedSseEnabled")
    return q.attributes.count("KmsMasterKeyId") ? "false" : "true";
  if (q.fifo) {
    if (name == "FifoQueue") return "true";
    if (name == "ContentBasedDeduplication") return "false";
    if (name == "DeduplicationScope") return "queue";
    if (name == "FifoThroughputLimit") return "perQueue";
  }
  return std::nullopt;
}

// Checks attributes for CreateQueue or SetQueueAttributes; `fifo` is the queue's type.
std::optional<Error> CheckAttributes(QueueStore& store, const Context& ctx,
                                     const std::map<std::string, std::string>& attributes,
                                     bool fifo, bool creating, const std::string& self_arn) {
  for (const auto& [name, value] : attributes) {
    if (auto range = kIntAttributes.find(name); range != kIntAttributes.end()) {
      auto n = ParseInt(value);
      if (!n || *n < range->second.min || *n > range->second.max) return BadAttribute(name);
      continue;
    }
    if (!kOtherAttributes.count(name)) {
      return MakeError("InvalidAttributeName", "Unknown Attribute " + name + ".");
    }
    const bool boolean = name == "FifoQueue" || name == "ContentBasedDeduplication" ||
                         name == "SqsManagedSseEnabled";
    if (boolean && value != "true" && value != "false") return BadAttribute(name);
    if (name == "FifoQueue" && !creating) {
      return MakeError("InvalidAttributeName", "Unknown Attribute " + name + ".");
    }
    if ((name == "ContentBasedDeduplication" || name == "DeduplicationScope" ||
         name == "FifoThroughputLimit") &&
        !fifo) {
      return MakeError("InvalidAttributeName", "Unknown Attribute " + name + ".");
    }
    if (name == "DeduplicationScope" && value != "queue" && value != "messageGroup") {
      return BadAttribute(name);
    }
    if (name == "FifoThroughputLimit" && value != "perQueue" && value != "perMessageGroupId") {
      return BadAttribute(name);
    }
    if (name == "Policy" && !value.empty() && !auth::Policy::ParseText(value).ok()) {
      return BadAttribute(name);
    }
    if (name == "RedrivePolicy" && !value.empty()) {
      auto j = json::parse(value, nullptr, false);
      if (!j.is_object() || !j["deadLetterTargetArn"].is_string()) {
        return InvalidValue(name, value, "Redrive policy is not a valid JSON map.");
      }
      int64_t count = 0;
      if (j["maxReceiveCount"].is_number_integer()) count = j["maxReceiveCount"].get<int64_t>();
      if (j["maxReceiveCount"].is_string()) {
        count = ParseInt(j["maxReceiveCount"].get<std::string>()).value_or(0);
      }
      if (count < 1 || count > 1000) {
        return InvalidValue(name, value,
                            "Invalid value for maxReceiveCount: " + j["maxReceiveCount"].dump() +
                                ", valid values are from 1 to 1000 both inclusive.");
      }
      std::string arn = j["deadLetterTargetArn"];
      Queue* dlq = store.FindArn(arn);
      if (!dlq || dlq->account != ctx.account) {
        return InvalidValue(name, value, "Dead letter target does not exist.");
      }
      if (dlq->fifo != fifo) {
        return InvalidValue(
            name, value, "Dead-letter target must be of same type (FIFO/standard) as the source.");
      }
      // The DLQ's RedriveAllowPolicy says who may use it.
      auto allow = dlq->attributes.find("RedriveAllowPolicy");
      if (allow != dlq->attributes.end()) {
        auto p = json::parse(allow->second, nullptr, false);
        std::string permission = p.is_object() && p["redrivePermission"].is_string()
                                     ? p["redrivePermission"].get<std::string>()
                                     : "allowAll";
        bool allowed = permission == "allowAll";
        if (permission == "byQueue" && p["sourceQueueArns"].is_array()) {
          for (auto& s : p["sourceQueueArns"]) allowed = allowed || s == self_arn;
        }
        if (!allowed) {
          return InvalidValue(
              name, value,
              "Queue " + arn + " does not allow this queue to use it as a dead-letter queue.");
        }
      }
    }
    if (name == "RedriveAllowPolicy" && !value.empty()) {
      auto j = json::parse(value, nullptr, false);
      std::string permission = j.is_object() && j["redrivePermission"].is_string()
                                   ? j["redrivePermission"].get<std::string>()
                                   : "";
      if (permission != "allowAll" && permission != "denyAll" && permission != "byQueue") {
        return InvalidValue(name, value, "Invalid value for redrivePermission.");
      }
      const bool has_sources = j.contains("sourceQueueArns");
      if (permission == "byQueue") {
        if (!j["sourceQueueArns"].is_array() || j["sourceQueueArns"].empty() ||
            j["sourceQueueArns"].size() > 10) {
          return InvalidValue(name, value,
                              "sourceQueueArns must contain 1 to 10 queue ARNs when "
                              "redrivePermission is byQueue.");
        }
      } else if (has_sources) {
        return InvalidValue(name, value,
                            "sourceQueueArns is allowed only when redrivePermission is byQueue.");
      }
    }
  }
  return std::nullopt;
}

json QueueAttributes(QueueStore& store, Queue& q, const std::vector<std::string>& names) {
  std::set<std::string, std::less<>> wanted(names.begin(), names.end());
  const bool all = wanted.count("All") > 0;
  json out = json::object();
  auto want = [&](std::string_view n) { return all || wanted.count(n) > 0; };
  QueueCounts counts = store.Count(q);
  if (want("QueueArn")) out["QueueArn"] = q.Arn();
  if (want("ApproximateNumberOfMessages")) {
    out["ApproximateNumberOfMessages"] = std::to_string(counts.visible);
  }
  if (want("ApproximateNumberOfMessagesNotVisible")) {
    out["ApproximateNumberOfMessagesNotVisible"] = std::to_string(counts.in_flight);
  }
  if (want("ApproximateNumberOfMessagesDelayed")) {
    out["ApproximateNumberOfMessagesDelayed"] = std::to_string(counts.delayed);
  }
  if (want("CreatedTimestamp")) out["CreatedTimestamp"] = std::to_string(q.created_s);
  if (want("LastModifiedTimestamp")) out["LastModifiedTimestamp"] = std::to_string(q.modified_s);
  std::vector<std::string> settable;
  for (auto& [n, r] : kIntAttributes) settable.push_back(n);
  for (auto& n : kOtherAttributes) settable.push_back(n);
  for (const auto& n : settable) {
    if (!want(n)) continue;
    auto v = Effective(q, n);
    if (v && !v->empty()) out[n] = *v;
  }
  return out;
}

// ---- Messages ----

std::variant<MessageAttributes, Error> ParseMessageAttributes(const json& input, const char* key,
                                                              bool system) {
  MessageAttributes out;
  if (!input.is_object() || !input.contains(key) || !input[key].is_object()) return out;
  const json& map = input[key];
  if (!system && map.size() > 10) {
    return Invalid("Number of message attributes [" + std::to_string(map.size()) +
                   "] exceeds the allowed maximum [10].");
  }
  for (auto& [name, v] : map.items()) {
    if (system && name != "AWSTraceHeader") {
      return Invalid("Message system attribute name '" + name + "' is invalid.");
    }
    if (name.empty() || name.size() > 256) {
      return Invalid("Message (user) attribute name '" + name + "' is invalid.");
    }
    std::string type = Str(v, "DataType").value_or("");
    if (type.empty()) {
      return Invalid("The message attribute '" + name +
                     "' must contain non-empty message attribute type.");
    }
    std::string base = type.substr(0, type.find('.'));
    if (base != "String" && base != "Number" && base != "Binary") {
      return Invalid("The type of message (user) attribute '" + name +
                     "' is invalid. You must use only the following supported type prefixes: "
                     "Binary, Number, String.");
    }
    MessageAttribute a;
    a.data_type = type;
    if (base == "Binary") {
      auto b = Str(v, "BinaryValue");
      auto raw = b ? Base64Decode(*b) : std::nullopt;
      if (!raw || raw->empty()) {
        return Invalid("The message attribute '" + name +
                       "' must contain non-empty message attribute value for message attribute "
                       "type '" +
                       type + "'.");
      }
      a.value = std::move(*raw);
    } else {
      auto s = Str(v, "StringValue");
      if (!s || s->empty()) {
        return Invalid("The message attribute '" + name +
                       "' must contain non-empty message attribute value for message attribute "
                       "type '" +
                       type + "'.");
      }
      if (base == "Number") {
        char* end = nullptr;
        std::strtod(s->c_str(), &end);
        if (end == s->c_str() || *end != '\0') {
          return Invalid("Can't cast the value of message (user) attribute '" + name +
                         "' to a number.");
        }
      }
      a.value = std::move(*s);
    }
    if (system && type != "String") {
      return Invalid("The message system attribute 'AWSTraceHeader' must be of type String.");
    }
    out[name] = std::move(a);
  }
  return out;
}

json AttributesJson(const MessageAttributes& attributes) {
  json out = json::object();
  for (const auto& [name, a] : attributes) {
    json v = {{"DataType", a.data_type}};
    if (a.binary()) {
      v["BinaryValue"] = Base64Encode(a.value);
    } else {
      v["StringValue"] = a.value;
    }
    out[name] = v;
  }
  return out;
}

// Validates and adds one message (SendMessage or one batch entry). `budget` is what is left of
// the queue's message size.
std::variant<json, Error> SendOne(QueueStore& store, const Context& ctx, Queue& q,
                                  const json& entry) {
  auto body = Str(entry, "MessageBody");
  if (!body || body->empty()) return Missing("MessageBody");
  if (auto bad = BadCharacter(*body)) {
    return MakeError("InvalidMessageContents",
                     "Invalid binary character '" + HexCodePoint(*bad) +
                         "' was found in the message body, the set of allowed characters is #x9 | "
                         "#xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF");
  }
  auto delay = Int(entry, "DelaySeconds");
  if (auto* e = std::get_if<Error>(&delay)) return *e;
  std::optional<int64_t> delay_s;
  if (auto* d = std::get_if<int64_t>(&delay)) {
    if (*d < 0 || *d > 900) {
      return InvalidValue("DelaySeconds", std::to_string(*d),
                          "DelaySeconds must be >= 0 and <= 900.");
    }
    if (q.fifo) {
      return InvalidValue("DelaySeconds", std::to_string(*d),
                          "The request include parameter that is not valid for this queue type.");
    }
    delay_s = *d;
  }
  auto attrs = ParseMessageAttributes(entry, "MessageAttributes", false);
  if (auto* e = std::get_if<Error>(&attrs)) return *e;
  auto sys = ParseMessageAttributes(entry, "MessageSystemAttributes", true);
  if (auto* e = std::get_if<Error>(&sys)) return *e;
  auto& attributes = std::get<MessageAttributes>(attrs);
  auto& system = std::get<MessageAttributes>(sys);

  const auto size = static_cast<int64_t>(MessageSize(*body, attributes));
  if (size > q.max_size) {
    return Invalid("One or more parameters are invalid. Reason: Message must be shorter than " +
                   std::to_string(q.max_size) + " bytes.");
  }
  Message m;
  m.group_id = Str(entry, "MessageGroupId").value_or("");
  m.dedup_id = Str(entry, "MessageDeduplicationId").value_or("");
  if (q.fifo) {
    if (m.group_id.empty()) return Missing("MessageGroupId");
    if (m.dedup_id.empty()) {
      if (!q.content_dedup) {
        return Invalid(
            "The queue should either have ContentBasedDeduplication enabled or "
            "MessageDeduplicationId provided explicitly");
      }
      m.dedup_id = Sha256Hex(*body);
    }
    if (m.dedup_id.size() > 128 || m.group_id.size() > 128) {
      return Invalid("MessageGroupId and MessageDeduplicationId can be at most 128 characters.");
    }
  } else if (!m.dedup_id.empty()) {
    return InvalidValue("MessageDeduplicationId", m.dedup_id,
                        "The request include parameter that is not valid for this queue type.");
  }
  m.body = *body;
  m.attributes = attributes;
  m.sender_id = ctx.sender_id;
  m.trace_header = ctx.trace_header;
  if (auto t = system.find("AWSTraceHeader"); t != system.end()) m.trace_header = t->second.value;
  const int64_t now = store.clock().RealtimeMillis();
  m.visible_at_ms = now + delay_s.value_or(q.delay_s) * 1000;
  auto sent = store.Send(q, std::move(m));
  json out = {{"MessageId", sent.message_id}, {"MD5OfMessageBody", Md5Hex(*body)}};
  if (!attributes.empty()) out["MD5OfMessageAttributes"] = Md5OfAttributes(attributes);
  if (!system.empty()) out["MD5OfMessageSystemAttributes"] = Md5OfAttributes(system);
  if (q.fifo) {
    char seq[32];
    std::snprintf(seq, sizeof(seq), "%020lld", static_cast<long long>(sent.seq));
    out["SequenceNumber"] = seq;
  }
  return out;
}

// Batch checks shared by the three batch operations.
std::optional<Error> CheckBatch(const json& input, const char* entry_name) {
  if (!input.contains("Entries") || !input["Entries"].is_array() || input["Entries"].empty()) {
    return MakeError("EmptyBatchRequest", std::string("There should be at least one ") +
                                              entry_name + " in the request.");
  }
  const json& entries = input["Entries"];
  if (entries.size() > kMaxBatchEntries) {
    return MakeError("TooManyEntriesInBatchRequest",
                     "Maximum number of entries per request are 10. You have sent " +
                         std::to_string(entries.size()) + ".");
  }
  std::set<std::string> ids;
  for (const json& e : entries) {
    std::string id = Str(e, "Id").value_or("");
    bool ok = !id.empty() && id.size() <= 80 && std::all_of(id.begin(), id.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    });
    if (!ok) {
      return MakeError("InvalidBatchEntryId",
                       "A batch entry id can only contain alphanumeric characters, hyphens and "
                       "underscores. It can be at most 80 letters long.");
    }
    if (!ids.insert(id).second) {
      return MakeError("BatchEntryIdsNotDistinct", "Id " + id + " repeated.");
    }
  }
  return std::nullopt;
}

json Failure(const std::string& id, const Error& e) {
  return {{"Id", id}, {"SenderFault", e.sender}, {"Code", e.code}, {"Message", e.message}};
}

std::string SystemValue(bool fifo, const Message& m, std::string_view name) {
  if (name == "SenderId") return m.sender_id;
  if (name == "SentTimestamp") return std::to_string(m.sent_ms);
  if (name == "ApproximateReceiveCount") return std::to_string(m.receive_count);
  if (name == "ApproximateFirstReceiveTimestamp") return std::to_string(m.first_receive_ms);
  if (name == "AWSTraceHeader") return m.trace_header;
  if (name == "DeadLetterQueueSourceArn") return m.dlq_source_arn;
  if (name == "MessageGroupId") return m.group_id;
  if (fifo) {
    if (name == "MessageDeduplicationId") return m.dedup_id;
    if (name == "SequenceNumber") {
      char seq[32];
      std::snprintf(seq, sizeof(seq), "%020lld", static_cast<long long>(m.seq));
      return seq;
    }
  }
  return "";
}

bool WantsAttribute(const std::vector<std::string>& names, std::string_view name) {
  for (const auto& n : names) {
    if (n == "All" || n == ".*" || n == name) return true;
    if (n.ends_with(".*") && name.starts_with(std::string_view(n).substr(0, n.size() - 1))) {
      return true;
    }
  }
  return false;
}

using Done = std::function<void(Outcome)>;

Outcome Fail(Error e) {
  Outcome o;
  o.error = std::move(e);
  return o;
}

// Answers once everything so far is committed.
void ReplyAfterCommit(QueueStore& store, json output, Done done) {
  store.AfterCommit([output = std::move(output), done = std::move(done)](Status s) mutable {
    if (!s.ok()) {
      done(Fail(MakeError("InternalError", "The queue store could not commit: " + s.message())));
      return;
    }
    Outcome o;
    o.output = std::move(output);
    done(std::move(o));
  });
}

// A caller of another account than the queue's needs its policy's leave (AWS's IAM action: the
// batch operations are their single ones). Some operations are the owner's alone, as on AWS.
std::optional<Error> AuthorizeCaller(const Queue& q, const std::string& account,
                                     std::string_view op) {
  if (account == q.account) return std::nullopt;
  static const std::set<std::string, std::less<>> kOwnerOnly = {"AddPermission",
                                                                "RemovePermission",
                                                                "SetQueueAttributes",
                                                                "DeleteQueue",
                                                                "TagQueue",
                                                                "UntagQueue",
                                                                "ListQueueTags",
                                                                "StartMessageMoveTask",
                                                                "CancelMessageMoveTask",
                                                                "ListMessageMoveTasks"};
  std::string action(op);
  if (action.ends_with("Batch")) action.resize(action.size() - 5);
  auth::AccessRequest request;
  request.principal_account = account;
  request.principal_arn = "arn:aws:iam::" + account + ":root";
  request.action = "sqs:" + action;
  request.resource = q.Arn();
  request.context["aws:sourceaccount"] = account;
  if (kOwnerOnly.count(op)) {
    std::string lower = ToLower(request.action);
    return MakeError("AccessDenied",
                     "User: " + request.principal_arn + " is not authorized to perform: " + lower +
                         " on resource: " + q.Arn() +
                         " because no resource-based policy allows the " + lower + " action");
  }
  return AuthorizeQueue(q, request);
}

std::variant<Queue*, Error> FindQueue(QueueStore& store, const json& input) {
  auto url = Str(input, "QueueUrl");
  if (!url || url->empty()) return Missing("QueueUrl");
  auto parts = ParseQueueUrl(*url);
  if (!parts) return NoQueue();
  Queue* q = store.Find(parts->first, parts->second);
  if (!q) return NoQueue();
  return q;
}

// Pages of names after `token` (the last name of the previous page, base64).
std::variant<json, Error> Page(const std::vector<Queue*>& queues, const Context& ctx,
                               const json& input, const char* key, bool always) {
  auto max = Int(input, "MaxResults");
  if (auto* e = std::get_if<Error>(&max)) return *e;
  int64_t limit = 1000;
  bool paged = false;
  if (auto* m = std::get_if<int64_t>(&max)) {
    if (*m < 1 || *m > 1000) {
      return InvalidValue("MaxResults", std::to_string(*m),
                          "MaxResults must be between 1 and 1000.");
    }
    limit = *m;
    paged = true;
  }
  std::string after;
  if (auto token = Str(input, "NextToken"); token && !token->empty()) {
    auto decoded = Base64Decode(*token);
    if (!decoded) return Invalid("Invalid NextToken value.");
    after = *decoded;
  }
  json urls = json::array();
  std::string last;
  bool more = false;
  for (Queue* q : queues) {
    if (!after.empty() && q->name <= after) continue;
    if (static_cast<int64_t>(urls.size()) == limit) {
      more = true;
      break;
    }
    urls.push_back(QueueUrl(ctx, *q));
    last = q->name;
  }
  json out = json::object();
  if (!urls.empty() || always) out[key] = urls;
  if (more && paged) out["NextToken"] = Base64Encode(last);
  return out;
}

void Run(QueueStore& store, const Context& ctx, std::string_view op, const json& input, Done done) {
  auto fail = [&done](Error e) { done(Fail(std::move(e))); };
  auto ok_now = [&store, &done](json output) { ReplyAfterCommit(store, std::move(output), done); };

  if (op == "CreateQueue") {
    auto name = Str(input, "QueueName");
    if (!name || name->empty()) return fail(Missing("QueueName"));
    auto attributes = StrMap(input, "Attributes");
    auto tags = StrMap(input, "tags");
    const bool fifo = attributes.count("FifoQueue") && attributes["FifoQueue"] == "true";
    if (attributes.count("FifoQueue") && attributes["FifoQueue"] == "false") {
      attributes.erase("FifoQueue");
    }
    if (!ValidName(*name, fifo)) {
      return fail(Invalid(
          fifo || name->ends_with(".fifo")
              ? "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
                "underscores, must end with .fifo suffix and be 1 to 80 in length."
              : "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in "
                "length"));
    }
    std::string arn = std::string("arn:aws:sqs:") + kRegion + ":" + ctx.account + ":" + *name;
    if (auto e = CheckAttributes(store, ctx, attributes, fifo, true, arn)) return fail(*e);
    if (Queue* existing = store.Find(ctx.account, *name)) {
      for (const auto& [k, v] : attributes) {
        if (Effective(*existing, k).value_or("") != v) {
          return fail(MakeError("QueueNameExists",
                                "A queue already exists with the same name and a different value "
                                "for attribute " +
                                    k));
        }
      }
      return ok_now({{"QueueUrl", QueueUrl(ctx, *existing)}});
    }
    for (auto it = attributes.begin(); it != attributes.end();) {
      it = it->second.empty() ? attributes.erase(it) : std::next(it);
    }
    Queue& q = store.CreateQueue(ctx.account, *name, std::move(attributes), std::move(tags));
    return ok_now({{"QueueUrl", QueueUrl(ctx, q)}});
  }
  if (op == "GetQueueUrl") {
    auto name = Str(input, "QueueName");
    if (!name || name->empty()) return fail(Missing("QueueName"));
    std::string account = Str(input, "QueueOwnerAWSAccountId").value_or(ctx.account);
    Queue* q = store.Find(account, *name);
    if (!q) return fail(NoQueue());
    if (auto denied = AuthorizeCaller(*q, ctx.account, op)) return fail(*denied);
    return ok_now({{"QueueUrl", QueueUrl(ctx, *q)}});
  }
  if (op == "ListQueues") {
    auto page = Page(store.List(ctx.account, Str(input, "QueueNamePrefix").value_or("")), ctx,
                     input, "QueueUrls", false);
    if (auto* e = std::get_if<Error>(&page)) return fail(*e);
    return ok_now(std::get<json>(page));
  }

  // Everything else names a queue.
  auto found = FindQueue(store, input);
  if (auto* e = std::get_if<Error>(&found)) return fail(*e);
  Queue& q = *std::get<Queue*>(found);
  if (auto denied = AuthorizeCaller(q, ctx.account, op)) return fail(*denied);

  if (op == "GetQueueAttributes") {
    auto names = StrList(input, "AttributeNames");
    for (const auto& n : names) {
      if (n != "All" && !kIntAttributes.count(n) && !kOtherAttributes.count(n) &&
          !kReadOnlyAttributes.count(n)) {
        return fail(MakeError("InvalidAttributeName", "Unknown Attribute " + n + "."));
      }
    }
    json attributes = QueueAttributes(store, q, names);
    json out = json::object();
    if (!attributes.empty()) out["Attributes"] = attributes;
    return ok_now(out);
  }
  if (op == "SetQueueAttributes") {
    auto attributes = StrMap(input, "Attributes");
    for (const auto& [n, v] : attributes) {
      if (kReadOnlyAttributes.count(n)) {
        return fail(MakeError("InvalidAttributeName", "Unknown Attribute " + n + "."));
      }
    }
    if (auto e = CheckAttributes(store, ctx, attributes, q.fifo, false, q.Arn())) return fail(*e);
    for (const auto& [n, v] : attributes) {
      if (v.empty()) {
        q.attributes.erase(n);
      } else {
        q.attributes[n] = v;
      }
    }
    q.modified_s = store.clock().RealtimeMillis() / 1000;
    q.Refresh();
    store.SaveQueue(q);
    return ok_now(json::object());
  }
  if (op == "DeleteQueue") {
    store.DeleteQueue(q);
    return ok_now(json::object());
  }
  if (op == "PurgeQueue") {
    const int64_t now = store.clock().RealtimeMillis();
    if (q.last_purge_ms && now - q.last_purge_ms < kPurgeIntervalMs) {
      return fail(MakeError("PurgeQueueInProgress", "Only one PurgeQueue operation on " + q.name +
                                                        " is allowed every 60 seconds."));
    }
    store.Purge(q);
    return ok_now(json::object());
  }
  if (op == "TagQueue") {
    auto tags = StrMap(input, "Tags");
    if (tags.empty()) return fail(Missing("Tags"));
    for (auto& [k, v] : tags) q.tags[k] = v;
    if (q.tags.size() > 50) return fail(Invalid("Too many tags added for queue " + q.name + "."));
    store.SaveQueue(q);
    return ok_now(json::object());
  }
  if (op == "UntagQueue") {
    auto keys = StrList(input, "TagKeys");
    if (keys.empty()) return fail(Missing("TagKeys"));
    for (auto& k : keys) q.tags.erase(k);
    store.SaveQueue(q);
    return ok_now(json::object());
  }
  if (op == "ListQueueTags") {
    json out = json::object();
    if (!q.tags.empty()) out["Tags"] = q.tags;
    return ok_now(out);
  }
  if (op == "ListDeadLetterSourceQueues") {
    auto page = Page(store.SourcesOf(q), ctx, input, "queueUrls", true);
    if (auto* e = std::get_if<Error>(&page)) return fail(*e);
    return ok_now(std::get<json>(page));
  }
  if (op == "SendMessage") {
    auto sent = SendOne(store, ctx, q, input);
    if (auto* e = std::get_if<Error>(&sent)) return fail(*e);
    return ok_now(std::get<json>(sent));
  }
  if (op == "SendMessageBatch") {
    if (auto e = CheckBatch(input, "SendMessageBatchRequestEntry")) return fail(*e);
    int64_t total = 0;
    for (const json& e : input["Entries"]) {
      auto body = Str(e, "MessageBody").value_or("");
      auto attrs = ParseMessageAttributes(e, "MessageAttributes", false);
      total += static_cast<int64_t>(std::holds_alternative<MessageAttributes>(attrs)
                                        ? MessageSize(body, std::get<MessageAttributes>(attrs))
                                        : body.size());
    }
    if (total > kMaxBatchBytes) {
      return fail(MakeError("BatchRequestTooLong", "Batch requests cannot be longer than " +
                                                       std::to_string(kMaxBatchBytes) +
                                                       " bytes. You have sent " +
                                                       std::to_string(total) + " bytes."));
    }
    json successful = json::array();
    json failed = json::array();
    for (const json& e : input["Entries"]) {
      std::string id = Str(e, "Id").value_or("");
      auto sent = SendOne(store, ctx, q, e);
      if (auto* err = std::get_if<Error>(&sent)) {
        failed.push_back(Failure(id, *err));
      } else {
        json s = std::get<json>(sent);
        s["Id"] = id;
        successful.push_back(s);
      }
    }
    json out = json::object();
    out["Successful"] = successful;
    out["Failed"] = failed;
    return ok_now(out);
  }
  if (op == "ReceiveMessage") {
    ReceiveOptions options;
    auto max = Int(input, "MaxNumberOfMessages");
    if (auto* e = std::get_if<Error>(&max)) return fail(*e);
    if (auto* m = std::get_if<int64_t>(&max)) {
      if (*m < 1 || *m > 10) {
        return fail(InvalidValue("MaxNumberOfMessages", std::to_string(*m),
                                 "Must be between 1 and 10, if provided."));
      }
      options.max_messages = static_cast<int>(*m);
    }
    auto wait = Int(input, "WaitTimeSeconds");
    if (auto* e = std::get_if<Error>(&wait)) return fail(*e);
    if (auto* w = std::get_if<int64_t>(&wait)) {
      if (*w < 0 || *w > 20) {
        return fail(InvalidValue("WaitTimeSeconds", std::to_string(*w),
                                 "Must be >= 0 and <= 20, if provided."));
      }
      options.wait_s = static_cast<int>(*w);
    }
    auto visibility = Int(input, "VisibilityTimeout");
    if (auto* e = std::get_if<Error>(&visibility)) return fail(*e);
    if (auto* v = std::get_if<int64_t>(&visibility)) {
      if (*v < 0 || *v > 43200) {
        return fail(InvalidValue("VisibilityTimeout", std::to_string(*v),
                                 "Must be between 0 and 43200, if provided."));
      }
      options.visibility_timeout_s = static_cast<int>(*v);
    }
    std::vector<std::string> system = StrList(input, "AttributeNames");
    for (auto& n : StrList(input, "MessageSystemAttributeNames")) system.push_back(n);
    std::vector<std::string> user = StrList(input, "MessageAttributeNames");
    // The queue may be gone when a long poll ends; keep what the answer needs.
    store.Receive(
        q, options, [system, user, fifo = q.fifo, done](Status s, std::vector<Delivered> got) {
          if (!s.ok()) {
            done(Fail(
                MakeError("InternalError", "The queue store could not commit: " + s.message())));
            return;
          }
          json messages = json::array();
          for (const Delivered& d : got) {
            const Message& m = d.message;
            json j = {{"MessageId", m.id},
                      {"ReceiptHandle", d.receipt_handle},
                      {"MD5OfBody", Md5Hex(m.body)},
                      {"Body", m.body}};
            json attrs = json::object();
            for (const auto& name : kSystemAttributes) {
              if (!WantsAttribute(system, name)) continue;
              std::string v = SystemValue(fifo, m, name);
              if (!v.empty()) attrs[name] = v;
            }
            if (!attrs.empty()) j["Attributes"] = attrs;
            MessageAttributes chosen;
            for (const auto& [name, a] : m.attributes) {
              if (WantsAttribute(user, name)) chosen[name] = a;
            }
            if (!chosen.empty()) {
              j["MD5OfMessageAttributes"] = Md5OfAttributes(chosen);
              j["MessageAttributes"] = AttributesJson(chosen);
            }
            messages.push_back(std::move(j));
          }
          Outcome o;
          if (!messages.empty()) o.output["Messages"] = messages;
          done(std::move(o));
        });
    return;
  }
  auto handle_error = [](QueueStore::HandleResult r, const std::string& handle) {
    if (r == QueueStore::HandleResult::kInvalid) {
      return MakeError("ReceiptHandleIsInvalid", "The input receipt handle \"" + handle +
                                                     "\" is not a valid receipt handle.");
    }
    return MakeError("MessageNotInflight",
                     "Message does not exist or is not available for visibility timeout change.");
  };
  auto change = [&](const json& e, std::string* handle_out) -> std::optional<Error> {
    auto handle = Str(e, "ReceiptHandle");
    if (!handle || handle->empty()) return Missing("ReceiptHandle");
    *handle_out = *handle;
    auto timeout = Int(e, "VisibilityTimeout");
    if (auto* err = std::get_if<Error>(&timeout)) return *err;
    auto* t = std::get_if<int64_t>(&timeout);
    if (!t) return Missing("VisibilityTimeout");
    if (*t < 0 || *t > 43200) {
      return InvalidValue("VisibilityTimeout", std::to_string(*t),
                          "VisibilityTimeout must be an integer between 0 and 43200");
    }
    auto r = store.ChangeVisibility(q, *handle, static_cast<int>(*t));
    if (r != QueueStore::HandleResult::kOk) return handle_error(r, *handle);
    return std::nullopt;
  };
  auto remove = [&](const json& e) -> std::optional<Error> {
    auto handle = Str(e, "ReceiptHandle");
    if (!handle || handle->empty()) return Missing("ReceiptHandle");
    auto r = store.DeleteMessage(q, *handle);
    if (r != QueueStore::HandleResult::kOk) return handle_error(r, *handle);
    return std::nullopt;
  };
  if (op == "DeleteMessage") {
    if (auto e = remove(input)) return fail(*e);
    return ok_now(json::object());
  }
  if (op == "ChangeMessageVisibility") {
    std::string handle;
    if (auto e = change(input, &handle)) return fail(*e);
    return ok_now(json::object());
  }
  if (op == "DeleteMessageBatch" || op == "ChangeMessageVisibilityBatch") {
    const bool del = op == "DeleteMessageBatch";
    if (auto e = CheckBatch(input, del ? "DeleteMessageBatchRequestEntry"
                                       : "ChangeMessageVisibilityBatchRequestEntry")) {
      return fail(*e);
    }
    json successful = json::array();
    json failed = json::array();
    for (const json& e : input["Entries"]) {
      std::string id = Str(e, "Id").value_or("");
      std::string handle;
      auto err = del ? remove(e) : change(e, &handle);
      if (err) {
        failed.push_back(Failure(id, *err));
      } else {
        successful.push_back({{"Id", id}});
      }
    }
    return ok_now({{"Successful", successful}, {"Failed", failed}});
  }
  if (op == "AddPermission" || op == "RemovePermission") {
    // Accepted and ignored: thaw does not evaluate queue policies.
    return ok_now(json::object());
  }
  return fail(MakeError("UnsupportedOperation", std::string(op) + " is not supported by thaw."));
}

}  // namespace

bool IsOperation(std::string_view operation) { return kOperations.count(operation) > 0; }

bool IsDataPlane(std::string_view op) {
  return op == "SendMessage" || op == "SendMessageBatch" || op == "ReceiveMessage" ||
         op == "DeleteMessage" || op == "DeleteMessageBatch" || op == "ChangeMessageVisibility" ||
         op == "ChangeMessageVisibilityBatch" || op == "GetQueueUrl" || op == "GetQueueAttributes";
}

std::optional<Error> AuthorizeQueue(const Queue& queue, const auth::AccessRequest& request) {
  auth::Decision decision =
      queue.policy ? queue.policy->Evaluate(request) : auth::Decision::kImplicitDeny;
  if (decision == auth::Decision::kAllow) return std::nullopt;
  // AWS names the action in lower case here.
  const std::string action = ToLower(request.action);
  const std::string who = request.service.empty() ? request.principal_arn : request.service;
  std::string message =
      "User: " + who + " is not authorized to perform: " + action + " on resource: " + queue.Arn();
  message += decision == auth::Decision::kExplicitDeny
                 ? " with an explicit deny in a resource-based policy"
                 : " because no resource-based policy allows the " + action + " action";
  return MakeError("AccessDenied", message);
}

void Execute(QueueStore& store, const Context& context, std::string_view operation,
             const json& input, std::function<void(Outcome)> done) {
  Run(store, context, operation, input, std::move(done));
}

std::optional<std::pair<std::string, std::string>> ParseQueueUrl(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
    auto slash = url.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    url.remove_prefix(slash);
  }
  if (!url.starts_with('/')) return std::nullopt;
  url.remove_prefix(1);
  auto slash = url.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string account(url.substr(0, slash));
  std::string name(url.substr(slash + 1));
  if (account.empty() || name.empty() || name.find('/') != std::string::npos) return std::nullopt;
  return std::make_pair(account, name);
}

}  // namespace thaw::sqs
