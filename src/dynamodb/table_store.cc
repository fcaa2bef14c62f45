#include "dynamodb/table_store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <boost/asio/post.hpp>

#include "base/codec.h"
#include "base/log.h"

namespace thaw::dynamodb {

namespace asio = boost::asio;

namespace {

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Status Run(store::Database& db, std::string_view sql,
           const std::function<void(store::Statement&)>& bind) {
  THAW_ASSIGN_OR_RETURN(auto stmt, db.Prepare(sql));
  bind(stmt);
  return stmt.Run();
}

// "2026-12-07T11:14:11.123": a stream label (FormatIsoMillis without its Z).
std::string Label(int64_t ms) {
  std::string iso = FormatIsoMillis(ms);
  if (!iso.empty() && iso.back() == 'Z') iso.pop_back();
  return iso;
}

}  // namespace

std::string FormatSequence(int64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%021lld", static_cast<long long>(seq));
  return buf;
}

std::optional<int64_t> ParseSequence(std::string_view text) {
  if (text.empty() || text.size() > 40) return std::nullopt;
  size_t lead = text.find_first_not_of('0');
  if (lead == std::string_view::npos) return 0;
  auto v = ParseInt(text.substr(lead));
  if (!v || *v < 0) return std::nullopt;
  return v;
}

StatusOr<ItemKey> KeyOf(const KeySchema& keys, const Item& item, bool key_only) {
  ItemKey out;
  if (key_only && item.size() != (keys.range ? 2u : 1u)) {
    return Status::InvalidArgument("The provided key element does not match the schema");
  }
  for (int part = 0; part < 2; ++part) {
    const KeyDef* def = part == 0 ? &keys.hash : (keys.range ? &*keys.range : nullptr);
    if (!def) break;
    auto it = item.find(def->name);
    if (it == item.end()) {
      if (key_only)
        return Status::InvalidArgument("The provided key element does not match the schema");
      return Status::InvalidArgument("One or more parameter values were invalid: Missing the key " +
                                     def->name + " in the item");
    }
    const AttributeValue& v = it->second;
    if (TypeName(v.type()) != std::string_view(&def->type, 1)) {
      if (key_only)
        return Status::InvalidArgument("The provided key element does not match the schema");
      return Status::InvalidArgument(
          "One or more parameter values were invalid: Type mismatch for key " + def->name +
          " expected: " + std::string(1, def->type) +
          " actual: " + std::string(TypeName(v.type())));
    }
    if (v.type() != ValueType::kN && v.str_or_bytes().empty()) {
      return Status::InvalidArgument(
          std::string("One or more parameter values are not valid. The AttributeValue for a key"
                      " attribute cannot contain an empty ") +
          (def->type == 'S' ? "string" : "binary") + " value. Key: " + def->name);
    }
    (part == 0 ? out.hash : out.range) = EncodeKeyValue(v);
  }
  return out;
}

Item KeyAttributes(const KeySchema& keys, const Item& item) {
  Item out;
  if (auto it = item.find(keys.hash.name); it != item.end()) out.emplace(*it);
  if (keys.range) {
    if (auto it = item.find(keys.range->name); it != item.end()) out.emplace(*it);
  }
  return out;
}

std::string Stream::Arn() const {
  return std::string("arn:aws:dynamodb:") + kRegion + ":" + account + ":table/" + table_name +
         "/stream/" + label;
}

std::string Table::Arn() const {
  return std::string("arn:aws:dynamodb:") + kRegion + ":" + account + ":table/" + name;
}

Index* Table::FindIndex(std::string_view index_name) {
  for (auto& i : indexes) {
    if (i->name == index_name) return i.get();
  }
  return nullptr;
}

// ---- Open and load ----

TableStore::TableStore(asio::io_context& loop, std::unique_ptr<store::Database> db, Options options,
                       const Clock& clock)
    : loop_(loop),
      options_(std::move(options)),
      clock_(&clock),
      db_(std::move(db)),
      writer_work_(asio::make_work_guard(writer_io_)),
      alive_(std::make_shared<bool>(true)) {}

StatusOr<std::unique_ptr<TableStore>> TableStore::Open(asio::io_context& loop, Options options) {
  const Clock& clock = options.clock ? *options.clock : SystemClock::Get();
  THAW_ASSIGN_OR_RETURN(auto db, store::Database::Open(options.path));
  std::unique_ptr<TableStore> store(new TableStore(loop, std::move(db), std::move(options), clock));
  THAW_RETURN_IF_ERROR(store->Load());
  store->writer_ = std::thread([s = store.get()] { s->writer_io_.run(); });
  return store;
}

TableStore::~TableStore() {
  *alive_ = false;
  writer_work_.reset();
  if (writer_.joinable()) writer_.join();
}

namespace {

StatusOr<KeySchema> ParseKeySchema(const json& key_schema, const json& definitions) {
  KeySchema out;
  bool have_hash = false;
  for (const auto& k : key_schema) {
    KeyDef def;
    def.name = k.value("AttributeName", "");
    for (const auto& d : definitions) {
      if (d.value("AttributeName", "") == def.name) {
        std::string t = d.value("AttributeType", "S");
        def.type = t.empty() ? 'S' : t[0];
      }
    }
    if (k.value("KeyType", "") == "HASH") {
      out.hash = def;
      have_hash = true;
    } else {
      out.range = def;
    }
  }
  if (!have_hash) return Status::InvalidArgument("no HASH key");
  return out;
}

}  // namespace

Status TableStore::Load() {
  store::Database& db = *db_;
  THAW_RETURN_IF_ERROR(db.Exec(
      "CREATE TABLE IF NOT EXISTS ddb_tables (id INTEGER PRIMARY KEY, account TEXT NOT NULL,"
      " name TEXT NOT NULL, status TEXT NOT NULL, spec TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS ddb_items (table_id INTEGER NOT NULL, hash BLOB NOT NULL,"
      " range BLOB NOT NULL, item TEXT NOT NULL, PRIMARY KEY (table_id, hash, range))"
      " WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS ddb_streams (id INTEGER PRIMARY KEY, table_id INTEGER NOT NULL,"
      " meta TEXT NOT NULL);"
      "CREATE TABLE IF NOT EXISTS ddb_stream_records (stream_id INTEGER NOT NULL,"
      " seq INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
      " record TEXT NOT NULL, PRIMARY KEY (stream_id, seq)) WITHOUT ROWID;"));
  {
    THAW_ASSIGN_OR_RETURN(auto q, db.Prepare("SELECT id, account, name, status, spec"
                                             " FROM ddb_tables ORDER BY id"));
    for (;;) {
      THAW_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      auto t = std::make_unique<Table>();
      t->id = q.Int(0);
      t->account = q.Text(1);
      t->name = q.Text(2);
      t->status = q.Text(3);
      t->spec = json::parse(q.Text(4), nullptr, false);
      if (!t->spec.is_object()) continue;
      auto keys = ParseKeySchema(t->spec["KeySchema"], t->spec["AttributeDefinitions"]);
      if (!keys.ok()) continue;
      t->keys = *keys;
      for (const char* kind : {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"}) {
        if (!t->spec.contains(kind)) continue;
        for (const auto& spec : t->spec[kind]) {
          auto index = std::make_unique<Index>();
          index->name = spec.value("IndexName", "");
          index->global = kind[0] == 'G';
          index->spec = spec;
          auto ikeys = ParseKeySchema(spec["KeySchema"], t->spec["AttributeDefinitions"]);
          if (!ikeys.ok()) continue;
          index->keys = *ikeys;
          t->indexes.push_back(std::move(index));
        }
      }
      next_id_ = std::max(next_id_, t->id + 1);
      tables_[t->id] = std::move(t);
    }
  }
  {
    THAW_ASSIGN_OR_RETURN(auto q, db.Prepare("SELECT table_id, hash, range, item FROM ddb_items"
                                             " ORDER BY table_id, hash, range"));
    for (;;) {
      THAW_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      auto it = tables_.find(q.Int(0));
      if (it == tables_.end()) continue;
      Table& t = *it->second;
      auto item = ItemFromJson(json::parse(q.Text(3), nullptr, false));
      if (!item.ok()) continue;
      ItemKey key{q.Text(1), q.Text(2)};
      t.item_bytes += static_cast<int64_t>(ItemSize(*item));
      IndexItem(t, key, *item, true);
      t.items.emplace(std::move(key), std::move(*item));
    }
  }
  {
    THAW_ASSIGN_OR_RETURN(auto q, db.Prepare("SELECT id, table_id, meta FROM ddb_streams"));
    for (;;) {
      THAW_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      json meta = json::parse(q.Text(2), nullptr, false);
      if (!meta.is_object()) continue;
      auto s = std::make_unique<Stream>();
      s->id = q.Int(0);
      s->table_id = q.Int(1);
      s->account = meta.value("account", "");
      s->table_name = meta.value("table", "");
      s->label = meta.value("label", "");
      s->view_type = meta.value("view", "");
      s->enabled = meta.value("enabled", false);
      s->created_ms = meta.value("created", int64_t{0});
      s->disabled_ms = meta.value("disabled", int64_t{0});
      s->trimmed_through = meta.value("trimmed", int64_t{0});
      auto keys = ParseKeySchema(meta["KeySchema"], meta["AttributeDefinitions"]);
      if (keys.ok()) s->keys = *keys;
      for (const auto& sh : meta["shards"]) {
        s->shards.push_back({sh.value("id", ""), sh.value("parent", ""),
                             sh.value("start", int64_t{0}), sh.value("end", int64_t{0}),
                             sh.value("created", int64_t{0})});
        next_seq_ = std::max(next_seq_, sh.value("start", int64_t{0}));
      }
      if (s->enabled) {
        auto t = tables_.find(s->table_id);
        if (t != tables_.end()) t->second->stream = s.get();
      }
      next_id_ = std::max(next_id_, s->id + 1);
      streams_[s->id] = std::move(s);
    }
  }
  {
    THAW_ASSIGN_OR_RETURN(auto q, db.Prepare("SELECT stream_id, seq, created_ms, record"
                                             " FROM ddb_stream_records ORDER BY stream_id, seq"));
    for (;;) {
      THAW_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      const int64_t seq = q.Int(1);
      next_seq_ = std::max(next_seq_, seq + 1);
      auto it = streams_.find(q.Int(0));
      if (it == streams_.end()) continue;
      StreamRecord r;
      r.seq = seq;
      r.created_ms = q.Int(2);
      r.record = json::parse(q.Text(3), nullptr, false);
      it->second->records.emplace(seq, std::move(r));
    }
  }
  committed_seq_ = next_seq_ - 1;
  return Status::Ok();
}

void TableStore::Start() {
  for (auto& [id, t] : tables_) {
    if (t->status != "ACTIVE") ScheduleStatus(*t);
  }
  ArmSweep();
}

// ---- Commit machinery (as sqs/queue_store) ----

void TableStore::Persist(Op op) {
  ops_.push_back(std::move(op));
  if (!committing_) Commit();
}

void TableStore::AfterCommit(std::function<void(Status)> done) {
  if (ops_.empty() && !committing_) {
    asio::post(loop_, [alive = std::weak_ptr<bool>(alive_), done = std::move(done)] {
      if (auto a = alive.lock(); a && *a) done(Status::Ok());
    });
    return;
  }
  after_.push_back(std::move(done));
  if (!committing_) Commit();
}

void TableStore::Commit() {
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
      THAW_LOG(kError, "dynamodb")
          << "cannot commit " << ops.size() << " change(s): " << status.ToString();
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

void TableStore::PersistTable(const Table& t) {
  Persist([id = t.id, account = t.account, name = t.name, status = t.status,
           spec = Dump(t.spec)](store::Database& db) {
    return Run(db,
               "INSERT OR REPLACE INTO ddb_tables (id, account, name, status, spec)"
               " VALUES (?, ?, ?, ?, ?)",
               [&](store::Statement& s) {
                 s.Bind(1, id).Bind(2, account).Bind(3, name).Bind(4, status).Bind(5, spec);
               });
  });
}

void TableStore::PersistStream(const Stream& s) {
  json shards = json::array();
  for (const auto& sh : s.shards) {
    shards.push_back({{"id", sh.id},
                      {"parent", sh.parent},
                      {"start", sh.start},
                      {"end", sh.end},
                      {"created", sh.created_ms}});
  }
  json key_schema = json::array();
  json definitions = json::array();
  auto add = [&](const KeyDef& d, const char* kind) {
    key_schema.push_back({{"AttributeName", d.name}, {"KeyType", kind}});
    definitions.push_back({{"AttributeName", d.name}, {"AttributeType", std::string(1, d.type)}});
  };
  add(s.keys.hash, "HASH");
  if (s.keys.range) add(*s.keys.range, "RANGE");
  json meta = {{"account", s.account},
               {"table", s.table_name},
               {"label", s.label},
               {"view", s.view_type},
               {"enabled", s.enabled},
               {"created", s.created_ms},
               {"disabled", s.disabled_ms},
               {"trimmed", s.trimmed_through},
               {"shards", shards},
               {"KeySchema", key_schema},
               {"AttributeDefinitions", definitions}};
  Persist([id = s.id, table_id = s.table_id, text = Dump(meta)](store::Database& db) {
    return Run(db, "INSERT OR REPLACE INTO ddb_streams (id, table_id, meta) VALUES (?, ?, ?)",
               [&](store::Statement& st) { st.Bind(1, id).Bind(2, table_id).Bind(3, text); });
  });
}

// ---- Tables ----

Table* TableStore::Find(std::string_view account, std::string_view name) {
  for (auto& [id, t] : tables_) {
    if (t->account == account && t->name == name) return t.get();
  }
  return nullptr;
}

std::vector<Table*> TableStore::List(std::string_view account) {
  std::vector<Table*> out;
  for (auto& [id, t] : tables_) {
    if (t->account == account) out.push_back(t.get());
  }
  std::sort(out.begin(), out.end(), [](Table* a, Table* b) { return a->name < b->name; });
  return out;
}

Table& TableStore::CreateTable(std::string account, std::string name, KeySchema keys, json spec,
                               std::vector<std::unique_ptr<Index>> indexes) {
  auto t = std::make_unique<Table>();
  t->id = next_id_++;
  t->account = std::move(account);
  t->name = std::move(name);
  t->keys = std::move(keys);
  t->spec = std::move(spec);
  t->indexes = std::move(indexes);
  t->status = options_.status_delay_ms > 0 ? "CREATING" : "ACTIVE";
  Table& table = *t;
  tables_[table.id] = std::move(t);
  SaveTable(table);
  ScheduleStatus(table);
  return table;
}

void TableStore::SaveTable(Table& table) {
  const json spec = table.spec.value("StreamSpecification", json());
  const bool want = spec.is_object() && spec.value("StreamEnabled", false);
  if (want && !table.stream) {
    OpenStream(table, spec.value("StreamViewType", "NEW_AND_OLD_IMAGES"));
  } else if (!want && table.stream) {
    CloseStream(*table.stream);
    table.stream = nullptr;
  }
  if (table.stream) {
    table.spec["LatestStreamLabel"] = table.stream->label;
  }
  PersistTable(table);
}

void TableStore::MarkUpdating(Table& table) {
  if (options_.status_delay_ms <= 0) return;
  table.status = "UPDATING";
  PersistTable(table);
  ScheduleStatus(table);
}

void TableStore::ScheduleStatus(Table& table) {
  if (table.status == "ACTIVE") return;
  auto timer = std::make_unique<asio::steady_timer>(loop_);
  timer->expires_after(std::chrono::milliseconds(options_.status_delay_ms));
  timer->async_wait([this, id = table.id,
                     alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
    auto a = alive.lock();
    if (ec || !a || !*a) return;
    Settle(id);
  });
  status_timers_[table.id] = std::move(timer);
}

// The end of a transition: CREATING/UPDATING -> ACTIVE, DELETING -> gone.
void TableStore::Settle(int64_t table_id) {
  status_timers_.erase(table_id);
  auto it = tables_.find(table_id);
  if (it == tables_.end()) return;
  Table& t = *it->second;
  if (t.status == "DELETING") {
    Persist([table_id](store::Database& db) {
      for (const char* sql :
           {"DELETE FROM ddb_items WHERE table_id = ?", "DELETE FROM ddb_tables WHERE id = ?"}) {
        THAW_RETURN_IF_ERROR(Run(db, sql, [&](store::Statement& s) { s.Bind(1, table_id); }));
      }
      return Status::Ok();
    });
    tables_.erase(it);
    return;
  }
  for (const char* kind : {"GlobalSecondaryIndexes"}) {
    if (!t.spec.contains(kind)) continue;
    json kept = json::array();
    for (auto& spec : t.spec[kind]) {
      if (spec.value("IndexStatus", "") == "DELETING") continue;
      spec["IndexStatus"] = "ACTIVE";
      kept.push_back(spec);
    }
    t.spec[kind] = kept;
    for (auto& index : t.indexes) {
      if (index->global) index->spec["IndexStatus"] = "ACTIVE";
    }
    if (kept.empty()) t.spec.erase(kind);
  }
  t.status = "ACTIVE";
  PersistTable(t);
}

void TableStore::DeleteTable(Table& table) {
  if (table.stream) {
    CloseStream(*table.stream);
    table.stream = nullptr;
  }
  table.status = "DELETING";
  table.items.clear();
  for (auto& i : table.indexes) i->entries.clear();
  if (options_.status_delay_ms <= 0) {
    Settle(table.id);
    return;
  }
  PersistTable(table);
  ScheduleStatus(table);
}

void TableStore::AddIndex(Table& table, std::unique_ptr<Index> index) {
  Index& i = *index;
  table.indexes.push_back(std::move(index));
  for (const auto& [key, item] : table.items) {
    auto ikey = KeyOf(i.keys, item, false);
    if (ikey.ok()) i.entries.insert({*ikey, key});
  }
  if (!table.spec.contains("GlobalSecondaryIndexes"))
    table.spec["GlobalSecondaryIndexes"] = json::array();
  i.spec["IndexStatus"] = options_.status_delay_ms > 0 ? "CREATING" : "ACTIVE";
  table.spec["GlobalSecondaryIndexes"].push_back(i.spec);
  MarkUpdating(table);
  PersistTable(table);
}

void TableStore::DropIndex(Table& table, std::string_view index_name) {
  std::erase_if(table.indexes, [&](const auto& i) { return i->name == index_name; });
  json& gsis = table.spec["GlobalSecondaryIndexes"];
  if (options_.status_delay_ms > 0) {
    for (auto& spec : gsis) {
      if (spec.value("IndexName", "") == index_name) spec["IndexStatus"] = "DELETING";
    }
  } else {
    json kept = json::array();
    for (auto& spec : gsis) {
      if (spec.value("IndexName", "") != index_name) kept.push_back(spec);
    }
    gsis = kept;
    if (gsis.empty()) table.spec.erase("GlobalSecondaryIndexes");
  }
  MarkUpdating(table);
  PersistTable(table);
}

// ---- Streams ----

void TableStore::OpenStream(Table& table, const std::string& view_type) {
  auto s = std::make_unique<Stream>();
  s->id = next_id_++;
  s->table_id = table.id;
  s->account = table.account;
  s->table_name = table.name;
  int64_t now = Now();
  // A new label each time, even within one millisecond of the last one.
  for (auto& [id, other] : streams_) {
    if (other->table_id == table.id && other->created_ms >= now) now = other->created_ms + 1;
  }
  s->created_ms = now;
  s->label = Label(now);
  s->view_type = view_type;
  s->keys = table.keys;
  s->enabled = true;
  Stream& stream = *s;
  streams_[stream.id] = std::move(s);
  table.stream = &stream;
  AddShard(stream, "");
  PersistStream(stream);
}

void TableStore::AddShard(Stream& stream, std::string parent) {
  Shard shard;
  shard.created_ms = Now();
  char id[64];
  std::snprintf(id, sizeof id, "shardId-%020lld-%s", static_cast<long long>(shard.created_ms),
                RandomHex(4).c_str());
  shard.id = id;
  shard.parent = std::move(parent);
  shard.start = next_seq_;
  stream.shards.push_back(std::move(shard));
}

void TableStore::CloseStream(Stream& stream) {
  stream.enabled = false;
  stream.disabled_ms = Now();
  if (!stream.shards.empty() && stream.shards.back().end == 0) {
    Shard& open = stream.shards.back();
    open.end = std::max(open.start, next_seq_ - 1);
  }
  PersistStream(stream);
}

void TableStore::Maintain(Stream& stream) {
  const int64_t now = Now();
  bool changed = false;
  if (stream.enabled && !stream.shards.empty()) {
    Shard& open = stream.shards.back();
    if (open.end == 0 && now - open.created_ms >= options_.shard_rollover_ms) {
      // A sequence number of its own marks the end, so the child starts after it.
      open.end = next_seq_++;
      AddShard(stream, open.id);
      changed = true;
    }
  }
  int64_t trim = stream.trimmed_through;
  for (auto it = stream.records.begin(); it != stream.records.end();) {
    if (now - it->second.created_ms < options_.retention_ms || it->first > committed_seq_) break;
    trim = it->first;
    it = stream.records.erase(it);
  }
  if (trim != stream.trimmed_through) {
    stream.trimmed_through = trim;
    changed = true;
    Persist([id = stream.id, trim](store::Database& db) {
      return Run(db, "DELETE FROM ddb_stream_records WHERE stream_id = ? AND seq <= ?",
                 [&](store::Statement& s) { s.Bind(1, id).Bind(2, trim); });
    });
  }
  // Closed shards older than the retention whose records are all trimmed are gone.
  while (stream.shards.size() > 1) {
    const Shard& first = stream.shards.front();
    auto left = stream.records.lower_bound(first.start);
    const bool empty = left == stream.records.end() || left->first > first.end;
    if (first.end == 0 || !empty || now - first.created_ms < options_.retention_ms) break;
    stream.trimmed_through = std::max(stream.trimmed_through, first.end);
    stream.shards.erase(stream.shards.begin());
    changed = true;
  }
  if (changed) PersistStream(stream);
}

std::shared_ptr<void> TableStore::ListenStreams(std::function<void()> wake) {
  auto handle = std::make_shared<std::function<void()>>(std::move(wake));
  stream_listeners_.push_back(handle);
  return handle;
}

Stream* TableStore::FindStream(std::string_view arn) {
  for (auto& [id, s] : streams_) {
    if (s->Arn() == arn) return s.get();
  }
  return nullptr;
}

std::vector<Stream*> TableStore::Streams(std::string_view account) {
  std::vector<Stream*> out;
  for (auto& [id, s] : streams_) {
    if (s->account != account) continue;
    // A disabled stream stays readable for the retention period.
    if (!s->enabled && Now() - s->disabled_ms >= options_.retention_ms) continue;
    out.push_back(s.get());
  }
  return out;
}

// ---- Items ----

void TableStore::IndexItem(Table& table, const ItemKey& key, const Item& item, bool add) {
  for (auto& index : table.indexes) {
    auto ikey = KeyOf(index->keys, item, false);
    if (!ikey.ok()) continue;  // sparse: items without the index's keys are not in it
    if (add) {
      index->entries.insert({*ikey, key});
    } else {
      index->entries.erase({*ikey, key});
    }
  }
}

std::optional<json> TableStore::MakeRecord(Table& table, const Item* old_item, const Item* new_item,
                                           bool by_ttl) {
  if (!table.stream) return std::nullopt;
  Stream& s = *table.stream;
  Maintain(s);
  const Item keys = KeyAttributes(table.keys, new_item ? *new_item : *old_item);
  json d = json::object();
  const int64_t now = Now();
  d["ApproximateCreationDateTime"] = now / 1000;
  d["Keys"] = ItemToJson(keys);
  const bool want_new = s.view_type == "NEW_IMAGE" || s.view_type == "NEW_AND_OLD_IMAGES";
  const bool want_old = s.view_type == "OLD_IMAGE" || s.view_type == "NEW_AND_OLD_IMAGES";
  size_t size = ItemSize(keys);
  if (want_new && new_item) {
    d["NewImage"] = ItemToJson(*new_item);
    size += ItemSize(*new_item);
  }
  if (want_old && old_item) {
    d["OldImage"] = ItemToJson(*old_item);
    size += ItemSize(*old_item);
  }
  const int64_t seq = next_seq_++;
  d["SequenceNumber"] = FormatSequence(seq);
  d["SizeBytes"] = static_cast<int64_t>(size);
  d["StreamViewType"] = s.view_type;
  json r = {{"eventID", RandomHex(16)},
            {"eventName", !old_item ? "INSERT" : (!new_item ? "REMOVE" : "MODIFY")},
            {"eventVersion", "1.1"},
            {"eventSource", "aws:dynamodb"},
            {"awsRegion", kRegion},
            {"dynamodb", d}};
  if (by_ttl) r["userIdentity"] = {{"PrincipalId", "dynamodb.amazonaws.com"}, {"Type", "Service"}};
  StreamRecord rec;
  rec.seq = seq;
  rec.created_ms = now;
  rec.record = r;
  s.records.emplace(seq, rec);
  return r;
}

void TableStore::Write(std::vector<Change> changes, std::function<void(Status)> done) {
  struct Row {
    int64_t table_id = 0;
    ItemKey key;
    std::optional<std::string> item;  // nullopt: delete
    int64_t stream_id = 0;
    int64_t seq = 0;
    int64_t created_ms = 0;
    std::string record;
  };
  std::vector<Row> rows;
  int64_t last_seq = 0;
  std::vector<std::pair<int64_t, ItemKey>> touched;
  for (auto& c : changes) {
    Table& t = *c.table;
    auto it = t.items.find(c.key);
    const Item* old_item = it == t.items.end() ? nullptr : &it->second;
    if (!old_item && !c.item) continue;
    if (old_item && c.item && *old_item == *c.item) continue;
    Row row;
    row.table_id = t.id;
    row.key = c.key;
    auto record = MakeRecord(t, old_item, c.item ? &*c.item : nullptr, c.by_ttl);
    if (record) {
      row.stream_id = t.stream->id;
      row.seq = last_seq = next_seq_ - 1;
      row.created_ms = Now();
      row.record = Dump(*record);
    }
    if (old_item) {
      t.item_bytes -= static_cast<int64_t>(ItemSize(*old_item));
      IndexItem(t, c.key, *old_item, false);
    }
    if (c.item) {
      row.item = Dump(ItemToJson(*c.item));
      t.item_bytes += static_cast<int64_t>(ItemSize(*c.item));
      IndexItem(t, c.key, *c.item, true);
      t.items[c.key] = std::move(*c.item);
    } else {
      t.items.erase(it);
    }
    ++t.pending;
    ++t.pending_keys[c.key];
    touched.push_back({t.id, c.key});
    rows.push_back(std::move(row));
  }
  if (rows.empty()) {
    AfterCommit(std::move(done));
    return;
  }
  // Committed: readable. Table ids, not pointers: a table may be deleted meanwhile. The hook and
  // `done` go in before the op, so they belong to the commit that holds it.
  hooks_.push_back([this, touched = std::move(touched), last_seq] {
    for (const auto& [id, key] : touched) {
      auto it = tables_.find(id);
      if (it == tables_.end()) continue;
      --it->second->pending;
      if (auto k = it->second->pending_keys.find(key);
          k != it->second->pending_keys.end() && --k->second == 0) {
        it->second->pending_keys.erase(k);
      }
    }
    committed_seq_ = std::max(committed_seq_, last_seq);
    if (last_seq > 0) {
      std::erase_if(stream_listeners_, [](const auto& l) { return l.expired(); });
      for (const auto& weak : stream_listeners_) {
        asio::post(loop_, [weak] {
          if (auto wake = weak.lock()) (*wake)();
        });
      }
    }
  });
  after_.push_back(std::move(done));
  Persist([rows = std::move(rows)](store::Database& db) {
    for (const auto& r : rows) {
      if (r.item) {
        THAW_RETURN_IF_ERROR(Run(db,
                                 "INSERT OR REPLACE INTO ddb_items (table_id, hash, range, item)"
                                 " VALUES (?, ?, ?, ?)",
                                 [&](store::Statement& s) {
                                   s.Bind(1, r.table_id)
                                       .BindBlob(2, r.key.hash)
                                       .BindBlob(3, r.key.range)
                                       .Bind(4, *r.item);
                                 }));
      } else {
        THAW_RETURN_IF_ERROR(
            Run(db, "DELETE FROM ddb_items WHERE table_id = ? AND hash = ? AND range = ?",
                [&](store::Statement& s) {
                  s.Bind(1, r.table_id).BindBlob(2, r.key.hash).BindBlob(3, r.key.range);
                }));
      }
      if (r.stream_id) {
        THAW_RETURN_IF_ERROR(
            Run(db,
                "INSERT INTO ddb_stream_records (stream_id, seq,"
                " created_ms, record) VALUES (?, ?, ?, ?)",
                [&](store::Statement& s) {
                  s.Bind(1, r.stream_id).Bind(2, r.seq).Bind(3, r.created_ms).Bind(4, r.record);
                }));
      }
    }
    return Status::Ok();
  });
}

void TableStore::WhenReadable(Table& table, const ItemKey* key, std::function<void()> done) {
  if (key ? table.pending_keys.count(*key) == 0 : table.pending == 0) {
    done();
    return;
  }
  AfterCommit([done = std::move(done)](Status) { done(); });
}

// ---- TTL ----

void TableStore::ArmSweep() {
  if (options_.ttl_sweep_ms <= 0) return;
  sweep_ = std::make_unique<asio::steady_timer>(loop_);
  sweep_->expires_after(std::chrono::milliseconds(options_.ttl_sweep_ms));
  sweep_->async_wait(
      [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
        auto a = alive.lock();
        if (ec || !a || !*a) return;
        SweepTtl();
        ArmSweep();
      });
}

void TableStore::SweepTtl() {
  const int64_t now_s = Now() / 1000;
  std::vector<Change> changes;
  for (auto& [id, t] : tables_) {
    if (t->stream) Maintain(*t->stream);
    const json ttl = t->spec.value("TimeToLiveDescription", json());
    if (!ttl.is_object() || ttl.value("TimeToLiveStatus", "") != "ENABLED") continue;
    const std::string attr = ttl.value("AttributeName", "");
    for (const auto& [key, item] : t->items) {
      auto a = item.find(attr);
      if (a == item.end() || a->second.type() != ValueType::kN) continue;
      // Epoch seconds; AWS ignores values more than five years in the past.
      int64_t when = 0;
      if (!a->second.number().ToInt64(&when)) {
        // A fraction expires with its whole second; a huge value never.
        double approx = std::strtod(a->second.number().ToString().c_str(), nullptr);
        if (approx > 1e15 || approx < 0) continue;
        when = static_cast<int64_t>(approx);
      }
      if (when > now_s || when < now_s - 5 * 365 * 86400) continue;
      changes.push_back({t.get(), key, std::nullopt, true});
    }
  }
  if (!changes.empty()) Write(std::move(changes), [](Status) {});
}

}  // namespace thaw::dynamodb
