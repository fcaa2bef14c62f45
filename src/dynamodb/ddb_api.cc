#include "dynamodb/ddb_api.h"

#include <memory>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "dynamodb/operations.h"

namespace thaw::dynamodb {

namespace {

// 25 items of 400 KB in a BatchWriteItem, in JSON.
constexpr uint64_t kBodyLimit = 16ull << 20;

bool IsDataPlane(std::string_view op) {
  return op != "CreateTable" && op != "DeleteTable" && op != "UpdateTable" &&
         op != "UpdateTimeToLive" && op != "TagResource" && op != "UntagResource";
}

}  // namespace

std::string_view DynamoDbApi::Prefix() const {
  return service_ == Service::kDynamoDb ? "DynamoDB_20120810." : "DynamoDBStreams_20120810.";
}

std::optional<std::string> DynamoDbApi::OperationOf(const http::Request& request) const {
  auto target = request.headers.Get("X-Amz-Target");
  if (!target || !target->starts_with(Prefix())) return std::nullopt;
  return std::string(target->substr(Prefix().size()));
}

std::optional<uint64_t> DynamoDbApi::BodyLimit(const http::Request& head) const {
  if (!OperationOf(head)) return std::nullopt;
  return kBodyLimit;
}

std::optional<auth::Operation> DynamoDbApi::Describe(const http::Request& request) const {
  auto op = OperationOf(request);
  if (!op) return std::nullopt;
  auth::Operation out;
  out.action = "dynamodb:";
  out.action += *op;
  out.plane = IsDataPlane(*op) ? auth::Operation::Plane::kData : auth::Operation::Plane::kControl;
  out.resource = "*";
  auto input = nlohmann::json::parse(request.body, nullptr, false);
  if (input.is_object()) {
    std::string account = request.account.empty() ? "000000000000" : request.account;
    for (const char* field : {"TableName", "StreamArn", "ResourceArn"}) {
      if (!input[field].is_string()) continue;
      std::string v = input[field];
      if (v.starts_with("arn:")) {
        out.resource = v;
        continue;
      }
      out.resource = std::string("arn:aws:dynamodb:") + kRegion + ":";
      out.resource += account;
      out.resource += ":table/";
      out.resource += v;
    }
  }
  return out;
}

std::optional<http::Response> DynamoDbApi::Refusal(const http::Request& request, int status,
                                                   std::string_view type,
                                                   std::string_view message) const {
  if (!OperationOf(request)) return std::nullopt;
  Error e{status, std::string(type), std::string(message)};
  return RenderError(e);
}

bool DynamoDbApi::Handle(http::Request& request, http::ResponseWriter& writer) {
  auto op = OperationOf(request);
  if (!op) return false;
  const std::string request_id = RandomHex(26);
  auto w = std::make_shared<http::ResponseWriter>(std::move(writer));
  auto reply = [w, request_id](Outcome outcome) {
    http::Response r = RenderOutcome(outcome);
    r.headers.Set("x-amzn-RequestId", request_id);
    w->Send(std::move(r));
  };
  if (request.oversized) {
    Outcome o;
    o.error = Error{413, "RequestEntityTooLarge", "Request entity too large"};
    reply(o);
    return true;
  }
  auto input = request.body.empty() ? nlohmann::json::object()
                                    : nlohmann::json::parse(request.body, nullptr, false);
  if (!input.is_object()) {
    Outcome o;
    o.error =
        Error{400, "SerializationException", "Start of structure or map found where not expected."};
    reply(o);
    return true;
  }
  const bool streams = service_ == Service::kStreams;
  if (streams ? !IsStreamsOperation(*op) : !IsOperation(*op)) {
    Outcome o;
    o.error = Error{400, "UnknownOperationException", ""};
    reply(o);
    return true;
  }
  Context ctx;
  ctx.account = request.account.empty() ? "000000000000" : request.account;
  if (streams) {
    ExecuteStreams(store_, ctx, *op, input, reply);
  } else {
    Execute(store_, ctx, *op, input, reply);
  }
  return true;
}

}  // namespace thaw::dynamodb
