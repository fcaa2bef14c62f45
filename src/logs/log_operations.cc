#include "logs/log_operations.h"

#include <array>
#include <limits>

#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "http/aws_error.h"
#include "logs/filter_pattern.h"
#include "logs/log_params.h"
#include "logs/log_queries.h"

namespace thaw::logs {

namespace {

using nlohmann::json;

constexpr char kBadToken[] = "The specified nextToken is invalid.";
constexpr int64_t kDescribeMax = 50;
constexpr int64_t kEventsMax = 10000;

// `account`: the caller's; every group name is read and written as GroupKey(account, name).
using Operation = StatusOr<json> (*)(const json& in, store::Database& db, int64_t now_ms,
                                     const std::string& account);

// The ARN of a group by its GroupKey.
std::string GroupArn(std::string_view key) {
  auto [account, name] = SplitGroupKey(key);
  return "arn:aws:logs:us-east-1:" + account + ":log-group:" + name;
}

Status RequireGroup(store::Database& db, std::string_view group) {
  THAW_ASSIGN_OR_RETURN(bool exists, GroupExists(db, group));
  return exists ? Status::Ok() : Status::NotFound(kNoSuchGroup);
}

// "o/<offset>" for the Describe* operations.
StatusOr<int64_t> OffsetToken(const json& in) {
  THAW_ASSIGN_OR_RETURN(auto token, OptionalString(in, "nextToken"));
  if (!token) return int64_t{0};
  auto offset =
      std::string_view(*token).starts_with("o/") ? ParseInt(token->substr(2)) : std::nullopt;
  if (!offset || *offset < 0) return Status::InvalidArgument(kBadToken);
  return *offset;
}

// Group and stream names as CloudWatch accepts them.
Status CheckGroupName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 512;
  for (char c : name) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '-' || c == '_' || c == '/' || c == '#';
    ok = ok && allowed;
  }
  if (ok) return Status::Ok();
  return Status::InvalidArgument("1 validation error detected: Value '" + Printable(name) +
                                 "' at 'logGroupName' failed to satisfy constraint: Member must "
                                 "satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+");
}

Status CheckStreamName(std::string_view name) {
  if (!name.empty() && name.size() <= 512 && name.find_first_of(":*") == std::string_view::npos) {
    return Status::Ok();
  }
  return Status::InvalidArgument("1 validation error detected: Value '" + Printable(name) +
                                 "' at 'logStreamName' failed to satisfy constraint: Member must "
                                 "satisfy regular expression pattern: [^:*]*");
}

StatusOr<json> DescribeLogGroups(const json& in, store::Database& db, int64_t,
                                 const std::string& account) {
  THAW_ASSIGN_OR_RETURN(auto prefix, OptionalString(in, "logGroupNamePrefix"));
  THAW_ASSIGN_OR_RETURN(int64_t limit, Limit(in, kDescribeMax));
  THAW_ASSIGN_OR_RETURN(int64_t offset, OffsetToken(in));
  THAW_ASSIGN_OR_RETURN(auto groups, ListGroups(db, GroupKey(account, prefix.value_or("")),
                                                /*default_account=*/GroupKey(account, "").empty(),
                                                offset, limit + 1));
  json out = {{"logGroups", json::array()}};
  for (size_t i = 0; i < groups.size() && static_cast<int64_t>(i) < limit; ++i) {
    const GroupInfo& g = groups[i];
    out["logGroups"].push_back({{"logGroupName", SplitGroupKey(g.name).second},
                                {"creationTime", g.created_ms},
                                {"metricFilterCount", 0},
                                {"arn", GroupArn(g.name) + ":*"},
                                {"logGroupArn", GroupArn(g.name)},
                                {"storedBytes", 0},
                                {"logGroupClass", "STANDARD"}});
  }
  if (static_cast<int64_t>(groups.size()) > limit) {
    out["nextToken"] = "o/" + std::to_string(offset + limit);
  }
  return out;
}

