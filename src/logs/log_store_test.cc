#include "logs/log_store.h"

#include <stdlib.h>

#include <filesystem>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "logs/log_queries.h"

namespace thaw::logs {
namespace {

constexpr char kGroup[] = "/aws/lambda/fn";
constexpr char kStream[] = "2024/12/28/[$LATEST]00000000000000000000000000000001";

class LogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "/log_store_test_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    clock_.SetRealtime(1'735'430'000'000'000'000);  // 2024-12-29, ingestion times come from here
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<LogStore> Open(size_t max_queue = 1000) {
    auto store = LogStore::Open({.path = dir_ + "/logs.db",
                                 .max_queue = max_queue,
                                 .flush_interval_ms = 1,
                                 .clock = &clock_});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // Runs `fn` on the writer thread and waits for it.
  template <typename T>
  static T OnWriter(LogStore& store, std::function<T(store::Database&)> fn) {
    std::promise<T> result;
    EXPECT_TRUE(store.Query([&](store::Database& db) { result.set_value(fn(db)); }));
    return result.get_future().get();
  }

  static std::vector<StoredEvent> ReadAll(LogStore& store, const std::string& stream = kStream) {
    return OnWriter<std::vector<StoredEvent>>(store, [&](store::Database& db) {
      auto events = ReadStream(db, kGroup, stream, {.forward = true});
      EXPECT_TRUE(events.ok()) << events.status().ToString();
      return events.ok() ? *events : std::vector<StoredEvent>{};
    });
  }

  std::string dir_;
  FakeClock clock_;
};

TEST_F(LogStoreTest, AppendIsVisibleToLaterQueriesWithImplicitGroupAndStream) {
  auto store = Open();
  store->Append({kGroup, kStream, 1000, "START RequestId: a Version: $LATEST\n"});
  store->Append({kGroup, kStream, 1002, "hello\n"});
  store->Append({kGroup, kStream, 1001, "END RequestId: a\n"});
  auto events = ReadAll(*store);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].message, "START RequestId: a Version: $LATEST\n");
  EXPECT_EQ(events[1].timestamp_ms, 1001);  // time order, not arrival order
  EXPECT_EQ(events[2].message, "hello\n");
  EXPECT_EQ(events[0].ingest_ms, 1'735'430'000'000);

  auto streams = OnWriter<std::vector<StreamInfo>>(
      *store, [](store::Database& db) { return ListStreams(db, kGroup, {}).value(); });
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_EQ(streams[0].name, kStream);
  EXPECT_EQ(streams[0].first_ts, 1000);
  EXPECT_EQ(streams[0].last_ts, 1002);
  EXPECT_EQ(streams[0].last_ingest, 1'735'430'000'000);
  auto groups = OnWriter<std::vector<GroupInfo>>(
      *store, [](store::Database& db) { return ListGroups(db, "", true, 0, 50).value(); });
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].name, kGroup);
  EXPECT_EQ(store->dropped(), 0u);
}

TEST_F(LogStoreTest, EventsSurviveClosingAndReopening) {
  {
    auto store = Open();
    for (int i = 0; i < 100; ++i) {
      store->Append({kGroup, kStream, 5000 + i, "line " + std::to_string(i) + "\n"});
    }
    // No Flush: Stop (from the destructor) must write what is queued.
  }
  auto store = Open();
  auto events = ReadAll(*store);
  ASSERT_EQ(events.size(), 100u);
  EXPECT_EQ(events.front().message, "line 0\n");
  EXPECT_EQ(events.back().message, "line 99\n");
  store->Append({kGroup, kStream, 6000, "after reopen\n"});
  EXPECT_EQ(ReadAll(*store).size(), 101u);
}

TEST_F(LogStoreTest, FullQueueDropsAndCounts) {
  auto store = Open(/*max_queue=*/10);
  // Park the writer inside a query so that nothing drains the queue.
  std::promise<void> running, release;
  ASSERT_TRUE(store->Query([&](store::Database&) {
    running.set_value();
    release.get_future().wait();
  }));
  running.get_future().wait();
  for (int i = 0; i < 15; ++i) store->Append({kGroup, kStream, i, "x\n"});
  EXPECT_EQ(store->dropped(), 5u);
  release.set_value();
  EXPECT_TRUE(store->Flush());
  EXPECT_EQ(ReadAll(*store).size(), 10u);
  EXPECT_EQ(store->dropped(), 5u);
}

TEST_F(LogStoreTest, StopIsIdempotentAndLaterCallsAreRefused) {
  auto store = Open();
  store->Append({kGroup, kStream, 1, "kept\n"});
  store->Stop();
  store->Stop();
  store->Append({kGroup, kStream, 2, "lost\n"});
  EXPECT_EQ(store->dropped(), 1u);
  EXPECT_FALSE(store->Query([](store::Database&) { ADD_FAILURE() << "ran after Stop"; }));
  EXPECT_FALSE(store->Flush());
  store.reset();
  EXPECT_EQ(ReadAll(*Open()).size(), 1u);
}

TEST_F(LogStoreTest, ConcurrentAppendersLoseNothing) {
  auto store = Open(/*max_queue=*/100000);
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, t] {
      std::string stream = "stream-" + std::to_string(t);
      for (int i = 0; i < 2000; ++i) store->Append({kGroup, stream, i, "m\n"});
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(store->Flush());
  for (int t = 0; t < 4; ++t)
    EXPECT_EQ(ReadAll(*store, "stream-" + std::to_string(t)).size(), 2000u);
  EXPECT_EQ(store->dropped(), 0u);
}

TEST_F(LogStoreTest, OpenFailsOnAnUnwritablePath) {
  auto store = LogStore::Open({.path = dir_ + "/missing/dir/logs.db", .clock = &clock_});
  EXPECT_FALSE(store.ok());
}

}  // namespace
}  // namespace thaw::logs
