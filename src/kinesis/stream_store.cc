#include "kinesis/stream_store.h"

#include <algorithm>
#include <chrono>

#include <boost/asio/post.hpp>

#include "base/log.h"

namespace thaw::kinesis {

namespace asio = boost::asio;

namespace {

constexpr int64_t kSweepMs = int64_t{60} * 1000;
constexpr int64_t kWriteBytesPerSecond = 1 << 20;
constexpr int64_t kWriteRecordsPerSecond = 1000;
constexpr int64_t kReadBytesPerSecond = 2 << 20;
constexpr int64_t kReadsPerSecond = 5;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Status Run(store::Database& db, std::string_view sql,
           const std::function<void(store::Statement&)>& bind) {
  THAW_ASSIGN_OR_RETURN(auto stmt, db.Prepare(sql));
  bind(stmt);
  return stmt.Run();
}

json MetaOf(const Stream& s) {
  json shards = json::array();
  for (const Shard& sh : s.shards) {
    shards.push_back({{"index", sh.index},
                      {"parent", sh.parent},
                      {"adjacent", sh.adjacent_parent},
                      {"start_hash", FormatHashKey(sh.start_hash)},
                      {"end_hash", FormatHashKey(sh.end_hash)},
                      {"start", sh.start_counter},
                      {"end", sh.end_counter},
                      {"closed_ms", sh.closed_ms}});
  }
  json consumers = json::array();
  for (const Consumer& c : s.consumers) {
    consumers.push_back({{"name", c.name}, {"arn", c.arn}, {"created_ms", c.created_ms}});
  }
  return {{"status", s.status},
          {"mode", s.mode},
          {"created_ms", s.created_ms},
          {"retention_hours", s.retention_hours},
          {"max_record_kib", s.max_record_kib},
          {"tags", s.tags},
          {"shards", shards},
          {"consumers", consumers}};
}

void ApplyMeta(Stream& s, const json& m) {
  s.status = m.value("status", "ACTIVE");
  s.mode = m.value("mode", "PROVISIONED");
  s.created_ms = m.value("created_ms", int64_t{0});
  s.retention_hours = m.value("retention_hours", int64_t{24});
  s.max_record_kib = m.value("max_record_kib", int64_t{1024});
  if (m.contains("tags") && m["tags"].is_object()) {
    for (const auto& [k, v] : m["tags"].items()) {
      if (v.is_string()) s.tags[k] = v.get<std::string>();
    }
  }
  if (m.contains("shards") && m["shards"].is_array()) {
    for (const auto& j : m["shards"]) {
      Shard sh;
      sh.index = j.value("index", 0);
      sh.parent = j.value("parent", "");
      sh.adjacent_parent = j.value("adjacent", "");
      sh.start_hash = ParseHashKey(j.value("start_hash", "0")).value_or(0);
      sh.end_hash = ParseHashKey(j.value("end_hash", "0")).value_or(0);
      sh.start_counter = j.value("start", int64_t{0});
      sh.end_counter = j.value("end", int64_t{0});
      sh.closed_ms = j.value("closed_ms", int64_t{0});
      s.shards.push_back(std::move(sh));
    }
  }
  if (m.contains("consumers") && m["consumers"].is_array()) {
    for (const auto& j : m["consumers"]) {
      s.consumers.push_back(Consumer{j.value("name", ""), j.value("arn", ""),
                                     j.value("created_ms", int64_t{0}), "ACTIVE"});
    }
  }
}

Status NotFoundStream(std::string_view arn) {
  return Status::NotFound("Stream " + std::string(arn) + " not found");
}

}  // namespace

std::string Stream::Arn() const {
  return std::string("arn:aws:kinesis:") + kRegion + ":" + account + ":stream/" + name;
}

int Stream::OpenShardCount() const {
  int n = 0;
  for (const Shard& s : shards) n += s.open() ? 1 : 0;
  return n;
}

Shard* Stream::FindShard(std::string_view shard_id) {
  auto index = ParseShardId(shard_id);
  if (!index || *index < 0 || static_cast<size_t>(*index) >= shards.size()) return nullptr;
  return &shards[static_cast<size_t>(*index)];
}

Shard* Stream::Route(uint128 hash) {
  for (Shard& s : shards) {
    if (s.open() && s.start_hash <= hash && hash <= s.end_hash) return &s;
  }
  return nullptr;
}

// ---- Open and load ----

StreamStore::StreamStore(asio::io_context& loop, std::unique_ptr<store::Database> db,
                         Options options, const Clock& clock)
    : loop_(loop),
      options_(std::move(options)),
      clock_(&clock),
      db_(std::move(db)),
      writer_work_(asio::make_work_guard(writer_io_)),
      alive_(std::make_shared<bool>(true)) {}

StatusOr<std::unique_ptr<StreamStore>> StreamStore::Open(asio::io_context& loop, Options options) {
  const Clock& clock = options.clock ? *options.clock : SystemClock::Get();
  THAW_ASSIGN_OR_RETURN(auto db, store::Database::Open(options.path));
  std::unique_ptr<StreamStore> store(
      new StreamStore(loop, std::move(db), std::move(options), clock));
  THAW_RETURN_IF_ERROR(store->Load());
  store->writer_ = std::thread([s = store.get()] { s->writer_io_.run(); });
  return store;
}

StreamStore::~StreamStore() {
  *alive_ = false;
  writer_work_.reset();
  if (writer_.joinable()) writer_.join();
}

Status StreamStore::Load() {
  store::Database& db = *db_;
  THAW_RETURN_IF_ERROR(
      db.Exec("CREATE TABLE IF NOT EXISTS kin_streams (id INTEGER PRIMARY KEY,"
              " account TEXT NOT NULL, name TEXT NOT NULL, meta TEXT NOT NULL);"
              "CREATE TABLE IF NOT EXISTS kin_records (stream_id INTEGER NOT NULL,"
              " counter INTEGER NOT NULL, shard INTEGER NOT NULL, arrival_ms INTEGER NOT NULL,"
              " pkey TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (stream_id, counter))"
              " WITHOUT ROWID;"
              "CREATE TABLE IF NOT EXISTS kin_counters (name TEXT PRIMARY KEY,"
              " value INTEGER NOT NULL);"));
  {
    THAW_ASSIGN_OR_RETURN(auto q, db.Prepare("SELECT id, account, name, meta FROM kin_streams"
                                             " ORDER BY id"));
    for (;;) {
      THAW_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      auto s = std::make_unique<Stream>();
      s->id = q.Int(0);
      s->account = q.Text(1);
      s->name = q.Text(2);
      json meta = json::parse(q.Text(3), nullptr, false);
      if (!meta.is_object()) continue;
      ApplyMeta(*s, meta);
      next_id_ = std::max(next_id_, s->id + 1);
      for (const Shard& sh : s->shards) {
        next_counter_ = std::max({next_counter_, sh.start_counter + 1, sh.end_counter + 1});
      }
      streams_[s->id] = std::move(s);
    }
  }
  {
    THAW_ASSIGN_OR_RETURN(auto q, db.Prepare("SELECT stream_id, counter, shard, arrival_ms, pkey,"
                                             " data FROM kin_records ORDER BY stream_id, counter"));
    for (;;) {
      THAW_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      auto it = streams_.find(q.Int(0));
      const int64_t counter = q.Int(1);
      next_counter_ = std::max(next_counter_, counter + 1);
      if (it == streams_.end()) continue;
      const int64_t shard = q.Int(2);
      if (shard < 0 || static_cast<size_t>(shard) >= it->second->shards.size()) continue;
      it->second->shards[static_cast<size_t>(shard)].records.push_back(
          Record{counter, q.Int(3), q.Text(4), q.Text(5)});
    }
  }
  {
    // The counter survives trimming and deletion: sequence numbers never repeat.
    THAW_ASSIGN_OR_RETURN(auto q, db.Prepare("SELECT value FROM kin_counters WHERE name = 'next'"));
    THAW_ASSIGN_OR_RETURN(bool row, q.Step());
    if (row) next_counter_ = std::max(next_counter_, q.Int(0));
  }
  committed_ = next_counter_ - 1;
  return Status::Ok();
}

void StreamStore::Start() {
  for (auto& [id, s] : streams_) {
    if (s->status != "ACTIVE") ScheduleStatus(*s);
  }
  Trim();
  ArmSweep();
}

void StreamStore::ArmSweep() {
  sweep_ = std::make_unique<asio::steady_timer>(loop_);
  sweep_->expires_after(std::chrono::milliseconds(kSweepMs));
  sweep_->async_wait(
      [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
        auto a = alive.lock();
        if (ec || !a || !*a) return;
        Trim();
        ArmSweep();
      });
}

// ---- Commit machinery (as dynamodb/table_store) ----

void StreamStore::Persist(Op op) {
  ops_.push_back(std::move(op));
  if (!committing_) Commit();
}

void StreamStore::AfterCommit(std::function<void(Status)> done) {
  if (ops_.empty() && !committing_) {
    asio::post(loop_, [alive = std::weak_ptr<bool>(alive_), done = std::move(done)] {
      if (auto a = alive.lock(); a && *a) done(Status::Ok());
    });
    return;
  }
  after_.push_back(std::move(done));
  if (!committing_) Commit();
}

void StreamStore::Commit() {
  // A hook or answer that wrote started the next commit already; its end calls Commit again.
  if (committing_) return;
  if (ops_.empty()) {
    auto hooks = std::move(hooks_);
    auto after = std::move(after_);
    hooks_.clear();
    after_.clear();
    for (auto& h : hooks) h();
    for (auto& a : after) a(Status::Ok());
    return;
  }
  committing_ = true;
  auto ops = std::move(ops_);
  ops_.clear();
  auto hooks = std::move(hooks_);
  hooks_.clear();
  auto after = std::move(after_);
  after_.clear();
  asio::post(writer_io_, [this, ops = std::move(ops), hooks = std::move(hooks),
                          after = std::move(after), alive = std::weak_ptr<bool>(alive_)]() mutable {
    auto run = [&]() -> Status {
      THAW_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*db_));
      for (auto& op : ops) THAW_RETURN_IF_ERROR(op(*db_));
      return tx->Commit();
    };
    Status status = run();
    if (!status.ok()) {
      THAW_LOG(kError, "kinesis") << "cannot commit " << ops.size()
                                  << " change(s): " << status.ToString();
    }
    asio::post(loop_,
               [this, status, hooks = std::move(hooks), after = std::move(after), alive]() mutable {
                 auto a = alive.lock();
                 if (!a || !*a) return;
                 committing_ = false;
                 for (auto& h : hooks) h();
                 for (auto& d : after) d(status);
                 Commit();
               });
  });
}

