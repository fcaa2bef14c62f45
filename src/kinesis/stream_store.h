// StreamStore: Kinesis streams, their shards and records, per account. Everything is kept in
// memory for reads and mirrored to SQLite (kinesis.db, synchronous=FULL) by a writer thread with
// group commit, as dynamodb/table_store does: every change made while a commit runs goes into
// the next one. A put is answered after its commit (Put's `done`), and a record is readable
// (GetRecords, Read) only once committed, so nothing is seen that a kill -9 could take back.
//
// The in-process read API for stream triggers (esm/) is Shards, Read, LatestPosition,
// TimestampPosition and Listen. Positions are sequence-number strings: Read returns the records
// after `after` ("" = from the oldest kept); the listener runs on the loop, with the stream's
// ARN, once per Put whose records have just become readable (several times for one commit that
// holds several puts). A listener may call the read API, and Listen/Unlisten, from inside.
//
// Threads: every method runs on the loop thread; SQLite is touched only by the writer thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "kinesis/hash_key.h"
#include "store/sqlite.h"

namespace thaw::kinesis {

using nlohmann::json;

inline constexpr char kRegion[] = "us-east-1";

struct Record {
  int64_t counter = 0;  // its sequence number's counter (store-wide, increasing)
  int64_t arrival_ms = 0;
  std::string partition_key;
  std::string data;
};

struct Shard {
  int index = 0;
  std::string parent;           // "" for none
  std::string adjacent_parent;  // "" for none (set by a merge)
  uint128 start_hash = 0;
  uint128 end_hash = kMaxHashKey;
  int64_t start_counter = 0;  // its StartingSequenceNumber's counter
  int64_t end_counter = 0;    // its EndingSequenceNumber's once closed; 0 while open
  int64_t closed_ms = 0;
  std::vector<Record> records;  // by counter; trimmed from the front
  // Throughput windows (the current second) for --kinesis-enforce-limits.
  int64_t window_s = 0;
  int64_t window_bytes_in = 0;
  int64_t window_records_in = 0;
  int64_t window_bytes_out = 0;
  int64_t window_reads = 0;

  bool open() const { return end_counter == 0; }
  std::string Id() const { return ShardId(index); }
};

struct Consumer {
  std::string name;
  std::string arn;
  int64_t created_ms = 0;
  std::string status = "ACTIVE";
};

struct Stream {
  int64_t id = 0;
  std::string account;
  std::string name;
  std::string status = "CREATING";  // CREATING, ACTIVE, UPDATING, DELETING
  std::string mode = "PROVISIONED";
  int64_t created_ms = 0;
  int64_t retention_hours = 24;
  int64_t max_record_kib = 1024;
  std::map<std::string, std::string> tags;
  std::vector<Consumer> consumers;
  std::vector<Shard> shards;  // by index

  std::string Arn() const;
  int OpenShardCount() const;
  Shard* FindShard(std::string_view shard_id);
  // The open shard whose hash key range holds `hash`.
  Shard* Route(uint128 hash);
};

// One record for Put.
struct PutEntry {
  std::string partition_key;
  std::string data;
  std::optional<uint128> explicit_hash;
};

// What Put gives each entry: its shard and sequence number, or an error (when throttled).
struct PutResult {
  std::string shard_id;
  std::string sequence_number;
  std::string error_code;  // "" when written
  std::string error_message;
};

// The trigger's read API types.
struct ShardInfo {
  std::string shard_id;
  std::string parent;
  std::string adjacent_parent;
  std::string starting_hash_key;
  std::string ending_hash_key;
  std::string starting_sequence_number;
  std::string ending_sequence_number;  // "" while open
  bool open = true;
};

struct RecordView {
  std::string sequence_number;
  std::string partition_key;
  std::string data;  // bytes
  int64_t arrival_ms = 0;
};

struct ReadResult {
  std::vector<RecordView> records;
  // true once the shard is closed and every record it holds has been read.
  bool shard_ended = false;
  int64_t millis_behind = 0;  // arrival of the newest record less that of the last returned
};

class StreamStore {
 public:
  struct Options {
    std::string path;  // the SQLite file
    const Clock* clock = nullptr;
    int64_t status_delay_ms = 0;  // CREATING/UPDATING/DELETING last this long
    bool enforce_limits = false;  // per-shard throughput limits
  };

