#include "sns/topic_store.h"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "base/codec.h"
#include "base/log.h"

namespace thaw::sns {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::map<std::string, std::string> StringMap(const json& j) {
  std::map<std::string, std::string> out;
  if (!j.is_object()) return out;
  for (auto& [k, v] : j.items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool Flag(const std::map<std::string, std::string>& attributes, const char* key) {
  auto it = attributes.find(key);
  return it != attributes.end() && EqualsIgnoreCase(it->second, "true");
}

}  // namespace

std::string Topic::Arn() const {
  return std::string("arn:aws:sns:") + kRegion + ":" + account + ":" + name;
}

void Topic::Refresh() {
  fifo = Flag(attributes, "FifoTopic");
  content_dedup = Flag(attributes, "ContentBasedDeduplication");
  policy.reset();
  if (auto it = attributes.find("Policy"); it != attributes.end() && !it->second.empty()) {
    // Checked when set; one that no longer parses admits only the owner, as the default does.
    auto parsed = auth::Policy::ParseText(it->second);
    if (parsed.ok()) policy = std::make_shared<const auth::Policy>(std::move(*parsed));
  }
}

json Topic::ToJson() const {
  return {{"account", account},
          {"name", name},
          {"attributes", attributes},
          {"tags", tags},
          {"next_sequence", next_sequence}};
}

Topic Topic::FromJson(const json& j) {
  Topic t;
  t.account = Str(j, "account");
  t.name = Str(j, "name");
  t.attributes = StringMap(j.value("attributes", json::object()));
  t.tags = StringMap(j.value("tags", json::object()));
  t.next_sequence = j.value("next_sequence", int64_t{1});
  t.Refresh();
  return t;
}

void Subscription::Refresh() {
  raw = Flag(attributes, "RawMessageDelivery");
  auto scope = attributes.find("FilterPolicyScope");
  body_scope = scope != attributes.end() && scope->second == "MessageBody";
  filter.reset();
  if (auto it = attributes.find("FilterPolicy"); it != attributes.end() && !it->second.empty()) {
    auto parsed = ParseFilterPolicy(it->second, body_scope);
    if (parsed.ok()) filter = *parsed;
  }
  dlq_arn.clear();
  if (auto it = attributes.find("RedrivePolicy"); it != attributes.end()) {
    auto j = json::parse(it->second, nullptr, false);
    if (j.is_object()) dlq_arn = Str(j, "deadLetterTargetArn");
  }
}

json Subscription::ToJson() const {
  return {{"arn", arn},
          {"topic_arn", topic_arn},
          {"protocol", protocol},
          {"endpoint", endpoint},
          {"owner", owner},
          {"attributes", attributes},
          {"confirmed", confirmed},
          {"token", token}};
}

Subscription Subscription::FromJson(const json& j) {
  Subscription s;
  s.arn = Str(j, "arn");
  s.topic_arn = Str(j, "topic_arn");
  s.protocol = Str(j, "protocol");
  s.endpoint = Str(j, "endpoint");
  s.owner = Str(j, "owner");
  s.attributes = StringMap(j.value("attributes", json::object()));
  s.confirmed = j.value("confirmed", true);
  s.token = Str(j, "token");
  s.Refresh();
  return s;
}

json Delivery::ToJson() const {
  json attrs = json::object();
  for (const auto& [name, a] : attributes) {
    attrs[name] = {{"t", a.data_type}, {"v", Base64Encode(a.value)}};
  }
  return {{"subscription_arn", subscription_arn},
          {"protocol", protocol},
          {"target", target},
          {"body", body},
          {"attributes", attrs},
          {"message_type", message_type},
          {"message_id", message_id},
          {"dlq_arn", dlq_arn},
          {"group_id", group_id},
          {"dedup_id", dedup_id},
          {"trace_header", trace_header},
          {"attempts", attempts}};
}

Delivery Delivery::FromJson(const json& j) {
  Delivery d;
  d.subscription_arn = Str(j, "subscription_arn");
  d.protocol = Str(j, "protocol");
  d.target = Str(j, "target");
  d.body = Str(j, "body");
  if (auto it = j.find("attributes"); it != j.end() && it->is_object()) {
    for (auto& [name, v] : it->items()) {
      if (!v.is_object()) continue;
      d.attributes[name] = {Str(v, "t"), Base64Decode(Str(v, "v")).value_or(std::string())};
    }
  }
  d.message_type = Str(j, "message_type");
  d.message_id = Str(j, "message_id");
  d.dlq_arn = Str(j, "dlq_arn");
  d.group_id = Str(j, "group_id");
  d.dedup_id = Str(j, "dedup_id");
  d.trace_header = Str(j, "trace_header");
  d.attempts = j.value("attempts", 0);
  return d;
}

StatusOr<std::shared_ptr<const filter::Pattern>> ParseFilterPolicy(const std::string& policy,
                                                                   bool body_scope) {
  auto j = json::parse(policy, nullptr, false);
  if (!j.is_object()) {
    return Status::InvalidArgument("Invalid parameter: FilterPolicy: failed to parse JSON.");
  }
  if (!body_scope && j.size() > 5) {
    return Status::InvalidArgument(
        "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys");
  }
  for (auto& [k, v] : j.items()) {
    if (!body_scope && k != "$or" && !v.is_array()) {
      return Status::InvalidArgument("Invalid parameter: FilterPolicy: \"" + k +
                                     "\" must be an object or an array");
    }
  }
  std::string reason;
  auto pattern = filter::Pattern::Parse(policy, &reason);
  if (!pattern.ok()) {
    return Status::InvalidArgument(
        "Invalid parameter: FilterPolicy: " +
        (reason.empty() ? std::string("invalid filter policy") : reason));
  }
  return std::make_shared<const filter::Pattern>(std::move(*pattern));
}

TopicStore::TopicStore(asio::io_context& loop, std::unique_ptr<store::Database> db,
                       const Clock& clock)
    : loop_(loop),
      clock_(&clock),
      db_(std::move(db)),
      writer_work_(asio::make_work_guard(writer_io_)),
      alive_(std::make_shared<bool>(true)) {}

StatusOr<std::unique_ptr<TopicStore>> TopicStore::Open(asio::io_context& loop,
                                                       const Options& options) {
  const Clock& clock = options.clock ? *options.clock : SystemClock::Get();
  THAW_ASSIGN_OR_RETURN(auto db, store::Database::Open(options.path));
  std::unique_ptr<TopicStore> store(new TopicStore(loop, std::move(db), clock));
  THAW_RETURN_IF_ERROR(store->Load());
  store->writer_ = std::thread([s = store.get()] { s->writer_io_.run(); });
  return store;
}

TopicStore::~TopicStore() {
  *alive_ = false;
  writer_work_.reset();
  if (writer_.joinable()) writer_.join();
}

Status TopicStore::Load() {
  store::Database& db = *db_;
  THAW_RETURN_IF_ERROR(
      db.Exec("CREATE TABLE IF NOT EXISTS sns_topics (key TEXT PRIMARY KEY, data TEXT NOT NULL);"
              "CREATE TABLE IF NOT EXISTS sns_subscriptions (key TEXT PRIMARY KEY,"
              " data TEXT NOT NULL);"
              "CREATE TABLE IF NOT EXISTS sns_deliveries (key INTEGER PRIMARY KEY,"
              " data TEXT NOT NULL);"
              "CREATE TABLE IF NOT EXISTS sns_dedup (key TEXT PRIMARY KEY, data TEXT NOT NULL);"));
  auto rows = [&db](const char* table,
                    const std::function<void(const std::string&, const json&)>& each) -> Status {
    THAW_ASSIGN_OR_RETURN(
        auto q, db.Prepare(std::string("SELECT key, data FROM ") + table + " ORDER BY key"));
    for (;;) {
      THAW_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) return Status::Ok();
      auto j = json::parse(q.Text(1), nullptr, false);
      if (j.is_object()) each(q.Text(0), j);
    }
  };
  THAW_RETURN_IF_ERROR(rows("sns_topics", [this](const std::string& key, const json& j) {
    topics_[key] = std::make_unique<Topic>(Topic::FromJson(j));
  }));
  THAW_RETURN_IF_ERROR(rows("sns_subscriptions", [this](const std::string& key, const json& j) {
    subscriptions_[key] = std::make_unique<Subscription>(Subscription::FromJson(j));
  }));
  THAW_RETURN_IF_ERROR(rows("sns_deliveries", [this](const std::string& key, const json& j) {
    Delivery d = Delivery::FromJson(j);
    d.id = ParseInt(key).value_or(0);
    next_delivery_ = std::max(next_delivery_, d.id + 1);
    loaded_.push_back(std::move(d));
  }));
  // FIFO deduplication ids: "TOPIC_ARN|DEDUP_ID"; the expired are dropped at the next commit.
  const int64_t now = clock_->RealtimeMillis();
  std::vector<std::string> stale;
  THAW_RETURN_IF_ERROR(rows("sns_dedup", [&](const std::string& key, const json& j) {
    const auto bar = key.find('|');
    Topic* t = bar == std::string::npos ? nullptr : FindTopic(key.substr(0, bar));
    const int64_t expires = j.value("expires_ms", int64_t{0});
    if (!t || expires <= now) {
      stale.push_back(key);
      return;
    }
    t->dedup_[key.substr(bar + 1)] = {Str(j, "message_id"), expires};
  }));
  for (std::string& key : stale) Erase("sns_dedup", std::move(key));
  return Status::Ok();
}

void TopicStore::Start() {
  auto loaded = std::move(loaded_);
  loaded_.clear();
  if (!listener_) return;
  for (const Delivery& d : loaded) listener_(d);
}

Topic* TopicStore::FindTopic(std::string_view arn) {
  auto it = topics_.find(arn);
  return it == topics_.end() ? nullptr : it->second.get();
}

std::vector<Topic*> TopicStore::Topics(std::string_view account) {
  std::vector<Topic*> out;
  for (auto& [arn, t] : topics_) {
    if (t->account == account) out.push_back(t.get());
  }
  return out;
}

Topic& TopicStore::CreateTopic(Topic topic) {
  topic.Refresh();
  std::string arn = topic.Arn();
  auto& slot = topics_[arn];
  slot = std::make_unique<Topic>(std::move(topic));
  SaveTopic(*slot);
  return *slot;
}

void TopicStore::SaveTopic(const Topic& topic) { Put("sns_topics", topic.Arn(), topic.ToJson()); }

void TopicStore::DeleteTopic(std::string_view arn) {
  for (Subscription* s : SubscriptionsOf(arn)) RemoveSubscription(std::string(s->arn));
  auto it = topics_.find(arn);
  if (it == topics_.end()) return;
  topics_.erase(it);
  Erase("sns_topics", std::string(arn));
}

Subscription* TopicStore::FindSubscription(std::string_view arn) {
  auto it = subscriptions_.find(arn);
  return it == subscriptions_.end() ? nullptr : it->second.get();
}

std::vector<Subscription*> TopicStore::SubscriptionsOf(std::string_view topic_arn) {
  std::vector<Subscription*> out;
  for (auto& [arn, s] : subscriptions_) {
    if (s->topic_arn == topic_arn) out.push_back(s.get());
  }
  return out;
}

std::vector<Subscription*> TopicStore::Subscriptions(std::string_view owner) {
  std::vector<Subscription*> out;
  for (auto& [arn, s] : subscriptions_) {
    if (s->owner == owner) out.push_back(s.get());
  }
  return out;
}

Subscription& TopicStore::AddSubscription(Subscription subscription) {
  subscription.Refresh();
  std::string arn = subscription.arn;
  auto& slot = subscriptions_[arn];
  slot = std::make_unique<Subscription>(std::move(subscription));
  SaveSubscription(*slot);
  return *slot;
}

void TopicStore::SaveSubscription(const Subscription& subscription) {
  Put("sns_subscriptions", subscription.arn, subscription.ToJson());
}

void TopicStore::RemoveSubscription(std::string_view arn) {
  auto it = subscriptions_.find(arn);
  if (it == subscriptions_.end()) return;
  subscriptions_.erase(it);
  Erase("sns_subscriptions", std::string(arn));
}

std::optional<std::string> TopicStore::Deduplicate(Topic& topic, const std::string& dedup_id,
                                                   const std::string& message_id) {
  const int64_t now = clock_->RealtimeMillis();
  auto it = topic.dedup_.find(dedup_id);
  if (it != topic.dedup_.end() && it->second.expires_ms > now) return it->second.message_id;
  const std::string prefix = topic.Arn() + "|";
  if (topic.dedup_.size() > 100000) {
    std::erase_if(topic.dedup_, [&](const auto& e) {
      if (e.second.expires_ms > now) return false;
      Erase("sns_dedup", prefix + e.first);
      return true;
    });
  }
  topic.dedup_[dedup_id] = {message_id, now + kDedupWindowMs};
  Put("sns_dedup", prefix + dedup_id,
      json{{"message_id", message_id}, {"expires_ms", now + kDedupWindowMs}});
  return std::nullopt;
}

void TopicStore::AddDeliveries(std::vector<Delivery> deliveries) {
  if (deliveries.empty()) return;
  for (Delivery& d : deliveries) {
    d.id = next_delivery_++;
    Put("sns_deliveries", std::to_string(d.id), d.ToJson());
  }
  // Handed over at once, while their own commit runs: the target's commit (an SQS message, an
  // Event invoke) then overlaps ours instead of following it. A crash before ours commits may
  // have delivered a message whose publish was never acknowledged, which at-least-once allows;
  // the row's delete is queued after its insert, so a delivery is never left behind.
  asio::post(loop_,
             [this, alive = std::weak_ptr<bool>(alive_), deliveries = std::move(deliveries)] {
               auto a = alive.lock();
               if (!a || !*a || !listener_) return;
               for (const Delivery& d : deliveries) listener_(d);
             });
}

void TopicStore::SaveDelivery(const Delivery& delivery) {
  Put("sns_deliveries", std::to_string(delivery.id), delivery.ToJson());
}

void TopicStore::RemoveDelivery(int64_t id) { Erase("sns_deliveries", std::to_string(id)); }

// ---- Commit machinery (sqs::QueueStore's) ----

void TopicStore::Put(const char* table, std::string key, const json& value) {
  Persist([table, key = std::move(key), data = Dump(value)](store::Database& db) -> Status {
    THAW_ASSIGN_OR_RETURN(auto stmt, db.Prepare(std::string("INSERT OR REPLACE INTO ") + table +
                                                " (key, data) VALUES (?, ?)"));
    stmt.Bind(1, key).Bind(2, data);
    return stmt.Run();
  });
}

void TopicStore::Erase(const char* table, std::string key) {
  Persist([table, key = std::move(key)](store::Database& db) -> Status {
    THAW_ASSIGN_OR_RETURN(auto stmt,
                          db.Prepare(std::string("DELETE FROM ") + table + " WHERE key = ?"));
    stmt.Bind(1, key);
    return stmt.Run();
  });
}

void TopicStore::Persist(Op op) {
  ops_.push_back(std::move(op));
  if (!committing_) {
    // Let the rest of this turn's changes join the commit.
    committing_ = true;
    asio::post(loop_, [this, alive = std::weak_ptr<bool>(alive_)] {
      auto a = alive.lock();
      if (!a || !*a) return;
      committing_ = false;
      Commit();
    });
  }
}

void TopicStore::AfterCommit(std::function<void(Status)> done) {
  after_.push_back(std::move(done));
  if (!committing_) Commit();
}

void TopicStore::Commit() {
  // A hook or answer that wrote started the next commit already; its end calls Commit again.
  if (committing_) return;
  if (ops_.empty()) {
    auto after = std::move(after_);
    after_.clear();
    for (auto& a : after) a(Status::Ok());
    return;
  }
  committing_ = true;
  auto ops = std::move(ops_);
  ops_.clear();
  auto after = std::move(after_);
  after_.clear();
  asio::post(writer_io_, [this, ops = std::move(ops), after = std::move(after),
                          alive = std::weak_ptr<bool>(alive_)]() mutable {
    auto run = [&]() -> Status {
      THAW_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*db_));
      for (auto& op : ops) THAW_RETURN_IF_ERROR(op(*db_));
      return tx->Commit();
    };
    Status status = run();
    if (!status.ok()) {
      THAW_LOG(kError, "sns") << "cannot commit " << ops.size()
                              << " change(s): " << status.ToString();
    }
    asio::post(loop_, [this, status, after = std::move(after), alive]() mutable {
      auto a = alive.lock();
      if (!a || !*a) return;
      committing_ = false;
      for (auto& d : after) d(status);
      Commit();
    });
  });
}

}  // namespace thaw::sns