// ---- Streams ----

Stream* StreamStore::Find(std::string_view account, std::string_view name) {
  for (auto& [id, s] : streams_) {
    if (s->account == account && s->name == name) return s.get();
  }
  return nullptr;
}

Stream* StreamStore::FindByArn(std::string_view arn) {
  for (auto& [id, s] : streams_) {
    if (s->Arn() == arn) return s.get();
  }
  return nullptr;
}

std::vector<Stream*> StreamStore::List(std::string_view account) {
  std::vector<Stream*> out;
  for (auto& [id, s] : streams_) {
    if (s->account == account) out.push_back(s.get());
  }
  std::sort(out.begin(), out.end(), [](Stream* a, Stream* b) { return a->name < b->name; });
  return out;
}

Shard& StreamStore::AddShard(Stream& stream, uint128 start, uint128 end, std::string parent,
                             std::string adjacent) {
  Shard sh;
  sh.index = static_cast<int>(stream.shards.size());
  sh.parent = std::move(parent);
  sh.adjacent_parent = std::move(adjacent);
  sh.start_hash = start;
  sh.end_hash = end;
  sh.start_counter = next_counter_++;
  stream.shards.push_back(std::move(sh));
  return stream.shards.back();
}

void StreamStore::Close(Shard& shard) {
  shard.end_counter = next_counter_++;
  shard.closed_ms = Now();
}