StatusOr<json> DescribeLogStreams(const json& in, store::Database& db, int64_t,
                                  const std::string& account) {
  THAW_ASSIGN_OR_RETURN(std::string group, LogGroupName(in));
  group = GroupKey(account, group);
  THAW_ASSIGN_OR_RETURN(auto prefix, OptionalString(in, "logStreamNamePrefix"));
  THAW_ASSIGN_OR_RETURN(auto order_by, OptionalString(in, "orderBy"));
  StreamListing listing;
  listing.prefix = prefix.value_or("");
  if (order_by && *order_by != "LogStreamName" && *order_by != "LastEventTime") {
    return Status::InvalidArgument("Invalid orderBy: " + Printable(*order_by));
  }
  listing.by_last_event = order_by && *order_by == "LastEventTime";
  if (listing.by_last_event && !listing.prefix.empty()) {
    return Status::InvalidArgument("Cannot order by LastEventTime with a logStreamNamePrefix.");
  }
  THAW_ASSIGN_OR_RETURN(listing.descending, OptionalBool(in, "descending", false));
  THAW_ASSIGN_OR_RETURN(int64_t limit, Limit(in, kDescribeMax));
  THAW_ASSIGN_OR_RETURN(listing.offset, OffsetToken(in));
  listing.limit = limit + 1;
  THAW_RETURN_IF_ERROR(RequireGroup(db, group));
  THAW_ASSIGN_OR_RETURN(auto streams, ListStreams(db, group, listing));
  json out = {{"logStreams", json::array()}};
  for (size_t i = 0; i < streams.size() && static_cast<int64_t>(i) < limit; ++i) {
    const StreamInfo& s = streams[i];
    json item = {{"logStreamName", s.name},
                 {"creationTime", s.created_ms},
                 {"arn", GroupArn(group) + ":log-stream:" + s.name},
                 {"storedBytes", 0}};
    if (s.first_ts) item["firstEventTimestamp"] = *s.first_ts;
    if (s.last_ts) item["lastEventTimestamp"] = *s.last_ts;
    if (s.last_ingest) item["lastIngestionTime"] = *s.last_ingest;
    out["logStreams"].push_back(std::move(item));
  }
  if (static_cast<int64_t>(streams.size()) > limit) {
    out["nextToken"] = "o/" + std::to_string(listing.offset + limit);
  }
  return out;
}

StatusOr<json> GetLogEvents(const json& in, store::Database& db, int64_t,
                            const std::string& account) {
  THAW_ASSIGN_OR_RETURN(std::string group, LogGroupName(in));
  group = GroupKey(account, group);
  THAW_ASSIGN_OR_RETURN(std::string stream, RequiredString(in, "logStreamName"));
  THAW_ASSIGN_OR_RETURN(auto token, OptionalString(in, "nextToken"));
  THAW_ASSIGN_OR_RETURN(bool from_head, OptionalBool(in, "startFromHead", false));
  StreamRead read;
  THAW_ASSIGN_OR_RETURN(read.start_ms, OptionalInt(in, "startTime"));
  THAW_ASSIGN_OR_RETURN(read.end_ms, OptionalInt(in, "endTime"));
  THAW_ASSIGN_OR_RETURN(read.limit, Limit(in, kEventsMax));
  THAW_RETURN_IF_ERROR(RequireGroup(db, group));
  THAW_ASSIGN_OR_RETURN(bool stream_exists, StreamExists(db, group, stream));
  if (!stream_exists) return Status::NotFound(kNoSuchStream);

  // Without a token: the oldest events when startFromHead, else the newest.
  read.forward = from_head;
  int64_t token_id = 0;
  if (token) {
    std::string_view t = *token;
    if (!t.starts_with("f/") && !t.starts_with("b/")) return Status::InvalidArgument(kBadToken);
    read.forward = t[0] == 'f';
    auto id = ParseInt(t.substr(2));
    if (!id || *id < 0) return Status::InvalidArgument(kBadToken);
    token_id = *id;
    if (token_id > 0) {
      THAW_ASSIGN_OR_RETURN(auto cursor, FindCursor(db, group, stream, token_id));
      if (!cursor) return Status::InvalidArgument(kBadToken);
      read.anchor = cursor;
    } else if (!read.forward) {
      // "b/0" sits before the first event: nothing lies behind it.
      read.anchor = Cursor{std::numeric_limits<int64_t>::min(), 0};
    }
  }
  THAW_ASSIGN_OR_RETURN(auto events, ReadStream(db, group, stream, read));
  json out = {{"events", json::array()}};
  for (const StoredEvent& e : events) {
    out["events"].push_back(
        {{"timestamp", e.timestamp_ms}, {"message", e.message}, {"ingestionTime", e.ingest_ms}});
  }
  // An empty page keeps the caller where it was, so repeated tokens end the paging.
  int64_t forward_id = events.empty() ? token_id : events.back().id;
  int64_t backward_id = events.empty() ? token_id : events.front().id;
  out["nextForwardToken"] = "f/" + std::to_string(forward_id);
  out["nextBackwardToken"] = "b/" + std::to_string(backward_id);
  return out;
}

