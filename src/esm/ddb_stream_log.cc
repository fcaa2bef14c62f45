#include "esm/ddb_stream_log.h"

#include <algorithm>

namespace thaw::esm {

using nlohmann::json;

namespace {

const dynamodb::Shard* FindShard(const dynamodb::Stream& s, const std::string& id) {
  for (const auto& sh : s.shards) {
    if (sh.id == id) return &sh;
  }
  return nullptr;
}

}  // namespace

dynamodb::Stream* DdbStreamLog::Find() {
  dynamodb::Stream* s = store_.FindStream(arn_);
  if (!s) return nullptr;
  // A disabled stream stays readable for the retention period.
  if (!s->enabled && store_.Now() - s->disabled_ms >= store_.options().retention_ms) return nullptr;
  return s;
}

std::vector<ShardInfo> DdbStreamLog::Shards() {
  std::vector<ShardInfo> out;
  dynamodb::Stream* s = Find();
  if (!s) return out;
  store_.Maintain(*s);
  for (const auto& sh : s->shards) {
    bool parent_kept = FindShard(*s, sh.parent) != nullptr;
    out.push_back({sh.id, parent_kept ? sh.parent : "", sh.end != 0, ""});
  }
  return out;
}

bool DdbStreamLog::Range(dynamodb::Stream& s, const dynamodb::Shard& shard,
                         const std::string& after, int64_t& from, int64_t& last) const {
  from = shard.start;
  if (!after.empty()) {
    auto seq = dynamodb::ParseSequence(after);
    if (seq) from = std::max(from, *seq + 1);
  }
  from = std::max(from, s.trimmed_through + 1);
  last = shard.end ? std::min(shard.end, store_.committed_seq()) : store_.committed_seq();
  return from <= last;
}

std::vector<LogRecord> DdbStreamLog::Read(const std::string& shard_id, const std::string& after,
                                          size_t max) {
  std::vector<LogRecord> out;
  dynamodb::Stream* s = Find();
  if (!s) return out;
  const dynamodb::Shard* shard = FindShard(*s, shard_id);
  int64_t from = 0;
  int64_t last = 0;
  if (!shard || !Range(*s, *shard, after, from, last)) return out;
  for (auto r = s->records.lower_bound(from);
       r != s->records.end() && r->first <= last && out.size() < max; ++r) {
    LogRecord rec;
    rec.seq = dynamodb::FormatSequence(r->first);
    rec.arrival_ms = r->second.created_ms;
    rec.event = r->second.record;
    rec.event["eventSourceARN"] = arn_;
    if (rec.event.contains("userIdentity")) {
      const json& u = rec.event["userIdentity"];
      rec.event["userIdentity"] = {{"type", u.value("Type", "")},
                                   {"principalId", u.value("PrincipalId", "")}};
    }
    rec.partition_key = rec.event["dynamodb"].value("Keys", json::object()).dump();
    rec.text = rec.event.dump();  // dumped once, for the size and the event
    rec.bytes = static_cast<int64_t>(rec.text.size());
    out.push_back(std::move(rec));
  }
  return out;
}

std::string DdbStreamLog::Latest(const std::string& shard_id) {
  dynamodb::Stream* s = Find();
  const dynamodb::Shard* shard = s ? FindShard(*s, shard_id) : nullptr;
  if (!shard) return "";
  if (shard->end) return dynamodb::FormatSequence(shard->end);
  return dynamodb::FormatSequence(std::max(shard->start - 1, store_.committed_seq()));
}

std::string DdbStreamLog::AtTimestamp(const std::string& shard_id, int64_t ms) {
  dynamodb::Stream* s = Find();
  const dynamodb::Shard* shard = s ? FindShard(*s, shard_id) : nullptr;
  int64_t from = 0;
  int64_t last = 0;
  if (!shard || !Range(*s, *shard, "", from, last)) return Latest(shard_id);
  for (auto r = s->records.lower_bound(from); r != s->records.end() && r->first <= last; ++r) {
    if (r->second.created_ms >= ms) return dynamodb::FormatSequence(r->first - 1);
  }
  return Latest(shard_id);
}

bool DdbStreamLog::Finished(const std::string& shard_id, const std::string& after) {
  dynamodb::Stream* s = Find();
  const dynamodb::Shard* shard = s ? FindShard(*s, shard_id) : nullptr;
  if (!shard) return true;  // trimmed away
  if (!shard->end || shard->end > store_.committed_seq()) return false;
  return Behind(shard_id, after) == 0;
}

int64_t DdbStreamLog::Behind(const std::string& shard_id, const std::string& after) {
  dynamodb::Stream* s = Find();
  const dynamodb::Shard* shard = s ? FindShard(*s, shard_id) : nullptr;
  int64_t from = 0;
  int64_t last = 0;
  if (!shard || !Range(*s, *shard, after, from, last)) return 0;
  auto a = s->records.lower_bound(from);
  auto b = s->records.upper_bound(last);
  return static_cast<int64_t>(std::distance(a, b));
}

std::shared_ptr<void> DdbStreamLog::Listen(std::function<void()> wake) {
  return store_.ListenStreams(std::move(wake));
}

}  // namespace thaw::esm
