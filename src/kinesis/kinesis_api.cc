#include "kinesis/kinesis_api.h"

#include <memory>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "kinesis/operations.h"

namespace thaw::kinesis {

namespace {

constexpr std::string_view kPrefix = "Kinesis_20131202.";
// A PutRecords of 10 MiB, base64 (4/3) in JSON, with room to spare; records of 10 MiB too.
constexpr uint64_t kBodyLimit = 16ull << 20;

std::optional<std::string> OperationOf(const http::Request& request) {
  auto target = request.headers.Get("X-Amz-Target");
  if (!target || !target->starts_with(kPrefix)) return std::nullopt;
  return std::string(target->substr(kPrefix.size()));
}

bool IsDataPlane(std::string_view op) {
  return op == "PutRecord" || op == "PutRecords" || op == "GetRecords" ||
         op == "GetShardIterator" || op == "SubscribeToShard";
}

}  // namespace

std::optional<uint64_t> KinesisApi::BodyLimit(const http::Request& head) const {
  if (!OperationOf(head)) return std::nullopt;
  return kBodyLimit;
}

std::optional<auth::Operation> KinesisApi::Describe(const http::Request& request) const {
  auto op = OperationOf(request);
  if (!op) return std::nullopt;
  auth::Operation out;
  out.action = "kinesis:" + *op;
  out.plane = IsDataPlane(*op) ? auth::Operation::Plane::kData : auth::Operation::Plane::kControl;
  // The stream named, else "*" (built aside: gcc 12 misreads an assignment of "*" here).
  std::string resource;
  auto input = nlohmann::json::parse(request.body, nullptr, false);
  if (input.is_object()) {
    const std::string account = request.account.empty() ? "000000000000" : request.account;
    if (std::string arn = Str(input, "StreamARN"); !arn.empty()) {
      resource = arn;
    } else if (std::string name = Str(input, "StreamName"); !name.empty()) {
      resource = std::string("arn:aws:kinesis:") + kRegion + ":" + account + ":stream/" + name;
    } else {
      resource = Str(input, "ResourceARN");
    }
  }
  if (resource.empty()) resource.push_back('*');
  out.resource = std::move(resource);
  return out;
}

std::optional<http::Response> KinesisApi::Refusal(const http::Request& request, int status,
                                                  std::string_view type,
                                                  std::string_view message) const {
  if (!OperationOf(request)) return std::nullopt;
  Outcome o;
  o.error = Error{status, std::string(type), std::string(message)};
  return RenderOutcome(o);
}

bool KinesisApi::Handle(http::Request& request, http::ResponseWriter& writer) {
  auto op = OperationOf(request);
  if (!op) return false;
  const std::string request_id = NewUuid();
  auto w = std::make_shared<http::ResponseWriter>(std::move(writer));
  auto reply = [w, request_id](const Outcome& outcome) {
    http::Response r = RenderOutcome(outcome);
    r.headers.Set("x-amzn-RequestId", request_id);
    w->Send(std::move(r));
  };
  auto fail = [&reply](int status, std::string type, std::string message) {
    Outcome o;
    o.error = Error{status, std::move(type), std::move(message)};
    reply(o);
  };
  const auto content_type = request.headers.Get("Content-Type");
  if (content_type && content_type->find("cbor") != std::string_view::npos) {
    fail(415, "UnsupportedMediaTypeException", kCborRefusal);
    return true;
  }
  if (request.oversized) {
    fail(413, "RequestEntityTooLarge", "Request entity too large");
    return true;
  }
  auto input = request.body.empty() ? nlohmann::json::object()
                                    : nlohmann::json::parse(request.body, nullptr, false);
  if (!input.is_object()) {
    fail(400, "SerializationException", "Start of structure or map found where not expected.");
    return true;
  }
  if (!IsOperation(*op)) {
    fail(400, "UnknownOperationException", "");
    return true;
  }
  Context ctx;
  ctx.account = request.account.empty() ? "000000000000" : request.account;
  Execute(store_, ctx, *op, input, reply);
  return true;
}

}  // namespace thaw::kinesis
