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
  Outcome Start(const QueuedEvent& event, std::function<void()> done) override {
    if (drop) return Outcome::kDrop;
    if (running.size() >= capacity) return Outcome::kThrottled;
    started.push_back(event.request_id);
    running.push_back(std::move(done));
    return Outcome::kStarted;
  }
  void FinishOne() {
    auto done = std::move(running.front());
    running.erase(running.begin());
    done();
  }

  size_t capacity = 1;
  bool drop = false;
  std::vector<std::string> started;
  std::vector<std::function<void()>> running;
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
    ASSERT_TRUE(queue_->Open().ok());
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
      e.received_ms = 1;
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

}  // namespace
}  // namespace thaw::invoker
