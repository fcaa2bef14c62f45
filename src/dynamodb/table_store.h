// TableStore: DynamoDB's tables, items and stream records. Everything is kept in memory for
// reads and mirrored to SQLite (dynamodb.db, synchronous=FULL) by a writer thread with group
// commit, as sqs/queue_store does: every change made while a commit runs goes into the next one.
// An item change and its stream record are persisted by one op, so they are always in the same
// SQLite transaction: a kill -9 leaves both or neither. Writers are answered after their commit
// (AfterCommit); a reader of a key (or table) with a change still being committed waits for that
// commit too, so nothing is seen that a crash could take back. Stream records become readable
// once committed.
// Items are keyed by the memcmp-ordered encodings of their hash and range key values (BLOBs in
// SQLite, std::string in memory, whose operator< is bytewise unsigned), which is DynamoDB's order.
// Threads: every method runs on the loop thread; SQLite is touched only by the writer thread.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "dynamodb/value.h"
#include "store/sqlite.h"

namespace thaw::dynamodb {

using nlohmann::json;

inline constexpr char kRegion[] = "us-east-1";

// The encoded key of an item: (hash, range); range is "" for a hash-only table.
struct ItemKey {
  std::string hash;
  std::string range;
  auto operator<=>(const ItemKey&) const = default;
};

struct KeyDef {
  std::string name;
  char type = 'S';  // S, N or B
};

struct KeySchema {
  KeyDef hash;
  std::optional<KeyDef> range;
};

// A GSI or LSI. Its entries are ordered by (index key, table key), as DynamoDB orders a query.
struct Index {
  struct Entry {
    ItemKey index;
    ItemKey table;
    auto operator<=>(const Entry&) const = default;
  };
  std::string name;
  bool global = true;
  KeySchema keys;
  json spec;  // as described: IndexName, KeySchema, Projection, ProvisionedThroughput ...
  std::set<Entry> entries;
};

struct Shard {
  std::string id;
  std::string parent;  // "" for the first
  int64_t start = 0;   // first sequence number it may hold
  int64_t end = 0;     // last one it holds once closed; 0 while open
  int64_t created_ms = 0;
};

struct StreamRecord {
  int64_t seq = 0;
  int64_t created_ms = 0;
  json record;  // its shard is the one whose range holds seq       // the Streams API's Record,
                // SequenceNumber included
};

struct Stream {
  int64_t id = 0;
  int64_t table_id = 0;
  std::string account;
  std::string table_name;
  std::string label;  // "2026-12-07T11:14:11.123"
  std::string view_type;
  KeySchema keys;
  bool enabled = true;
  int64_t created_ms = 0;
  int64_t disabled_ms = 0;
  int64_t trimmed_through = 0;  // records with seq <= this are gone
  std::vector<Shard> shards;
  std::map<int64_t, StreamRecord> records;  // by seq, committed or not

  std::string Arn() const;
};

struct Table {
  int64_t id = 0;
  std::string account;
  std::string name;
  std::string status = "CREATING";  // CREATING, ACTIVE, UPDATING, DELETING
  KeySchema keys;
  // The persisted description: AttributeDefinitions, KeySchema, BillingModeSummary,
  // ProvisionedThroughput, CreationDateTime, TableId, StreamSpecification, LatestStreamLabel,
  // TimeToLive, Tags, Global/LocalSecondaryIndexes (specs).
  json spec;
  std::vector<std::unique_ptr<Index>> indexes;
  std::map<ItemKey, Item> items;
  int64_t item_bytes = 0;
  Stream* stream = nullptr;             // the enabled one, if any
  int pending = 0;                      // changes made but not yet committed
  std::map<ItemKey, int> pending_keys;  // the same, by item

  std::string Arn() const;
  Index* FindIndex(std::string_view index_name);
};

// One item change for Write(): the item after (nullopt: deleted).
struct Change {
  Table* table = nullptr;
  ItemKey key;
  std::optional<Item> item;
  bool by_ttl = false;  // a TTL deletion: its record carries the service's userIdentity
};

class TableStore {
 public:
  struct Options {
    std::string path;  // the SQLite file
    const Clock* clock = nullptr;
    int64_t status_delay_ms = 0;              // CREATING/UPDATING/DELETING last this long
    int64_t shard_rollover_ms = 4 * 3600000;  // a stream's open shard is closed after this
    int64_t retention_ms = 24 * 3600000;      // stream records are trimmed after this
    int64_t ttl_sweep_ms = 1000;              // how often expired items are looked for
  };

  // Loads everything; `loop` must outlive the store.
  static StatusOr<std::unique_ptr<TableStore>> Open(boost::asio::io_context& loop, Options options);
  TableStore(const TableStore&) = delete;
  TableStore& operator=(const TableStore&) = delete;
  ~TableStore();

