// AsyncQueue: Lambda's queue for asynchronous (Event) invocations. An event is durable (committed
// to SQLite with synchronous=FULL) before the caller gets 202, so neither a kill -9 nor a power
// loss after the 202 loses it; it is removed only after the function has run it. Events that
// arrive while a commit is in progress are committed together in the next one (group commit).
// An event with nothing queued ahead of it starts at once, while its commit runs, so it does not
// wait for the fsync; a crash before that commit loses it, but its caller had no 202 yet.
// Only a bounded window of events is kept in memory; the rest stay in events.db and are paged in,
// in order, as the window drains (also at start, for events left over from a previous run). An
// event older than its function's maximum event age when it would run is dropped, as in Lambda.
// The window is one for all functions: a throttled function's events filling it delay the events
// of other functions behind them in the database until it drains (Lambda queues per function).
// Retries are Lambda's: a function error is retried up to the event invoke configuration's
// MaximumRetryAttempts, ~1 min and then ~2 min later; a throttle is tried again when another
// event finishes, else with exponential backoff (1 s doubling to 5 min), until the event's maximum
// age. Every delay is multiplied by Options::delay_scale (thaw serve --retry-delay-scale). An
// event waiting for its retry keeps its attempt count and due time in events.db, so a restart
// retries it then, neither losing it nor starting it over. The final outcome (Success,
// RetriesExhausted, EventAgeExceeded) goes to the AsyncSink (destinations, DLQ); the event is
// deleted only once the sink has stored what it sends.
// Threads: Enqueue, the dispatcher and the target run on the loop; SQLite work runs on `store`.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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

// The delay before retrying a function error after `attempts` invocations (1: ~1 min, then
// ~2 min), and the backoff after the `throttles`-th throttle in a row (1 s doubling to 5 min),
// both multiplied by `scale`.
std::chrono::milliseconds FunctionErrorDelay(int attempts, double scale);
std::chrono::milliseconds ThrottleDelay(int throttles, double scale,
                                        std::chrono::milliseconds first = std::chrono::seconds(1));

struct QueuedEvent {
  int64_t id = 0;  // row id, assigned when stored
  std::string request_id;
  std::string function_name;
  std::string qualifier;
  std::string payload;
  std::string trace_id;
  int64_t received_ms = 0;      // realtime, so the age counts across restarts
  int attempts = 0;             // invocations so far (stored)
  int64_t next_attempt_ms = 0;  // realtime; waits for a retry until then (stored)
  int64_t last_attempt_ms = 0;  // realtime end of the last invocation (this run only)
};

// How one invocation of an event ended.
struct AttemptResult {
  bool function_error = false;  // Unhandled (a handler error, timeout or crash)
  std::string response;         // the function's response or error document
  std::string executed_version;
  std::string error_type;  // of a function error, from the response ("" when none)
  std::string error_message;
};

// Where an event ends up.
enum class Condition { kSuccess, kRetriesExhausted, kEventAgeExceeded };
std::string_view ConditionName(Condition condition);

// What the queue hands its sink when an event is finished.
struct FinalOutcome {
  Condition condition = Condition::kSuccess;
  std::optional<AttemptResult> last;  // the last invocation's result; none if it never ran
};

// Retry settings of an event's function and qualifier, read when the event runs.
struct EventPolicy {
  int64_t max_retries = 2;
  int64_t max_age_s = kDefaultMaxEventAgeSeconds;
};

// Receives every finished event (loop thread): destinations and dead-letter queues. Call
// `stored` once what it sends is durable; the queue deletes the event then.
class AsyncSink {
 public:
  virtual ~AsyncSink() = default;
  virtual void Finish(const QueuedEvent& event, const FinalOutcome& outcome,
                      std::function<void()> stored) = 0;
};

// What the queue runs its events on (loop thread). The server's is InvokerTarget; unit tests
// drive the queue with a fake.
class AsyncTarget {
 public:
  enum class Outcome {
    kStarted,    // `done` is called on the loop once the function has run it
    kThrottled,  // kept and tried again later
    kDrop,       // removed: the function is gone
    kRecursive,  // dropped by recursive loop detection: on to its failure targets, no retry
  };
  virtual ~AsyncTarget() = default;
  // The event's retry settings; nullopt when its function is gone (the event is dropped).
  virtual std::optional<EventPolicy> Policy(const QueuedEvent& event) = 0;
  virtual Outcome Start(const QueuedEvent& event, std::function<void(AttemptResult)> done) = 0;
};

