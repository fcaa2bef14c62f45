// DynamoDB Streams: ListStreams, DescribeStream, GetShardIterator and GetRecords. Shard
// iterators are self-contained (stream, shard, position, issue time), so they survive a restart.
#include <algorithm>

#include "base/codec.h"
#include "dynamodb/operations.h"

namespace thaw::dynamodb {

namespace {

constexpr int64_t kIteratorLifeMs = 15 * 60 * 1000;
constexpr int64_t kMaxRecordBytes = 1 << 20;

Outcome Fail(Error e) {
  Outcome o;
  o.error = std::move(e);
  return o;
}

Outcome Ok(json output) {
  Outcome o;
  o.output = std::move(output);
  return o;
}

struct Iterator {
  int64_t stream_id = 0;
  std::string shard_id;
  int64_t position = 0;  // the next sequence number to read
  int64_t issued_ms = 0;
};

std::string EncodeIterator(const Iterator& it) {
  json j = {{"s", it.stream_id}, {"h", it.shard_id}, {"p", it.position}, {"t", it.issued_ms}};
  return Base64Encode(j.dump());
}

std::optional<Iterator> DecodeIterator(const std::string& text) {
  auto raw = Base64Decode(text);
  if (!raw) return std::nullopt;
  json j = json::parse(*raw, nullptr, false);
  if (!j.is_object() || !j["s"].is_number_integer() || !j["h"].is_string() ||
      !j["p"].is_number_integer() || !j["t"].is_number_integer()) {
    return std::nullopt;
  }
  return Iterator{j["s"].get<int64_t>(), j["h"].get<std::string>(), j["p"].get<int64_t>(),
                  j["t"].get<int64_t>()};
}

Shard* FindShard(Stream& s, std::string_view id) {
  for (auto& sh : s.shards) {
    if (sh.id == id) return &sh;
  }
  return nullptr;
}

json KeySchemaOf(const KeySchema& keys) {
  json out = json::array({{{"AttributeName", keys.hash.name}, {"KeyType", "HASH"}}});
  if (keys.range) out.push_back({{"AttributeName", keys.range->name}, {"KeyType", "RANGE"}});
  return out;
}

Error StreamNotFound(const std::string& arn) {
  return NotFound("Requested resource not found: Stream: " + arn + " not found");
}

std::optional<Error> CheckLimit(const json& input, int64_t max, int64_t& limit) {
  if (!input.contains("Limit")) return std::nullopt;
  limit = input["Limit"].is_number_integer() ? input["Limit"].get<int64_t>() : 0;
  if (limit < 1 || limit > max) {
    return Validation("1 validation error detected: Value '" + input["Limit"].dump() +
                      "' at 'limit' failed to satisfy constraint: Member must have value " +
                      (limit < 1 ? "greater than or equal to 1"
                                 : "less than or equal to " + std::to_string(max)));
  }
  return std::nullopt;
}

Outcome ListStreams(TableStore& store, const Context& ctx, const json& input) {
  int64_t limit = 100;
  if (auto e = CheckLimit(input, 100, limit)) return Fail(*e);
  const std::string table = Str(input, "TableName");
  const std::string start = Str(input, "ExclusiveStartStreamArn");
  auto streams = store.Streams(ctx.account);
  std::sort(streams.begin(), streams.end(),
            [](Stream* a, Stream* b) { return a->Arn() < b->Arn(); });
  json list = json::array();
  std::optional<std::string> last;
  for (Stream* s : streams) {
    if (!table.empty() && s->table_name != table) continue;
    if (!start.empty() && s->Arn() <= start) continue;
    if (static_cast<int64_t>(list.size()) == limit) {
      last = list.back()["StreamArn"].get<std::string>();
      break;
    }
    list.push_back(
        {{"StreamArn", s->Arn()}, {"TableName", s->table_name}, {"StreamLabel", s->label}});
  }
  json out = {{"Streams", list}};
  if (last) out["LastEvaluatedStreamArn"] = *last;
  return Ok(out);
}

Stream* Find(TableStore& store, const Context& ctx, const std::string& arn) {
  Stream* s = store.FindStream(arn);
  if (!s) return nullptr;
  (void)ctx;  // a stream ARN names its account; the access rules decide who may read it
  if (!s->enabled && store.Now() - s->disabled_ms >= store.options().retention_ms) return nullptr;
  return s;
}

Outcome DescribeStream(TableStore& store, const Context& ctx, const json& input) {
  int64_t limit = 100;
  if (auto e = CheckLimit(input, 100, limit)) return Fail(*e);
  const std::string arn = Str(input, "StreamArn");
  Stream* s = Find(store, ctx, arn);
  if (!s) return Fail(StreamNotFound(arn));
  store.Maintain(*s);
  const std::string start = Str(input, "ExclusiveStartShardId");
  json shards = json::array();
  std::optional<std::string> last;
  bool started = start.empty();
  for (const auto& sh : s->shards) {
    if (!started) {
      started = sh.id == start;
      continue;
    }
    if (static_cast<int64_t>(shards.size()) == limit) {
      last = shards.back()["ShardId"].get<std::string>();
      break;
    }
    json range = {{"StartingSequenceNumber", FormatSequence(sh.start)}};
    if (sh.end) range["EndingSequenceNumber"] = FormatSequence(sh.end);
    json shard = {{"ShardId", sh.id}, {"SequenceNumberRange", range}};
    if (!sh.parent.empty()) shard["ParentShardId"] = sh.parent;
    shards.push_back(shard);
  }
  json d = {{"StreamArn", s->Arn()},
            {"StreamLabel", s->label},
            {"StreamStatus", s->enabled ? "ENABLED" : "DISABLED"},
            {"StreamViewType", s->view_type},
            {"CreationRequestDateTime", static_cast<double>(s->created_ms) / 1000.0},
            {"TableName", s->table_name},
            {"KeySchema", KeySchemaOf(s->keys)},
            {"Shards", shards}};
  if (last) d["LastEvaluatedShardId"] = *last;
  return Ok({{"StreamDescription", d}});
}

Outcome GetShardIterator(TableStore& store, const Context& ctx, const json& input) {
  const std::string arn = Str(input, "StreamArn");
  Stream* s = Find(store, ctx, arn);
  if (!s) return Fail(StreamNotFound(arn));
  store.Maintain(*s);
  Shard* shard = FindShard(*s, Str(input, "ShardId"));
  if (!shard) return Fail(NotFound("Requested resource not found: Shard does not exist"));
  const std::string type = Str(input, "ShardIteratorType");
  Iterator it{s->id, shard->id, 0, store.Now()};
  const bool at = type == "AT_SEQUENCE_NUMBER";
  if (type == "TRIM_HORIZON") {
    it.position = std::max(shard->start, s->trimmed_through + 1);
  } else if (type == "LATEST") {
    it.position = shard->end ? shard->end + 1 : std::max(shard->start, store.committed_seq() + 1);
  } else if (at || type == "AFTER_SEQUENCE_NUMBER") {
    if (!input.contains("SequenceNumber")) {
      return Fail(Validation("Must specify a sequence number when the iterator type is " + type));
    }
    auto seq = ParseSequence(Str(input, "SequenceNumber"));
    if (!seq || *seq < shard->start || (shard->end && *seq > shard->end)) {
      return Fail(Validation("Invalid SequenceNumber: " + Str(input, "SequenceNumber") +
                             " for shard " + shard->id));
    }
    if (*seq <= s->trimmed_through) {
      return Fail({400, "TrimmedDataAccessException",
                   "The operation attempted to read past the oldest stream record in a shard."});
    }
    it.position = at ? *seq : *seq + 1;
  } else {
    return Fail(Validation("1 validation error detected: Value '" + type +
                           "' at 'shardIteratorType' failed to satisfy constraint: Member must"
                           " satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST,"
                           " AT_SEQUENCE_NUMBER, TRIM_HORIZON]"));
  }
  return Ok({{"ShardIterator", EncodeIterator(it)}});
}

Outcome GetRecords(TableStore& store, const Context& ctx, const json& input) {
  int64_t limit = 1000;
  if (auto e = CheckLimit(input, 1000, limit)) return Fail(*e);
  auto it = DecodeIterator(Str(input, "ShardIterator"));
  if (!it) return Fail(Validation("Invalid ShardIterator"));
  const int64_t now = store.Now();
  if (now - it->issued_ms > kIteratorLifeMs) {
    return Fail({400, "ExpiredIteratorException",
                 "Iterator expired. The iterator was created at time " +
                     FormatIsoMillis(it->issued_ms) + " while right now it is " +
                     FormatIsoMillis(now) +
                     " which is further in the future than the"
                     " tolerated delay of 900000 milliseconds."});
  }
  Stream* s = nullptr;
  for (Stream* candidate : store.Streams(ctx.account)) {
    if (candidate->id == it->stream_id) s = candidate;
  }
  if (!s) {
    // Another account's stream: by id alone.
    return Fail(NotFound("Requested resource not found: Stream does not exist"));
  }
  store.Maintain(*s);
  if (it->position <= s->trimmed_through) {
    return Fail({400, "TrimmedDataAccessException",
                 "The operation attempted to read past the oldest stream record in a shard."});
  }
  Shard* shard = FindShard(*s, it->shard_id);
  if (!shard) return Fail(NotFound("Requested resource not found: Shard does not exist"));
  json records = json::array();
  int64_t bytes = 0;
  int64_t next = it->position;
  const int64_t last =
      shard->end ? std::min(shard->end, store.committed_seq()) : store.committed_seq();
  for (auto r = s->records.lower_bound(it->position);
       r != s->records.end() && r->first <= last && static_cast<int64_t>(records.size()) < limit;
       ++r) {
    int64_t size = r->second.record["dynamodb"].value("SizeBytes", int64_t{0});
    if (!records.empty() && bytes + size > kMaxRecordBytes) break;
    bytes += size;
    records.push_back(r->second.record);
    next = r->first + 1;
  }
  json out = {{"Records", records}};
  // A closed shard read to its end has no next iterator.
  bool finished = false;
  if (shard->end && shard->end <= store.committed_seq()) {
    auto rest = s->records.lower_bound(next);
    finished = rest == s->records.end() || rest->first > shard->end;
  }
  if (!finished) out["NextShardIterator"] = EncodeIterator({s->id, shard->id, next, now});
  return Ok(out);
}

}  // namespace

void ExecuteStreams(TableStore& store, const Context& ctx, std::string_view op, const json& input,
                    Reply reply) {
  if (op == "ListStreams") return reply(ListStreams(store, ctx, input));
  if (op == "DescribeStream") return reply(DescribeStream(store, ctx, input));
  if (op == "GetShardIterator") return reply(GetShardIterator(store, ctx, input));
  if (op == "GetRecords") return reply(GetRecords(store, ctx, input));
  reply(Fail({400, "UnknownOperationException", ""}));
}

}  // namespace thaw::dynamodb
