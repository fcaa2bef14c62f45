#include "esm/sqs_event.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "sqs/message.h"

namespace thaw::esm {

namespace {

using ordered = nlohmann::ordered_json;
using nlohmann::json;

std::string Sequence(int64_t seq) {
  char out[32];
  std::snprintf(out, sizeof(out), "%020lld", static_cast<long long>(seq));
  return out;
}

template <class Json>
Json Attributes(const sqs::Message& m, bool fifo) {
  Json a = Json::object();
  a["ApproximateReceiveCount"] = std::to_string(m.receive_count);
  if (!m.trace_header.empty()) a["AWSTraceHeader"] = m.trace_header;
  a["SentTimestamp"] = std::to_string(m.sent_ms);
  if (fifo) {
    a["SequenceNumber"] = Sequence(m.seq);
    a["MessageGroupId"] = m.group_id;
  }
  a["SenderId"] = m.sender_id;
  if (fifo) a["MessageDeduplicationId"] = m.dedup_id;
  a["ApproximateFirstReceiveTimestamp"] = std::to_string(m.first_receive_ms);
  if (!m.dlq_source_arn.empty()) a["DeadLetterQueueSourceArn"] = m.dlq_source_arn;
  return a;
}

template <class Json>
Json MessageAttributes(const sqs::MessageAttributes& attributes) {
  Json out = Json::object();
  for (const auto& [name, attr] : attributes) {
    Json v = Json::object();
    if (attr.binary()) {
      v["binaryValue"] = Base64Encode(attr.value);
    } else {
      v["stringValue"] = attr.value;
    }
    v["stringListValues"] = Json::array();
    v["binaryListValues"] = Json::array();
    v["dataType"] = attr.data_type;
    out[name] = std::move(v);
  }
  return out;
}

template <class Json>
Json Record(const sqs::Delivered& d, std::string_view queue_arn, bool fifo) {
  const sqs::Message& m = d.message;
  Json r = Json::object();
  r["messageId"] = m.id;
  r["receiptHandle"] = d.receipt_handle;
  r["body"] = m.body;
  r["attributes"] = Attributes<Json>(m, fifo);
  r["messageAttributes"] = MessageAttributes<Json>(m.attributes);
  r["md5OfMessageAttributes"] =
      m.attributes.empty() ? Json() : Json(sqs::Md5OfAttributes(m.attributes));
  r["md5OfBody"] = sqs::Md5Hex(m.body);
  r["eventSource"] = "aws:sqs";
  r["eventSourceARN"] = queue_arn;
  r["awsRegion"] = sqs::kRegion;
  return r;
}

}  // namespace

json SqsRecord(const sqs::Delivered& delivered, std::string_view queue_arn, bool fifo) {
  return Record<json>(delivered, queue_arn, fifo);
}

std::string RenderSqsEvent(const std::vector<sqs::Delivered>& batch, std::string_view queue_arn,
                           bool fifo) {
  ordered records = ordered::array();
  for (const sqs::Delivered& d : batch) records.push_back(Record<ordered>(d, queue_arn, fifo));
  ordered event = ordered::object();
  event["Records"] = std::move(records);
  // Message bodies are any valid UTF-8 SQS accepts; replace rather than throw on anything else.
  return event.dump(-1, ' ', false, ordered::error_handler_t::replace);
}

std::optional<std::set<std::string>> ParseBatchFailures(std::string_view body,
                                                        const std::set<std::string>& batch_ids) {
  std::set<std::string> failed;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return failed;
  nlohmann::json in = nlohmann::json::parse(body, nullptr, false);
  if (in.is_discarded()) return std::nullopt;
  if (!in.is_object() || !in.contains("batchItemFailures")) return failed;
  const nlohmann::json& list = in["batchItemFailures"];
  if (list.is_null()) return failed;
  if (!list.is_array()) return std::nullopt;
  for (const nlohmann::json& item : list) {
    if (!item.is_object()) return std::nullopt;
    auto id = item.find("itemIdentifier");
    if (id == item.end() || !id->is_string()) return std::nullopt;
    std::string s = id->get<std::string>();
    if (s.empty() || !batch_ids.contains(s)) return std::nullopt;
    failed.insert(std::move(s));
  }
  return failed;
}

}  // namespace thaw::esm
