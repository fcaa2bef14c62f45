#include "invoker/async_queue.h"

#include <stdlib.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace thaw::invoker {
namespace {

// Runs up to `capacity` events at once and finishes them when the test says so.
class FakeTarget final : public AsyncTarget {
 public:
  std::optional<EventPolicy> Policy(const QueuedEvent&) override { return policy; }
  Outcome Start(const QueuedEvent& event, std::function<void(AttemptResult)> done) override {
    if (drop) return Outcome::kDrop;
    if (recursive) return Outcome::kRecursive;
    if (running.size() >= capacity) return Outcome::kThrottled;
    started.push_back(event.request_id);
    started_ms.push_back(SystemClock::Get().RealtimeMillis());
    running.push_back(std::move(done));
    return Outcome::kStarted;
  }
  void FinishOne(bool function_error = false) {
    auto done = std::move(running.front());
    running.erase(running.begin());
    AttemptResult result;
    result.function_error = function_error;
    result.response = function_error ? R"({"errorType":"E","errorMessage":"boom"})" : "42";
    done(std::move(result));
  }

  size_t capacity = 1;
  bool drop = false;
  bool recursive = false;
  EventPolicy policy;
  std::vector<std::string> started;
  std::vector<int64_t> started_ms;
  std::vector<std::function<void(AttemptResult)>> running;
};

// Records finished events; stores them when the test says so.
class FakeSink final : public AsyncSink {
 public:
  void Finish(const QueuedEvent& event, const FinalOutcome& outcome,
              std::function<void()> stored) override {
    finished.push_back({event, outcome});
    if (store_at_once) {
      stored();
    } else {
      pending.push_back(std::move(stored));
    }
  }
  struct Finished {
    QueuedEvent event;
    FinalOutcome outcome;
  };
  bool store_at_once = true;
  std::vector<Finished> finished;
  std::vector<std::function<void()>> pending;
};

class AsyncQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "/async_queue_test_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    OpenDb();
  }
  void TearDown() override {
    queue_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  void OpenDb() {
    auto db = store::Database::Open(dir_ + "/events.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
  }
  void NewQueue(AsyncQueue::Options options) {
    // Throttled events are retried on the next completion, never by the timer, so Drain ends.
    options.retry_delay = std::chrono::hours(1);
    queue_ = std::make_unique<AsyncQueue>(loop_, store_, *db_, target_, options);
    queue_->SetSink(&sink_);
    ASSERT_TRUE(queue_->Open().ok());
  }
  // Runs both contexts (timers included) until `done` or 5 s.
  template <typename Pred>
  bool RunUntil(Pred done) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      store_.poll();
      store_.restart();
      loop_.run_for(std::chrono::milliseconds(2));
      loop_.restart();
    }
    Drain();
    return true;
  }
  int64_t StoredAttempts() {
    auto stmt = db_->Prepare("SELECT attempts, next_attempt_ms FROM async_events");
    EXPECT_TRUE(stmt.ok());
    auto row = stmt->Step();
    if (!row.ok() || !*row) return -1;
    return stmt->Int(0);
  }
  // Both contexts on this thread, until neither has work; tracks the largest window seen.
  void Drain() {
    for (;;) {
      size_t n = store_.poll() + loop_.poll();
      store_.restart();
      loop_.restart();
      max_in_memory_ = std::max(max_in_memory_, queue_->in_memory());
      max_bytes_ = std::max(max_bytes_, queue_->in_memory_bytes());
      if (n == 0) return;
    }
  }
  void EnqueueN(int n, size_t payload_bytes, int first = 0) {
    for (int i = first; i < first + n; ++i) {
      QueuedEvent e;
      e.request_id = "r" + std::to_string(i);
      e.function_name = "f";
      e.payload = std::string(payload_bytes, 'x');
      e.received_ms = SystemClock::Get().RealtimeMillis();
      queue_->Enqueue(std::move(e), [this](Status s) {
        EXPECT_TRUE(s.ok()) << s.ToString();
        ++stored_;
      });
    }
  }
  int64_t Rows() {
    auto stmt = db_->Prepare("SELECT COUNT(*) FROM async_events");
    EXPECT_TRUE(stmt.ok());
    auto row = stmt->Step();
    EXPECT_TRUE(row.ok() && *row);
    return stmt->Int(0);
  }
  // Finishes running events one at a time until none is left.
  void RunAll() {
    Drain();
    while (!target_.running.empty()) {
      target_.FinishOne();
      Drain();
    }
  }
  static std::vector<std::string> Ids(int first, int n) {
    std::vector<std::string> ids;
    for (int i = first; i < first + n; ++i) ids.push_back("r" + std::to_string(i));
    return ids;
  }

  std::string dir_;
  boost::asio::io_context loop_{1};
  boost::asio::io_context store_{1};
  std::unique_ptr<store::Database> db_;
  FakeTarget target_;
  FakeSink sink_;
  std::unique_ptr<AsyncQueue> queue_;
  int stored_ = 0;
  size_t max_in_memory_ = 0;
  size_t max_bytes_ = 0;
};

