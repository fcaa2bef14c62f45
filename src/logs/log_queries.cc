#include "logs/log_queries.h"

#include <algorithm>
#include <map>
#include <utility>

namespace thaw::logs {

namespace {

// "group" is an SQL keyword, hence group_name / stream_name.
constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS log_groups(
  name TEXT PRIMARY KEY,
  created_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS log_streams(
  group_name TEXT NOT NULL,
  name TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  first_ts INTEGER,
  last_ts INTEGER,
  last_ingest INTEGER,
  PRIMARY KEY(group_name, name));
CREATE TABLE IF NOT EXISTS events(
  id INTEGER PRIMARY KEY,
  group_name TEXT NOT NULL,
  stream_name TEXT NOT NULL,
  ts INTEGER NOT NULL,
  ingest_ms INTEGER NOT NULL,
  message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_stream ON events(group_name, stream_name, ts);
CREATE INDEX IF NOT EXISTS events_by_group ON events(group_name, ts);
)sql";

constexpr char kEventColumns[] = "SELECT id, stream_name, ts, ingest_ms, message FROM events ";

// One bound parameter of a statement assembled from optional clauses.
struct Arg {
  enum Kind { kInt, kText, kBlob } kind;
  int64_t number = 0;
  std::string text;
};
Arg Int(int64_t v) { return {Arg::kInt, v, {}}; }
Arg Text(std::string_view v) { return {Arg::kText, 0, std::string(v)}; }
Arg Blob(std::string_view v) { return {Arg::kBlob, 0, std::string(v)}; }

struct Sql {
  std::string text;
  std::vector<Arg> args;

  Sql& Add(std::string_view clause, std::vector<Arg> more = {}) {
    text += clause;
    for (auto& a : more) args.push_back(std::move(a));
    return *this;
  }
};

StatusOr<store::Statement> Prepare(store::Database& db, const Sql& sql) {
  THAW_ASSIGN_OR_RETURN(store::Statement stmt, db.Prepare(sql.text));
  int index = 1;
  for (const Arg& a : sql.args) {
    switch (a.kind) {
      case Arg::kInt:
        stmt.Bind(index, a.number);
        break;
      case Arg::kText:
        stmt.Bind(index, std::string_view(a.text));
        break;
      case Arg::kBlob:
        stmt.BindBlob(index, a.text);
        break;
    }
    ++index;
  }
  return stmt;
}

StatusOr<std::vector<StoredEvent>> ReadEvents(store::Database& db, const Sql& sql) {
  THAW_ASSIGN_OR_RETURN(store::Statement stmt, Prepare(db, sql));
  std::vector<StoredEvent> out;
  for (;;) {
    THAW_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back({stmt.Int(0), stmt.Text(1), stmt.Int(2), stmt.Int(3), stmt.Text(4)});
  }
  return out;
}

std::optional<int64_t> OptionalInt(const store::Statement& stmt, int column) {
  if (stmt.IsNull(column)) return std::nullopt;
  return stmt.Int(column);
}

void AddTimeRange(Sql& sql, std::optional<int64_t> start_ms, std::optional<int64_t> end_ms) {
  if (start_ms) sql.Add(" AND ts >= ?", {Int(*start_ms)});
  if (end_ms) sql.Add(" AND ts < ?", {Int(*end_ms)});
}

// Byte-wise substring tests, so messages that are not valid UTF-8 still match.
void AddPattern(Sql& sql, const FilterPattern& pattern) {
  for (const auto& term : pattern.all)
    sql.Add(" AND instr(CAST(message AS BLOB), ?) > 0", {Blob(term)});
  for (const auto& term : pattern.none)
    sql.Add(" AND instr(CAST(message AS BLOB), ?) = 0", {Blob(term)});
  if (pattern.any.empty()) return;
  sql.Add(" AND (");
  for (size_t i = 0; i < pattern.any.size(); ++i) {
    sql.Add(i == 0 ? "" : " OR ");
    sql.Add("instr(CAST(message AS BLOB), ?) > 0", {Blob(pattern.any[i])});
  }
  sql.Add(")");
}

}  // namespace

Status CreateSchema(store::Database& db) { return db.Exec(kSchema); }

StatusOr<std::unique_ptr<EventWriter>> EventWriter::Open(store::Database& db) {
  THAW_ASSIGN_OR_RETURN(auto begin, db.Prepare("BEGIN IMMEDIATE"));
  THAW_ASSIGN_OR_RETURN(auto commit, db.Prepare("COMMIT"));
  THAW_ASSIGN_OR_RETURN(auto rollback, db.Prepare("ROLLBACK"));
  THAW_ASSIGN_OR_RETURN(auto insert_event,
                        db.Prepare("INSERT INTO events(group_name, stream_name, ts, ingest_ms, "
                                   "message) VALUES(?, ?, ?, ?, ?)"));
  THAW_ASSIGN_OR_RETURN(auto insert_group,
                        db.Prepare("INSERT OR IGNORE INTO log_groups(name, created_ms) "
                                   "VALUES(?, ?)"));
  THAW_ASSIGN_OR_RETURN(
      auto upsert_stream,
      db.Prepare("INSERT INTO log_streams(group_name, name, created_ms, first_ts, last_ts, "
                 "last_ingest) VALUES(?1, ?2, ?3, ?4, ?5, ?3) "
                 "ON CONFLICT(group_name, name) DO UPDATE SET "
                 "first_ts = min(coalesce(first_ts, excluded.first_ts), excluded.first_ts), "
                 "last_ts = max(coalesce(last_ts, excluded.last_ts), excluded.last_ts), "
                 "last_ingest = excluded.last_ingest"));
  return std::unique_ptr<EventWriter>(
      new EventWriter(std::move(begin), std::move(commit), std::move(rollback),
                      std::move(insert_event), std::move(insert_group), std::move(upsert_stream)));
}

EventWriter::EventWriter(store::Statement begin, store::Statement commit, store::Statement rollback,
                         store::Statement insert_event, store::Statement insert_group,
                         store::Statement upsert_stream)
    : begin_(std::move(begin)),
      commit_(std::move(commit)),
      rollback_(std::move(rollback)),
      insert_event_(std::move(insert_event)),
      insert_group_(std::move(insert_group)),
      upsert_stream_(std::move(upsert_stream)) {}

Status EventWriter::Insert(const std::vector<LogEvent>& events, int64_t ingest_ms) {
  if (events.empty()) return Status::Ok();
  THAW_RETURN_IF_ERROR(begin_.Run());
  Status status = InsertInTransaction(events, ingest_ms);
  if (status.ok()) status = commit_.Run();
  if (!status.ok()) (void)rollback_.Run();
  return status;
}

Status EventWriter::InsertInTransaction(const std::vector<LogEvent>& events, int64_t ingest_ms) {
  // Per stream: the oldest and newest timestamp of this batch.
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, int64_t>> ranges;
  for (const LogEvent& e : events) {
    insert_event_.Bind(1, std::string_view(e.group))
        .Bind(2, std::string_view(e.stream))
        .Bind(3, e.timestamp_ms)
        .Bind(4, ingest_ms)
        .Bind(5, std::string_view(e.message));
    THAW_RETURN_IF_ERROR(insert_event_.Run());
    auto [it, inserted] = ranges.try_emplace({e.group, e.stream}, e.timestamp_ms, e.timestamp_ms);
    if (!inserted) {
      it->second.first = std::min(it->second.first, e.timestamp_ms);
      it->second.second = std::max(it->second.second, e.timestamp_ms);
    }
  }
  for (const auto& [key, range] : ranges) {
    insert_group_.Bind(1, std::string_view(key.first)).Bind(2, ingest_ms);
    THAW_RETURN_IF_ERROR(insert_group_.Run());
    upsert_stream_.Bind(1, std::string_view(key.first))
        .Bind(2, std::string_view(key.second))
        .Bind(3, ingest_ms)
        .Bind(4, range.first)
        .Bind(5, range.second);
    THAW_RETURN_IF_ERROR(upsert_stream_.Run());
  }
  return Status::Ok();
}

Status InsertEvents(store::Database& db, const std::vector<LogEvent>& events, int64_t ingest_ms) {
  if (events.empty()) return Status::Ok();
  THAW_ASSIGN_OR_RETURN(std::unique_ptr<EventWriter> writer, EventWriter::Open(db));
  return writer->Insert(events, ingest_ms);
}

StatusOr<bool> GroupExists(store::Database& db, std::string_view group) {
  THAW_ASSIGN_OR_RETURN(auto stmt, db.Prepare("SELECT 1 FROM log_groups WHERE name = ?"));
  stmt.Bind(1, group);
  return stmt.Step();
}

StatusOr<bool> StreamExists(store::Database& db, std::string_view group, std::string_view stream) {
  THAW_ASSIGN_OR_RETURN(auto stmt,
                        db.Prepare("SELECT 1 FROM log_streams WHERE group_name = ? AND name = ?"));
  stmt.Bind(1, group).Bind(2, stream);
  return stmt.Step();
}

Status CreateGroup(store::Database& db, std::string_view group, int64_t now_ms) {
  THAW_ASSIGN_OR_RETURN(bool exists, GroupExists(db, group));
  if (exists) return Status::AlreadyExists("The specified log group already exists");
  THAW_ASSIGN_OR_RETURN(auto stmt,
                        db.Prepare("INSERT INTO log_groups(name, created_ms) VALUES(?, ?)"));
  stmt.Bind(1, group).Bind(2, now_ms);
  return stmt.Run();
}

Status CreateStream(store::Database& db, std::string_view group, std::string_view stream,
                    int64_t now_ms) {
  THAW_ASSIGN_OR_RETURN(bool group_exists, GroupExists(db, group));
  if (!group_exists) return Status::NotFound(kNoSuchGroup);
  THAW_ASSIGN_OR_RETURN(bool exists, StreamExists(db, group, stream));
  if (exists) return Status::AlreadyExists("The specified log stream already exists");
  THAW_ASSIGN_OR_RETURN(
      auto stmt,
      db.Prepare("INSERT INTO log_streams(group_name, name, created_ms) VALUES(?, ?, ?)"));
  stmt.Bind(1, group).Bind(2, stream).Bind(3, now_ms);
  return stmt.Run();
}

Status DeleteGroup(store::Database& db, std::string_view group) {
  THAW_ASSIGN_OR_RETURN(bool exists, GroupExists(db, group));
  if (!exists) return Status::NotFound(kNoSuchGroup);
  THAW_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(db));
  for (const char* sql :
       {"DELETE FROM events WHERE group_name = ?", "DELETE FROM log_streams WHERE group_name = ?",
        "DELETE FROM log_groups WHERE name = ?"}) {
    THAW_ASSIGN_OR_RETURN(auto stmt, db.Prepare(sql));
    stmt.Bind(1, group);
    THAW_RETURN_IF_ERROR(stmt.Run());
  }
  return tx->Commit();
}

StatusOr<std::vector<GroupInfo>> ListGroups(store::Database& db, std::string_view prefix,
                                            bool default_account, int64_t offset, int64_t limit) {
  Sql sql;
  sql.Add("SELECT name, created_ms FROM log_groups WHERE instr(name, ?) = 1", {Text(prefix)});
  // Other accounts' keys hold a ':'.
  if (default_account) sql.Add(" AND instr(name, ':') = 0");
  sql.Add(" ORDER BY name LIMIT ? OFFSET ?", {Int(limit), Int(offset)});
  THAW_ASSIGN_OR_RETURN(auto stmt, Prepare(db, sql));
  std::vector<GroupInfo> out;
  for (;;) {
    THAW_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back({stmt.Text(0), stmt.Int(1)});
  }
  return out;
}

StatusOr<std::vector<StreamInfo>> ListStreams(store::Database& db, std::string_view group,
                                              const StreamListing& listing) {
  Sql sql;
  sql.Add(
      "SELECT name, created_ms, first_ts, last_ts, last_ingest FROM log_streams "
      "WHERE group_name = ? AND instr(name, ?) = 1",
      {Text(group), Text(listing.prefix)});
  const char* direction = listing.descending ? " DESC" : "";
  if (listing.by_last_event) {
    sql.Add(" ORDER BY coalesce(last_ts, 0)").Add(direction).Add(", name").Add(direction);
  } else {
    sql.Add(" ORDER BY name").Add(direction);
  }
  sql.Add(" LIMIT ? OFFSET ?", {Int(listing.limit), Int(listing.offset)});
  THAW_ASSIGN_OR_RETURN(auto stmt, Prepare(db, sql));
  std::vector<StreamInfo> out;
  for (;;) {
    THAW_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back({stmt.Text(0), stmt.Int(1), OptionalInt(stmt, 2), OptionalInt(stmt, 3),
                   OptionalInt(stmt, 4)});
  }
  return out;
}

StatusOr<std::optional<Cursor>> FindCursor(store::Database& db, std::string_view group,
                                           std::string_view stream, int64_t id) {
  THAW_ASSIGN_OR_RETURN(
      auto stmt,
      db.Prepare("SELECT ts FROM events WHERE id = ? AND group_name = ? AND stream_name = ?"));
  stmt.Bind(1, id).Bind(2, group).Bind(3, stream);
  THAW_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<Cursor>();
  return std::optional<Cursor>(Cursor{stmt.Int(0), id});
}

StatusOr<std::vector<StoredEvent>> ReadStream(store::Database& db, std::string_view group,
                                              std::string_view stream, const StreamRead& read) {
  Sql sql;
  sql.Add(kEventColumns)
      .Add("WHERE group_name = ? AND stream_name = ?", {Text(group), Text(stream)});
  AddTimeRange(sql, read.start_ms, read.end_ms);
  if (read.anchor) {
    const Cursor& c = *read.anchor;
    sql.Add(read.forward ? " AND (ts > ? OR (ts = ? AND id > ?))"
                         : " AND (ts < ? OR (ts = ? AND id < ?))",
            {Int(c.timestamp_ms), Int(c.timestamp_ms), Int(c.id)});
  }
  sql.Add(read.forward ? " ORDER BY ts, id" : " ORDER BY ts DESC, id DESC");
  sql.Add(" LIMIT ?", {Int(read.limit)});
  THAW_ASSIGN_OR_RETURN(auto events, ReadEvents(db, sql));
  if (!read.forward) std::reverse(events.begin(), events.end());
  return events;
}

StatusOr<std::vector<StoredEvent>> FilterEvents(store::Database& db, std::string_view group,
                                                const EventFilter& filter) {
  Sql sql;
  sql.Add(kEventColumns).Add("WHERE group_name = ?", {Text(group)});
  if (!filter.streams.empty()) {
    sql.Add(" AND stream_name IN (");
    for (size_t i = 0; i < filter.streams.size(); ++i) {
      sql.Add(i == 0 ? "?" : ", ?", {Text(filter.streams[i])});
    }
    sql.Add(")");
  }
  if (!filter.stream_prefix.empty()) {
    sql.Add(" AND instr(stream_name, ?) = 1", {Text(filter.stream_prefix)});
  }
  AddTimeRange(sql, filter.start_ms, filter.end_ms);
  if (filter.after) {
    sql.Add(
        " AND (ts > ? OR (ts = ? AND id > ?))",
        {Int(filter.after->timestamp_ms), Int(filter.after->timestamp_ms), Int(filter.after->id)});
  }
  AddPattern(sql, filter.pattern);
  sql.Add(" ORDER BY ts, id LIMIT ?", {Int(filter.limit)});
  return ReadEvents(db, sql);
}

}  // namespace thaw::logs
