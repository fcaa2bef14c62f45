// The record operations: PutRecord, PutRecords, GetShardIterator and GetRecords. Shard
// iterators are self-contained (stream, shard, position, issue time), so they survive a restart;
// they expire after 5 minutes as AWS's do.
#include <algorithm>
#include <ctime>

#include "base/codec.h"
#include "kinesis/operations.h"

namespace thaw::kinesis {

namespace {

constexpr int64_t kIteratorLifeMs = int64_t{5} * 60 * 1000;
constexpr size_t kMaxPutRecords = 500;
constexpr int64_t kMaxPutRecordsBytes = 10 << 20;
constexpr int64_t kMaxGetBytes = 10 << 20;

Outcome Ok(json output) {
  Outcome o;
  o.output = std::move(output);
  return o;
}

struct Iterator {
  std::string arn;
  int64_t created_ms = 0;  // the stream's, so a recreated stream's iterators fail
  int shard = 0;
  int64_t from = 0;  // the first counter to read
  int64_t issued_ms = 0;
};

std::string EncodeIterator(const Iterator& it) {
  json j = {
      {"a", it.arn}, {"c", it.created_ms}, {"s", it.shard}, {"f", it.from}, {"t", it.issued_ms}};
  return Base64Encode(j.dump());
}

std::optional<Iterator> DecodeIterator(const std::string& text) {
  auto raw = Base64Decode(text);
  if (!raw) return std::nullopt;
  json j = json::parse(*raw, nullptr, false);
  if (!j.is_object() || !j["a"].is_string() || !j["c"].is_number_integer() ||
      !j["s"].is_number_integer() || !j["f"].is_number_integer() || !j["t"].is_number_integer()) {
    return std::nullopt;
  }
  return Iterator{j["a"].get<std::string>(), j["c"].get<int64_t>(), j["s"].get<int>(),
                  j["f"].get<int64_t>(), j["t"].get<int64_t>()};
}

// "Mon Dec 07 13:20:37 UTC 2026", as Java's Date prints in AWS's messages.
std::string JavaDate(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a %b %d %H:%M:%S UTC %Y", &tm);
  return buf;
}

// One record of a put, checked; the model's and the stream's limits.
std::optional<Error> ParseEntry(const json& r, const Stream& s, const std::string& where,
                                PutEntry& out) {
  if (!r.is_object()) return Validation("1 validation error detected: " + where + " is invalid");
  out.partition_key = Str(r, "PartitionKey");
  if (out.partition_key.empty() || out.partition_key.size() > 256) {
    return Validation("1 validation error detected: Value '" + out.partition_key + "' at '" +
                      where + "partitionKey' failed to satisfy constraint: Member must have " +
                      (out.partition_key.empty() ? "length greater than or equal to 1"
                                                 : "length less than or equal to 256"));
  }
  if (!r.contains("Data") || !r["Data"].is_string()) {
    return Validation("1 validation error detected: Value null at '" + where +
                      "data' failed to satisfy constraint: Member must not be null");
  }
  auto data = Base64Decode(r["Data"].get<std::string>());
  if (!data) {
    return Error{400, "SerializationException",
                 "Base64 encoded data is invalid at '" + where + "data'."};
  }
  out.data = std::move(*data);
  const int64_t limit = s.max_record_kib * 1024;
  if (static_cast<int64_t>(out.data.size() + out.partition_key.size()) > limit) {
    return Validation("1 validation error detected: Value at '" + where +
                      "data' failed to satisfy constraint: Member must have length less than "
                      "or equal to " +
                      std::to_string(limit));
  }
  if (const std::string ehk = Str(r, "ExplicitHashKey");
      !ehk.empty() || r.contains("ExplicitHashKey")) {
    out.explicit_hash = ParseHashKey(ehk);
    if (!out.explicit_hash) {
      return Invalid(
          "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, "
          "2^128-1]. Specified value was " +
          ehk);
    }
  }
  return std::nullopt;
}

std::optional<Error> Writable(const Stream& s) {
  if (s.status == "ACTIVE" || s.status == "UPDATING") return std::nullopt;
  return StreamNotFound(s.name, s.account);
}

void PutRecord(StreamStore& store, Stream& s, const json& in, Reply& reply) {
  if (auto e = Writable(s)) return reply(Fail(*e));
  PutEntry e;
  if (auto err = ParseEntry(in, s, "", e)) return reply(Fail(*err));
  if (const std::string order = Str(in, "SequenceNumberForOrdering"); !order.empty()) {
    // Every new sequence number is greater than every earlier one, so it is honoured as is.
    if (!ParseSequence(order)) {
      return reply(
          Fail(Invalid("ExclusiveMinimumSequenceNumber " + order + " used in PutRecord on stream " +
                       s.name + " under account " + s.account + " is invalid.")));
    }
  }
  auto results = store.Put(s, {e}, [](const Status&) {});
  PutResult r = results[0];
  if (!r.error_code.empty()) {
    return reply(Fail(Error{400, r.error_code, r.error_message}));
  }
  store.AfterCommit([reply, r](const Status& st) {
    if (!st.ok()) return reply(Fail(Error{500, "InternalFailure", st.ToString()}));
    reply(Ok({{"ShardId", r.shard_id}, {"SequenceNumber", r.sequence_number}}));
  });
}

void PutRecords(StreamStore& store, Stream& s, const json& in, Reply& reply) {
  const json records = in.value("Records", json());
  if (!records.is_array() || records.empty()) {
    return reply(
        Fail(Validation("1 validation error detected: Value at 'records' failed to "
                        "satisfy constraint: Member must have length greater than or "
                        "equal to 1")));
  }
  if (records.size() > kMaxPutRecords) {
    return reply(
        Fail(Validation("1 validation error detected: Value '" + std::to_string(records.size()) +
                        "' at 'records' failed to satisfy constraint: Member must have "
                        "length less than or equal to 500")));
  }
  if (auto e = Writable(s)) return reply(Fail(*e));
  std::vector<PutEntry> entries(records.size());
  int64_t total = 0;
  for (size_t i = 0; i < records.size(); ++i) {
    const std::string where = "records." + std::to_string(i + 1) + ".member.";
    if (auto err = ParseEntry(records[i], s, where, entries[i])) return reply(Fail(*err));
    total += static_cast<int64_t>(entries[i].data.size() + entries[i].partition_key.size());
  }
  if (total > kMaxPutRecordsBytes) {
    return reply(Fail(Invalid("Records size exceeds 10 MB limit")));
  }
  auto results = store.Put(s, entries, [](const Status&) {});
  store.AfterCommit([reply, results = std::move(results)](const Status& st) {
    if (!st.ok()) return reply(Fail(Error{500, "InternalFailure", st.ToString()}));
    json out = json::array();
    int failed = 0;
    for (const PutResult& r : results) {
      if (r.error_code.empty()) {
        out.push_back({{"SequenceNumber", r.sequence_number}, {"ShardId", r.shard_id}});
      } else {
        ++failed;
        out.push_back({{"ErrorCode", r.error_code}, {"ErrorMessage", r.error_message}});
      }
    }
    reply(Ok({{"FailedRecordCount", failed}, {"Records", out}}));
  });
}

Outcome GetShardIterator(StreamStore& store, Stream& s, const json& in) {
  const std::string shard_id = Str(in, "ShardId");
  Shard* sh = s.FindShard(shard_id);
  if (!sh) {
    return Fail(Error{400, "ResourceNotFoundException",
                      "Shard " + shard_id + " in stream " + s.name + " under account " + s.account +
                          " does not exist"});
  }
  const std::string type = Str(in, "ShardIteratorType");
  Iterator it{s.Arn(), s.created_ms, sh->index, 0, store.Now()};
  if (type == "TRIM_HORIZON") {
    it.from = 0;
  } else if (type == "LATEST") {
    it.from = sh->records.empty() ? sh->start_counter + 1 : sh->records.back().counter + 1;
  } else if (type == "AT_SEQUENCE_NUMBER" || type == "AFTER_SEQUENCE_NUMBER") {
    const std::string seq = Str(in, "StartingSequenceNumber");
    if (seq.empty()) {
      return Fail(
          Invalid("StartingSequenceNumber must be provided for ShardIteratorType " + type + "."));
    }
    auto p = ParseSequence(seq);
    if (!p) {
      return Fail(Invalid("StartingSequenceNumber " + seq + " used in GetShardIterator on shard " +
                          shard_id + " in stream " + s.name + " under account " + s.account +
                          " is invalid."));
    }
    if (p->shard_index != sh->index) {
      return Fail(Invalid("Invalid StartingSequenceNumber. It encodes " + ShardId(p->shard_index) +
                          ", while it was used in a call to a shard with " + shard_id));
    }
    it.from = type[1] == 'T' ? p->counter : p->counter + 1;
  } else if (type == "AT_TIMESTAMP") {
    if (!in.contains("Timestamp") || !in["Timestamp"].is_number()) {
      return Fail(
          Invalid("Must specify timestampInMillis parameter for iterator of type "
                  "AT_TIMESTAMP. Current request has no timestamp parameter."));
    }
    const int64_t ts = EpochMillis(in["Timestamp"]);
    if (ts > store.Now()) {
      return Fail(
          Invalid("The timestampInMillis parameter cannot be greater than the "
                  "currentTimeMillis. timestampInMillis: " +
                  std::to_string(ts) + ", currentTimeMillis: " + std::to_string(store.Now())));
    }
    it.from = sh->records.empty() ? sh->start_counter + 1 : sh->records.back().counter + 1;
    for (const Record& r : sh->records) {
      if (r.arrival_ms >= ts) {
        it.from = r.counter;
        break;
      }
    }
  } else {
    return Fail(Validation("1 validation error detected: Value '" + type +
                           "' at 'shardIteratorType' failed to satisfy constraint: Member must "
                           "satisfy enum value set: [AFTER_SEQUENCE_NUMBER, AT_SEQUENCE_NUMBER, "
                           "AT_TIMESTAMP, TRIM_HORIZON, LATEST]"));
  }
  return Ok({{"ShardIterator", EncodeIterator(it)}});
}

void GetRecords(StreamStore& store, const Context& ctx, const json& in, Reply& reply) {
  const std::string text = Str(in, "ShardIterator");
  if (text.empty()) {
    return reply(
        Fail(Validation("1 validation error detected: Value null at 'shardIterator' "
                        "failed to satisfy constraint: Member must not be null")));
  }
  const int64_t limit = Int(in, "Limit").value_or(10000);
  if (limit < 1 || limit > 10000) {
    return reply(Fail(
        Validation("1 validation error detected: Value '" + std::to_string(limit) +
                   "' at 'limit' failed to satisfy constraint: Member must have value " +
                   (limit < 1 ? "greater than or equal to 1" : "less than or equal to 10000"))));
  }
  auto it = DecodeIterator(text);
  if (!it) return reply(Fail(Invalid("Invalid ShardIterator.")));
  Stream* s = store.FindByArn(it->arn);
  if (!s || s->created_ms != it->created_ms || s->account != ctx.account) {
    const std::string name = it->arn.substr(std::min(it->arn.size(), it->arn.find('/') + 1));
    return reply(Fail(StreamNotFound(name, ctx.account)));
  }
  const int64_t now = store.Now();
  if (now - it->issued_ms > kIteratorLifeMs) {
    return reply(
        Fail(Error{400, "ExpiredIteratorException",
                   "Iterator expired. The iterator was created at time " + JavaDate(it->issued_ms) +
                       " while right now it is " + JavaDate(now) +
                       " which is further in the future than the tolerated delay of "
                       "300000 milliseconds."}));
  }
  Shard* sh = s->FindShard(ShardId(it->shard));
  if (!sh) return reply(Fail(Invalid("Invalid ShardIterator.")));
  const size_t end = store.Readable(*sh);
  size_t i = store.LowerBound(*sh, it->from);
  json records = json::array();
  int64_t bytes = 0;
  int64_t next = it->from;
  for (; i < end && static_cast<int64_t>(records.size()) < limit; ++i) {
    const Record& r = sh->records[i];
    const int64_t size = static_cast<int64_t>(r.data.size() + r.partition_key.size());
    if (!records.empty() && bytes + size > kMaxGetBytes) break;
    bytes += size;
    records.push_back({{"SequenceNumber", FormatSequence(sh->index, r.counter)},
                       {"ApproximateArrivalTimestamp", EpochSeconds(r.arrival_ms)},
                       {"Data", Base64Encode(r.data)},
                       {"PartitionKey", r.partition_key}});
    next = r.counter + 1;
  }
  if (!store.AdmitRead(*sh, bytes)) {
    return reply(Fail(Error{400, "ProvisionedThroughputExceededException",
                            "Rate exceeded for shard " + sh->Id() + " in stream " + s->name +
                                " under account " + s->account + "."}));
  }
  json out = {{"Records", std::move(records)}};
  const bool caught_up = i >= end;
  out["MillisBehindLatest"] = caught_up ? 0 : std::max<int64_t>(0, now - sh->records[i].arrival_ms);
  if (!sh->open() && caught_up && end == sh->records.size()) {
    out["NextShardIterator"] = nullptr;
    json children = json::array();
    for (const Shard& c : s->shards) {
      if (c.parent != sh->Id() && c.adjacent_parent != sh->Id()) continue;
      json parents = json::array({c.parent});
      if (!c.adjacent_parent.empty()) parents.push_back(c.adjacent_parent);
      children.push_back({{"ShardId", c.Id()},
                          {"ParentShards", parents},
                          {"HashKeyRange",
                           {{"StartingHashKey", FormatHashKey(c.start_hash)},
                            {"EndingHashKey", FormatHashKey(c.end_hash)}}}});
    }
    out["ChildShards"] = std::move(children);
  } else {
    Iterator n = *it;
    n.from = next;
    n.issued_ms = now;
    out["NextShardIterator"] = EncodeIterator(n);
  }
  reply(Ok(std::move(out)));
}

}  // namespace

bool ExecuteRecordOp(StreamStore& store, const Context& ctx, std::string_view op, const json& in,
                     Reply& reply) {
  if (op == "GetRecords") {
    GetRecords(store, ctx, in, reply);
    return true;
  }
  if (op != "PutRecord" && op != "PutRecords" && op != "GetShardIterator") return false;
  Found f = FindStream(store, ctx, in);
  if (f.error) {
    reply(Fail(*f.error));
    return true;
  }
  if (op == "PutRecord") {
    PutRecord(store, *f.stream, in, reply);
  } else if (op == "PutRecords") {
    PutRecords(store, *f.stream, in, reply);
  } else {
    reply(GetShardIterator(store, *f.stream, in));
  }
  return true;
}

}  // namespace thaw::kinesis
