// Fuzzes SQS message attributes: their parsing (JSON's MessageAttributes map, or the query
// protocol's MessageAttribute.N.Name / .Value.DataType / .Value.StringValue / .Value.BinaryValue),
// their validation and MD5OfMessageAttributes. A SendMessage carrying them runs against a real
// QueueStore (sqs_harness.h); when it succeeds, its MD5OfMessageAttributes must be the digest
// botocore computes from what it sent (recomputed here independently), and ReceiveMessage must
// give back the same attributes with the same digest. Input: a first byte whose low bit picks
// the protocol (0: the rest is the JSON map, 1: the rest is a query form of attributes).
#include <arpa/inet.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "base/codec.h"
#include "sqs/protocol.h"
#include "sqs_harness.h"

namespace sqs = thaw::sqs;
using nlohmann::json;

namespace {

void Put(std::string& out, std::string_view s) {
  uint32_t n = htonl(static_cast<uint32_t>(s.size()));
  out.append(reinterpret_cast<const char*>(&n), 4);
  out.append(s);
}

// botocore's _get_bytes_for_attribute over the sent map (names in byte order), or "" for none.
std::string ExpectedMd5(const json& attributes) {
  if (!attributes.is_object() || attributes.empty()) return "";
  std::string bytes;
  for (const auto& [name, v] : attributes.items()) {  // nlohmann's object is a sorted map
    Put(bytes, name);
    Put(bytes, v["DataType"].get<std::string>());
    if (v.contains("StringValue") && v["StringValue"].is_string()) {
      bytes.push_back(1);
      Put(bytes, v["StringValue"].get<std::string>());
    } else {
      bytes.push_back(2);
      auto raw = thaw::Base64Decode(v["BinaryValue"].get<std::string>());
      if (!raw) std::abort();  // the send should have refused it
      Put(bytes, *raw);
    }
  }
  return sqs::Md5Hex(bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* harness = new sqs::fuzz::Harness();  // kept for the whole run
  if (size < 1) return 0;
  harness->NextInput();
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  json send;
  if (data[0] & 1) {
    std::string form = "Action=SendMessage&QueueUrl=" + std::string(sqs::fuzz::kQueueUrl) +
                       "&MessageBody=x&" + std::string(rest);
    send = sqs::QueryToInput("SendMessage", thaw::ParseForm(form));
  } else {
    json attributes = json::parse(rest, nullptr, false);
    if (attributes.is_discarded()) return 0;
    send = {{"QueueUrl", sqs::fuzz::kQueueUrl},
            {"MessageBody", "x"},
            {"MessageAttributes", attributes}};
  }
  sqs::Outcome sent = harness->Run("SendMessage", send);
  if (sent.error) return 0;
  const json attributes = send.value("MessageAttributes", json::object());
  const std::string md5 = ExpectedMd5(attributes);
  if (sent.output.value("MD5OfMessageAttributes", "") != md5) std::abort();

  sqs::Outcome got = harness->Run("ReceiveMessage", {{"QueueUrl", sqs::fuzz::kQueueUrl},
                                                     {"MaxNumberOfMessages", 10},
                                                     {"MessageAttributeNames", {"All"}}});
  if (got.error || !got.output.contains("Messages")) {
    std::fprintf(stderr, "ReceiveMessage: %s %s after %s\n",
                 got.error ? got.error->code.c_str() : "", got.output.dump().c_str(),
                 sent.output.dump().c_str());
    std::abort();
  }
  bool found = false;
  for (const json& m : got.output["Messages"]) {
    if (m.value("MessageId", "") == sent.output.value("MessageId", "")) {
      found = true;
      if (m.value("MD5OfMessageAttributes", "") != md5) std::abort();
      // What comes back digests the same as what went in (Binary values re-encoded).
      if (ExpectedMd5(m.value("MessageAttributes", json::object())) != md5) std::abort();
    }
    harness->Run("DeleteMessage",
                 {{"QueueUrl", sqs::fuzz::kQueueUrl}, {"ReceiptHandle", m["ReceiptHandle"]}});
  }
  if (!found) std::abort();
  return 0;
}