Stream& StreamStore::Create(std::string account, std::string name, int shard_count,
                            std::string mode, int64_t max_record_kib,
                            std::map<std::string, std::string> tags) {
  auto s = std::make_unique<Stream>();
  s->id = next_id_++;
  s->account = std::move(account);
  s->name = std::move(name);
  s->mode = std::move(mode);
  s->max_record_kib = max_record_kib;
  s->tags = std::move(tags);
  s->created_ms = Now();
  s->status = options_.status_delay_ms > 0 ? "CREATING" : "ACTIVE";
  Stream& stream = *s;
  streams_[stream.id] = std::move(s);
  for (auto [start, end] : EvenRanges(shard_count)) AddShard(stream, start, end, "", "");
  Save(stream);
  ScheduleStatus(stream);
  return stream;
}

void StreamStore::Save(Stream& stream) {
  Persist([id = stream.id, account = stream.account, name = stream.name,
           meta = Dump(MetaOf(stream)), next = next_counter_](store::Database& db) {
    THAW_RETURN_IF_ERROR(Run(
        db,
        "INSERT OR REPLACE INTO kin_streams (id, account, name, meta)"
        " VALUES (?, ?, ?, ?)",
        [&](store::Statement& s) { s.Bind(1, id).Bind(2, account).Bind(3, name).Bind(4, meta); }));
    return Run(db, "INSERT OR REPLACE INTO kin_counters (name, value) VALUES ('next', ?)",
               [&](store::Statement& s) { s.Bind(1, next); });
  });
}

