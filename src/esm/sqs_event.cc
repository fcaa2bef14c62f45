#include "esm/sqs_event.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "sqs/message.h"

namespace thaw::esm {

namespace {

using ordered = nlohmann::ordered_json;

std::string Sequence(int64_t seq) {
  char out[32];
  std::snprintf(out, sizeof(out), "%020lld", static_cast<long long>(seq));
  return out;
}

ordered Attributes(const sqs::Message& m, bool fifo) {
  ordered a = ordered::object();
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

ordered MessageAttributes(const sqs::MessageAttributes& attributes) {
  ordered out = ordered::object();
  for (const auto& [name, attr] : attributes) {
    ordered v = ordered::object();
    if (attr.binary()) {
      v["binaryValue"] = Base64Encode(attr.value);
    } else {
      v["stringValue"] = attr.value;
    }
    v["stringListValues"] = ordered::array();
    v["binaryListValues"] = ordered::array();
    v["dataType"] = attr.data_type;
    out[name] = std::move(v);
  }
  return out;
}

}  // namespace

std::string RenderSqsEvent(const std::vector<sqs::Delivered>& batch, std::string_view queue_arn,
                           bool fifo) {
  ordered records = ordered::array();
  for (const sqs::Delivered& d : batch) {
    const sqs::Message& m = d.message;
    ordered r = ordered::object();
    r["messageId"] = m.id;
    r["receiptHandle"] = d.receipt_handle;
    r["body"] = m.body;
    r["attributes"] = Attributes(m, fifo);
    r["messageAttributes"] = MessageAttributes(m.attributes);
    r["md5OfMessageAttributes"] =
        m.attributes.empty() ? ordered() : ordered(sqs::Md5OfAttributes(m.attributes));
    r["md5OfBody"] = sqs::Md5Hex(m.body);
    r["eventSource"] = "aws:sqs";
    r["eventSourceARN"] = queue_arn;
    r["awsRegion"] = sqs::kRegion;
    records.push_back(std::move(r));
  }
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