StatusOr<std::optional<Cursor>> FilterToken(const json& in) {
  THAW_ASSIGN_OR_RETURN(auto token, OptionalString(in, "nextToken"));
  if (!token) return std::optional<Cursor>();
  size_t slash = token->find('/');
  if (slash == std::string::npos) return Status::InvalidArgument(kBadToken);
  auto ts = ParseInt(std::string_view(*token).substr(0, slash));
  auto id = ParseInt(std::string_view(*token).substr(slash + 1));
  if (!ts || !id) return Status::InvalidArgument(kBadToken);
  return std::optional<Cursor>(Cursor{*ts, *id});
}

StatusOr<json> FilterLogEvents(const json& in, store::Database& db, int64_t,
                               const std::string& account) {
  THAW_ASSIGN_OR_RETURN(std::string group, LogGroupName(in));
  group = GroupKey(account, group);
  EventFilter filter;
  THAW_ASSIGN_OR_RETURN(filter.streams, OptionalStringList(in, "logStreamNames"));
  THAW_ASSIGN_OR_RETURN(auto prefix, OptionalString(in, "logStreamNamePrefix"));
  filter.stream_prefix = prefix.value_or("");
  if (!filter.streams.empty() && !filter.stream_prefix.empty()) {
    return Status::InvalidArgument(
        "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.");
  }
  THAW_ASSIGN_OR_RETURN(filter.start_ms, OptionalInt(in, "startTime"));
  THAW_ASSIGN_OR_RETURN(filter.end_ms, OptionalInt(in, "endTime"));
  THAW_ASSIGN_OR_RETURN(auto pattern_text, OptionalString(in, "filterPattern"));
  THAW_ASSIGN_OR_RETURN(filter.pattern, ParseFilterPattern(pattern_text.value_or("")));
  THAW_ASSIGN_OR_RETURN(int64_t limit, Limit(in, kEventsMax));
  THAW_ASSIGN_OR_RETURN(filter.after, FilterToken(in));
  filter.limit = limit + 1;
  THAW_RETURN_IF_ERROR(RequireGroup(db, group));
  THAW_ASSIGN_OR_RETURN(auto events, FilterEvents(db, group, filter));

  json out = {{"events", json::array()}, {"searchedLogStreams", json::array()}};
  for (size_t i = 0; i < events.size() && static_cast<int64_t>(i) < limit; ++i) {
    const StoredEvent& e = events[i];
    out["events"].push_back({{"logStreamName", e.stream},
                             {"timestamp", e.timestamp_ms},
                             {"message", e.message},
                             {"ingestionTime", e.ingest_ms},
                             {"eventId", std::to_string(e.id)}});
  }
  if (static_cast<int64_t>(events.size()) > limit) {
    const StoredEvent& last = events[static_cast<size_t>(limit) - 1];
    out["nextToken"] = std::to_string(last.timestamp_ms) + "/" + std::to_string(last.id);
  }
  // Deprecated by CloudWatch but still returned: every stream searched, searched completely.
  StreamListing listing{.prefix = filter.stream_prefix, .limit = kEventsMax};
  THAW_ASSIGN_OR_RETURN(auto streams, ListStreams(db, group, listing));
  for (const StreamInfo& s : streams) {
    bool named = filter.streams.empty();
    for (const auto& n : filter.streams) named = named || n == s.name;
    if (named)
      out["searchedLogStreams"].push_back(
          {{"logStreamName", s.name}, {"searchedCompletely", true}});
  }
  return out;
}

StatusOr<json> CreateLogGroup(const json& in, store::Database& db, int64_t now_ms,
                              const std::string& account) {
  THAW_ASSIGN_OR_RETURN(std::string group, RequiredString(in, "logGroupName"));
  THAW_RETURN_IF_ERROR(CheckGroupName(group));
  group = GroupKey(account, group);
  THAW_RETURN_IF_ERROR(CreateGroup(db, group, now_ms));
  return json::object();
}

StatusOr<json> DeleteLogGroup(const json& in, store::Database& db, int64_t,
                              const std::string& account) {
  THAW_ASSIGN_OR_RETURN(std::string group, RequiredString(in, "logGroupName"));
  group = GroupKey(account, group);
  THAW_RETURN_IF_ERROR(DeleteGroup(db, group));
  return json::object();
}

