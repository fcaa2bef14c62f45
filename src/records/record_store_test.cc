#include "records/record_store.h"

#include <stdlib.h>

#include <filesystem>
#include <future>

#include <gtest/gtest.h>

#include "http/message.h"
#include "profile/pricing.h"
#include "records/record_queries.h"
#include "records/records_api.h"

namespace thaw::records {
namespace {

constexpr int64_t kMs = 1000000;

// A warm record whose steps are 1 ms apart, starting at monotonic `t0`. The strings are
// literals: a record only views them.
InvocationRecord MakeRecord(const char* id, const char* function, int64_t t0) {
  InvocationRecord r;
  r.request_id = id;
  r.function = function;
  r.version = "$LATEST";
  r.mechanism = "runtime-api";
  r.architecture = "x86_64";
  r.environment = function[0] == 'o' ? "0123456789abcdef0123456789abcdef" : "fedcba9876543210";
  r.trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
  r.memory_mb = 1024;
  r.arrived_ns = t0;
  r.acquired_ns = t0 + 1 * kMs;
  r.ready_ns = t0 + 2 * kMs;
  r.sent_ns = t0 + 3 * kMs;
  r.responded_ns = t0 + 10 * kMs;
  r.answered_ns = t0 + 11 * kMs;
  r.ended_ns = t0 + 12 * kMs;
  r.freeze_ns = 5000;
  r.duration_ns = 9'500'000;
  r.billed_ms = 10;
  r.max_memory_mb = 30;
  r.cpu_ns = 4'000'000;
  return r;
}

// Request ids that outlive the records viewing them.
const char* Id(int i) {
  static const std::vector<std::string>* ids = [] {
    auto* v = new std::vector<std::string>;
    for (int n = 0; n < 100; ++n) v->push_back(std::to_string(n));
    return v;
  }();
  return (*ids)[static_cast<size_t>(i)].c_str();
}

class RecordStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "/record_store_test_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    clock_.SetRealtime(1'735'430'000'000'000'000);  // 2024-12-29T00:33:20Z
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<RecordStore> Open(size_t capacity = 4096) {
    auto store = RecordStore::Open({.path = dir_ + "/invocations.db",
                                    .capacity = capacity,
                                    .flush_interval_ms = 5,
                                    .clock = &clock_});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  static bool Push(RecordStore& store, const InvocationRecord& r) { return store.Add(r); }

  static std::vector<StoredRecord> Read(RecordStore& store, const RecordFilter& filter = {}) {
    std::promise<std::vector<StoredRecord>> result;
    EXPECT_TRUE(store.Query([&](store::Database& db) {
      auto records = QueryRecords(db, filter);
      EXPECT_TRUE(records.ok()) << records.status().ToString();
      result.set_value(records.ok() ? *records : std::vector<StoredRecord>{});
    }));
    return result.get_future().get();
  }

  std::string dir_;
  FakeClock clock_;  // not moved while a store runs
};

TEST_F(RecordStoreTest, RecordsComeBackWithPhasesCostAndTrace) {
  auto store = Open();
  int64_t t0 = clock_.MonotonicNanos() - 20 * kMs;  // arrived 20 ms before "now"
  ASSERT_TRUE(Push(*store, MakeRecord("req-1", "fn", t0)));
  auto records = Read(*store);
  ASSERT_EQ(records.size(), 1u);
  const StoredRecord& r = records[0];
  EXPECT_EQ(r.request_id, "req-1");
  EXPECT_EQ(r.function, "fn");
  EXPECT_EQ(r.version, "$LATEST");
  EXPECT_EQ(r.mechanism, "runtime-api");
  EXPECT_EQ(r.status, "success");
  EXPECT_FALSE(r.cold);
  EXPECT_EQ(r.start_ms, clock_.RealtimeMillis() - 20);
  EXPECT_EQ(r.environment, "fedcba9876543210");
  EXPECT_EQ(r.architecture, "x86_64");
  EXPECT_EQ(r.queue_ns, 1 * kMs);
  EXPECT_EQ(r.acquire_ns, 1 * kMs);
  EXPECT_EQ(r.delivery_ns, 1 * kMs);
  EXPECT_EQ(r.handler_ns, 7 * kMs);
  EXPECT_EQ(r.response_ns, 1 * kMs);
  EXPECT_EQ(r.overhead_ns, 2 * kMs);
  EXPECT_EQ(r.freeze_ns, 5000);
  EXPECT_EQ(r.latency_ns, 11 * kMs);
  EXPECT_EQ(r.duration_ns, 9'500'000);
  EXPECT_EQ(r.billed_ms, 10);
  EXPECT_EQ(r.memory_mb, 1024);
  EXPECT_EQ(r.max_memory_mb, 30);
  EXPECT_EQ(r.cpu_ns, 4'000'000);
  EXPECT_DOUBLE_EQ(r.gb_seconds, 0.01);
  EXPECT_DOUBLE_EQ(r.cost_usd, 0.01 * profile::kX86PricePerGbSecond + profile::kPricePerRequest);
  EXPECT_EQ(r.trace.root, "1-5759e988-bd862e3fe1be46a994272793");
  EXPECT_EQ(r.trace.parent, "53995c3f42cd8ad8");
  EXPECT_EQ(r.trace.sampled, "1");
  EXPECT_EQ(store->written(), 1u);
  EXPECT_EQ(store->dropped(), 0u);
}

TEST_F(RecordStoreTest, AStreamBatchComesBackAsEventSource) {
  auto store = Open();
  int64_t t0 = clock_.MonotonicNanos() - 20 * kMs;
  int64_t start_ms = clock_.RealtimeMillis() - 20;
  InvocationRecord r = MakeRecord("req-s", "fn", t0);
  r.source = {.mapping = "uuid-1",
              .source_arn = "arn:aws:kinesis:us-east-1:000000000000:stream/s",
              .shard = "shardId-000000000001",
              .first_seq = "100",
              .last_seq = "104",
              .batch_size = 5,
              .attempt = 2,
              .bisected = false,
              .invoked_ms = start_ms,
              .first_arrival_ms = start_ms - 500,
              .last_arrival_ms = start_ms - 100};
  ASSERT_TRUE(Push(*store, r));
  ASSERT_TRUE(Push(*store, MakeRecord("req-plain", "fn", t0 + kMs)));
  auto records = Read(*store);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_FALSE(RecordJson(records[0]).contains("eventSource"));  // req-plain, newest
  nlohmann::json src = RecordJson(records[1])["eventSource"];
  EXPECT_EQ(src["mappingUuid"], "uuid-1");
  EXPECT_EQ(src["eventSourceArn"], "arn:aws:kinesis:us-east-1:000000000000:stream/s");
  EXPECT_EQ(src["shardId"], "shardId-000000000001");
  EXPECT_EQ(src["startSequenceNumber"], "100");
  EXPECT_EQ(src["endSequenceNumber"], "104");
  EXPECT_EQ(src["batchSize"], 5);
  EXPECT_EQ(src["attempt"], 2);
  EXPECT_EQ(src["bisected"], false);
  EXPECT_EQ(src["invokedTime"], start_ms);
  EXPECT_EQ(src["approximateArrivalOfFirstRecord"], start_ms - 500);
  EXPECT_EQ(src["iteratorAgeMs"], 100);
  // The event went to the runtime 3 ms after the arrival at the invoker (queue, acquire,
  // delivery of 1 ms each): 503 ms after the first record's arrival.
  EXPECT_EQ(src["putToHandlerMs"], 503);
}

TEST_F(RecordStoreTest, MissingStepsGiveZeroPhases) {
  auto store = Open();
  InvocationRecord r = MakeRecord("failed-init", "fn", clock_.MonotonicNanos());
  r.ready_ns = 0;  // init never finished
  r.sent_ns = 0;
  r.status = RecordStatus::kError;
  r.error_type = "Runtime.ExitError";
  ASSERT_TRUE(Push(*store, r));
  auto records = Read(*store);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].acquire_ns, 0);
  EXPECT_EQ(records[0].delivery_ns, 0);
  EXPECT_EQ(records[0].handler_ns, 0);
  EXPECT_EQ(records[0].response_ns, 1 * kMs);
  EXPECT_EQ(records[0].status, "error");
  EXPECT_EQ(records[0].error_type, "Runtime.ExitError");
}

