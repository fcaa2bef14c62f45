// Fuzzes SQS's two wire protocols end to end, short of the socket: a JSON 1.0 request or a
// query-protocol form is parsed as SqsApi::Handle parses it (protocol.h), run against a real
// QueueStore (sqs_harness.h) and rendered back. Checks: every input is answered; a JSON success
// is JSON the SDKs can read and a JSON error names its query code; an XML answer holds no
// character XML 1.0 forbids (botocore's parser would fail on it); SendMessage's MD5OfMessageBody
// is the body's. Input: a first byte whose low bit picks the protocol (0 JSON, 1 query), then for
// JSON "Operation\n{body}", for the query protocol the form ("Action=SendMessage&...").
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/codec.h"
#include "sqs/protocol.h"
#include "sqs_harness.h"

namespace sqs = thaw::sqs;
using nlohmann::json;

namespace {

// XML 1.0's Char production, for the bytes below 0x80 (UTF-8 is not checked here).
void CheckXml(std::string_view xml) {
  for (char c : xml) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && u != '\t' && u != '\n' && u != '\r') std::abort();
  }
}

void CheckSend(std::string_view op, const json& input, const sqs::Outcome& outcome) {
  if (op != "SendMessage" || outcome.error) return;
  if (!input.contains("MessageBody") || !input["MessageBody"].is_string()) std::abort();
  if (outcome.output.value("MD5OfMessageBody", "") !=
      sqs::Md5Hex(input["MessageBody"].get<std::string>())) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* harness = new sqs::fuzz::Harness();  // kept for the whole run
  if (size < 1) return 0;
  harness->NextInput();
  const bool query = data[0] & 1;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);

  if (!query) {
    size_t newline = rest.find('\n');
    if (newline == std::string_view::npos) return 0;
    std::string op(rest.substr(0, newline));
    std::string_view body = rest.substr(newline + 1);
    json input = body.empty() ? json::object() : json::parse(body, nullptr, false);
    if (!input.is_object() || !sqs::IsOperation(op)) return 0;
    sqs::Outcome outcome = harness->Run(op, input);
    CheckSend(op, input, outcome);
    if (outcome.error) {
      thaw::http::Response r = sqs::RenderJsonError(*outcome.error);
      if (!r.headers.Get("x-amzn-query-error")) std::abort();
    } else {
      thaw::http::Response r = sqs::RenderJson(outcome.output);
      if (json::parse(r.body, nullptr, false).is_discarded()) std::abort();
    }
    return 0;
  }

  auto params = thaw::ParseForm(rest);
  std::string op;
  for (const auto& [k, v] : params) {
    if (k == "Action") op = v;
  }
  if (!sqs::IsOperation(op)) return 0;
  json input = sqs::QueryToInput(op, params);
  if (!input.is_object()) std::abort();
  sqs::Outcome outcome = harness->Run(op, input);
  CheckSend(op, input, outcome);
  thaw::http::Response r = outcome.error ? sqs::RenderXmlError(*outcome.error, "rid")
                                         : sqs::RenderXml(op, outcome.output, "rid");
  CheckXml(r.body);
  return 0;
}