void StreamStore::Delete(Stream& stream) {
  stream.status = "DELETING";
  Save(stream);
  ScheduleStatus(stream);
}

void StreamStore::MarkUpdating(Stream& stream) {
  if (options_.status_delay_ms <= 0) return;
  stream.status = "UPDATING";
  Save(stream);
  ScheduleStatus(stream);
}

void StreamStore::ScheduleStatus(Stream& stream) {
  if (stream.status == "ACTIVE") return;
  auto timer = std::make_unique<asio::steady_timer>(loop_);
  timer->expires_after(std::chrono::milliseconds(options_.status_delay_ms));
  timer->async_wait([this, id = stream.id,
                     alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
    auto a = alive.lock();
    if (ec || !a || !*a) return;
    Settle(id);
  });
  status_timers_[stream.id] = std::move(timer);
}

// The end of a transition: CREATING/UPDATING -> ACTIVE, DELETING -> gone.
void StreamStore::Settle(int64_t stream_id) {
  status_timers_.erase(stream_id);
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  Stream& s = *it->second;
  if (s.status == "DELETING") {
    Persist([stream_id](store::Database& db) {
      for (const char* sql : {"DELETE FROM kin_records WHERE stream_id = ?",
                              "DELETE FROM kin_streams WHERE id = ?"}) {
        THAW_RETURN_IF_ERROR(Run(db, sql, [&](store::Statement& q) { q.Bind(1, stream_id); }));
      }
      return Status::Ok();
    });
    streams_.erase(it);
    return;
  }
  s.status = "ACTIVE";
  Save(s);
}

std::vector<std::string> StreamStore::Split(Stream& stream, Shard& parent, uint128 new_start) {
  const std::string parent_id = parent.Id();
  const uint128 start = parent.start_hash;
  const uint128 end = parent.end_hash;
  Close(parent);
  // `parent` may move when shards grows.
  std::vector<std::string> out;
  out.push_back(AddShard(stream, start, new_start - 1, parent_id, "").Id());
  out.push_back(AddShard(stream, new_start, end, parent_id, "").Id());
  MarkUpdating(stream);
  Save(stream);
  return out;
}