TEST_F(RecordStoreTest, FiltersAndNewestFirst) {
  auto store = Open();
  int64_t t0 = clock_.MonotonicNanos() - 100 * kMs;
  InvocationRecord a = MakeRecord("a", "one", t0);
  a.cold = true;
  InvocationRecord b = MakeRecord("b", "two", t0 + 50 * kMs);
  b.status = RecordStatus::kError;
  InvocationRecord c = MakeRecord("c", "one", t0 + 90 * kMs);
  c.status = RecordStatus::kTimeout;
  for (const auto& r : {a, b, c}) ASSERT_TRUE(Push(*store, r));

  auto ids = [&](const RecordFilter& f) {
    std::vector<std::string> out;
    for (const auto& r : Read(*store, f)) out.push_back(r.request_id);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids({}), (V{"c", "b", "a"}));
  EXPECT_EQ(ids({.function = "one"}), (V{"c", "a"}));
  EXPECT_EQ(ids({.request_id = "b"}), (V{"b"}));
  EXPECT_EQ(ids({.cold = true}), (V{"a"}));
  EXPECT_EQ(ids({.cold = false}), (V{"c", "b"}));
  EXPECT_EQ(ids({.statuses = {"error", "timeout"}}), (V{"c", "b"}));
  EXPECT_EQ(ids({.statuses = {"success"}}), (V{"a"}));
  EXPECT_EQ(ids({.limit = 1}), (V{"c"}));
  int64_t now_ms = clock_.RealtimeMillis();
  EXPECT_EQ(ids({.since_ms = now_ms - 60}), (V{"c", "b"}));
}

