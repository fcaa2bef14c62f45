// The SQL behind the log store: schema, batched inserts and the reads the CloudWatch Logs API
// needs, as plain functions over a store::Database. Errors are Statuses carrying CloudWatch's
// own messages (NotFound, AlreadyExists) so the API can pass them through.
// Thread-compatible: called on the LogStore writer thread, which owns the connection.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "logs/filter_pattern.h"
#include "logs/log_store.h"
#include "store/sqlite.h"

namespace thaw::logs {

inline constexpr char kNoSuchGroup[] = "The specified log group does not exist.";
inline constexpr char kNoSuchStream[] = "The specified log stream does not exist.";

struct GroupInfo {
  std::string name = {};
  int64_t created_ms = 0;
};

struct StreamInfo {
  std::string name = {};
  int64_t created_ms = 0;
  std::optional<int64_t> first_ts = {};  // all three are empty while the stream has no events
  std::optional<int64_t> last_ts = {};
  std::optional<int64_t> last_ingest = {};
};

struct StoredEvent {
  int64_t id = 0;  // insertion order; unique across the file
  std::string stream = {};
  int64_t timestamp_ms = 0;
  int64_t ingest_ms = 0;
  std::string message = {};
};

// A position in (timestamp, id) order, the order every event listing uses.
struct Cursor {
  int64_t timestamp_ms = 0;
  int64_t id = 0;
};

Status CreateSchema(store::Database& db);

// Writes batches of events, each in one transaction, creating missing group and stream rows,
// with its statements prepared once: the log writer's batches are small at low rates, and
// parsing five statements per batch cost more than the rows (callgrind). Must be destroyed
// before its database.
class EventWriter {
 public:
  static StatusOr<std::unique_ptr<EventWriter>> Open(store::Database& db);
  Status Insert(const std::vector<LogEvent>& events, int64_t ingest_ms);

 private:
  EventWriter(store::Statement begin, store::Statement commit, store::Statement rollback,
              store::Statement insert_event, store::Statement insert_group,
              store::Statement upsert_stream);
  Status InsertInTransaction(const std::vector<LogEvent>& events, int64_t ingest_ms);

  store::Statement begin_, commit_, rollback_;
  store::Statement insert_event_, insert_group_, upsert_stream_;
};

// One batch through a short-lived EventWriter (PutLogEvents).
Status InsertEvents(store::Database& db, const std::vector<LogEvent>& events, int64_t ingest_ms);

StatusOr<bool> GroupExists(store::Database& db, std::string_view group);
StatusOr<bool> StreamExists(store::Database& db, std::string_view group, std::string_view stream);
// AlreadyExists when the group is there.
Status CreateGroup(store::Database& db, std::string_view group, int64_t now_ms);
// NotFound without the group, AlreadyExists when the stream is there.
Status CreateStream(store::Database& db, std::string_view group, std::string_view stream,
                    int64_t now_ms);
// Deletes the group with its streams and events; NotFound without it.
Status DeleteGroup(store::Database& db, std::string_view group);

// Groups whose name starts with `prefix`, by name, skipping `offset`; with `default_account`,
// only 000000000000's (names without an account, see GroupKey).
StatusOr<std::vector<GroupInfo>> ListGroups(store::Database& db, std::string_view prefix,
                                            bool default_account, int64_t offset, int64_t limit);

struct StreamListing {
  std::string prefix = {};
  bool by_last_event = false;  // order by last event time instead of name
  bool descending = false;
  int64_t offset = 0;
  int64_t limit = 50;
};
StatusOr<std::vector<StreamInfo>> ListStreams(store::Database& db, std::string_view group,
                                              const StreamListing& listing);

// The position of event `id` in `group`/`stream`; nullopt when there is no such event there.
StatusOr<std::optional<Cursor>> FindCursor(store::Database& db, std::string_view group,
                                           std::string_view stream, int64_t id);

struct StreamRead {
  std::optional<int64_t> start_ms = {};  // inclusive
  std::optional<int64_t> end_ms = {};    // exclusive
  std::optional<Cursor> anchor = {};     // strictly after it (forward) or before it (backward)
  bool forward = true;                   // false: the newest `limit` events before `anchor`
  int64_t limit = 10000;
};
// Events of one stream, always returned oldest first.
StatusOr<std::vector<StoredEvent>> ReadStream(store::Database& db, std::string_view group,
                                              std::string_view stream, const StreamRead& read);

struct EventFilter {
  std::vector<std::string> streams = {};  // empty: every stream (subject to stream_prefix)
  std::string stream_prefix = {};
  std::optional<int64_t> start_ms = {};  // inclusive
  std::optional<int64_t> end_ms = {};    // exclusive
  std::optional<Cursor> after = {};
  FilterPattern pattern = {};
  int64_t limit = 10000;
};
// Matching events across a group's streams, oldest first.
StatusOr<std::vector<StoredEvent>> FilterEvents(store::Database& db, std::string_view group,
                                                const EventFilter& filter);

}  // namespace thaw::logs