  const Clock& clock() const { return *clock_; }
  const Options& options() const { return options_; }
  int64_t Now() const { return clock_->RealtimeMillis(); }
  // Starts the TTL sweeper and the status timers of tables loaded mid-transition.
  void Start();

  // Tables. Pointers stay valid until the table is gone (after DELETING).
  Table* Find(std::string_view account, std::string_view name);
  std::vector<Table*> List(std::string_view account);
  Table& CreateTable(std::string account, std::string name, KeySchema keys, json spec,
                     std::vector<std::unique_ptr<Index>> indexes);
  // Persists `table.spec` (and its status); enables or disables its stream per
  // spec.StreamSpecification.
  void SaveTable(Table& table);
  void DeleteTable(Table& table);
  // Moves a table to UPDATING and back to ACTIVE after the status delay.
  void MarkUpdating(Table& table);
  // Adds or drops a GSI (entries built from the items at once; status settles after the delay).
  void AddIndex(Table& table, std::unique_ptr<Index> index);
  void DropIndex(Table& table, std::string_view index_name);

  // Items. Applies the changes in memory now, their stream records included, and persists them
  // together; `done` runs once committed. Changes that leave an item as it was write nothing.
  void Write(std::vector<Change> changes, std::function<void(Status)> done);
  // Calls `done` once no change to `key` of `table` (or to the table at all, key null) is still
  // being committed: at once when none is.
  void WhenReadable(Table& table, const ItemKey* key, std::function<void()> done);
  // Calls `done` on the loop once every change made so far is committed.
  void AfterCommit(std::function<void(Status)> done);

  // TransactWriteItems' ClientRequestTokens of the last 10 minutes, by account and token.
  struct Token {
    std::string request;  // the request's canonical JSON
    int64_t expires_ms = 0;
    json output;  // the answer given
  };
  std::map<std::string, Token>& tokens() { return tokens_; }

  // Streams.
  Stream* FindStream(std::string_view arn);
  std::vector<Stream*> Streams(std::string_view account);
  int64_t committed_seq() const { return committed_seq_; }
  // Closes a stream's open shard when it is older than the rollover; trims old records.
  void Maintain(Stream& stream);
  // Calls `wake` (posted to the loop) after each commit that made stream records readable, until
  // the returned handle is released: event source mappings read new records at once.
  std::shared_ptr<void> ListenStreams(std::function<void()> wake);

 private:
  using Op = std::function<Status(store::Database&)>;

  TableStore(boost::asio::io_context& loop, std::unique_ptr<store::Database> db, Options options,
             const Clock& clock);
  Status Load();
  void Persist(Op op);
  void Commit();
  void PersistTable(const Table& table);
  void PersistStream(const Stream& stream);
  void ScheduleStatus(Table& table);
  void Settle(int64_t table_id);
  void OpenStream(Table& table, const std::string& view_type);
  void CloseStream(Stream& stream);
  void AddShard(Stream& stream, std::string parent);
  std::optional<json> MakeRecord(Table& table, const Item* old_item, const Item* new_item,
                                 bool by_ttl);
  void IndexItem(Table& table, const ItemKey& key, const Item& item, bool add);
  void SweepTtl();
  void ArmSweep();

  boost::asio::io_context& loop_;
  Options options_;
  const Clock* clock_;
  std::unique_ptr<store::Database> db_;  // writer thread only, after Open
  boost::asio::io_context writer_io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> writer_work_;
  std::thread writer_;
  std::shared_ptr<bool> alive_;

  std::map<int64_t, std::unique_ptr<Table>> tables_;  // by id
  std::map<int64_t, std::unique_ptr<Stream>> streams_;
  std::map<int64_t, std::unique_ptr<boost::asio::steady_timer>> status_timers_;
  std::unique_ptr<boost::asio::steady_timer> sweep_;
  int64_t next_id_ = 1;
  int64_t next_seq_ = 1;
  int64_t committed_seq_ = 0;
  std::map<std::string, Token> tokens_;
  std::vector<Op> ops_;
  std::vector<std::function<void()>> hooks_;
  std::vector<std::function<void(Status)>> after_;
  bool committing_ = false;
  std::vector<std::weak_ptr<std::function<void()>>> stream_listeners_;
};

// The key of `item` (or of a Key parameter, `key_only`) under `keys`; InvalidArgument with
// AWS's text.
StatusOr<ItemKey> KeyOf(const KeySchema& keys, const Item& item, bool key_only);
// The key attributes of `item`.
Item KeyAttributes(const KeySchema& keys, const Item& item);
// A sequence number as the Streams API writes it: at least 21 decimal digits.
std::string FormatSequence(int64_t seq);
std::optional<int64_t> ParseSequence(std::string_view text);

}  // namespace thaw::dynamodb