std::string StreamStore::Merge(Stream& stream, Shard& shard, Shard& adjacent) {
  const std::string parent_id = shard.Id();
  const std::string adjacent_id = adjacent.Id();
  const uint128 start = std::min(shard.start_hash, adjacent.start_hash);
  const uint128 end = std::max(shard.end_hash, adjacent.end_hash);
  Close(shard);
  Close(adjacent);
  std::string id = AddShard(stream, start, end, parent_id, adjacent_id).Id();
  MarkUpdating(stream);
  Save(stream);
  return id;
}

void StreamStore::Rescale(Stream& stream, int count) {
  // As Kinesis does it: splits, then merges, so that every shard has at most two parents and a
  // reader that finishes parents before children keeps each key's order. The shards in
  // between are closed at once and hold no records.
  std::vector<int> open;
  for (const Shard& sh : stream.shards) {
    if (sh.open()) open.push_back(sh.index);
  }
  std::sort(open.begin(), open.end(), [&](int a, int b) {
    return stream.shards[a].start_hash < stream.shards[b].start_hash;
  });
  const auto targets = EvenRanges(count);
  // Split every open shard at each target boundary inside it; `pieces` then tile the space and
  // each lies within one target range. (Indexes: AddShard may move the shards.)
  std::vector<int> pieces;
  for (int cur : open) {
    for (const auto& target : targets) {
      const uint128 cut = target.first;
      const Shard& sh = stream.shards[cur];
      if (cut <= sh.start_hash || cut > sh.end_hash) continue;
      const std::string id = sh.Id();
      const uint128 start = sh.start_hash;
      const uint128 end = sh.end_hash;
      Close(stream.shards[cur]);
      pieces.push_back(AddShard(stream, start, cut - 1, id, "").index);
      cur = AddShard(stream, cut, end, id, "").index;
    }
    pieces.push_back(cur);
  }
  // Merge each target range's pieces left to right.
  size_t next = 0;
  for (const auto& [start, end] : targets) {
    int acc = pieces[next++];
    while (next < pieces.size() && stream.shards[pieces[next]].start_hash <= end) {
      Shard& left = stream.shards[acc];
      Shard& right = stream.shards[pieces[next++]];
      const std::string left_id = left.Id();
      const std::string right_id = right.Id();
      Close(left);
      Close(right);
      acc = AddShard(stream, start, right.end_hash, left_id, right_id).index;
    }
  }
  MarkUpdating(stream);
  Save(stream);
}

// ---- Records ----

void StreamStore::Roll(Shard& shard) {
  const int64_t now_s = Now() / 1000;
  if (shard.window_s == now_s) return;
  shard.window_s = now_s;
  shard.window_bytes_in = shard.window_records_in = 0;
  shard.window_bytes_out = shard.window_reads = 0;
}

bool StreamStore::AdmitWrite(Shard& shard, int64_t bytes) {
  if (!options_.enforce_limits) return true;
  Roll(shard);
  if (shard.window_records_in + 1 > kWriteRecordsPerSecond ||
      shard.window_bytes_in + bytes > kWriteBytesPerSecond) {
    return false;
  }
  shard.window_records_in += 1;
  shard.window_bytes_in += bytes;
  return true;
}

bool StreamStore::AdmitRead(Shard& shard, int64_t bytes) {
  if (!options_.enforce_limits) return true;
  Roll(shard);
  if (shard.window_reads + 1 > kReadsPerSecond ||
      (bytes > 0 && shard.window_bytes_out >= kReadBytesPerSecond)) {
    return false;
  }
  shard.window_reads += 1;
  shard.window_bytes_out += bytes;
  return true;
}

