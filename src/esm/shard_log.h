// ShardLog: the seam between a stream event source mapping and the stream it reads. A stream is
// a set of shards (each with its parent after a reshard, open or closed) holding records by
// sequence number; StreamPoller reads any stream through it. DynamoDB Streams implement it
// (ddb_stream_log.h); Kinesis is the same small adapter.
// Sequence numbers are decimal strings (Kinesis's do not fit 64 bits): CompareSeq orders them.
// Threads: loop thread only; `wake` runs on the loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace thaw::esm {

// <0, 0, >0 as a is before, equal to, after b ("" is before everything).
int CompareSeq(std::string_view a, std::string_view b);

struct ShardInfo {
  std::string id;
  std::string parent;  // "" for none (or a parent already gone)
  bool closed = false;
  std::string adjacent_parent;  // a Kinesis merge's second parent, "" for none
};

struct LogRecord {
  std::string seq;
  int64_t arrival_ms = 0;
  std::string partition_key;  // the item's keys or the Kinesis partition key
  int64_t bytes = 0;          // its size in the event's JSON
  nlohmann::json event;       // one element of the event's Records, as the function gets it
  // The same as JSON text, when the log writes it directly (then `event` is null until a filter
  // needs it); "" otherwise.
  std::string text;
};

class ShardLog {
 public:
  virtual ~ShardLog() = default;
  // "DDBStreamBatchInfo" or "KinesisBatchInfo": the OnFailure record's key.
  virtual std::string_view batch_info_name() const = 0;
  // Whether the stream is still there to read.
  virtual bool Exists() = 0;
  // Every shard still kept, parents before children.
  virtual std::vector<ShardInfo> Shards() = 0;
  // Up to `max` committed records of `shard` after `after` ("": from the oldest kept).
  virtual std::vector<LogRecord> Read(const std::string& shard, const std::string& after,
                                      size_t max) = 0;
  // The checkpoint that reads only what is committed after now (LATEST).
  virtual std::string Latest(const std::string& shard) = 0;
  // The checkpoint that reads from the first record that arrived at or after `ms`.
  virtual std::string AtTimestamp(const std::string& shard, int64_t ms) = 0;
  // The shard is closed and nothing after `after` is left in it.
  virtual bool Finished(const std::string& shard, const std::string& after) = 0;
  // How many committed records of `shard` follow `after`.
  virtual int64_t Behind(const std::string& shard, const std::string& after) = 0;
  // Calls `wake` on the loop after new records are committed (or shards change) until the
  // returned handle is released.
  virtual std::shared_ptr<void> Listen(std::function<void()> wake) = 0;
};

}  // namespace thaw::esm
