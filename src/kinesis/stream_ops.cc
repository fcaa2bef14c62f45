// The stream operations: create, describe, list, delete, retention, tags, resharding, record
// size, consumers (a registry only: SubscribeToShard is refused).
#include <algorithm>
#include <regex>

#include "base/codec.h"
#include "kinesis/operations.h"

namespace thaw::kinesis {

namespace {

constexpr int kShardLimit = 500;  // open shards per account
constexpr int kOnDemandShards = 4;
constexpr size_t kMaxTags = 50;

Outcome Ok(json output = json::object()) {
  Outcome o;
  o.output = std::move(output);
  return o;
}

Error InUse(std::string message) {
  return Error{400, "ResourceInUseException", std::move(message)};
}

Error NotActive(const Stream& s) {
  return InUse("Stream " + s.name + " under account " + s.account +
               " not ACTIVE, instead in state " + s.status);
}

json ShardJson(const Shard& sh) {
  json j = {{"ShardId", sh.Id()},
            {"HashKeyRange",
             {{"StartingHashKey", FormatHashKey(sh.start_hash)},
              {"EndingHashKey", FormatHashKey(sh.end_hash)}}},
            {"SequenceNumberRange",
             {{"StartingSequenceNumber", FormatSequence(sh.index, sh.start_counter)}}}};
  if (!sh.parent.empty()) j["ParentShardId"] = sh.parent;
  if (!sh.adjacent_parent.empty()) j["AdjacentParentShardId"] = sh.adjacent_parent;
  if (!sh.open()) {
    j["SequenceNumberRange"]["EndingSequenceNumber"] = FormatSequence(sh.index, sh.end_counter);
  }
  return j;
}

json Mode(const Stream& s) { return {{"StreamMode", s.mode}}; }

json Summary(const Stream& s) {
  return {{"StreamName", s.name},
          {"StreamARN", s.Arn()},
          {"StreamStatus", s.status},
          {"StreamModeDetails", Mode(s)},
          {"StreamCreationTimestamp", EpochSeconds(s.created_ms)}};
}

bool ValidName(const std::string& name) {
  static const std::regex kName("[a-zA-Z0-9_.-]{1,128}");
  return std::regex_match(name, kName);
}

int OpenShards(StreamStore& store, const std::string& account) {
  int n = 0;
  for (Stream* s : store.List(account)) n += s->OpenShardCount();
  return n;
}

std::optional<Error> ShardLimit(StreamStore& store, const std::string& account, int more) {
  const int current = OpenShards(store, account);
  if (current + more <= kShardLimit) return std::nullopt;
  return Error{400, "LimitExceededException",
               "This request would exceed the shard limit for the account " + account +
                   " in us-east-1. Current shard count for the account: " +
                   std::to_string(current) + ". Limit: " + std::to_string(kShardLimit) +
                   ". Number of additional shards that would have resulted from this request: " +
                   std::to_string(more) + "."};
}

std::optional<Error> ParseTags(const json& tags, std::map<std::string, std::string>& out) {
  if (tags.is_null()) return std::nullopt;
  if (!tags.is_object()) return Validation("Tags must be a map.");
  for (const auto& [k, v] : tags.items()) {
    if (k.empty() || k.size() > 128) {
      return Invalid("Tag key " + k + " must be between 1 and 128 characters.");
    }
    if (!v.is_string() || v.get<std::string>().size() > 256) {
      return Invalid("Tag value of key " + k + " must be at most 256 characters.");
    }
    out[k] = v.get<std::string>();
  }
  return std::nullopt;
}

std::optional<Error> AddTags(Stream& s, const json& tags) {
  std::map<std::string, std::string> add;
  if (auto e = ParseTags(tags, add)) return e;
  auto merged = s.tags;
  for (auto& [k, v] : add) merged[k] = v;
  if (merged.size() > kMaxTags) {
    return Invalid("Failed to add tags to stream " + s.name + " under account " + s.account +
                   " because a given stream cannot have more than 50 tags associated with it.");
  }
  s.tags = std::move(merged);
  return std::nullopt;
}

json TagList(const Stream& s) {
  json out = json::array();
  for (const auto& [k, v] : s.tags) out.push_back({{"Key", k}, {"Value", v}});
  return out;
}

// The stream of a ResourceARN (TagResource and friends): a stream's or a consumer's.
Found FindResource(StreamStore& store, const Context& ctx, const json& input) {
  std::string arn = Str(input, "ResourceARN");
  if (auto c = arn.find("/consumer/"); c != std::string::npos) arn.resize(c);
  return FindStream(store, ctx, json{{"StreamARN", arn}});
}

Outcome CreateStream(StreamStore& store, const Context& ctx, const json& in) {
  const std::string name = Str(in, "StreamName");
  if (!ValidName(name)) {
    return Fail(Validation("1 validation error detected: Value '" + name +
                           "' at 'streamName' failed to satisfy constraint: Member must satisfy "
                           "regular expression pattern: [a-zA-Z0-9_.-]+"));
  }
  std::string mode = "PROVISIONED";
  if (in.contains("StreamModeDetails")) mode = Str(in["StreamModeDetails"], "StreamMode");
  if (mode != "PROVISIONED" && mode != "ON_DEMAND") {
    return Fail(Validation("1 validation error detected: Value '" + mode +
                           "' at 'streamModeDetails.streamMode' failed to satisfy constraint: "
                           "Member must satisfy enum value set: [ON_DEMAND, PROVISIONED]"));
  }
  auto count = Int(in, "ShardCount");
  if (mode == "ON_DEMAND") {
    if (count) return Fail(Invalid("ShardCount is not supported for ON_DEMAND streams."));
    count = kOnDemandShards;
  } else if (!count) {
    return Fail(Invalid("ShardCount is missing for a PROVISIONED stream."));
  }
  if (*count < 1 || *count > 100000) {
    return Fail(Validation("1 validation error detected: Value '" + std::to_string(*count) +
                           "' at 'shardCount' failed to satisfy constraint: Member must have "
                           "value greater than or equal to 1"));
  }
  int64_t kib = Int(in, "MaxRecordSizeInKiB").value_or(1024);
  if (kib < 1024 || kib > 10240) {
    return Fail(Validation("1 validation error detected: Value '" + std::to_string(kib) +
                           "' at 'maxRecordSizeInKiB' failed to satisfy constraint: Member must "
                           "have value between 1024 and 10240"));
  }
  if (store.Find(ctx.account, name)) {
    return Fail(InUse("Stream " + name + " under account " + ctx.account + " already exists."));
  }
  if (auto e = ShardLimit(store, ctx.account, static_cast<int>(*count))) return Fail(*e);
  std::map<std::string, std::string> tags;
  if (in.contains("Tags")) {
    if (auto e = ParseTags(in["Tags"], tags)) return Fail(*e);
  }
  store.Create(ctx.account, name, static_cast<int>(*count), mode, kib, std::move(tags));
  return Ok();
}

Outcome DescribeStream(const Stream& s, const json& in) {
  auto limit = Int(in, "Limit").value_or(100);
  if (limit < 1 || limit > 10000) {
    return Fail(Validation("1 validation error detected: Value '" + std::to_string(limit) +
                           "' at 'limit' failed to satisfy constraint: Member must have value "
                           "less than or equal to 10000"));
  }
  limit = std::min<int64_t>(limit, 100);
  const std::string start = Str(in, "ExclusiveStartShardId");
  json shards = json::array();
  bool more = false;
  for (const Shard& sh : s.shards) {
    if (!start.empty() && sh.Id() <= start) continue;
    if (static_cast<int64_t>(shards.size()) >= limit) {
      more = true;
      break;
    }
    shards.push_back(ShardJson(sh));
  }
  json d = Summary(s);
  d["Shards"] = std::move(shards);
  d["HasMoreShards"] = more;
  d["RetentionPeriodHours"] = s.retention_hours;
  d["EnhancedMonitoring"] = json::array({{{"ShardLevelMetrics", json::array()}}});
  d["EncryptionType"] = "NONE";
  return Ok({{"StreamDescription", std::move(d)}});
}

Outcome DescribeStreamSummary(const Stream& s) {
  json d = Summary(s);
  d["RetentionPeriodHours"] = s.retention_hours;
  d["EnhancedMonitoring"] = json::array({{{"ShardLevelMetrics", json::array()}}});
  d["EncryptionType"] = "NONE";
  d["OpenShardCount"] = s.OpenShardCount();
  d["ConsumerCount"] = s.consumers.size();
  d["MaxRecordSizeInKiB"] = s.max_record_kib;
  return Ok({{"StreamDescriptionSummary", std::move(d)}});
}

Outcome ListStreams(StreamStore& store, const Context& ctx, const json& in) {
  auto limit = Int(in, "Limit").value_or(100);
  if (limit < 1 || limit > 10000) {
    return Fail(Validation("1 validation error detected: Value '" + std::to_string(limit) +
                           "' at 'limit' failed to satisfy constraint: Member must have value "
                           "less than or equal to 10000"));
  }
  std::string start = Str(in, "ExclusiveStartStreamName");
  if (const std::string token = Str(in, "NextToken"); !token.empty()) {
    auto raw = Base64Decode(token);
    if (!raw || !raw->starts_with("s:")) return Fail(Invalid("NextToken is invalid."));
    start = raw->substr(2);
  }
  json names = json::array();
  json summaries = json::array();
  bool more = false;
  std::string last;
  for (Stream* s : store.List(ctx.account)) {
    if (!start.empty() && s->name <= start) continue;
    if (static_cast<int64_t>(names.size()) >= limit) {
      more = true;
      break;
    }
    names.push_back(s->name);
    summaries.push_back(Summary(*s));
    last = s->name;
  }
  json out = {{"StreamNames", names}, {"HasMoreStreams", more}, {"StreamSummaries", summaries}};
  if (more) out["NextToken"] = Base64Encode("s:" + last);
  return Ok(std::move(out));
}

Outcome ListShards(StreamStore& store, const Context& ctx, const json& in) {
  const std::string token = Str(in, "NextToken");
  json query = in;
  std::string after = Str(in, "ExclusiveStartShardId");
  if (!token.empty()) {
    if (in.contains("StreamName") || in.contains("StreamARN")) {
      return Fail(Invalid("NextToken and StreamName cannot be provided together."));
    }
    auto raw = Base64Decode(token);
    json t = raw ? json::parse(*raw, nullptr, false) : json();
    if (!t.is_object() || !t["arn"].is_string() || !t["after"].is_string() ||
        !t["t"].is_number_integer()) {
      return Fail(Invalid("Invalid NextToken."));
    }
    if (store.Now() - t["t"].get<int64_t>() > 300000) {
      return Fail(Error{400, "ExpiredNextTokenException",
                        "The timestamp of the NextToken " + token + " has expired."});
    }
    query = {{"StreamARN", t["arn"]}};
    if (t.contains("filter")) query["ShardFilter"] = t["filter"];
    after = t["after"].get<std::string>();
  }
  Found f = FindStream(store, ctx, query);
  if (f.error) return Fail(*f.error);
  Stream& s = *f.stream;
  auto max = Int(in, "MaxResults").value_or(1000);
  if (max < 1 || max > 10000) {
    return Fail(Validation("1 validation error detected: Value '" + std::to_string(max) +
                           "' at 'maxResults' failed to satisfy constraint: Member must have "
                           "value less than or equal to 10000"));
  }
  const json filter = query.value("ShardFilter", json());
  const std::string type = Str(filter, "Type");
  int64_t ts_ms = 0;
  if (filter.is_object() && filter.contains("Timestamp") && filter["Timestamp"].is_number()) {
    ts_ms = EpochMillis(filter["Timestamp"]);
  }
  if (type == "AFTER_SHARD_ID") {
    const std::string id = Str(filter, "ShardId");
    if (id.empty()) return Fail(Invalid("ShardId is required for the AFTER_SHARD_ID filter."));
    after = std::max(after, id);
  }
  json shards = json::array();
  bool more = false;
  std::string last;
  for (const Shard& sh : s.shards) {
    if (!after.empty() && sh.Id() <= after) continue;
    if (type == "AT_LATEST" && !sh.open()) continue;
    if ((type == "AT_TIMESTAMP" || type == "FROM_TIMESTAMP") && !sh.open() &&
        sh.closed_ms < ts_ms) {
      continue;
    }
    if (static_cast<int64_t>(shards.size()) >= max) {
      more = true;
      break;
    }
    shards.push_back(ShardJson(sh));
    last = sh.Id();
  }
  json out = {{"Shards", shards}};
  if (more) {
    json t = {{"arn", s.Arn()}, {"after", last}, {"t", store.Now()}};
    if (!filter.is_null()) t["filter"] = filter;
    out["NextToken"] = Base64Encode(t.dump());
  }
  return Ok(std::move(out));
}

Outcome Retention(StreamStore& store, Stream& s, const json& in, bool increase) {
  auto hours = Int(in, "RetentionPeriodHours");
  if (!hours) return Fail(Validation("RetentionPeriodHours is required."));
  if (*hours < 24) {
    return Fail(
        Invalid("Minimum allowed retention period is 24 hours. Requested retention period"
                " (" +
                std::to_string(*hours) + " hours) is too short."));
  }
  if (*hours > 8760) {
    return Fail(
        Invalid("Maximum allowed retention period is 8760 hours. Requested retention "
                "period (" +
                std::to_string(*hours) + " hours) is too long."));
  }
  if (increase && *hours < s.retention_hours) {
    return Fail(
        Invalid("Requested retention period (" + std::to_string(*hours) + " hours) for stream " +
                s.name + " can not be shorter than existing retention period (" +
                std::to_string(s.retention_hours) + " hours). Use DecreaseRetentionPeriod API."));
  }
  if (!increase && *hours > s.retention_hours) {
    return Fail(
        Invalid("Requested retention period (" + std::to_string(*hours) + " hours) for stream " +
                s.name + " can not be longer than existing retention period (" +
                std::to_string(s.retention_hours) + " hours). Use IncreaseRetentionPeriod API."));
  }
  s.retention_hours = *hours;
  store.Save(s);
  if (!increase) store.Trim();
  return Ok();
}

Outcome SplitShard(StreamStore& store, Stream& s, const json& in) {
  if (s.status != "ACTIVE") return Fail(NotActive(s));
  const std::string id = Str(in, "ShardToSplit");
  const std::string key = Str(in, "NewStartingHashKey");
  Shard* sh = s.FindShard(id);
  if (!sh) {
    return Fail(Error{400, "ResourceNotFoundException",
                      "Could not find shard " + id + " in stream " + s.name + " under account " +
                          s.account + "."});
  }
  if (!sh->open()) {
    return Fail(InUse("Shard " + id + " in stream " + s.name + " under account " + s.account +
                      " has already been merged or split, and thus is not eligible for "
                      "splitting."));
  }
  auto hash = ParseHashKey(key);
  if (!hash || *hash <= sh->start_hash || *hash > sh->end_hash) {
    return Fail(Invalid("NewStartingHashKey " + key + " used in SplitShard() on shard " + id +
                        " in stream " + s.name + " under account " + s.account +
                        " is not both greater than one plus the shard's StartingHashKey " +
                        FormatHashKey(sh->start_hash) +
                        " and less than the shard's EndingHashKey " + FormatHashKey(sh->end_hash) +
                        "."));
  }
  if (auto e = ShardLimit(store, s.account, 1)) return Fail(*e);
  store.Split(s, *sh, *hash);
  return Ok();
}

Outcome MergeShards(StreamStore& store, Stream& s, const json& in) {
  if (s.status != "ACTIVE") return Fail(NotActive(s));
  const std::string a_id = Str(in, "ShardToMerge");
  const std::string b_id = Str(in, "AdjacentShardToMerge");
  Shard* a = s.FindShard(a_id);
  Shard* b = s.FindShard(b_id);
  for (auto [sh, id] : {std::pair{a, a_id}, std::pair{b, b_id}}) {
    if (!sh) {
      return Fail(Error{400, "ResourceNotFoundException",
                        "Could not find shard " + id + " in stream " + s.name + " under account " +
                            s.account + "."});
    }
    if (!sh->open()) {
      return Fail(InUse("Shard " + id + " in stream " + s.name + " under account " + s.account +
                        " has already been merged or split, and thus is not eligible for "
                        "merging."));
    }
  }
  const bool adjacent = (a->end_hash != kMaxHashKey && a->end_hash + 1 == b->start_hash) ||
                        (b->end_hash != kMaxHashKey && b->end_hash + 1 == a->start_hash);
  if (!adjacent || a == b) {
    return Fail(Invalid("shardToMerge " + a_id + " and adjacentShardToMerge " + b_id +
                        " in stream " + s.name + " under account " + s.account +
                        " are not adjacent. Shards are adjacent if the EndingHashKey of one is "
                        "one less than the StartingHashKey of the other."));
  }
  store.Merge(s, *a, *b);
  return Ok();
}

Outcome UpdateShardCount(StreamStore& store, Stream& s, const json& in) {
  if (s.mode == "ON_DEMAND") {
    return Fail(Validation("Request is invalid. Stream " + s.name + " under account " + s.account +
                           " is in On-Demand mode."));
  }
  if (s.status != "ACTIVE") return Fail(NotActive(s));
  auto target = Int(in, "TargetShardCount");
  if (Str(in, "ScalingType") != "UNIFORM_SCALING") {
    return Fail(Validation("1 validation error detected: Value '" + Str(in, "ScalingType") +
                           "' at 'scalingType' failed to satisfy constraint: Member must satisfy "
                           "enum value set: [UNIFORM_SCALING]"));
  }
  if (!target || *target < 1) {
    return Fail(
        Validation("1 validation error detected: Value at 'targetShardCount' failed to "
                   "satisfy constraint: Member must have value greater than or equal "
                   "to 1"));
  }
  const int current = s.OpenShardCount();
  if (*target > int64_t{2} * current || *target * 2 < current) {
    return Fail(Invalid("UpdateShardCount " + std::string(*target > current ? "above" : "below") +
                        " the limit: TargetShardCount " + std::to_string(*target) +
                        " must be between half and double the current shard count " +
                        std::to_string(current) + " for stream " + s.name + " under account " +
                        s.account + "."));
  }
  if (auto e = ShardLimit(store, s.account, static_cast<int>(*target) - current)) return Fail(*e);
  if (*target != current) store.Rescale(s, static_cast<int>(*target));
  return Ok({{"StreamName", s.name},
             {"StreamARN", s.Arn()},
             {"CurrentShardCount", current},
             {"TargetShardCount", *target}});
}

json ConsumerJson(const Consumer& c, const Stream* s) {
  json j = {{"ConsumerName", c.name},
            {"ConsumerARN", c.arn},
            {"ConsumerStatus", c.status},
            {"ConsumerCreationTimestamp", EpochSeconds(c.created_ms)}};
  if (s) j["StreamARN"] = s->Arn();
  return j;
}

Consumer* FindConsumer(Stream& s, const json& in) {
  const std::string name = Str(in, "ConsumerName");
  const std::string arn = Str(in, "ConsumerARN");
  for (Consumer& c : s.consumers) {
    if ((!arn.empty() && c.arn == arn) || (arn.empty() && c.name == name)) return &c;
  }
  return nullptr;
}

// The stream of a consumer request: StreamARN, or the stream part of ConsumerARN.
Found ConsumerStream(StreamStore& store, const Context& ctx, const json& in) {
  std::string arn = Str(in, "StreamARN");
  if (arn.empty()) {
    arn = Str(in, "ConsumerARN");
    if (auto c = arn.find("/consumer/"); c != std::string::npos) arn.resize(c);
  }
  if (arn.empty()) return Found{nullptr, Validation("StreamARN or ConsumerARN is required.")};
  return FindStream(store, ctx, json{{"StreamARN", arn}});
}

Outcome ConsumerOp(StreamStore& store, const Context& ctx, std::string_view op, const json& in) {
  Found f = ConsumerStream(store, ctx, in);
  if (f.error) return Fail(*f.error);
  Stream& s = *f.stream;
  if (op == "ListStreamConsumers") {
    json list = json::array();
    for (const Consumer& c : s.consumers) list.push_back(ConsumerJson(c, nullptr));
    return Ok({{"Consumers", list}});
  }
  if (op == "RegisterStreamConsumer") {
    const std::string name = Str(in, "ConsumerName");
    if (!ValidName(name)) {
      return Fail(Validation("1 validation error detected: Value '" + name +
                             "' at 'consumerName' failed to satisfy constraint: Member must "
                             "satisfy regular expression pattern: [a-zA-Z0-9_.-]+"));
    }
    for (const Consumer& c : s.consumers) {
      if (c.name == name) {
        return Fail(
            InUse("Consumer " + c.arn + " under account " + s.account + " already exists."));
      }
    }
    if (s.consumers.size() >= 20) {
      return Fail(Error{400, "LimitExceededException",
                        "Consumer limit of 20 reached for stream " + s.Arn() + "."});
    }
    Consumer c;
    c.name = name;
    c.created_ms = store.Now();
    c.arn = s.Arn() + "/consumer/" + name + ":" + std::to_string(c.created_ms / 1000);
    s.consumers.push_back(c);
    store.Save(s);
    return Ok({{"Consumer", ConsumerJson(c, nullptr)}});
  }
  Consumer* c = FindConsumer(s, in);
  if (!c) {
    const std::string which =
        in.contains("ConsumerARN") ? Str(in, "ConsumerARN") : Str(in, "ConsumerName");
    return Fail(Error{400, "ResourceNotFoundException",
                      "Consumer " + which + ", account " + s.account + " not found."});
  }
  if (op == "DescribeStreamConsumer") {
    return Ok({{"ConsumerDescription", ConsumerJson(*c, &s)}});
  }
  // DeregisterStreamConsumer
  s.consumers.erase(s.consumers.begin() + (c - s.consumers.data()));
  store.Save(s);
  return Ok();
}

}  // namespace

bool ExecuteStreamOp(StreamStore& store, const Context& ctx, std::string_view op, const json& in,
                     Reply& reply) {
  if (op == "CreateStream") {
    reply(CreateStream(store, ctx, in));
    return true;
  }
  if (op == "ListStreams") {
    reply(ListStreams(store, ctx, in));
    return true;
  }
  if (op == "ListShards") {
    reply(ListShards(store, ctx, in));
    return true;
  }
  if (op == "DescribeLimits") {
    int on_demand = 0;
    for (Stream* s : store.List(ctx.account)) on_demand += s->mode == "ON_DEMAND" ? 1 : 0;
    reply(Ok({{"ShardLimit", kShardLimit},
              {"OpenShardCount", OpenShards(store, ctx.account)},
              {"OnDemandStreamCount", on_demand},
              {"OnDemandStreamCountLimit", 50}}));
    return true;
  }
  if (op == "RegisterStreamConsumer" || op == "DescribeStreamConsumer" ||
      op == "ListStreamConsumers" || op == "DeregisterStreamConsumer") {
    reply(ConsumerOp(store, ctx, op, in));
    return true;
  }
  if (op == "SubscribeToShard") {
    reply(Fail(Error{400, "UnsupportedOperationException",
                     "SubscribeToShard (enhanced fan-out over an HTTP/2 event stream) is not "
                     "supported by thaw; read the shard with GetShardIterator and GetRecords."}));
    return true;
  }
  const bool by_resource =
      op == "TagResource" || op == "UntagResource" || op == "ListTagsForResource";
  static constexpr std::string_view kOps[] = {"DeleteStream",
                                              "DescribeStream",
                                              "DescribeStreamSummary",
                                              "IncreaseStreamRetentionPeriod",
                                              "DecreaseStreamRetentionPeriod",
                                              "AddTagsToStream",
                                              "RemoveTagsFromStream",
                                              "ListTagsForStream",
                                              "SplitShard",
                                              "MergeShards",
                                              "UpdateShardCount",
                                              "UpdateMaxRecordSize",
                                              "UpdateStreamMode"};
  if (!by_resource && std::find(std::begin(kOps), std::end(kOps), op) == std::end(kOps)) {
    return false;
  }
  Found f = by_resource ? FindResource(store, ctx, in) : FindStream(store, ctx, in);
  if (f.error) {
    reply(Fail(*f.error));
    return true;
  }
  Stream& s = *f.stream;
  if (op == "DescribeStream") {
    reply(DescribeStream(s, in));
  } else if (op == "DescribeStreamSummary") {
    reply(DescribeStreamSummary(s));
  } else if (op == "DeleteStream") {
    if (!s.consumers.empty() &&
        !(in.contains("EnforceConsumerDeletion") && in["EnforceConsumerDeletion"].is_boolean() &&
          in["EnforceConsumerDeletion"].get<bool>())) {
      reply(Fail(InUse("Stream " + s.name + " under account " + s.account +
                       " has registered consumers. Set EnforceConsumerDeletion to true to "
                       "delete it with them.")));
      return true;
    }
    if (s.status == "DELETING") {
      reply(Fail(NotActive(s)));
      return true;
    }
    store.Delete(s);
    reply(Ok());
  } else if (op == "IncreaseStreamRetentionPeriod" || op == "DecreaseStreamRetentionPeriod") {
    reply(Retention(store, s, in, op[0] == 'I'));
  } else if (op == "AddTagsToStream" || op == "TagResource") {
    if (auto e = AddTags(s, in.value("Tags", json()))) {
      reply(Fail(*e));
      return true;
    }
    store.Save(s);
    reply(Ok());
  } else if (op == "RemoveTagsFromStream" || op == "UntagResource") {
    const json keys = in.value("TagKeys", json::array());
    if (!keys.is_array() || keys.empty() || keys.size() > 50) {
      reply(
          Fail(Validation("1 validation error detected: Value at 'tagKeys' failed to satisfy "
                          "constraint: Member must have length between 1 and 50")));
      return true;
    }
    for (const auto& k : keys) {
      if (k.is_string()) s.tags.erase(k.get<std::string>());
    }
    store.Save(s);
    reply(Ok());
  } else if (op == "ListTagsForStream") {
    const std::string start = Str(in, "ExclusiveStartTagKey");
    const int64_t limit = Int(in, "Limit").value_or(50);
    json tags = json::array();
    bool more = false;
    for (const auto& [k, v] : s.tags) {
      if (!start.empty() && k <= start) continue;
      if (static_cast<int64_t>(tags.size()) >= limit) {
        more = true;
        break;
      }
      tags.push_back({{"Key", k}, {"Value", v}});
    }
    reply(Ok({{"Tags", tags}, {"HasMoreTags", more}}));
  } else if (op == "ListTagsForResource") {
    reply(Ok({{"Tags", TagList(s)}}));
  } else if (op == "SplitShard") {
    reply(SplitShard(store, s, in));
  } else if (op == "MergeShards") {
    reply(MergeShards(store, s, in));
  } else if (op == "UpdateShardCount") {
    reply(UpdateShardCount(store, s, in));
  } else if (op == "UpdateMaxRecordSize") {
    const int64_t kib = Int(in, "MaxRecordSizeInKiB").value_or(0);
    if (kib < 1024 || kib > 10240) {
      reply(Fail(Validation("1 validation error detected: Value '" + std::to_string(kib) +
                            "' at 'maxRecordSizeInKiB' failed to satisfy constraint: Member must "
                            "have value between 1024 and 10240")));
      return true;
    }
    if (s.status != "ACTIVE") {
      reply(Fail(NotActive(s)));
      return true;
    }
    s.max_record_kib = kib;
    store.Save(s);
    reply(Ok());
  } else {  // UpdateStreamMode
    const std::string mode = Str(in.value("StreamModeDetails", json()), "StreamMode");
    if (mode != "PROVISIONED" && mode != "ON_DEMAND") {
      reply(Fail(Validation("1 validation error detected: Value '" + mode +
                            "' at 'streamModeDetails.streamMode' failed to satisfy constraint: "
                            "Member must satisfy enum value set: [ON_DEMAND, PROVISIONED]")));
      return true;
    }
    s.mode = mode;
    store.Save(s);
    store.MarkUpdating(s);
    reply(Ok());
  }
  return true;
}

}  // namespace thaw::kinesis
