// AsyncQueue: Lambda's queue for asynchronous (Event) invocations. An event is durable (committed
// to SQLite with synchronous=FULL) before the caller gets 202, so neither a kill -9 nor a power
// loss after the 202 loses it; it is removed only after the function has run it. Events that
// arrive while a commit is in progress are committed together in the next one (group commit).
// Only a bounded window of events is kept in memory; the rest stay in events.db and are paged in,
// in order, as the window drains (also at start, for events left over from a previous run). An
// event older than its function's maximum event age when it would run is dropped, as in Lambda.
// The window is one for all functions: a throttled function's events filling it delay the events
// of other functions behind them in the database until it drains (Lambda queues per function).
// Retries of failed events, destinations and DLQs are not here yet.
// Threads: Enqueue, the dispatcher and the target run on the loop; SQLite work runs on `store`.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "invoker/invoker.h"
#include "lambda/registry.h"
#include "store/sqlite.h"

namespace thaw::invoker {

// Lambda's default MaximumEventAgeInSeconds (6 hours).
inline constexpr int64_t kDefaultMaxEventAgeSeconds = 6 * 3600;

struct QueuedEvent {
  int64_t id = 0;  // row id, assigned when stored
  std::string request_id;
  std::string function_name;
  std::string qualifier;
  std::string payload;
  std::string trace_id;
  int64_t received_ms = 0;  // realtime, so the age counts across restarts
  int attempts = 0;
};

// What the queue runs its events on (loop thread). The server's is InvokerTarget; unit tests
// drive the queue with a fake.
class AsyncTarget {
 public:
  enum class Outcome {
    kStarted,    // `done` is called on the loop once the function has run it
    kThrottled,  // kept and tried again later
    kDrop,       // removed: the function is gone, or the event is older than its maximum age
  };
  virtual ~AsyncTarget() = default;
  virtual Outcome Start(const QueuedEvent& event, std::function<void()> done) = 0;
};

// Runs events on the invoker. The maximum event age is looked up per function when the event
// would run (so a later PutFunctionEventInvokeConfig applies to events already queued, as in
// Lambda); today every function has the server's default.
class InvokerTarget final : public AsyncTarget {
 public:
  // Every reference must outlive the target.
  InvokerTarget(Invoker& invoker, const lambda::Registry& registry, const Clock& clock,
                int64_t max_event_age_s = kDefaultMaxEventAgeSeconds);
  Outcome Start(const QueuedEvent& event, std::function<void()> done) override;

 private:
  Invoker& invoker_;
  const lambda::Registry& registry_;
  const Clock& clock_;
  int64_t max_event_age_s_;
};

class AsyncQueue {
 public:
  struct Options {
    // The in-memory window: whichever limit is reached first.
    size_t window_events = 256;
    size_t window_bytes = 16u << 20;
    std::chrono::milliseconds retry_delay{200};  // after a throttle
  };

  // `db` is used only on `store`; every reference must outlive the queue.
  AsyncQueue(boost::asio::io_context& loop, boost::asio::io_context& store, store::Database& db,
             AsyncTarget& target, Options options);
  AsyncQueue(boost::asio::io_context& loop, boost::asio::io_context& store, store::Database& db,
             AsyncTarget& target)
      : AsyncQueue(loop, store, db, target, Options{}) {}
  // Creates the table and loads the first window of events left by a previous run (call before
  // serving, before `store` runs).
  Status Open();
  // Stores `event` durably, then calls `stored` on the loop (with the error if it failed).
  void Enqueue(QueuedEvent event, std::function<void(Status)> stored);
  // Stored events not yet run (or dropped), in memory or not.
  int64_t pending() const { return pending_; }
  // Events in memory (the window) and running; more may be stored only in the database.
  size_t in_memory() const { return ready_.size(); }
  size_t in_memory_bytes() const { return ready_bytes_; }
  size_t in_flight() const { return in_flight_; }
  // Server shutdown: events still running stay stored and are delivered again next start.
  void Stop() { stopping_ = true; }

 private:
  struct Pending {
    QueuedEvent event;
    std::function<void(Status)> stored;
  };
  struct Page {
    std::vector<QueuedEvent> events;
    bool more = false;  // stopped at a limit: more rows may follow
  };
  // Reads stored events with ids above `after`, in order, up to the limits (on `store`).
  static StatusOr<Page> LoadPage(store::Database& db, int64_t after, size_t max_events,
                                 size_t max_bytes);

  void Commit();
  void Admit(QueuedEvent event);
  bool WindowHasRoom(size_t payload_bytes) const;
  void PushReady(QueuedEvent event);
  QueuedEvent PopReady();
  void MaybePage();
  void Pump();
  void Run(QueuedEvent event);
  void Remove(int64_t id);
  void ArmRetry();

  boost::asio::io_context& loop_;
  boost::asio::io_context& store_;
  store::Database& db_;
  AsyncTarget& target_;
  Options options_;
  // Loop thread only from here on.
  std::vector<Pending> batch_;     // waiting for the next commit
  std::vector<int64_t> removals_;  // run events, deleted in the next commit
  bool committing_ = false;
  std::deque<QueuedEvent> ready_;  // the window, in id order (throttled ones go to the back)
  size_t ready_bytes_ = 0;
  // Every stored event with an id above this that is not in `ready_` is in the database only,
  // when `spilled_`.
  int64_t loaded_through_ = 0;
  bool spilled_ = false;
  bool paging_ = false;
  size_t in_flight_ = 0;
  int64_t pending_ = 0;
  boost::asio::steady_timer retry_timer_;
  bool retry_armed_ = false;
  bool stopping_ = false;
};

}  // namespace thaw::invoker