StatusOr<json> CreateLogStream(const json& in, store::Database& db, int64_t now_ms,
                               const std::string& account) {
  THAW_ASSIGN_OR_RETURN(std::string group, RequiredString(in, "logGroupName"));
  group = GroupKey(account, group);
  THAW_ASSIGN_OR_RETURN(std::string stream, RequiredString(in, "logStreamName"));
  THAW_RETURN_IF_ERROR(CheckStreamName(stream));
  THAW_RETURN_IF_ERROR(CreateStream(db, group, stream, now_ms));
  return json::object();
}

StatusOr<json> PutLogEvents(const json& in, store::Database& db, int64_t now_ms,
                            const std::string& account) {
  THAW_ASSIGN_OR_RETURN(std::string group, LogGroupName(in));
  group = GroupKey(account, group);
  THAW_ASSIGN_OR_RETURN(std::string stream, RequiredString(in, "logStreamName"));
  auto it = in.find("logEvents");
  if (it == in.end() || !it->is_array() || it->empty() ||
      it->size() > static_cast<size_t>(kEventsMax)) {
    return Status::InvalidArgument("logEvents must be a list of 1 to 10000 events");
  }
  std::vector<LogEvent> events;
  for (const json& item : *it) {
    THAW_ASSIGN_OR_RETURN(auto ts, OptionalInt(item, "timestamp"));
    THAW_ASSIGN_OR_RETURN(auto message, OptionalString(item, "message"));
    if (!ts || !message) {
      return Status::InvalidArgument("Each log event needs a timestamp and a message");
    }
    if (!events.empty() && *ts < events.back().timestamp_ms) {
      return Status::InvalidArgument(
          "Log events in a single PutLogEvents request must be in chronological order.");
    }
    events.push_back({group, stream, *ts, std::move(*message)});
  }
  THAW_RETURN_IF_ERROR(RequireGroup(db, group));
  THAW_ASSIGN_OR_RETURN(bool stream_exists, StreamExists(db, group, stream));
  if (!stream_exists) return Status::NotFound(kNoSuchStream);
  THAW_RETURN_IF_ERROR(InsertEvents(db, events, now_ms));
  // Sequence tokens are no longer enforced by CloudWatch; older SDKs still read one.
  return json{{"nextSequenceToken", std::to_string(now_ms)}};
}

struct Entry {
  std::string_view name;
  Operation run;
};

constexpr std::array<Entry, 8> kOperations = {{
    {"DescribeLogGroups", DescribeLogGroups},
    {"DescribeLogStreams", DescribeLogStreams},
    {"GetLogEvents", GetLogEvents},
    {"FilterLogEvents", FilterLogEvents},
    {"CreateLogGroup", CreateLogGroup},
    {"DeleteLogGroup", DeleteLogGroup},
    {"CreateLogStream", CreateLogStream},
    {"PutLogEvents", PutLogEvents},
}};

Operation Find(std::string_view name) {
  for (const Entry& e : kOperations) {
    if (e.name == name) return e.run;
  }
  return nullptr;
}

http::Response ErrorResponse(const Status& status) {
  switch (status.code()) {
    case StatusCode::kNotFound:
      return http::JsonRpcError(400, "ResourceNotFoundException", status.message());
    case StatusCode::kAlreadyExists:
      return http::JsonRpcError(400, "ResourceAlreadyExistsException", status.message());
    case StatusCode::kInvalidArgument:
      return http::JsonRpcError(400, "InvalidParameterException", status.message());
    default:
      return http::JsonRpcError(500, "ServiceUnavailableException", status.message());
  }
}

}  // namespace

bool IsLogsOperation(std::string_view operation) { return Find(operation) != nullptr; }

http::Response RunLogsOperation(std::string_view operation, const json& input, store::Database& db,
                                int64_t now_ms, const std::string& account) {
  Operation run = Find(operation);
  if (!run) {
    return http::JsonRpcError(400, "UnknownOperationException",
                              "Unknown operation " + Printable(operation));
  }
  StatusOr<json> out = run(input, db, now_ms, account);
  if (!out.ok()) return ErrorResponse(out.status());
  return JsonOk(*out);
}

http::Response JsonOk(const json& body) {
  http::Response r;
  r.status = 200;
  r.headers.Set("Content-Type", "application/x-amz-json-1.1");
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

}  // namespace thaw::logs
