// QueueStore: SQS's queues and messages. Everything is kept in memory for ReceiveMessage and
// mirrored to SQLite (synchronous=FULL) by a writer thread with group commit: every change made
// while a commit runs goes into the next one (one fsync). A sent message becomes receivable, and
// its sender is answered, only once it is committed, so a kill -9 loses no acknowledged message.
// Receives, deletes and visibility changes are committed before they are answered too, so the
// receive count that drives redrive survives a restart. One exception saves a trigger the
// fsync: an in-process reader (a non-durable receive, an event source mapping's poller) parked
// first on a standard queue is handed a new message at once, while its commit runs. A crash
// before that commit loses the message and its sender is never told it was sent; the function
// may have run it by then, which at-least-once delivery allows.
// Long polling: a receive with a wait is parked with one asio timer (no thread) and answered when
// a message becomes receivable or the wait ends.
// The typed API is for both the HTTP front end (sqs_api) and in-process pollers (event source
// mappings, destinations).
// Threads: every method runs on the loop thread; SQLite is touched only by the writer thread.
#pragma once

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

#include "auth/policy_eval.h"
#include "base/clock.h"
#include "base/status.h"
#include "sqs/message.h"
#include "store/sqlite.h"

namespace thaw::sqs {

inline constexpr char kRegion[] = "us-east-1";
inline constexpr int64_t kDedupWindowMs = 5 * 60 * 1000;

struct Message {
  int64_t seq = 0;  // arrival order across the server; also the FIFO SequenceNumber
  std::string id;   // MessageId
  std::string body;
  MessageAttributes attributes;
  std::string sender_id;
  std::string group_id;
  std::string dedup_id;
  std::string trace_header;    // AWSTraceHeader
  std::string dlq_source_arn;  // DeadLetterQueueSourceArn, once moved to a DLQ
  int64_t sent_ms = 0;
  int64_t visible_at_ms = 0;  // delayed or in flight until then (realtime)
  int64_t first_receive_ms = 0;
  int receive_count = 0;
  std::string receipt;  // nonce of the latest receive
  bool stored = false;  // committed: receivable (and indexed)
};

// One delivery of a message: a copy, with its receipt handle.
struct Delivered {
  Message message;
  std::string receipt_handle;
};

struct ReceiveOptions {
  int max_messages = 1;
  std::optional<int> visibility_timeout_s;  // else the queue's
  std::optional<int> wait_s;                // else the queue's ReceiveMessageWaitTimeSeconds
  // false: answered at once, the receive committed with the next group commit. For in-process
  // readers (event source mappings), which save an fsync per batch: a crash before that commit
  // makes the message visible again with its receive count one lower, which at-least-once allows.
  // Parked first on a standard queue, such a reader is also handed a new message before the
  // message's own commit (see the top of this file).
  bool durable = true;
};

class QueueStore;

struct Queue {
  int64_t id = 0;
  std::string account;
  std::string name;
  std::map<std::string, std::string> attributes;  // the settable ones, as given
  std::map<std::string, std::string> tags;
  int64_t created_s = 0;
  int64_t modified_s = 0;
  int64_t last_purge_ms = 0;

  // Parsed from `attributes` by Refresh().
  bool fifo = false;
  bool content_dedup = false;
  bool dedup_per_group = false;
  int delay_s = 0;
  int visibility_timeout_s = 30;
  int retention_s = 345600;
  int wait_s = 0;
  int64_t max_size = 1048576;
  int max_receive_count = 0;  // 0: no redrive
  std::string dlq_arn;
  auth::PolicyPtr policy;  // the Policy attribute; null: only the owner's account

  std::string Arn() const;
  void Refresh();

 private:
  friend class QueueStore;
  struct Dedup {
    std::string message_id;
    int64_t seq = 0;
    int64_t expires_ms = 0;
  };
  struct Waiter;
  std::map<int64_t, Message> messages_;              // by seq
  std::set<std::pair<int64_t, int64_t>> by_time_;    // standard: (visible_at_ms, seq), stored
  std::unordered_map<std::string, Dedup> dedup_;     // FIFO
  std::vector<std::shared_ptr<Waiter>> waiters_;     // parked long polls, oldest first
  std::unique_ptr<boost::asio::steady_timer> wake_;  // next message becoming visible
};

struct QueueCounts {
  int64_t visible = 0;
  int64_t in_flight = 0;
  int64_t delayed = 0;
};

class QueueStore {
 public:
  struct Options {
    std::string path;  // the SQLite file
    const Clock* clock = nullptr;
  };
  using ReceiveDone = std::function<void(Status, std::vector<Delivered>)>;
  enum class HandleResult { kOk, kInvalid, kNotInFlight };

