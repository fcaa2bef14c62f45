#include "kinesis/operations.h"

#include <algorithm>
#include <array>

namespace thaw::kinesis {

namespace {

constexpr std::array<std::string_view, 38> kOperations{
    "AddTagsToStream",
    "CreateStream",
    "DecreaseStreamRetentionPeriod",
    "DeleteStream",
    "DeregisterStreamConsumer",
    "DescribeLimits",
    "DescribeStream",
    "DescribeStreamConsumer",
    "DescribeStreamSummary",
    "DisableEnhancedMonitoring",
    "EnableEnhancedMonitoring",
    "GetRecords",
    "GetResourcePolicy",
    "GetShardIterator",
    "IncreaseStreamRetentionPeriod",
    "ListShards",
    "ListStreamConsumers",
    "ListStreams",
    "ListTagsForResource",
    "ListTagsForStream",
    "MergeShards",
    "PutRecord",
    "PutRecords",
    "PutResourcePolicy",
    "DeleteResourcePolicy",
    "RegisterStreamConsumer",
    "RemoveTagsFromStream",
    "SplitShard",
    "StartStreamEncryption",
    "StopStreamEncryption",
    "SubscribeToShard",
    "TagResource",
    "UntagResource",
    "UpdateMaxRecordSize",
    "UpdateShardCount",
    "UpdateStreamMode",
    "DescribeAccountSettings",
    "UpdateAccountSettings",
};

}  // namespace

std::string Str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

std::optional<int64_t> Int(const json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

Error Invalid(std::string message) {
  return Error{400, "InvalidArgumentException", std::move(message)};
}
Error Validation(std::string message) {
  return Error{400, "ValidationException", std::move(message)};
}

Error StreamNotFound(std::string_view name, std::string_view account) {
  return Error{
      400, "ResourceNotFoundException",
      "Stream " + std::string(name) + " under account " + std::string(account) + " not found."};
}

Outcome Fail(Error e) {
  Outcome o;
  o.error = std::move(e);
  return o;
}

Found FindStream(StreamStore& store, const Context& ctx, const json& input) {
  std::string name = Str(input, "StreamName");
  const std::string arn = Str(input, "StreamARN");
  std::string account = ctx.account;
  if (!arn.empty()) {
    // arn:aws:kinesis:REGION:ACCOUNT:stream/NAME
    const std::string_view a = arn;
    const size_t slash = a.find(":stream/");
    size_t colons[5];
    size_t pos = 0;
    bool ok = a.starts_with("arn:aws:kinesis:") && slash != std::string_view::npos;
    for (int i = 0; ok && i < 5; ++i) {
      pos = a.find(':', i == 0 ? 0 : pos + 1);
      if (pos == std::string_view::npos) ok = false;
      colons[i] = pos;
    }
    if (!ok) {
      return Found{nullptr, Validation("1 validation error detected: Value '" + arn +
                                       "' at 'streamARN' failed to satisfy constraint: Member must "
                                       "satisfy regular expression pattern: "
                                       "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+")};
    }
    account = std::string(a.substr(colons[3] + 1, colons[4] - colons[3] - 1));
    std::string from_arn(a.substr(slash + 8));
    if (!name.empty() && name != from_arn) {
      return Found{nullptr, Invalid("StreamARN " + arn + " and StreamName " + name +
                                    " do not name the same stream.")};
    }
    name = std::move(from_arn);
    if (account != ctx.account) return Found{nullptr, StreamNotFound(name, account)};
  }
  if (name.empty()) {
    return Found{nullptr, Validation("Either StreamName or StreamARN should be provided.")};
  }
  Stream* s = store.Find(account, name);
  if (!s) return Found{nullptr, StreamNotFound(name, account)};
  return Found{s, std::nullopt};
}

bool IsOperation(std::string_view op) {
  for (auto o : kOperations) {
    if (o == op) return true;
  }
  return false;
}

void Execute(StreamStore& store, const Context& ctx, std::string_view op, const json& input,
             Reply reply) {
  if (ExecuteStreamOp(store, ctx, op, input, reply)) return;
  if (ExecuteRecordOp(store, ctx, op, input, reply)) return;
  reply(
      Fail(Error{400, "UnsupportedOperationException",
                 std::string(op) + " is not supported by thaw's Kinesis (see docs/kinesis.md)."}));
}

http::Response RenderOutcome(const Outcome& outcome) {
  http::Response r;
  json body;
  if (outcome.error) {
    r.status = outcome.error->status;
    body = {{"__type", outcome.error->type}, {"message", outcome.error->message}};
  } else {
    r.status = 200;
    body = outcome.output;
  }
  r.headers.Set("Content-Type", "application/x-amz-json-1.1");
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

json EpochSeconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

int64_t EpochMillis(const json& seconds) {
  constexpr double kMax = 253402300799000.0;  // 9999-12-31T23:59:59Z
  if (!seconds.is_number()) return 0;
  const double ms = seconds.get<double>() * 1000.0;
  if (!(ms > 0)) return 0;  // NaN too
  return static_cast<int64_t>(std::min(ms, kMax));
}

}  // namespace thaw::kinesis