TEST_F(RecordStoreTest, RecordsSurviveARestart) {
  {
    auto store = Open();
    ASSERT_TRUE(Push(*store, MakeRecord("before", "fn", clock_.MonotonicNanos())));
    store->Stop();  // a clean shutdown writes what the ring holds
  }
  auto store = Open();
  ASSERT_TRUE(Push(*store, MakeRecord("after", "fn", clock_.MonotonicNanos())));
  auto records = Read(*store);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].request_id, "after");
  EXPECT_EQ(records[1].request_id, "before");
}

TEST_F(RecordStoreTest, StopWritesWhatTheRingHolds) {
  auto store = RecordStore::Open(
      {.path = dir_ + "/invocations.db", .flush_interval_ms = 60000, .clock = &clock_});
  ASSERT_TRUE(store.ok());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(Push(**store, MakeRecord(Id(i), "fn", clock_.MonotonicNanos())));
  }
  (*store)->Stop();
  EXPECT_EQ((*store)->written(), 10u);
}

TEST_F(RecordStoreTest, AFullRingDropsAndCounts) {
  // A writer that sleeps a minute: nothing is drained while the test fills the ring, which
  // holds about ten of these records (each needs room for its worst case, ~350 bytes).
  auto store = RecordStore::Open({.path = dir_ + "/invocations.db",
                                  .capacity = 1024,
                                  .flush_interval_ms = 60000,
                                  .clock = &clock_});
  ASSERT_TRUE(store.ok());
  int pushed = 0;
  for (int i = 0; i < 20; ++i) {
    pushed += Push(**store, MakeRecord(Id(i), "fn", clock_.MonotonicNanos()));
  }
  EXPECT_GE(pushed, 2);
  EXPECT_LT(pushed, 20);
  EXPECT_EQ((*store)->dropped(), static_cast<uint64_t>(20 - pushed));
  EXPECT_EQ(Read(**store).size(), static_cast<size_t>(pushed));  // a query drains first
  EXPECT_TRUE(Push(**store, MakeRecord("again", "fn", clock_.MonotonicNanos())));
}

