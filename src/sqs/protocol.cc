#include "sqs/protocol.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/codec.h"
#include "base/xml.h"

namespace thaw::sqs {

using nlohmann::json;

Error MakeError(std::string code, std::string message) {
  Error e;
  e.code = std::move(code);
  e.message = std::move(message);
  if (e.code == "PurgeQueueInProgress" || e.code == "OverLimit" || e.code == "AccessDenied") {
    e.status = 403;
  }
  if (e.code == "InternalError" || e.code == "ServiceUnavailable") {
    e.status = e.code == "InternalError" ? 500 : 503;
    e.sender = false;
  }
  return e;
}

std::string QueryCode(std::string_view code) {
  static const std::map<std::string_view, std::string_view> kCodes = {
      {"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"},
      {"QueueNameExists", "QueueAlreadyExists"},
      {"BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
      {"BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong"},
      {"EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest"},
      {"InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId"},
      {"MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight"},
      {"PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress"},
      {"QueueDeletedRecently", "AWS.SimpleQueueService.QueueDeletedRecently"},
      {"TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"},
      {"UnsupportedOperation", "AWS.SimpleQueueService.UnsupportedOperation"},
  };
  auto it = kCodes.find(code);
  return std::string(it == kCodes.end() ? code : it->second);
}

namespace {

// Integer members of SQS's inputs (both top level and in batch entries).
bool IsIntegerMember(std::string_view name) {
  return name == "DelaySeconds" || name == "MaxNumberOfMessages" || name == "VisibilityTimeout" ||
         name == "WaitTimeSeconds" || name == "MaxResults";
}

// Children of a tree node whose keys are 1-based indexes, in index order.
std::vector<const json*> Indexed(const json& node) {
  std::vector<std::pair<int64_t, const json*>> items;
  if (!node.is_object()) return {};
  for (auto& [k, v] : node.items()) {
    auto n = ParseInt(k);
    if (n && *n >= 1) items.emplace_back(*n, &v);
  }
  std::sort(items.begin(), items.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<const json*> out;
  for (auto& [n, v] : items) out.push_back(v);
  return out;
}

std::string Str(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return "";
  return j[key].get<std::string>();
}

json ConvertTree(std::string_view operation, const json& tree) {
  static const std::map<std::string_view, std::string_view> kScalarLists = {
      {"AttributeName", "AttributeNames"},
      {"MessageAttributeName", "MessageAttributeNames"},
      {"MessageSystemAttributeName", "MessageSystemAttributeNames"},
      {"TagKey", "TagKeys"},
      {"AWSAccountId", "AWSAccountIds"},
      {"ActionName", "Actions"},
  };
  json out = json::object();
  for (auto& [key, value] : tree.items()) {
    if (key == "Action" || key == "Version") continue;
    if (auto list = kScalarLists.find(key); list != kScalarLists.end()) {
      json arr = json::array();
      for (const json* v : Indexed(value)) {
        if (v->is_string()) arr.push_back(*v);
      }
      out[std::string(list->second)] = arr;
    } else if (key.ends_with("BatchRequestEntry")) {
      json arr = json::array();
      for (const json* v : Indexed(value)) arr.push_back(ConvertTree(operation, *v));
      out["Entries"] = arr;
    } else if (key == "Attribute" || key == "Tag" || key == "Tags") {
      const char* k = key == "Attribute" ? "Name" : "Key";
      json map = json::object();
      for (const json* v : Indexed(value)) map[Str(*v, k)] = Str(*v, "Value");
      std::string name = key == "Attribute"           ? "Attributes"
                         : operation == "CreateQueue" ? "tags"
                                                      : "Tags";
      out[name] = map;
    } else if (key == "MessageAttribute" || key == "MessageSystemAttribute") {
      json map = json::object();
      for (const json* v : Indexed(value)) {
        json attr = json::object();
        if (v->is_object() && v->contains("Value") && (*v)["Value"].is_object()) {
          for (auto& [field, fv] : (*v)["Value"].items()) {
            if (fv.is_string()) attr[field] = fv;
          }
        }
        map[Str(*v, "Name")] = attr;
      }
      out[key + "s"] = map;
    } else if (value.is_string()) {
      auto n = IsIntegerMember(key) ? ParseInt(value.get<std::string>()) : std::nullopt;
      out[key] = n ? json(*n) : value;
    }
  }
  return out;
}

void AppendElement(std::string& xml, std::string_view operation, const std::string& key,
                   const json& value);

void AppendChildren(std::string& xml, std::string_view operation, const json& object) {
  for (auto& [k, v] : object.items()) AppendElement(xml, operation, k, v);
}

void AppendScalar(std::string& xml, std::string_view name, const json& value) {
  xml += "<" + std::string(name) + ">";
  if (value.is_string()) {
    xml += XmlEscape(value.get<std::string>());
  } else if (value.is_boolean()) {
    xml += value.get<bool>() ? "true" : "false";
  } else {
    xml += value.dump();
  }
  xml += "</" + std::string(name) + ">";
}

void AppendElement(std::string& xml, std::string_view operation, const std::string& key,
                   const json& value) {
  if (key == "QueueUrls" || key == "queueUrls") {
    for (auto& url : value) AppendScalar(xml, "QueueUrl", url);
  } else if (key == "Successful" || key == "Failed" || key == "Messages") {
    std::string element = key == "Failed"     ? "BatchResultErrorEntry"
                          : key == "Messages" ? "Message"
                                              : std::string(operation) + "ResultEntry";
    for (auto& entry : value) {
      xml += "<" + element + ">";
      AppendChildren(xml, operation, entry);
      xml += "</" + element + ">";
    }
  } else if (key == "Attributes" || key == "Tags") {
    const bool tags = key == "Tags";
    for (auto& [k, v] : value.items()) {
      xml += tags ? "<Tag>" : "<Attribute>";
      AppendScalar(xml, tags ? "Key" : "Name", k);
      AppendScalar(xml, "Value", v);
      xml += tags ? "</Tag>" : "</Attribute>";
    }
  } else if (key == "MessageAttributes") {
    for (auto& [k, v] : value.items()) {
      xml += "<MessageAttribute>";
      AppendScalar(xml, "Name", k);
      xml += "<Value>";
      AppendChildren(xml, operation, v);
      xml += "</Value></MessageAttribute>";
    }
  } else if (value.is_object()) {
    xml += "<" + key + ">";
    AppendChildren(xml, operation, value);
    xml += "</" + key + ">";
  } else if (!value.is_null()) {
    AppendScalar(xml, key, value);
  }
}

}  // namespace

json QueryToInput(std::string_view operation,
                  const std::vector<std::pair<std::string, std::string>>& params) {
  // First a tree of the dotted names ("A.1.B" -> {"A": {"1": {"B": v}}}), then SQS's shapes.
  json tree = json::object();
  for (const auto& [name, value] : params) {
    json* node = &tree;
    std::string_view rest = name;
    bool ok = true;
    while (true) {
      auto dot = rest.find('.');
      std::string part(rest.substr(0, dot));
      if (part.empty() || !node->is_object()) {
        ok = false;
        break;
      }
      if (dot == std::string_view::npos) {
        if (!node->contains(part)) (*node)[part] = value;
        break;
      }
      json& child = (*node)[part];
      if (child.is_null()) child = json::object();
      node = &child;
      rest = rest.substr(dot + 1);
    }
    (void)ok;
  }
  return ConvertTree(operation, tree);
}

http::Response RenderJson(const json& output) {
  http::Response r;
  r.status = 200;
  r.headers.Set("Content-Type", "application/x-amz-json-1.0");
  r.body = output.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

http::Response RenderJsonError(const Error& error) {
  http::Response r;
  r.status = error.status;
  r.headers.Set("Content-Type", "application/x-amz-json-1.0");
  r.headers.Set("x-amzn-query-error",
                QueryCode(error.code) + (error.sender ? ";Sender" : ";Receiver"));
  json body = {{"__type", "com.amazonaws.sqs#" + error.code}, {"message", error.message}};
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

http::Response RenderXml(std::string_view operation, const json& output,
                         std::string_view request_id) {
  std::string op(operation);
  std::string xml = "<?xml version=\"1.0\"?><" + op + "Response xmlns=\"" + kXmlNamespace + "\">";
  // botocore's query parser needs the result element of these even when it is empty.
  static const std::set<std::string_view> kWrapped = {"CreateQueue",
                                                      "GetQueueUrl",
                                                      "GetQueueAttributes",
                                                      "ListQueues",
                                                      "ListQueueTags",
                                                      "ListDeadLetterSourceQueues",
                                                      "ReceiveMessage",
                                                      "SendMessage",
                                                      "SendMessageBatch",
                                                      "DeleteMessageBatch",
                                                      "ChangeMessageVisibilityBatch"};
  if ((output.is_object() && !output.empty()) || kWrapped.count(operation)) {
    xml += "<" + op + "Result>";
    AppendChildren(xml, operation, output);
    xml += "</" + op + "Result>";
  }
  xml += "<ResponseMetadata><RequestId>" + XmlEscape(request_id) +
         "</RequestId></ResponseMetadata></" + op + "Response>";
  http::Response r;
  r.status = 200;
  r.headers.Set("Content-Type", "text/xml");
  r.body = std::move(xml);
  return r;
}

http::Response RenderXmlError(const Error& error, std::string_view request_id) {
  std::string xml = std::string("<?xml version=\"1.0\"?><ErrorResponse xmlns=\"") + kXmlNamespace +
                    "\"><Error><Type>" + (error.sender ? "Sender" : "Receiver") + "</Type><Code>" +
                    XmlEscape(QueryCode(error.code)) + "</Code><Message>" +
                    XmlEscape(error.message) + "</Message><Detail/></Error><RequestId>" +
                    XmlEscape(request_id) + "</RequestId></ErrorResponse>";
  http::Response r;
  r.status = error.status;
  r.headers.Set("Content-Type", "text/xml");
  r.body = std::move(xml);
  return r;
}

}  // namespace thaw::sqs