  // Loads every queue and message; `loop` must outlive the store.
  static StatusOr<std::unique_ptr<QueueStore>> Open(boost::asio::io_context& loop, Options options);
  QueueStore(const QueueStore&) = delete;
  QueueStore& operator=(const QueueStore&) = delete;
  // Waits for the writer to finish what it has; callbacks not yet run are dropped.
  ~QueueStore();

  const Clock& clock() const { return *clock_; }

  // Queues. Pointers stay valid until DeleteQueue of that queue.
  Queue* Find(std::string_view account, std::string_view name);
  Queue* FindArn(std::string_view arn);
  std::vector<Queue*> List(std::string_view account, std::string_view prefix);
  // Queues whose RedrivePolicy names `dlq`.
  std::vector<Queue*> SourcesOf(const Queue& dlq);
  Queue& CreateQueue(std::string account, std::string name,
                     std::map<std::string, std::string> attributes,
                     std::map<std::string, std::string> tags);
  // Persists a queue's changed attributes or tags (call Refresh first).
  void SaveQueue(Queue& queue);
  void DeleteQueue(Queue& queue);
  void Purge(Queue& queue);
  QueueCounts Count(Queue& queue);

  // Messages. `message.seq`, `id` and `sent_ms` are assigned here; `visible_at_ms` is the
  // delay's end. A FIFO duplicate within 5 minutes is not added: the original is returned.
  struct SendResult {
    std::string message_id;
    int64_t seq = 0;
    bool duplicate = false;
  };
  SendResult Send(Queue& queue, Message message);
  // Answers on the loop with up to max_messages, after their receive is committed; waits up
  // to wait_s for the first.
  void Receive(Queue& queue, ReceiveOptions options, ReceiveDone done);
  HandleResult DeleteMessage(Queue& queue, std::string_view receipt_handle);
  HandleResult ChangeVisibility(Queue& queue, std::string_view receipt_handle, int timeout_s);

  // Calls `done` on the loop once every change made so far is committed.
  void AfterCommit(std::function<void(Status)> done);

 private:
  using Op = std::function<Status(store::Database&)>;
  struct Batch;

  QueueStore(boost::asio::io_context& loop, std::unique_ptr<store::Database> db,
             const Clock& clock);
  Status Load();
  int64_t Now() const { return clock_->RealtimeMillis(); }

  void Persist(Op op);
  void OnCommit(std::function<void()> hook);
  void Commit();
  void PersistMessage(int64_t queue_id, const Message& m);
  void PersistReceive(const Message& m);
  void PersistRemove(int64_t seq);

  std::vector<Delivered> Take(Queue& queue, int max, int visibility_s);
  Delivered Deliver(const Queue& queue, Message& m, int visibility_s, int64_t now);
  void HandOver(Queue& queue, int64_t seq);
  void Index(Queue& queue, const Message& m);
  void Unindex(Queue& queue, const Message& m);
  void Remove(Queue& queue, int64_t seq);
  bool MoveToDlq(Queue& queue, Message& m);
  void Serve(Queue& queue);
  // Answers a receive after its commit, or at once when it need not be durable.
  void Answer(bool durable, ReceiveDone done, std::vector<Delivered> got);
  void ArmWake(Queue& queue);
  std::optional<std::pair<int64_t, int64_t>> ParseHandle(const Queue& queue,
                                                         std::string_view handle) const;

  boost::asio::io_context& loop_;
  const Clock* clock_;
  std::unique_ptr<store::Database> db_;  // writer thread only, after Open
  boost::asio::io_context writer_io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> writer_work_;
  std::thread writer_;
  std::shared_ptr<bool> alive_;  // the writer's posts back check it; loop thread only

  std::map<int64_t, std::unique_ptr<Queue>> queues_;  // by id
  int64_t next_queue_id_ = 1;
  int64_t next_seq_ = 1;
  std::vector<Op> ops_;
  std::vector<std::function<void()>> hooks_;
  std::vector<std::function<void(Status)>> after_;
  bool committing_ = false;
};

}  // namespace thaw::sqs