TEST_F(RecordStoreTest, OldRecordsArePrunedBeyondTheCap) {
  auto store = RecordStore::Open({.path = dir_ + "/invocations.db",
                                  .flush_interval_ms = 60000,
                                  .max_records = 10,
                                  .clock = &clock_});
  ASSERT_TRUE(store.ok());
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(Push(**store, MakeRecord(Id(i), "fn", clock_.MonotonicNanos())));
    if (i % 10 == 9) {
      ASSERT_TRUE((*store)->Flush());  // three batches of ten
    }
  }
  // Whole batches go, oldest first, once the cap is passed by a tenth.
  auto records = Read(**store, {.limit = 100});
  ASSERT_EQ(records.size(), 10u);
  EXPECT_EQ(records.front().request_id, "29");
  EXPECT_EQ(records.back().request_id, "20");
}

TEST_F(RecordStoreTest, QueriesAfterStopAreRefused) {
  auto store = Open();
  store->Stop();
  EXPECT_FALSE(store->Query([](store::Database&) {}));
  EXPECT_FALSE(store->Flush());
}

TEST_F(RecordStoreTest, EachBatchStandsAloneAfterIdentitiesWereLeftOut) {
  auto store = Open();
  // Same environment throughout: only the first record in the ring carries the identity.
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(Push(*store, MakeRecord(Id(i), "one", clock_.MonotonicNanos())));
    if (i % 2 == 1) {
      ASSERT_TRUE(store->Flush());  // three batches of two
    }
  }
  ASSERT_TRUE(Push(*store, MakeRecord(Id(6), "two", clock_.MonotonicNanos())));
  ASSERT_TRUE(Push(*store, MakeRecord(Id(7), "one", clock_.MonotonicNanos())));
  auto records = Read(*store, {.limit = 100});
  ASSERT_EQ(records.size(), 8u);
  for (const auto& r : records) {
    EXPECT_EQ(r.environment.size(), r.function == "one" ? 32u : 16u);
    EXPECT_EQ(r.memory_mb, 1024);
  }
  EXPECT_EQ(Read(*store, {.function = "one"}).size(), 7u);
  EXPECT_EQ(Read(*store, {.function = "two"}).front().request_id, "6");
}

http::Request Get(const std::string& target) {
  http::Request request;
  request.method = "GET";
  request.target = target;
  size_t q = target.find('?');
  request.path = target.substr(0, q);
  if (q != std::string::npos) request.query = target.substr(q + 1);
  return request;
}

TEST(RecordFilterTest, ParsesTheQueryString) {
  auto f = ParseRecordFilter(Get(
      "/thaw/invocations?function=fn&limit=5&since=1700000000000&cold=true&status=error,timeout"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->function, "fn");
  EXPECT_EQ(f->limit, 5);
  EXPECT_EQ(f->since_ms, 1700000000000);
  EXPECT_EQ(f->cold, true);
  EXPECT_EQ(f->statuses, (std::vector<std::string>{"error", "timeout"}));
  auto defaults = ParseRecordFilter(Get("/thaw/invocations"));
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->limit, 100);
  EXPECT_FALSE(defaults->cold.has_value());
}

TEST(RecordFilterTest, RefusesBadValues) {
  for (const char* target :
       {"/thaw/invocations?limit=0", "/thaw/invocations?limit=x", "/thaw/invocations?cold=yes",
        "/thaw/invocations?status=ok", "/thaw/invocations?since=-1"}) {
    auto f = ParseRecordFilter(Get(target));
    EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument) << target;
  }
}

}  // namespace
}  // namespace thaw::records