TEST_F(AsyncQueueTest, KeepsAWindowInMemoryAndDeliversAllInOrder) {
  NewQueue({.window_events = 4, .window_bytes = 1 << 20});
  EnqueueN(40, 100);
  Drain();
  EXPECT_EQ(stored_, 40);
  EXPECT_EQ(queue_->pending(), 40);
  EXPECT_EQ(Rows(), 40);
  EXPECT_LE(queue_->in_memory(), 4u);
  RunAll();
  EXPECT_EQ(target_.started, Ids(0, 40));
  EXPECT_LE(max_in_memory_, 4u);
  EXPECT_EQ(queue_->pending(), 0);
  EXPECT_EQ(Rows(), 0);
}

TEST_F(AsyncQueueTest, WindowIsBoundedByBytesToo) {
  NewQueue({.window_events = 256, .window_bytes = 10'000});
  EnqueueN(30, 4'000);
  RunAll();
  EXPECT_EQ(target_.started, Ids(0, 30));
  EXPECT_LE(max_bytes_, 10'000u);
  EXPECT_EQ(Rows(), 0);
}

TEST_F(AsyncQueueTest, EventsArrivingDuringDrainKeepTheirOrder) {
  NewQueue({.window_events = 4, .window_bytes = 1 << 20});
  EnqueueN(10, 10);
  Drain();
  // Half run, then more arrive while older ones are still only in the database.
  for (int i = 0; i < 3; ++i) {
    target_.FinishOne();
    Drain();
  }
  EnqueueN(10, 10, 10);
  RunAll();
  EXPECT_EQ(target_.started, Ids(0, 20));
}

TEST_F(AsyncQueueTest, OpenLoadsOnlyTheFirstWindow) {
  NewQueue({.window_events = 8, .window_bytes = 1 << 20});
  target_.capacity = 0;  // nothing runs: everything stays stored
  EnqueueN(50, 100);
  Drain();
  ASSERT_EQ(Rows(), 50);
  queue_->Stop();
  queue_.reset();

  target_.capacity = 1;
  NewQueue({.window_events = 8, .window_bytes = 1 << 20});
  EXPECT_EQ(queue_->pending(), 50);
  EXPECT_EQ(queue_->in_memory(), 8u);
  RunAll();
  EXPECT_EQ(target_.started, Ids(0, 50));
  EXPECT_LE(max_in_memory_, 8u);
  EXPECT_EQ(Rows(), 0);
}

TEST_F(AsyncQueueTest, DroppedEventsAreRemoved) {
  NewQueue({});
  target_.drop = true;
  EnqueueN(5, 10);
  Drain();
  EXPECT_TRUE(target_.started.empty());
  EXPECT_EQ(queue_->pending(), 0);
  EXPECT_EQ(Rows(), 0);
}

TEST_F(AsyncQueueTest, GroupCommitsEventsThatArriveDuringACommit) {
  NewQueue({});
  target_.capacity = 0;
  EnqueueN(10, 10);
  // The first event's commit is under way; the other nine wait for the next one.
  EXPECT_EQ(stored_, 0);
  EXPECT_EQ(store_.poll(), 1u);  // one transaction, for the first event
  store_.restart();
  loop_.poll();  // its 202, and the next commit is posted
  loop_.restart();
  EXPECT_EQ(stored_, 1);
  EXPECT_EQ(store_.poll(), 1u);  // one transaction for the other nine
  store_.restart();
  EXPECT_EQ(stored_, 1);  // nobody is answered before their commit is done
  loop_.poll();
  loop_.restart();
  EXPECT_EQ(stored_, 10);
  EXPECT_EQ(Rows(), 10);
}

// An event with nothing ahead of it starts at once, while its commit runs; its 202 still waits
// for the commit. One arriving while that commit runs waits for its own.
TEST_F(AsyncQueueTest, AnEventWithNothingAheadStartsBeforeItsCommit) {
  NewQueue({});
  target_.capacity = 2;
  EnqueueN(2, 10);
  EXPECT_EQ(target_.started, Ids(0, 1));
  EXPECT_EQ(stored_, 0);
  EXPECT_EQ(Rows(), 0);
  EXPECT_EQ(queue_->pending(), 1);
  Drain();
  EXPECT_EQ(stored_, 2);
  EXPECT_EQ(target_.started, Ids(0, 2));
  EXPECT_EQ(Rows(), 2);
  RunAll();
  EXPECT_EQ(Rows(), 0);
  EXPECT_EQ(queue_->pending(), 0);
  ASSERT_EQ(sink_.finished.size(), 2u);
  EXPECT_LT(sink_.finished[0].event.id, sink_.finished[1].event.id);
}

// Finished before its insert was committed: the insert and the delete commit in that order, and
// ids are not reused after a restart.
TEST_F(AsyncQueueTest, AnEventFinishedBeforeItsCommitLeavesNothing) {
  NewQueue({});
  EnqueueN(1, 10);
  ASSERT_EQ(target_.running.size(), 1u);
  target_.FinishOne();
  Drain();
  EXPECT_EQ(stored_, 1);
  EXPECT_EQ(Rows(), 0);
  EXPECT_EQ(queue_->pending(), 0);
  ASSERT_EQ(sink_.finished.size(), 1u);
  const int64_t first_id = sink_.finished[0].event.id;
  queue_.reset();
  NewQueue({});
  EnqueueN(1, 10, 1);
  RunAll();
  ASSERT_EQ(sink_.finished.size(), 2u);
  EXPECT_GT(sink_.finished[1].event.id, first_id);
  EXPECT_EQ(Rows(), 0);
}

TEST(RetrySchedule, FunctionErrorsWaitAboutOneThenTwoMinutes) {
  using std::chrono::milliseconds;
  EXPECT_EQ(FunctionErrorDelay(1, 1.0), milliseconds(60'000));
  EXPECT_EQ(FunctionErrorDelay(2, 1.0), milliseconds(120'000));
  EXPECT_EQ(FunctionErrorDelay(1, 0.01), milliseconds(600));
  EXPECT_EQ(FunctionErrorDelay(2, 0.01), milliseconds(1'200));
}

TEST(RetrySchedule, ThrottlesBackOffFromOneSecondToFiveMinutes) {
  using std::chrono::milliseconds;
  EXPECT_EQ(ThrottleDelay(1, 1.0), milliseconds(1'000));
  EXPECT_EQ(ThrottleDelay(2, 1.0), milliseconds(2'000));
  EXPECT_EQ(ThrottleDelay(5, 1.0), milliseconds(16'000));
  EXPECT_EQ(ThrottleDelay(9, 1.0), milliseconds(256'000));
  EXPECT_EQ(ThrottleDelay(10, 1.0), milliseconds(300'000));
  EXPECT_EQ(ThrottleDelay(40, 1.0), milliseconds(300'000));
  EXPECT_EQ(ThrottleDelay(3, 0.5), milliseconds(2'000));
}

TEST_F(AsyncQueueTest, SuccessGoesToTheSinkAndIsDeletedOnlyOnceStored) {
  NewQueue({});
  sink_.store_at_once = false;
  EnqueueN(1, 10);
  Drain();
  target_.FinishOne();
  Drain();
  ASSERT_EQ(sink_.finished.size(), 1u);
  EXPECT_EQ(sink_.finished[0].outcome.condition, Condition::kSuccess);
  EXPECT_EQ(sink_.finished[0].event.attempts, 1);
  ASSERT_TRUE(sink_.finished[0].outcome.last.has_value());
  EXPECT_EQ(sink_.finished[0].outcome.last->response, "42");
  EXPECT_EQ(Rows(), 1);  // the destination has not stored it yet
  sink_.pending[0]();
  Drain();
  EXPECT_EQ(Rows(), 0);
  EXPECT_EQ(queue_->pending(), 0);
}

TEST_F(AsyncQueueTest, FunctionErrorsAreRetriedWithTheScaledDelaysThenExhausted) {
  NewQueue({.delay_scale = 0.002});  // 120 ms, then 240 ms
  EnqueueN(1, 10);
  Drain();
  for (int attempt = 1; attempt <= 3; ++attempt) {
    ASSERT_TRUE(RunUntil([&] { return target_.running.size() == 1; })) << attempt;
    target_.FinishOne(/*function_error=*/true);
    Drain();
    if (attempt < 3) {
      EXPECT_EQ(queue_->waiting(), 1u);
      EXPECT_EQ(StoredAttempts(), attempt);  // durable before the retry
    }
  }
  ASSERT_EQ(target_.started.size(), 3u);
  EXPECT_GE(target_.started_ms[1] - target_.started_ms[0], 120);
  EXPECT_GE(target_.started_ms[2] - target_.started_ms[1], 240);
  ASSERT_EQ(sink_.finished.size(), 1u);
  EXPECT_EQ(sink_.finished[0].outcome.condition, Condition::kRetriesExhausted);
  EXPECT_EQ(sink_.finished[0].event.attempts, 3);
  EXPECT_EQ(Rows(), 0);
}

TEST_F(AsyncQueueTest, MaximumRetryAttemptsZeroFailsAtOnce) {
  NewQueue({.delay_scale = 0.001});
  target_.policy.max_retries = 0;
  EnqueueN(1, 10);
  Drain();
  target_.FinishOne(/*function_error=*/true);
  Drain();
  ASSERT_EQ(sink_.finished.size(), 1u);
  EXPECT_EQ(sink_.finished[0].outcome.condition, Condition::kRetriesExhausted);
  EXPECT_EQ(target_.started.size(), 1u);
}

// Recursive loop detection: the event goes to its failure targets at once, never retried.
TEST_F(AsyncQueueTest, ARecursiveEventFailsWithoutARetry) {
  NewQueue({.delay_scale = 0.001});
  target_.recursive = true;
  EnqueueN(1, 10);
  Drain();
  ASSERT_EQ(sink_.finished.size(), 1u);
  EXPECT_EQ(sink_.finished[0].outcome.condition, Condition::kRetriesExhausted);
  ASSERT_TRUE(sink_.finished[0].outcome.last.has_value());
  EXPECT_EQ(sink_.finished[0].outcome.last->error_type, "RecursiveInvocationException");
  EXPECT_TRUE(target_.started.empty());
  EXPECT_EQ(queue_->pending(), 0);
  EXPECT_EQ(Rows(), 0);
}

TEST_F(AsyncQueueTest, AnEventOlderThanItsMaximumAgeFailsWithoutRunning) {
  NewQueue({});
  target_.policy.max_age_s = 60;
  QueuedEvent e;
  e.request_id = "old";
  e.function_name = "f";
  e.payload = "{}";
  e.received_ms = SystemClock::Get().RealtimeMillis() - 61'000;
  queue_->Enqueue(std::move(e), [](Status) {});
  Drain();
  EXPECT_TRUE(target_.started.empty());
  ASSERT_EQ(sink_.finished.size(), 1u);
  EXPECT_EQ(sink_.finished[0].outcome.condition, Condition::kEventAgeExceeded);
  EXPECT_FALSE(sink_.finished[0].outcome.last.has_value());
  EXPECT_EQ(Rows(), 0);
}

TEST_F(AsyncQueueTest, AWaitingRetrySurvivesARestartAndKeepsItsCountAndTime) {
  NewQueue({.delay_scale = 0.004});  // the retry is due 240 ms after the failure
  EnqueueN(1, 10);
  Drain();
  target_.FinishOne(/*function_error=*/true);
  const int64_t failed_ms = SystemClock::Get().RealtimeMillis();
  Drain();
  ASSERT_EQ(StoredAttempts(), 1);
  queue_->Stop();
  queue_.reset();  // as a kill -9 would leave it: stored, waiting

  target_.started.clear();
  target_.started_ms.clear();
  NewQueue({.delay_scale = 0.004});
  EXPECT_EQ(queue_->waiting(), 1u);  // not run again at once
  Drain();
  EXPECT_TRUE(target_.started.empty());
  ASSERT_TRUE(RunUntil([&] { return target_.running.size() == 1; }));
  EXPECT_GE(target_.started_ms[0] - failed_ms, 230);
  target_.FinishOne(/*function_error=*/true);
  ASSERT_TRUE(RunUntil([&] { return target_.running.size() == 1; }));
  target_.FinishOne(/*function_error=*/true);
  Drain();
  ASSERT_EQ(sink_.finished.size(), 1u);
  EXPECT_EQ(sink_.finished[0].event.attempts, 3);  // counted across the restart
  EXPECT_EQ(sink_.finished[0].outcome.condition, Condition::kRetriesExhausted);
}

}  // namespace
}  // namespace thaw::invoker
