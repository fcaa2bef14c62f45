#include "sqs/queue_store.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "base/log.h"

namespace thaw::sqs {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

int AttributeInt(const std::map<std::string, std::string>& attributes, const char* name,
                 int fallback) {
  auto it = attributes.find(name);
  if (it == attributes.end()) return fallback;
  auto v = ParseInt(it->second);
  return v ? static_cast<int>(*v) : fallback;
}

std::string EncodeMap(const std::map<std::string, std::string>& map) {
  return json(map).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::map<std::string, std::string> DecodeMap(const std::string& text) {
  std::map<std::string, std::string> out;
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object()) return out;
  for (auto& [k, v] : j.items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

// Values are base64 so binary ones and any bytes survive JSON.
std::string EncodeAttributes(const MessageAttributes& attributes) {
  json j = json::object();
  for (const auto& [name, a] : attributes) {
    j[name] = {{"t", a.data_type}, {"v", Base64Encode(a.value)}};
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

MessageAttributes DecodeAttributes(const std::string& text) {
  MessageAttributes out;
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object()) return out;
  for (auto& [name, v] : j.items()) {
    if (!v.is_object() || !v["t"].is_string() || !v["v"].is_string()) continue;
    out[name] = {v["t"].get<std::string>(),
                 Base64Decode(v["v"].get<std::string>()).value_or(std::string())};
  }
  return out;
}

std::string DedupKey(const Queue& queue, const Message& m) {
  return queue.dedup_per_group ? m.group_id + '\n' + m.dedup_id : m.dedup_id;
}

}  // namespace

struct Queue::Waiter {
  int max = 1;
  int visibility_s = 30;
  bool durable = true;
  QueueStore::ReceiveDone done;
  std::unique_ptr<asio::steady_timer> timer;
};

std::string Queue::Arn() const {
  return std::string("arn:aws:sqs:") + kRegion + ":" + account + ":" + name;
}

void Queue::Refresh() {
  auto flag = [this](const char* key) {
    auto it = attributes.find(key);
    return it != attributes.end() && EqualsIgnoreCase(it->second, "true");
  };
  fifo = flag("FifoQueue");
  content_dedup = flag("ContentBasedDeduplication");
  auto scope = attributes.find("DeduplicationScope");
  dedup_per_group = scope != attributes.end() && scope->second == "messageGroup";
  delay_s = AttributeInt(attributes, "DelaySeconds", 0);
  visibility_timeout_s = AttributeInt(attributes, "VisibilityTimeout", 30);
  retention_s = AttributeInt(attributes, "MessageRetentionPeriod", 345600);
  wait_s = AttributeInt(attributes, "ReceiveMessageWaitTimeSeconds", 0);
  max_size = AttributeInt(attributes, "MaximumMessageSize", 1048576);
  max_receive_count = 0;
  dlq_arn.clear();
  policy.reset();
  if (auto it = attributes.find("Policy"); it != attributes.end() && !it->second.empty()) {
    // Checked when set; one that no longer parses admits only the owner.
    auto parsed = auth::Policy::ParseText(it->second);
    if (parsed.ok()) policy = std::make_shared<const auth::Policy>(std::move(*parsed));
  }
  auto redrive = attributes.find("RedrivePolicy");
  if (redrive != attributes.end()) {
    auto j = json::parse(redrive->second, nullptr, false);
    if (j.is_object()) {
      if (j["deadLetterTargetArn"].is_string()) dlq_arn = j["deadLetterTargetArn"];
      auto& count = j["maxReceiveCount"];
      if (count.is_number_integer()) max_receive_count = count.get<int>();
      if (count.is_string())
        max_receive_count = static_cast<int>(ParseInt(count.get<std::string>()).value_or(0));
    }
  }
}

QueueStore::QueueStore(asio::io_context& loop, std::unique_ptr<store::Database> db,
                       const Clock& clock)
    : loop_(loop),
      clock_(&clock),
      db_(std::move(db)),
      writer_work_(asio::make_work_guard(writer_io_)),
      alive_(std::make_shared<bool>(true)) {}

StatusOr<std::unique_ptr<QueueStore>> QueueStore::Open(asio::io_context& loop, Options options) {
  const Clock& clock = options.clock ? *options.clock : SystemClock::Get();
  THAW_ASSIGN_OR_RETURN(auto db, store::Database::Open(options.path));
  std::unique_ptr<QueueStore> store(new QueueStore(loop, std::move(db), clock));
  THAW_RETURN_IF_ERROR(store->Load());
  store->writer_ = std::thread([s = store.get()] { s->writer_io_.run(); });
  return store;
}

QueueStore::~QueueStore() {
  *alive_ = false;
  writer_work_.reset();
  if (writer_.joinable()) writer_.join();
}

Status QueueStore::Load() {
  store::Database& db = *db_;
  THAW_RETURN_IF_ERROR(db.Exec(
      "CREATE TABLE IF NOT EXISTS sqs_queues (id INTEGER PRIMARY KEY, account TEXT NOT NULL,"
      " name TEXT NOT NULL, attributes TEXT NOT NULL, tags TEXT NOT NULL,"
      " created_s INTEGER NOT NULL, modified_s INTEGER NOT NULL,"
      " last_purge_ms INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS sqs_messages (seq INTEGER PRIMARY KEY,"
      " queue_id INTEGER NOT NULL, message_id TEXT NOT NULL, body BLOB NOT NULL,"
      " attributes TEXT NOT NULL, sender_id TEXT NOT NULL, group_id TEXT NOT NULL,"
      " dedup_id TEXT NOT NULL, trace_header TEXT NOT NULL, dlq_source_arn TEXT NOT NULL,"
      " sent_ms INTEGER NOT NULL, visible_at_ms INTEGER NOT NULL,"
      " first_receive_ms INTEGER NOT NULL, receive_count INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS sqs_dedup (queue_id INTEGER NOT NULL,"
      " dedup_key TEXT NOT NULL, message_id TEXT NOT NULL, seq INTEGER NOT NULL,"
      " expires_ms INTEGER NOT NULL, PRIMARY KEY (queue_id, dedup_key));"));
  THAW_RETURN_IF_ERROR(
      db.Exec("DELETE FROM sqs_dedup WHERE expires_ms < " + std::to_string(Now())));
  {
    THAW_ASSIGN_OR_RETURN(auto q, db.Prepare("SELECT id, account, name, attributes, tags,"
                                             " created_s, modified_s, last_purge_ms"
                                             " FROM sqs_queues"));
    for (;;) {
      THAW_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      auto queue = std::make_unique<Queue>();
      queue->id = q.Int(0);
      queue->account = q.Text(1);
      queue->name = q.Text(2);
      queue->attributes = DecodeMap(q.Text(3));
      queue->tags = DecodeMap(q.Text(4));
      queue->created_s = q.Int(5);
      queue->modified_s = q.Int(6);
      queue->last_purge_ms = q.Int(7);
      queue->Refresh();
      next_queue_id_ = std::max(next_queue_id_, queue->id + 1);
      queues_[queue->id] = std::move(queue);
    }
  }
  {
    THAW_ASSIGN_OR_RETURN(
        auto m, db.Prepare("SELECT seq, queue_id, message_id, body, attributes, sender_id,"
                           " group_id, dedup_id, trace_header, dlq_source_arn, sent_ms,"
                           " visible_at_ms, first_receive_ms, receive_count FROM sqs_messages"
                           " ORDER BY seq"));
    for (;;) {
      THAW_ASSIGN_OR_RETURN(bool row, m.Step());
      if (!row) break;
      Message msg;
      msg.seq = m.Int(0);
      next_seq_ = std::max(next_seq_, msg.seq + 1);
      auto it = queues_.find(m.Int(1));
      if (it == queues_.end()) continue;
      msg.id = m.Text(2);
      msg.body = m.Text(3);
      msg.attributes = DecodeAttributes(m.Text(4));
      msg.sender_id = m.Text(5);
      msg.group_id = m.Text(6);
      msg.dedup_id = m.Text(7);
      msg.trace_header = m.Text(8);
      msg.dlq_source_arn = m.Text(9);
      msg.sent_ms = m.Int(10);
      msg.visible_at_ms = m.Int(11);
      msg.first_receive_ms = m.Int(12);
      msg.receive_count = static_cast<int>(m.Int(13));
      msg.stored = true;
      Queue& queue = *it->second;
      Index(queue, msg);
      queue.messages_.emplace(msg.seq, std::move(msg));
    }
  }
  {
    THAW_ASSIGN_OR_RETURN(
        auto d,
        db.Prepare("SELECT queue_id, dedup_key, message_id, seq, expires_ms FROM sqs_dedup"));
    for (;;) {
      THAW_ASSIGN_OR_RETURN(bool row, d.Step());
      if (!row) break;
      auto it = queues_.find(d.Int(0));
      if (it == queues_.end()) continue;
      it->second->dedup_[d.Text(1)] = {d.Text(2), d.Int(3), d.Int(4)};
      next_seq_ = std::max(next_seq_, d.Int(3) + 1);
    }
  }
  return Status::Ok();
}

// ---- Commit machinery ----

void QueueStore::Persist(Op op) {
  ops_.push_back(std::move(op));
  if (!committing_) Commit();
}

void QueueStore::OnCommit(std::function<void()> hook) { hooks_.push_back(std::move(hook)); }

void QueueStore::AfterCommit(std::function<void(Status)> done) {
  if (ops_.empty() && !committing_) {
    asio::post(loop_, [alive = std::weak_ptr<bool>(alive_), done = std::move(done)] {
      if (auto a = alive.lock(); a && *a) done(Status::Ok());
    });
    return;
  }
  after_.push_back(std::move(done));
  if (!committing_) Commit();
}

// Group commit: one transaction for every change since the last one.
void QueueStore::Commit() {
  // A hook or answer that wrote started the next commit already; its end calls Commit again.
  if (committing_) return;
  if (ops_.empty()) {
    // Everything before these callbacks is already committed.
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
      THAW_LOG(kError, "sqs") << "cannot commit " << ops.size()
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

namespace {
Status Run(store::Database& db, std::string_view sql,
           const std::function<void(store::Statement&)>& bind) {
  THAW_ASSIGN_OR_RETURN(auto stmt, db.Prepare(sql));
  bind(stmt);
  return stmt.Run();
}
}  // namespace

void QueueStore::PersistMessage(int64_t queue_id, const Message& m) {
  Persist([queue_id, m](store::Database& db) {
    return Run(db,
               "INSERT OR REPLACE INTO sqs_messages (seq, queue_id, message_id, body, attributes,"
               " sender_id, group_id, dedup_id, trace_header, dlq_source_arn, sent_ms,"
               " visible_at_ms, first_receive_ms, receive_count)"
               " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               [&](store::Statement& s) {
                 s.Bind(1, m.seq)
                     .Bind(2, queue_id)
                     .Bind(3, m.id)
                     .BindBlob(4, m.body)
                     .Bind(5, EncodeAttributes(m.attributes))
                     .Bind(6, m.sender_id)
                     .Bind(7, m.group_id)
                     .Bind(8, m.dedup_id)
                     .Bind(9, m.trace_header)
                     .Bind(10, m.dlq_source_arn)
                     .Bind(11, m.sent_ms)
                     .Bind(12, m.visible_at_ms)
                     .Bind(13, m.first_receive_ms)
                     .Bind(14, static_cast<int64_t>(m.receive_count));
               });
  });
}

void QueueStore::PersistReceive(const Message& m) {
  Persist([seq = m.seq, visible = m.visible_at_ms, first = m.first_receive_ms,
           count = m.receive_count](store::Database& db) {
    return Run(
        db,
        "UPDATE sqs_messages SET visible_at_ms = ?, first_receive_ms = ?,"
        " receive_count = ? WHERE seq = ?",
        [&](store::Statement& s) {
          s.Bind(1, visible).Bind(2, first).Bind(3, static_cast<int64_t>(count)).Bind(4, seq);
        });
  });
}

void QueueStore::PersistRemove(int64_t seq) {
  Persist([seq](store::Database& db) {
    return Run(db, "DELETE FROM sqs_messages WHERE seq = ?",
               [&](store::Statement& s) { s.Bind(1, seq); });
  });
}

// ---- Queues ----

Queue* QueueStore::Find(std::string_view account, std::string_view name) {
  for (auto& [id, q] : queues_) {
    if (q->account == account && q->name == name) return q.get();
  }
  return nullptr;
}

Queue* QueueStore::FindArn(std::string_view arn) {
  for (auto& [id, q] : queues_) {
    if (q->Arn() == arn) return q.get();
  }
  return nullptr;
}

std::vector<Queue*> QueueStore::List(std::string_view account, std::string_view prefix) {
  std::vector<Queue*> out;
  for (auto& [id, q] : queues_) {
    if (q->account == account && std::string_view(q->name).starts_with(prefix)) {
      out.push_back(q.get());
    }
  }
  std::sort(out.begin(), out.end(), [](Queue* a, Queue* b) { return a->name < b->name; });
  return out;
}

std::vector<Queue*> QueueStore::SourcesOf(const Queue& dlq) {
  std::vector<Queue*> out;
  const std::string arn = dlq.Arn();
  for (auto& [id, q] : queues_) {
    if (q->dlq_arn == arn) out.push_back(q.get());
  }
  std::sort(out.begin(), out.end(), [](Queue* a, Queue* b) { return a->name < b->name; });
  return out;
}

Queue& QueueStore::CreateQueue(std::string account, std::string name,
                               std::map<std::string, std::string> attributes,
                               std::map<std::string, std::string> tags) {
  auto queue = std::make_unique<Queue>();
  queue->id = next_queue_id_++;
  queue->account = std::move(account);
  queue->name = std::move(name);
  queue->attributes = std::move(attributes);
  queue->tags = std::move(tags);
  queue->created_s = queue->modified_s = Now() / 1000;
  queue->Refresh();
  Queue& q = *queue;
  queues_[q.id] = std::move(queue);
  SaveQueue(q);
  return q;
}

void QueueStore::SaveQueue(Queue& q) {
  Persist([id = q.id, account = q.account, name = q.name, attributes = EncodeMap(q.attributes),
           tags = EncodeMap(q.tags), created = q.created_s, modified = q.modified_s,
           purge = q.last_purge_ms](store::Database& db) {
    return Run(db,
               "INSERT OR REPLACE INTO sqs_queues (id, account, name, attributes, tags, created_s,"
               " modified_s, last_purge_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               [&](store::Statement& s) {
                 s.Bind(1, id)
                     .Bind(2, account)
                     .Bind(3, name)
                     .Bind(4, attributes)
                     .Bind(5, tags)
                     .Bind(6, created)
                     .Bind(7, modified)
                     .Bind(8, purge);
               });
  });
}

void QueueStore::DeleteQueue(Queue& queue) {
  const int64_t id = queue.id;
  for (auto& w : queue.waiters_) {
    auto done = std::move(w->done);
    asio::post(loop_, [done = std::move(done)] { done(Status::Ok(), {}); });
  }
  queue.waiters_.clear();
  Persist([id](store::Database& db) {
    for (const char* sql :
         {"DELETE FROM sqs_messages WHERE queue_id = ?", "DELETE FROM sqs_dedup WHERE queue_id = ?",
          "DELETE FROM sqs_queues WHERE id = ?"}) {
      THAW_RETURN_IF_ERROR(Run(db, sql, [&](store::Statement& s) { s.Bind(1, id); }));
    }
    return Status::Ok();
  });
  queues_.erase(id);
}

void QueueStore::Purge(Queue& queue) {
  queue.messages_.clear();
  queue.by_time_.clear();
  queue.last_purge_ms = Now();
  Persist([id = queue.id](store::Database& db) {
    return Run(db, "DELETE FROM sqs_messages WHERE queue_id = ?",
               [&](store::Statement& s) { s.Bind(1, id); });
  });
  SaveQueue(queue);
}

QueueCounts QueueStore::Count(Queue& queue) {
  QueueCounts c;
  const int64_t now = Now();
  for (auto& [seq, m] : queue.messages_) {
    // Expired messages are dropped when a receive meets them; they no longer count.
    if (!m.stored || m.sent_ms + int64_t{queue.retention_s} * 1000 <= now) continue;
    if (m.visible_at_ms <= now) {
      ++c.visible;
    } else if (m.receive_count == 0) {
      ++c.delayed;
    } else {
      ++c.in_flight;
    }
  }
  return c;
}

// ---- Messages ----

void QueueStore::Index(Queue& queue, const Message& m) {
  if (!queue.fifo) queue.by_time_.insert({m.visible_at_ms, m.seq});
}

void QueueStore::Unindex(Queue& queue, const Message& m) {
  if (!queue.fifo) queue.by_time_.erase({m.visible_at_ms, m.seq});
}

void QueueStore::Remove(Queue& queue, int64_t seq) {
  auto it = queue.messages_.find(seq);
  if (it == queue.messages_.end()) return;
  if (it->second.stored) Unindex(queue, it->second);
  queue.messages_.erase(it);
  PersistRemove(seq);
}

QueueStore::SendResult QueueStore::Send(Queue& queue, Message m) {
  const int64_t now = Now();
  std::string dedup_key;
  if (queue.fifo) {
    dedup_key = DedupKey(queue, m);
    auto it = queue.dedup_.find(dedup_key);
    if (it != queue.dedup_.end() && it->second.expires_ms > now) {
      return {it->second.message_id, it->second.seq, true};
    }
  }
  m.seq = next_seq_++;
  m.id = NewUuid();
  m.sent_ms = now;
  if (m.visible_at_ms < now) m.visible_at_ms = now;
  m.stored = false;
  SendResult result{m.id, m.seq, false};
  if (queue.fifo) {
    Queue::Dedup d{m.id, m.seq, now + kDedupWindowMs};
    queue.dedup_[dedup_key] = d;
    Persist([id = queue.id, dedup_key, d](store::Database& db) {
      return Run(db,
                 "INSERT OR REPLACE INTO sqs_dedup (queue_id, dedup_key, message_id, seq,"
                 " expires_ms) VALUES (?, ?, ?, ?, ?)",
                 [&](store::Statement& s) {
                   s.Bind(1, id)
                       .Bind(2, dedup_key)
                       .Bind(3, d.message_id)
                       .Bind(4, d.seq)
                       .Bind(5, d.expires_ms);
                 });
    });
  }
  PersistMessage(queue.id, m);
  const int64_t seq = m.seq;
  queue.messages_.emplace(seq, std::move(m));
  OnCommit([this, queue_id = queue.id, seq] {
    auto q = queues_.find(queue_id);
    if (q == queues_.end()) return;
    auto it = q->second->messages_.find(seq);
    if (it == q->second->messages_.end() || it->second.stored) return;
    it->second.stored = true;
    Index(*q->second, it->second);
    Serve(*q->second);
  });
  if (!queue.fifo) HandOver(queue, seq);
  return result;
}

// The oldest parked receive, if it is an in-process reader's, takes the message before its
// commit. Its receive (ordered after the insert) and whatever it does next go into the same or a
// later commit, so the store on disk never holds a receive or delete without its message.
void QueueStore::HandOver(Queue& queue, int64_t seq) {
  if (queue.waiters_.empty() || queue.waiters_.front()->durable) return;
  const int64_t now = Now();
  Message& m = queue.messages_.at(seq);
  if (m.visible_at_ms > now) return;  // delayed
  auto waiter = queue.waiters_.front();
  queue.waiters_.erase(queue.waiters_.begin());
  waiter->timer->cancel();
  std::vector<Delivered> got;
  got.push_back(Deliver(queue, m, waiter->visibility_s, now));
  Answer(/*durable=*/false, std::move(waiter->done), std::move(got));
  ArmWake(queue);
}

bool QueueStore::MoveToDlq(Queue& queue, Message& m) {
  if (queue.max_receive_count <= 0 || m.receive_count < queue.max_receive_count) return false;
  Queue* dlq = FindArn(queue.dlq_arn);
  if (!dlq || dlq == &queue) return false;
  Message moved = std::move(m);
  queue.messages_.erase(moved.seq);
  moved.dlq_source_arn = queue.Arn();
  moved.visible_at_ms = Now();
  PersistMessage(dlq->id, moved);
  Index(*dlq, moved);
  const int64_t seq = moved.seq;
  dlq->messages_.emplace(seq, std::move(moved));
  Queue* target = dlq;
  asio::post(loop_, [this, alive = std::weak_ptr<bool>(alive_), id = target->id] {
    auto a = alive.lock();
    if (!a || !*a) return;
    if (auto q = queues_.find(id); q != queues_.end()) Serve(*q->second);
  });
  return true;
}

Delivered QueueStore::Deliver(const Queue& queue, Message& m, int visibility_s, int64_t now) {
  ++m.receive_count;
  if (m.first_receive_ms == 0) m.first_receive_ms = now;
  m.visible_at_ms = now + int64_t{visibility_s} * 1000;
  m.receipt = RandomHex(8);
  PersistReceive(m);
  Delivered d;
  d.message = m;
  d.receipt_handle =
      Base64Encode(std::to_string(queue.id) + ":" + std::to_string(m.seq) + ":" + m.receipt);
  return d;
}

std::vector<Delivered> QueueStore::Take(Queue& queue, int max, int visibility_s) {
  std::vector<Delivered> out;
  const int64_t now = Now();
  auto deliver = [&](Message& m) { out.push_back(Deliver(queue, m, visibility_s, now)); };
  auto expired = [&](const Message& m) {
    return m.sent_ms + int64_t{queue.retention_s} * 1000 <= now;
  };
  if (!queue.fifo) {
    while (static_cast<int>(out.size()) < max && !queue.by_time_.empty() &&
           queue.by_time_.begin()->first <= now) {
      const int64_t seq = queue.by_time_.begin()->second;
      queue.by_time_.erase(queue.by_time_.begin());
      Message& m = queue.messages_.at(seq);
      if (expired(m)) {
        queue.messages_.erase(seq);
        PersistRemove(seq);
        continue;
      }
      if (MoveToDlq(queue, m)) continue;
      deliver(m);
      Index(queue, m);
    }
    return out;
  }
  // FIFO: the oldest message of each group, and only while none of the group is in flight.
  std::set<std::string> locked;
  for (auto it = queue.messages_.begin();
       it != queue.messages_.end() && static_cast<int>(out.size()) < max;) {
    Message& m = it->second;
    if (!m.stored) break;  // committed in order: nothing later is stored either
    auto next = std::next(it);
    if (locked.count(m.group_id)) {
      it = next;
      continue;
    }
    if (m.visible_at_ms > now) {
      locked.insert(m.group_id);
      it = next;
      continue;
    }
    if (expired(m)) {
      PersistRemove(m.seq);
      queue.messages_.erase(it);
      it = next;
      continue;
    }
    if (MoveToDlq(queue, m)) {
      it = next;
      continue;
    }
    deliver(m);
    it = next;
  }
  return out;
}

void QueueStore::Receive(Queue& queue, ReceiveOptions options, ReceiveDone done) {
  const int visibility = options.visibility_timeout_s.value_or(queue.visibility_timeout_s);
  const int wait = options.wait_s.value_or(queue.wait_s);
  // Parked receives come first: they have waited longer.
  if (!queue.waiters_.empty()) Serve(queue);
  std::vector<Delivered> got;
  if (queue.waiters_.empty()) got = Take(queue, options.max_messages, visibility);
  if (!got.empty() || wait <= 0) {
    Answer(options.durable, std::move(done), std::move(got));
    return;
  }
  auto waiter = std::make_shared<Queue::Waiter>();
  waiter->max = options.max_messages;
  waiter->visibility_s = visibility;
  waiter->durable = options.durable;
  waiter->done = std::move(done);
  waiter->timer = std::make_unique<asio::steady_timer>(loop_, std::chrono::seconds(wait));
  waiter->timer->async_wait(
      [this, alive = std::weak_ptr<bool>(alive_), queue_id = queue.id,
       w = std::weak_ptr<Queue::Waiter>(waiter)](const boost::system::error_code& ec) {
        auto a = alive.lock();
        if (ec || !a || !*a) return;
        auto parked = w.lock();
        if (!parked) return;
        auto q = queues_.find(queue_id);
        if (q != queues_.end()) {
          auto& ws = q->second->waiters_;
          ws.erase(std::remove(ws.begin(), ws.end(), parked), ws.end());
        }
        auto answer = std::move(parked->done);
        if (answer) answer(Status::Ok(), {});
      });
  queue.waiters_.push_back(std::move(waiter));
  Serve(queue);
}

// Answers parked receives while messages are receivable, then arms the wake timer.
void QueueStore::Serve(Queue& queue) {
  while (!queue.waiters_.empty()) {
    auto waiter = queue.waiters_.front();
    auto got = Take(queue, waiter->max, waiter->visibility_s);
    if (got.empty()) break;
    queue.waiters_.erase(queue.waiters_.begin());
    waiter->timer->cancel();
    Answer(waiter->durable, std::move(waiter->done), std::move(got));
  }
  ArmWake(queue);
}

void QueueStore::Answer(bool durable, ReceiveDone done, std::vector<Delivered> got) {
  if (durable) {
    AfterCommit([done = std::move(done), got = std::move(got)](Status s) mutable {
      done(s, std::move(got));
    });
    return;
  }
  // Posted, not called: the caller may be inside its own Receive.
  asio::post(loop_, [alive = std::weak_ptr<bool>(alive_), done = std::move(done),
                     got = std::move(got)]() mutable {
    auto a = alive.lock();
    if (a && *a) done(Status::Ok(), std::move(got));
  });
}

void QueueStore::ArmWake(Queue& queue) {
  if (queue.waiters_.empty()) {
    if (queue.wake_) queue.wake_->cancel();
    return;
  }
  const int64_t now = Now();
  int64_t next = std::numeric_limits<int64_t>::max();
  if (!queue.fifo) {
    auto it = queue.by_time_.upper_bound({now, std::numeric_limits<int64_t>::max()});
    if (it != queue.by_time_.end()) next = it->first;
  } else {
    for (auto& [seq, m] : queue.messages_) {
      if (m.stored && m.visible_at_ms > now) next = std::min(next, m.visible_at_ms);
    }
  }
  if (next == std::numeric_limits<int64_t>::max()) return;
  if (!queue.wake_) queue.wake_ = std::make_unique<asio::steady_timer>(loop_);
  queue.wake_->expires_after(std::chrono::milliseconds(next - now + 1));
  queue.wake_->async_wait([this, alive = std::weak_ptr<bool>(alive_),
                           id = queue.id](const boost::system::error_code& ec) {
    auto a = alive.lock();
    if (ec || !a || !*a) return;
    if (auto q = queues_.find(id); q != queues_.end()) Serve(*q->second);
  });
}

std::optional<std::pair<int64_t, int64_t>> QueueStore::ParseHandle(const Queue& queue,
                                                                   std::string_view handle) const {
  auto raw = Base64Decode(handle);
  if (!raw) return std::nullopt;
  auto first = raw->find(':');
  auto second = raw->find(':', first == std::string::npos ? 0 : first + 1);
  if (first == std::string::npos || second == std::string::npos) return std::nullopt;
  auto queue_id = ParseInt(std::string_view(*raw).substr(0, first));
  auto seq = ParseInt(std::string_view(*raw).substr(first + 1, second - first - 1));
  if (!queue_id || !seq) return std::nullopt;
  (void)queue;
  return std::make_pair(*queue_id, *seq);
}

QueueStore::HandleResult QueueStore::DeleteMessage(Queue& queue, std::string_view handle) {
  auto parsed = ParseHandle(queue, handle);
  if (!parsed || parsed->first != queue.id) return HandleResult::kInvalid;
  // A message already deleted (or from an older receive) is not an error, as in SQS.
  Remove(queue, parsed->second);
  if (queue.fifo) Serve(queue);
  return HandleResult::kOk;
}

QueueStore::HandleResult QueueStore::ChangeVisibility(Queue& queue, std::string_view handle,
                                                      int timeout_s) {
  auto parsed = ParseHandle(queue, handle);
  if (!parsed || parsed->first != queue.id) return HandleResult::kInvalid;
  auto it = queue.messages_.find(parsed->second);
  const int64_t now = Now();
  if (it == queue.messages_.end() || it->second.receive_count == 0 ||
      it->second.visible_at_ms <= now) {
    return HandleResult::kNotInFlight;
  }
  Message& m = it->second;
  // A message handed over before its commit is indexed by that commit.
  if (m.stored) Unindex(queue, m);
  m.visible_at_ms = now + int64_t{timeout_s} * 1000;
  if (m.stored) Index(queue, m);
  PersistReceive(m);
  Serve(queue);
  return HandleResult::kOk;
}

}  // namespace thaw::sqs