// Runs events on the invoker. The retry settings are looked up per function and qualifier when
// the event runs (so a later PutFunctionEventInvokeConfig applies to events already queued, as
// in Lambda); without a configuration, 2 retries and the server's maximum event age.
class InvokerTarget final : public AsyncTarget {
 public:
  // Every reference must outlive the target.
  InvokerTarget(Invoker& invoker, const lambda::Registry& registry,
                int64_t max_event_age_s = kDefaultMaxEventAgeSeconds);
  std::optional<EventPolicy> Policy(const QueuedEvent& event) override;
  Outcome Start(const QueuedEvent& event, std::function<void(AttemptResult)> done) override;

 private:
  Invoker& invoker_;
  const lambda::Registry& registry_;
  int64_t max_event_age_s_;
};

class AsyncQueue {
 public:
  struct Options {
    // The in-memory window: whichever limit is reached first.
    size_t window_events = 256;
    size_t window_bytes = 16u << 20;
    // The first backoff after a throttle (doubling up to 5 min), before delay_scale.
    std::chrono::milliseconds retry_delay{1000};
    double delay_scale = 1.0;      // multiplies every retry and backoff delay
    const Clock* clock = nullptr;  // null: the system clock
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
  // Loop thread; before events run. Without a sink, finished events are simply deleted.
  void SetSink(AsyncSink* sink) { sink_ = sink; }
  // Stored events not yet run (or dropped), in memory or not.
  int64_t pending() const { return pending_; }
  // Events in memory (the window) and running; more may be stored only in the database.
  size_t in_memory() const { return ready_.size(); }
  size_t in_memory_bytes() const { return ready_bytes_; }
  size_t in_flight() const { return in_flight_; }
  // Events waiting for a retry (in memory).
  size_t waiting() const { return waiting_.size(); }
  // Server shutdown: events still running stay stored and are delivered again next start.
  void Stop() { stopping_ = true; }
  // --retry-delay-scale, for clients that compute the delays to expect (thaw stress).
  double delay_scale() const { return options_.delay_scale; }

 private:
  struct Pending {
    QueuedEvent event;
    std::function<void(Status)> stored;
    bool early = false;  // started before its commit
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
  void Attempted(int64_t id, AttemptResult result);
  void Finish(QueuedEvent event, FinalOutcome outcome);
  void Wait(QueuedEvent event);
  void ArmWait();
  void Remove(int64_t id);
  void ArmRetry();
  int64_t Now() const { return clock_->RealtimeMillis(); }

  boost::asio::io_context& loop_;
  boost::asio::io_context& store_;
  store::Database& db_;
  AsyncTarget& target_;
  Options options_;
  const Clock* clock_;
  AsyncSink* sink_ = nullptr;
  // Loop thread only from here on.
  std::vector<Pending> batch_;     // waiting for the next commit
  std::vector<int64_t> removals_;  // run events, deleted in the next commit
  struct Update {
    int64_t id;
    int attempts;
    int64_t next_attempt_ms;
  };
  std::vector<Update> updates_;  // retries scheduled, stored in the next commit
  bool committing_ = false;
  size_t committing_events_ = 0;  // new events in the commit under way
  int64_t next_id_ = 1;
  std::deque<QueuedEvent> ready_;  // the window, in id order (throttled ones go to the back)
  size_t ready_bytes_ = 0;
  // Every stored event with an id above this that is not in `ready_` is in the database only,
  // when `spilled_`.
  int64_t loaded_through_ = 0;
  bool spilled_ = false;
  bool paging_ = false;
  size_t in_flight_ = 0;
  std::map<int64_t, QueuedEvent> running_;  // by id
  // Events waiting for their retry, by due time (realtime ms), then id.
  std::map<std::pair<int64_t, int64_t>, QueuedEvent> waiting_;
  boost::asio::steady_timer wait_timer_;
  int64_t wait_armed_for_ = 0;  // due time the timer is armed for; 0: not armed
  int throttle_rounds_ = 0;     // throttle backoffs in a row without an event starting
  int64_t pending_ = 0;
  boost::asio::steady_timer retry_timer_;
  bool retry_armed_ = false;
  // A timer handler queued before destruction still runs, with success: it checks this.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  bool stopping_ = false;
};

}  // namespace thaw::invoker