std::vector<PutResult> StreamStore::Put(Stream& stream, const std::vector<PutEntry>& entries,
                                        std::function<void(Status)> done) {
  std::vector<PutResult> out;
  struct Row {
    int64_t counter;
    int shard;
    int64_t arrival_ms;
    std::string pkey;
    std::string data;
  };
  std::vector<Row> rows;
  const int64_t now = Now();
  for (const PutEntry& e : entries) {
    PutResult r;
    Shard* shard =
        stream.Route(e.explicit_hash ? *e.explicit_hash : PartitionHash(e.partition_key));
    if (!shard) {
      r.error_code = "InternalFailure";
      r.error_message = "Internal service failure.";
      out.push_back(std::move(r));
      continue;
    }
    if (!AdmitWrite(*shard, static_cast<int64_t>(e.data.size() + e.partition_key.size()))) {
      r.error_code = "ProvisionedThroughputExceededException";
      r.error_message = "Rate exceeded for shard " + shard->Id() + " in stream " + stream.name +
                        " under account " + stream.account + ".";
      out.push_back(std::move(r));
      continue;
    }
    const int64_t counter = next_counter_++;
    shard->records.push_back(Record{counter, now, e.partition_key, e.data});
    rows.push_back(Row{counter, shard->index, now, e.partition_key, e.data});
    r.shard_id = shard->Id();
    r.sequence_number = FormatSequence(shard->index, counter);
    out.push_back(std::move(r));
  }
  if (rows.empty()) {
    AfterCommit(std::move(done));
    return out;
  }
  const int64_t last = next_counter_ - 1;
  hooks_.emplace_back([this, last, arn = stream.Arn()] {
    committed_ = std::max(committed_, last);
    for (auto& [id, l] : std::map<uint64_t, Listener>(listeners_)) {
      if (listeners_.count(id)) l(arn);
    }
  });
  after_.push_back(std::move(done));
  Persist([id = stream.id, rows = std::move(rows)](store::Database& db) {
    THAW_ASSIGN_OR_RETURN(auto stmt, db.Prepare("INSERT INTO kin_records (stream_id, counter,"
                                                " shard, arrival_ms, pkey, data)"
                                                " VALUES (?, ?, ?, ?, ?, ?)"));
    for (const Row& r : rows) {
      stmt.Reset();
      stmt.Bind(1, id).Bind(2, r.counter).Bind(3, int64_t{r.shard}).Bind(4, r.arrival_ms);
      stmt.Bind(5, r.pkey).BindBlob(6, r.data);
      THAW_RETURN_IF_ERROR(stmt.Run());
    }
    return Status::Ok();
  });
  return out;
}

size_t StreamStore::LowerBound(const Shard& shard, int64_t from) const {
  auto it = std::lower_bound(shard.records.begin(), shard.records.end(), from,
                             [](const Record& r, int64_t c) { return r.counter < c; });
  return static_cast<size_t>(it - shard.records.begin());
}

size_t StreamStore::Readable(const Shard& shard) const { return LowerBound(shard, committed_ + 1); }

void StreamStore::Trim() {
  const int64_t now = Now();
  for (auto& entry : streams_) {
    Stream* s = entry.second.get();
    const int64_t cutoff = now - s->retention_hours * 3600000;
    int64_t through = 0;
    for (Shard& sh : s->shards) {
      size_t n = 0;
      while (n < sh.records.size() && sh.records[n].arrival_ms < cutoff &&
             sh.records[n].counter <= committed_) {
        through = std::max(through, sh.records[n].counter);
        ++n;
      }
      sh.records.erase(sh.records.begin(), sh.records.begin() + static_cast<ptrdiff_t>(n));
    }
    if (through == 0) continue;
    Persist([stream_id = s->id, cutoff](store::Database& db) {
      return Run(db, "DELETE FROM kin_records WHERE stream_id = ? AND arrival_ms < ?",
                 [&](store::Statement& q) { q.Bind(1, stream_id).Bind(2, cutoff); });
    });
  }
}

