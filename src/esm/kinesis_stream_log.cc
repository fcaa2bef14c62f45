#include "esm/kinesis_stream_log.h"

#include <cstdio>

#include "base/codec.h"

namespace thaw::esm {

using nlohmann::json;

namespace {

// Appends `s` as a JSON string, escaped as nlohmann::json dumps it (other bytes as they are).
void AppendQuoted(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

}  // namespace

std::string KinesisEventText(const kinesis::RecordView& r, const std::string& shard_id,
                             const std::string& stream_arn, const std::string& role_arn) {
  // Written out rather than built as a json tree and dumped (a batch's worth of records each
  // time), keys in the order nlohmann::json dumps them.
  std::string out;
  out.reserve(320 + r.data.size() * 4 / 3 + r.partition_key.size() + stream_arn.size() +
              role_arn.size());
  out += R"({"awsRegion":")";
  out += kinesis::kRegion;
  out += R"(","eventID":)";
  out += '"';
  out += shard_id;  // shardId-000000000000
  out += ':';
  out += r.sequence_number;  // digits
  out += '"';
  out += R"(,"eventName":"aws:kinesis:record","eventSource":"aws:kinesis","eventSourceARN":)";
  AppendQuoted(out, stream_arn);
  out += R"(,"eventVersion":"1.0","invokeIdentityArn":)";
  AppendQuoted(out, role_arn);
  // Epoch seconds with the milliseconds as the fraction, as a JSON number (1545084650.987).
  char when[96];
  std::snprintf(when, sizeof(when), R"(,"kinesis":{"approximateArrivalTimestamp":%lld.%03lld)",
                static_cast<long long>(r.arrival_ms / 1000),
                static_cast<long long>(r.arrival_ms % 1000));
  out += when;
  out += R"(,"data":")";
  out += Base64Encode(r.data);
  out += R"(","kinesisSchemaVersion":"1.0","partitionKey":)";
  AppendQuoted(out, r.partition_key);
  out += R"(,"sequenceNumber":)";
  out += '"';
  out += r.sequence_number;
  out += '"';
  out += "}}";
  return out;
}

json KinesisEventRecord(const kinesis::RecordView& r, const std::string& shard_id,
                        const std::string& stream_arn, const std::string& role_arn) {
  return json::parse(KinesisEventText(r, shard_id, stream_arn, role_arn), nullptr, false);
}

bool KinesisStreamLog::Exists() {
  kinesis::Stream* s = store_.FindByArn(arn_);
  return s && s->status != "DELETING";
}

std::vector<ShardInfo> KinesisStreamLog::Shards() {
  std::vector<ShardInfo> out;
  auto shards = store_.Shards(arn_);
  if (!shards.ok()) return out;
  for (const kinesis::ShardInfo& sh : *shards) {
    out.push_back({sh.shard_id, sh.parent, !sh.open, sh.adjacent_parent});
  }
  return out;
}

std::vector<LogRecord> KinesisStreamLog::Read(const std::string& shard, const std::string& after,
                                              size_t max) {
  std::vector<LogRecord> out;
  auto read = store_.Read(arn_, shard, after, max);
  if (!read.ok()) return out;
  for (const kinesis::RecordView& r : read->records) {
    LogRecord rec;
    rec.seq = r.sequence_number;
    rec.arrival_ms = r.arrival_ms;
    rec.partition_key = r.partition_key;
    rec.text = KinesisEventText(r, shard, arn_, role_);
    rec.bytes = static_cast<int64_t>(rec.text.size());
    out.push_back(std::move(rec));
  }
  return out;
}

std::string KinesisStreamLog::Latest(const std::string& shard) {
  auto p = store_.LatestPosition(arn_, shard);
  return p.ok() ? *p : "";
}

std::string KinesisStreamLog::AtTimestamp(const std::string& shard, int64_t ms) {
  auto p = store_.TimestampPosition(arn_, shard, ms);
  return p.ok() ? *p : Latest(shard);
}

bool KinesisStreamLog::Finished(const std::string& shard, const std::string& after) {
  auto read = store_.Read(arn_, shard, after, 1);
  if (!read.ok()) return true;  // gone (trimmed or deleted)
  return read->records.empty() && read->shard_ended;
}

int64_t KinesisStreamLog::Behind(const std::string& shard_id, const std::string& after) {
  kinesis::Stream* s = store_.FindByArn(arn_);
  kinesis::Shard* sh = s ? s->FindShard(shard_id) : nullptr;
  if (!sh) return 0;
  int64_t from = 0;
  if (!after.empty()) {
    auto p = kinesis::ParseSequence(after);
    if (p) from = p->counter + 1;
  }
  const size_t end = store_.Readable(*sh);
  const size_t first = store_.LowerBound(*sh, from);
  return first < end ? static_cast<int64_t>(end - first) : 0;
}

std::shared_ptr<void> KinesisStreamLog::Listen(std::function<void()> wake) {
  const std::string arn = arn_;
  const uint64_t id = store_.Listen([arn, wake = std::move(wake)](const std::string& changed) {
    if (changed == arn) wake();
  });
  kinesis::StreamStore* store = &store_;
  return std::shared_ptr<void>(nullptr, [store, id](void*) { store->Unlisten(id); });
}

}  // namespace thaw::esm
