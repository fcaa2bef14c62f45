#include "sqs/sqs_api.h"

#include <algorithm>
#include <memory>
#include <utility>

#include <nlohmann/json.hpp>

#include "auth/access.h"
#include "base/codec.h"
#include "http/aws_error.h"
#include "http/dispatch.h"
#include "sqs/operations.h"
#include "sqs/protocol.h"

namespace thaw::sqs {

using nlohmann::json;

namespace {

// Ten 1 MiB-ish messages, base64 or JSON-escaped, with their attributes.
constexpr uint64_t kBodyLimit = 8ull << 20;

enum class Protocol { kJson, kQuery };

// The access key id of a request's signature (header or presigned query), or "".
std::string AccessKeyId(const http::Request& request) {
  std::string credential = http::SignatureCredential(request);
  return credential.substr(0, credential.find('/'));
}

// The front door sends only SQS's requests here (http/dispatch.h); X-Amz-Target tells JSON.
std::optional<Protocol> ProtocolOf(const http::Request& request) {
  if (auto target = request.headers.Get("X-Amz-Target")) {
    if (target->starts_with(kTargetPrefix)) return Protocol::kJson;
    return std::nullopt;
  }
  return Protocol::kQuery;
}

// The query protocol's parameters: the form body and the URL's query.
std::vector<std::pair<std::string, std::string>> QueryParams(const http::Request& request) {
  auto params = ParseForm(request.query);
  if (request.method == "POST") {
    auto form = ParseForm(request.body);
    params.insert(params.end(), form.begin(), form.end());
  }
  return params;
}

std::string OperationOf(const http::Request& request, Protocol protocol) {
  if (protocol == Protocol::kJson) {
    return std::string(request.headers.Get("X-Amz-Target")->substr(kTargetPrefix.size()));
  }
  for (const auto& [k, v] : QueryParams(request)) {
    if (k == "Action") return v;
  }
  return "";
}

}  // namespace

std::string AccountOf(const http::Request& request) {
  if (!request.account.empty()) return request.account;  // the front door's
  std::string key = AccessKeyId(request);
  if (key.size() == 12 &&
      std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return key;
  }
  return auth::kAccount;
}

std::optional<uint64_t> SqsApi::BodyLimit(const http::Request& head) const {
  if (!ProtocolOf(head)) return std::nullopt;
  return kBodyLimit;
}

std::optional<auth::Operation> SqsApi::Describe(const http::Request& request) const {
  auto protocol = ProtocolOf(request);
  if (!protocol) return std::nullopt;
  std::string op = OperationOf(request, *protocol);
  auth::Operation out;
  out.action = "sqs:" + op;
  out.plane = IsDataPlane(op) ? auth::Operation::Plane::kData : auth::Operation::Plane::kControl;
  out.resource = "*";
  std::string url;
  std::string name;
  if (*protocol == Protocol::kJson) {
    auto input = json::parse(request.body, nullptr, false);
    if (input.is_object() && input["QueueUrl"].is_string()) url = input["QueueUrl"];
    if (input.is_object() && input["QueueName"].is_string()) name = input["QueueName"];
  } else {
    for (const auto& [k, v] : QueryParams(request)) {
      if (k == "QueueUrl") url = v;
      if (k == "QueueName") name = v;
    }
  }
  std::string account = AccountOf(request);
  if (auto parts = ParseQueueUrl(url)) {
    account = parts->first;
    name = parts->second;
  }
  if (!name.empty())
    out.resource = std::string("arn:aws:sqs:") + kRegion + ":" + account + ":" + name;
  return out;
}

std::optional<http::Response> SqsApi::Refusal(const http::Request& request, int status,
                                              std::string_view type,
                                              std::string_view message) const {
  auto protocol = ProtocolOf(request);
  if (!protocol) return std::nullopt;
  if (*protocol == Protocol::kJson && type == "UnrecognizedClientException") {
    // Signature errors come from AWS's common front end, not SQS: no query code.
    return http::JsonRpcError(status, type, message);
  }
  std::string code(type);
  if (code.ends_with("Exception")) code.resize(code.size() - 9);
  Error e = MakeError(code, std::string(message));
  e.status = status;
  return *protocol == Protocol::kJson ? RenderJsonError(e) : RenderXmlError(e, NewUuid());
}

bool SqsApi::Handle(http::Request& request, http::ResponseWriter& writer) {
  auto protocol = ProtocolOf(request);
  if (!protocol) return false;
  const bool json_protocol = *protocol == Protocol::kJson;
  const std::string request_id = NewUuid();
  auto w = std::make_shared<http::ResponseWriter>(std::move(writer));
  auto reply = [w, request_id, json_protocol](std::string_view op, const Outcome& outcome) {
    http::Response r = outcome.error ? (json_protocol ? RenderJsonError(*outcome.error)
                                                      : RenderXmlError(*outcome.error, request_id))
                                     : (json_protocol ? RenderJson(outcome.output)
                                                      : RenderXml(op, outcome.output, request_id));
    r.headers.Set("x-amzn-RequestId", request_id);
    w->Send(std::move(r));
  };
  auto fail = [&reply](std::string_view op, Error e) {
    Outcome o;
    o.error = std::move(e);
    reply(op, o);
    return true;
  };

  if (request.oversized) {
    Error e = MakeError("RequestTooLarge", "The request body is too large.");
    e.status = 413;
    return fail("", e);
  }
  std::string op = OperationOf(request, *protocol);
  json input;
  if (json_protocol) {
    input = request.body.empty() ? json::object() : json::parse(request.body, nullptr, false);
    if (!input.is_object()) {
      return fail(op, MakeError("SerializationException", "The request body is not a JSON object"));
    }
    if (!IsOperation(op)) {
      return fail(op,
                  MakeError("UnknownOperationException", "Unknown operation " + op.substr(0, 64)));
    }
  } else {
    if (op.empty()) return fail(op, MakeError("MissingAction", "Missing Action"));
    if (!IsOperation(op)) {
      return fail(op, MakeError("InvalidAction", "The action " + op.substr(0, 64) +
                                                     " is not valid for this endpoint."));
    }
    input = QueryToInput(op, QueryParams(request));
  }
  Context ctx;
  ctx.account = AccountOf(request);
  if (auto host = request.headers.Get("Host")) ctx.host = std::string(*host);
  ctx.sender_id = AccessKeyId(request);
  if (ctx.sender_id.empty()) ctx.sender_id = ctx.account;
  if (auto trace = request.headers.Get("X-Amzn-Trace-Id")) ctx.trace_header = std::string(*trace);
  // Older clients post to the queue's URL instead of naming it.
  if (!input.contains("QueueUrl") && ParseQueueUrl(request.path)) {
    input["QueueUrl"] = "http://" + ctx.host + request.path;
  }
  Execute(store_, ctx, op, input, [reply, op](Outcome outcome) { reply(op, outcome); });
  return true;
}

}  // namespace thaw::sqs