// ---- The trigger's read API ----

StatusOr<std::vector<ShardInfo>> StreamStore::Shards(std::string_view stream_arn) {
  Stream* s = FindByArn(stream_arn);
  if (!s) return NotFoundStream(stream_arn);
  std::vector<ShardInfo> out;
  for (const Shard& sh : s->shards) {
    ShardInfo i;
    i.shard_id = sh.Id();
    i.parent = sh.parent;
    i.adjacent_parent = sh.adjacent_parent;
    i.starting_hash_key = FormatHashKey(sh.start_hash);
    i.ending_hash_key = FormatHashKey(sh.end_hash);
    i.starting_sequence_number = FormatSequence(sh.index, sh.start_counter);
    if (!sh.open()) i.ending_sequence_number = FormatSequence(sh.index, sh.end_counter);
    i.open = sh.open();
    out.push_back(std::move(i));
  }
  return out;
}

StatusOr<ReadResult> StreamStore::Read(std::string_view stream_arn, std::string_view shard_id,
                                       std::string_view after, size_t limit) {
  Stream* s = FindByArn(stream_arn);
  if (!s) return NotFoundStream(stream_arn);
  Shard* sh = s->FindShard(shard_id);
  if (!sh) return Status::NotFound("Shard " + std::string(shard_id) + " not found");
  int64_t from = 0;
  if (!after.empty()) {
    auto p = ParseSequence(after);
    if (!p) return Status::InvalidArgument("bad sequence number " + std::string(after));
    from = p->counter + 1;
  }
  ReadResult out;
  const size_t end = Readable(*sh);
  size_t i = LowerBound(*sh, from);
  for (; i < end && out.records.size() < limit; ++i) {
    const Record& r = sh->records[i];
    out.records.push_back(
        RecordView{FormatSequence(sh->index, r.counter), r.partition_key, r.data, r.arrival_ms});
  }
  out.shard_ended = !sh->open() && i >= end && end == sh->records.size();
  if (!out.records.empty() && end > 0) {
    out.millis_behind = sh->records[end - 1].arrival_ms - out.records.back().arrival_ms;
  }
  return out;
}

StatusOr<std::string> StreamStore::LatestPosition(std::string_view stream_arn,
                                                  std::string_view shard_id) {
  Stream* s = FindByArn(stream_arn);
  if (!s) return NotFoundStream(stream_arn);
  Shard* sh = s->FindShard(shard_id);
  if (!sh) return Status::NotFound("Shard " + std::string(shard_id) + " not found");
  const size_t end = Readable(*sh);
  if (end == 0) return FormatSequence(sh->index, sh->start_counter);
  return FormatSequence(sh->index, sh->records[end - 1].counter);
}

StatusOr<std::string> StreamStore::TimestampPosition(std::string_view stream_arn,
                                                     std::string_view shard_id,
                                                     int64_t timestamp_ms) {
  Stream* s = FindByArn(stream_arn);
  if (!s) return NotFoundStream(stream_arn);
  Shard* sh = s->FindShard(shard_id);
  if (!sh) return Status::NotFound("Shard " + std::string(shard_id) + " not found");
  const size_t end = Readable(*sh);
  for (size_t i = 0; i < end; ++i) {
    if (sh->records[i].arrival_ms >= timestamp_ms) {
      if (i == 0) return std::string();
      return FormatSequence(sh->index, sh->records[i - 1].counter);
    }
  }
  if (end == 0) return FormatSequence(sh->index, sh->start_counter);
  return FormatSequence(sh->index, sh->records[end - 1].counter);
}

uint64_t StreamStore::Listen(Listener listener) {
  const uint64_t id = next_listener_++;
  listeners_[id] = std::move(listener);
  return id;
}

void StreamStore::Unlisten(uint64_t id) { listeners_.erase(id); }

}  // namespace thaw::kinesis
