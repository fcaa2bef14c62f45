// TopicStore: SNS's topics, subscriptions and the deliveries not yet handed over. Everything is
// kept in memory and mirrored to SQLite (sns.db, synchronous=FULL) by a writer thread with group
// commit, as sqs::QueueStore does: every change made while a commit runs goes into the next one.
// A Publish is answered only after its deliveries are committed, and a delivery is deleted only
// once its target (an SQS queue, Lambda's async queue) has committed it, so a kill -9 at any
// point loses nothing acknowledged (a restart may deliver twice, as SNS may). Deliveries start
// while their commit runs, so the two commits overlap.
// Rows are JSON documents keyed by ARN (topics, subscriptions) or sequence (deliveries).
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
#include <unordered_map>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "auth/policy_eval.h"
#include "base/clock.h"
#include "base/status.h"
#include "filter/pattern.h"
#include "sqs/message.h"
#include "store/sqlite.h"

namespace thaw::sns {

inline constexpr char kRegion[] = "us-east-1";
inline constexpr int64_t kDedupWindowMs = int64_t{5} * 60 * 1000;

struct Topic {
  std::string account;
  std::string name;
  std::map<std::string, std::string> attributes;  // the settable ones, as given
  std::map<std::string, std::string> tags;
  bool fifo = false;
  bool content_dedup = false;
  auth::PolicyPtr policy;     // the Policy attribute parsed; null: AWS's default (owner only)
  int64_t next_sequence = 1;  // FIFO SequenceNumber

  std::string Arn() const;
  // Parses `fifo`, `content_dedup` and `policy` from `attributes`.
  void Refresh();
  nlohmann::json ToJson() const;
  static Topic FromJson(const nlohmann::json& j);

 private:
  friend class TopicStore;
  struct Dedup {
    std::string message_id;
    int64_t expires_ms = 0;
  };
  std::unordered_map<std::string, Dedup> dedup_;  // FIFO, mirrored in sns_dedup
};

struct Subscription {
  std::string arn;
  std::string topic_arn;
  std::string protocol;  // lambda, sqs, http, https
  std::string endpoint;
  std::string owner;                              // account that subscribed
  std::map<std::string, std::string> attributes;  // the settable ones, as given
  bool confirmed = true;
  std::string token;  // confirmation token while pending

  // Parsed from `attributes` by Refresh().
  std::shared_ptr<const filter::Pattern> filter;
  bool body_scope = false;  // FilterPolicyScope MessageBody
  bool raw = false;         // RawMessageDelivery
  std::string dlq_arn;      // RedrivePolicy's deadLetterTargetArn

  void Refresh();
  nlohmann::json ToJson() const;
  static Subscription FromJson(const nlohmann::json& j);
};

// One message on its way to one subscription, rendered for its target.
struct Delivery {
  int64_t id = 0;
  std::string subscription_arn;
  std::string protocol;
  std::string target;                 // function ARN, queue ARN or URL
  std::string body;                   // the Lambda event, the SQS body or the HTTP body
  sqs::MessageAttributes attributes;  // raw SQS deliveries carry the message's attributes
  std::string message_type;           // HTTP x-amz-sns-message-type
  std::string message_id;
  std::string dlq_arn;
  std::string group_id;  // a FIFO topic's message, for its FIFO queue
  std::string dedup_id;
  // The publisher's X-Amzn-Trace-Id, passed on to Lambda and SQS (AWSTraceHeader) so that
  // Lambda's recursive loop detection counts the hops through the topic.
  std::string trace_header;
  int attempts = 0;

  // The topic the delivery is for (its subscription ARN less the last part).
  std::string TopicArn() const { return subscription_arn.substr(0, subscription_arn.rfind(':')); }

  nlohmann::json ToJson() const;
  static Delivery FromJson(const nlohmann::json& j);
};

class TopicStore {
 public:
  struct Options {
    std::string path;  // the SQLite file
    const Clock* clock = nullptr;
  };

  // Loads every topic, subscription and pending delivery; `loop` must outlive the store.
  static StatusOr<std::unique_ptr<TopicStore>> Open(boost::asio::io_context& loop,
                                                    const Options& options);
  TopicStore(const TopicStore&) = delete;
  TopicStore& operator=(const TopicStore&) = delete;
  // Waits for the writer to finish what it has; callbacks not yet run are dropped.
  ~TopicStore();

  const Clock& clock() const { return *clock_; }
  boost::asio::io_context& loop() { return loop_; }

  // Topics, by ARN. Pointers stay valid until DeleteTopic of that topic.
  Topic* FindTopic(std::string_view arn);
  std::vector<Topic*> Topics(std::string_view account);  // sorted by ARN
  Topic& CreateTopic(Topic topic);
  void SaveTopic(const Topic& topic);
  // Deletes the topic and its subscriptions.
  void DeleteTopic(std::string_view arn);

  // Subscriptions, by ARN. Pointers stay valid until RemoveSubscription.
  Subscription* FindSubscription(std::string_view arn);
  std::vector<Subscription*> SubscriptionsOf(std::string_view topic_arn);
  std::vector<Subscription*> Subscriptions(std::string_view owner);  // sorted by ARN
  Subscription& AddSubscription(Subscription subscription);
  void SaveSubscription(const Subscription& subscription);
  void RemoveSubscription(std::string_view arn);

  // FIFO deduplication: the earlier MessageId of `dedup_id` within 5 minutes, else records
  // `message_id` for it (durable: a restart keeps the window).
  std::optional<std::string> Deduplicate(Topic& topic, const std::string& dedup_id,
                                         const std::string& message_id);

  // Deliveries: stored (ids assigned here) and handed to the listener on the next loop turn,
  // without waiting for their commit.
  void AddDeliveries(std::vector<Delivery> deliveries);
  void SaveDelivery(const Delivery& delivery);
  void RemoveDelivery(int64_t id);
  // Called on the loop for every added delivery, and at Start for those loaded.
  void SetListener(std::function<void(const Delivery&)> listener) {
    listener_ = std::move(listener);
  }
  // Hands the loaded deliveries to the listener.
  void Start();

  // Calls `done` on the loop once every change made so far is committed.
  void AfterCommit(std::function<void(Status)> done);

 private:
  using Op = std::function<Status(store::Database&)>;
  TopicStore(boost::asio::io_context& loop, std::unique_ptr<store::Database> db,
             const Clock& clock);
  Status Load();
  void Persist(Op op);
  void Put(const char* table, std::string key, const nlohmann::json& value);
  void Erase(const char* table, std::string key);
  void Commit();

  boost::asio::io_context& loop_;
  const Clock* clock_;
  std::unique_ptr<store::Database> db_;  // writer thread only, after Open
  boost::asio::io_context writer_io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> writer_work_;
  std::thread writer_;
  std::shared_ptr<bool> alive_;

  std::map<std::string, std::unique_ptr<Topic>, std::less<>> topics_;
  std::map<std::string, std::unique_ptr<Subscription>, std::less<>> subscriptions_;
  std::vector<Delivery> loaded_;
  int64_t next_delivery_ = 1;
  std::function<void(const Delivery&)> listener_;
  std::vector<Op> ops_;
  std::vector<std::function<void(Status)>> after_;
  bool committing_ = false;
};

// SNS's FilterPolicy checks: valid JSON, at most 5 keys, and a pattern thaw can match.
StatusOr<std::shared_ptr<const filter::Pattern>> ParseFilterPolicy(const std::string& policy,
                                                                   bool body_scope);

}  // namespace thaw::sns