  // Loads everything; `loop` must outlive the store.
  static StatusOr<std::unique_ptr<StreamStore>> Open(boost::asio::io_context& loop,
                                                     Options options);
  StreamStore(const StreamStore&) = delete;
  StreamStore& operator=(const StreamStore&) = delete;
  ~StreamStore();

  const Options& options() const { return options_; }
  int64_t Now() const { return clock_->RealtimeMillis(); }
  // Starts the status timers of streams loaded mid-transition and the retention sweeper.
  void Start();

  // Streams. Pointers stay valid until the stream is gone (after DELETING).
  Stream* Find(std::string_view account, std::string_view name);
  Stream* FindByArn(std::string_view arn);
  std::vector<Stream*> List(std::string_view account);
  Stream& Create(std::string account, std::string name, int shard_count, std::string mode,
                 int64_t max_record_kib, std::map<std::string, std::string> tags);
  // Persists the stream's description (status, retention, tags, shards, consumers).
  void Save(Stream& stream);
  // DELETING now, gone (with its records) after the status delay.
  void Delete(Stream& stream);
  // UPDATING now, ACTIVE after the status delay.
  void MarkUpdating(Stream& stream);
  // Resharding: closes `parents` and opens a child per range. Ids of the children.
  std::vector<std::string> Split(Stream& stream, Shard& parent, uint128 new_start);
  std::string Merge(Stream& stream, Shard& shard, Shard& adjacent);
  void Rescale(Stream& stream, int count);

  // Records. Appends now (readable after the commit); `done` runs once committed.
  std::vector<PutResult> Put(Stream& stream, const std::vector<PutEntry>& entries,
                             std::function<void(Status)> done);
  // Calls `done` on the loop once every change made so far is committed.
  void AfterCommit(std::function<void(Status)> done);
  int64_t committed() const { return committed_; }
  // Throttling for reads: false when the shard is over its read limits (counts this call).
  bool AdmitRead(Shard& shard, int64_t bytes);
  // Index of the first readable record of `shard` with counter >= `from` (or records.size()).
  size_t LowerBound(const Shard& shard, int64_t from) const;
  // How many of the shard's records are committed.
  size_t Readable(const Shard& shard) const;
  // Drops records older than each stream's retention.
  void Trim();

  // The trigger's read API (see the header comment). NotFound for an unknown stream or shard.
  StatusOr<std::vector<ShardInfo>> Shards(std::string_view stream_arn);
  StatusOr<ReadResult> Read(std::string_view stream_arn, std::string_view shard_id,
                            std::string_view after, size_t limit);
  StatusOr<std::string> LatestPosition(std::string_view stream_arn, std::string_view shard_id);
  StatusOr<std::string> TimestampPosition(std::string_view stream_arn, std::string_view shard_id,
                                          int64_t timestamp_ms);
  using Listener = std::function<void(const std::string& stream_arn)>;
  uint64_t Listen(Listener listener);
  void Unlisten(uint64_t id);

 private:
  using Op = std::function<Status(store::Database&)>;

  StreamStore(boost::asio::io_context& loop, std::unique_ptr<store::Database> db, Options options,
              const Clock& clock);
  Status Load();
  void Persist(Op op);
  void Commit();
  void ScheduleStatus(Stream& stream);
  void Settle(int64_t stream_id);
  Shard& AddShard(Stream& stream, uint128 start, uint128 end, std::string parent,
                  std::string adjacent);
  void Close(Shard& shard);
  void ArmSweep();
  bool AdmitWrite(Shard& shard, int64_t bytes);
  void Roll(Shard& shard);

  boost::asio::io_context& loop_;
  Options options_;
  const Clock* clock_;
  std::unique_ptr<store::Database> db_;  // writer thread only, after Open
  boost::asio::io_context writer_io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> writer_work_;
  std::thread writer_;
  std::shared_ptr<bool> alive_;

  std::map<int64_t, std::unique_ptr<Stream>> streams_;  // by id
  std::map<int64_t, std::unique_ptr<boost::asio::steady_timer>> status_timers_;
  std::unique_ptr<boost::asio::steady_timer> sweep_;
  int64_t next_id_ = 1;
  int64_t next_counter_ = 1;
  int64_t committed_ = 0;  // records with a counter <= this are committed
  std::vector<Op> ops_;
  std::vector<std::function<void()>> hooks_;
  std::vector<std::function<void(Status)>> after_;
  bool committing_ = false;
  std::map<uint64_t, Listener> listeners_;
  uint64_t next_listener_ = 1;
};

}  // namespace thaw::kinesis
