#include "esm/stream_poller.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/post.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/codec.h"
#include "store/sqlite.h"

namespace thaw::esm {
namespace {

using nlohmann::json;

// A stream in memory: shards of records with sequence numbers "100", "101", ...
class FakeLog final : public ShardLog {
 public:
  struct FakeShard {
    std::string parent;
    std::string adjacent_parent;
    bool closed = false;
    std::vector<LogRecord> records;
  };
  std::map<std::string, FakeShard> shards;  // ids sort parents first in these tests
  std::vector<std::string> order;
  std::function<void()> wake;
  int64_t next = 100;

  void AddShard(const std::string& id, const std::string& parent = "",
                const std::string& adjacent_parent = "") {
    shards[id].parent = parent;
    shards[id].adjacent_parent = adjacent_parent;
    order.push_back(id);
  }
  // Appends a record whose event is {"pk": key, ...extra}; wakes the listener.
  std::string Put(const std::string& shard, const std::string& key, json extra = json::object(),
                  int64_t bytes = 100, int64_t arrival_ms = 0) {
    LogRecord r;
    r.seq = std::to_string(next++);
    r.partition_key = key;
    r.bytes = bytes;
    r.arrival_ms = arrival_ms ? arrival_ms : SystemClock().RealtimeMillis();
    r.event = extra;
    r.event["pk"] = key;
    r.event["seq"] = r.seq;
    shards[shard].records.push_back(r);
    if (wake) wake();
    return r.seq;
  }

  std::string_view batch_info_name() const override { return "DDBStreamBatchInfo"; }
  bool Exists() override { return true; }
  std::vector<ShardInfo> Shards() override {
    std::vector<ShardInfo> out;
    for (const auto& id : order) {
      out.push_back({id, shards[id].parent, shards[id].closed, shards[id].adjacent_parent});
    }
    return out;
  }
  std::vector<LogRecord> Read(const std::string& shard, const std::string& after,
                              size_t max) override {
    std::vector<LogRecord> out;
    for (const auto& r : shards[shard].records) {
      if (out.size() >= max) break;
      if (CompareSeq(r.seq, after) > 0) out.push_back(r);
    }
    return out;
  }
  std::string Latest(const std::string& shard) override {
    auto& rs = shards[shard].records;
    return rs.empty() ? "99" : rs.back().seq;
  }
  std::string AtTimestamp(const std::string& shard, int64_t) override { return Latest(shard); }
  bool Finished(const std::string& shard, const std::string& after) override {
    return shards[shard].closed && Read(shard, after, 1).empty();
  }
  int64_t Behind(const std::string& shard, const std::string& after) override {
    return static_cast<int64_t>(Read(shard, after, 1000000).size());
  }
  std::shared_ptr<void> Listen(std::function<void()> w) override {
    wake = std::move(w);
    return std::make_shared<int>(0);
  }
};

InvokeOutcome Outcome(InvokeOutcome::Kind kind, std::string body = "") {
  InvokeOutcome o;
  o.kind = kind;
  o.body = std::move(body);
  return o;
}

class StreamPollerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("stream_poller_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    std::filesystem::remove(path_);
    auto opened = store::Database::Open(path_.string());
    ASSERT_TRUE(opened.ok());
    db_ = std::move(*opened);
    checkpoints_ = std::make_unique<Checkpoints>(loop_, loop_, *db_);
    ASSERT_TRUE(checkpoints_->Load().ok());
    log_.AddShard("shard-1");
  }
  void TearDown() override {
    poller_.reset();
    checkpoints_.reset();
    db_.reset();
    std::filesystem::remove(path_);
  }

  InvokeFn Invoke() {
    return [this](const std::string&, std::string payload, InvokeMeta meta,
                  std::function<void(InvokeOutcome)> done) {
      json event = json::parse(payload);
      events_.push_back(event);
      sources_.push_back(std::move(meta.source));
      InvokeOutcome out = answer_ ? answer_(event) : Outcome(InvokeOutcome::Kind::kOk);
      peak_ = std::max(peak_, ++in_flight_);
      boost::asio::post(loop_, [this, done, out] {
        --in_flight_;
        done(out);
      });
    };
  }
  FailureFn Fail() {
    return [this](const std::string& dest, std::string message, std::function<void(Status)> done) {
      failures_.push_back(json::parse(message));
      failure_dests_.push_back(dest);
      boost::asio::post(loop_, [done] { done(Status::Ok()); });
    };
  }
  void Start(const std::function<void(StreamPoller::Settings&)>& set,
             int64_t max_payload = 6 * 1024 * 1024) {
    StreamPoller::Settings s;
    set(s);
    s.uuid = "uuid-1";
    s.function_arn = "arn:aws:lambda:us-east-1:000000000000:function:f";
    s.event_source_arn = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x";
    poller_ = std::make_unique<StreamPoller>(
        loop_, log_, *checkpoints_, Invoke(), Fail(), clock_, s,
        StreamPoller::Options{
            .poll_interval_ms = 0, .retry_delay_ms = 1, .max_payload_bytes = max_payload});
    poller_->Start();
  }
  // Runs the loop until `done` holds (or 3 s).
  bool RunUntil(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      loop_.restart();
      loop_.run_for(std::chrono::milliseconds(5));
    }
    return done();
  }
  void Settle() {
    for (int i = 0; i < 20; ++i) {
      loop_.restart();
      loop_.run_for(std::chrono::milliseconds(5));
    }
  }
  // The "pk" of every record the function got, in order, over every invocation.
  std::vector<std::string> Keys(bool only_ok = false) const {
    std::vector<std::string> out;
    for (size_t i = 0; i < events_.size(); ++i) {
      if (only_ok && !ok_[i]) continue;
      for (const auto& r : events_[i]["Records"]) out.push_back(r["pk"]);
    }
    return out;
  }

  boost::asio::io_context loop_;
  SystemClock clock_;
  std::filesystem::path path_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Checkpoints> checkpoints_;
  FakeLog log_;
  std::unique_ptr<StreamPoller> poller_;
  std::vector<json> events_;
  std::vector<records::EventSource> sources_;
  std::vector<bool> ok_;
  std::function<InvokeOutcome(const json&)> answer_;
  std::vector<json> failures_;
  std::vector<std::string> failure_dests_;
  int in_flight_ = 0;
  int peak_ = 0;
};

bool HasPoison(const json& event) {
  for (const auto& r : event["Records"]) {
    if (r.contains("poison")) return true;
  }
  return false;
}

TEST(CompareSeqTest, OrdersDecimalStrings) {
  EXPECT_LT(CompareSeq("99", "100"), 0);
  EXPECT_GT(CompareSeq("000000000000000000101", "100"), 0);
  EXPECT_EQ(CompareSeq("0100", "100"), 0);
  EXPECT_LT(CompareSeq("", "0"), 0);
  EXPECT_LT(CompareSeq("49590338271490256608559692538361571095921575989136588898",
                       "49590338271490256608559692538361571095921575989136588899"),
            0);
}

TEST_F(StreamPollerTest, DeliversInOrderInBatchesAndCheckpoints) {
  std::string last;
  for (int i = 0; i < 7; ++i) last = log_.Put("shard-1", "k" + std::to_string(i));
  Start([](StreamPoller::Settings& s) { s.batch_size = 3; });
  ASSERT_TRUE(RunUntil([&] { return Keys().size() == 7; }));
  Settle();
  ASSERT_EQ(events_.size(), 3u);
  EXPECT_EQ(events_[0]["Records"].size(), 3u);
  EXPECT_EQ(events_[2]["Records"].size(), 1u);
  EXPECT_EQ(Keys(), (std::vector<std::string>{"k0", "k1", "k2", "k3", "k4", "k5", "k6"}));
  EXPECT_EQ(checkpoints_->Get("uuid-1", "shard-1"), last);
  EXPECT_EQ(poller_->last_result(), "OK");
  // New records arrive through the listener, at once.
  log_.Put("shard-1", "k7");
  ASSERT_TRUE(RunUntil([&] { return Keys().size() == 8; }));
}

TEST_F(StreamPollerTest, NextBatchRunsWhileTheCheckpointCommitsButNotTwoAhead) {
  // The control thread's commits run only when the test says so.
  boost::asio::io_context control;
  checkpoints_ = std::make_unique<Checkpoints>(loop_, control, *db_);
  ASSERT_TRUE(checkpoints_->Load().ok());
  std::vector<std::string> seqs;
  for (int i = 0; i < 8; ++i) seqs.push_back(log_.Put("shard-1", "k" + std::to_string(i)));
  Start([](StreamPoller::Settings& s) { s.batch_size = 2; });
  auto durable = [&]() -> std::optional<std::string> {
    Checkpoints reloaded(loop_, control, *db_);
    EXPECT_TRUE(reloaded.Load().ok());
    return reloaded.Get("uuid-1", "shard-1");
  };
  auto commit = [&] {
    control.poll();
    control.restart();
    Settle();
  };
  // Batch 1 is done and its checkpoint commits: batch 2 goes meanwhile, but batch 3 waits for
  // batch 1's checkpoint.
  Settle();
  EXPECT_EQ(events_.size(), 2u);
  EXPECT_FALSE(durable().has_value());
  commit();
  EXPECT_EQ(durable(), seqs[1]);
  EXPECT_EQ(events_.size(), 3u);
  commit();  // batch 2's
  EXPECT_EQ(durable(), seqs[3]);
  EXPECT_EQ(events_.size(), 4u);
  commit();
  commit();
  EXPECT_EQ(durable(), seqs[7]);
  EXPECT_EQ(Keys().size(), 8u);
  poller_.reset();
  checkpoints_.reset();
}

TEST_F(StreamPollerTest, ChildWaitsForItsParent) {
  log_.Put("shard-1", "p0");
  log_.Put("shard-1", "p1");
  log_.AddShard("shard-2", "shard-1");
  log_.Put("shard-2", "c0");
  answer_ = [&](const json&) { return Outcome(InvokeOutcome::Kind::kOk); };
  Start([](StreamPoller::Settings& s) { s.batch_size = 1; });
  ASSERT_TRUE(RunUntil([&] { return Keys().size() == 2; }));
  Settle();
  EXPECT_EQ(Keys(), (std::vector<std::string>{"p0", "p1"}));  // the parent is still open
  log_.shards["shard-1"].closed = true;
  log_.wake();
  ASSERT_TRUE(RunUntil([&] { return Keys().size() == 3; }));
  EXPECT_EQ(Keys().back(), "c0");
}

// A Kinesis merge: the child is read once both parents are finished.
TEST_F(StreamPollerTest, MergedChildWaitsForBothParents) {
  log_.AddShard("shard-b");
  log_.Put("shard-1", "a0");
  log_.Put("shard-b", "b0");
  log_.AddShard("shard-c", "shard-1", "shard-b");
  log_.Put("shard-c", "c0");
  log_.shards["shard-1"].closed = true;
  answer_ = [&](const json&) { return Outcome(InvokeOutcome::Kind::kOk); };
  Start([](StreamPoller::Settings& s) { s.batch_size = 1; });
  ASSERT_TRUE(RunUntil([&] { return Keys().size() == 2; }));
  Settle();
  EXPECT_EQ(Keys().size(), 2u);  // shard-b, the adjacent parent, is still open
  log_.shards["shard-b"].closed = true;
  log_.wake();
  ASSERT_TRUE(RunUntil([&] { return Keys().size() == 3; }));
  EXPECT_EQ(Keys().back(), "c0");
}

TEST_F(StreamPollerTest, OtherShardsGoOnWhileOneRetries) {
  log_.AddShard("shard-b");
  log_.Put("shard-1", "bad", {{"poison", true}});
  log_.Put("shard-b", "b0");
  log_.Put("shard-b", "b1");
  answer_ = [](const json& e) {
    return Outcome(HasPoison(e) ? InvokeOutcome::Kind::kFunctionError : InvokeOutcome::Kind::kOk);
  };
  Start([](StreamPoller::Settings& s) { s.batch_size = 1; });
  ASSERT_TRUE(RunUntil([&] {
    auto k = Keys();
    return std::count(k.begin(), k.end(), "b1") == 1 && std::count(k.begin(), k.end(), "bad") > 3;
  }));
  EXPECT_EQ(poller_->last_result(), "PROBLEM: Function call failed");
  EXPECT_TRUE(failures_.empty());  // MaximumRetryAttempts -1: retried until it expires
}

TEST_F(StreamPollerTest, RetriesExhaustedGoToOnFailureAndTheShardMovesOn) {
  const std::string bad = log_.Put("shard-1", "bad", {{"poison", true}});
  log_.Put("shard-1", "good");
  answer_ = [](const json& e) {
    return Outcome(HasPoison(e) ? InvokeOutcome::Kind::kFunctionError : InvokeOutcome::Kind::kOk);
  };
  Start([](StreamPoller::Settings& s) {
    s.batch_size = 1;
    s.max_retries = 2;
    s.on_failure = "arn:aws:sqs:us-east-1:0:dlq";
  });
  ASSERT_TRUE(RunUntil([&] { return Keys().size() == 4; }));
  Settle();
  EXPECT_EQ(Keys(), (std::vector<std::string>{"bad", "bad", "bad", "good"}));
  ASSERT_EQ(failures_.size(), 1u);
  EXPECT_EQ(failure_dests_[0], "arn:aws:sqs:us-east-1:0:dlq");
  const json& f = failures_[0];
  EXPECT_EQ(f["requestContext"]["condition"], "RetryAttemptsExhausted");
  EXPECT_EQ(f["requestContext"]["approximateInvokeCount"], 3);
  EXPECT_EQ(f["responseContext"]["functionError"], "Unhandled");
  EXPECT_EQ(f["version"], "1.0");
  const json& info = f["DDBStreamBatchInfo"];
  EXPECT_EQ(info["shardId"], "shard-1");
  EXPECT_EQ(info["startSequenceNumber"], bad);
  EXPECT_EQ(info["endSequenceNumber"], bad);
  EXPECT_EQ(info["batchSize"], 1);
  EXPECT_EQ(info["streamArn"], "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x");
  EXPECT_FALSE(f.contains("Records"));  // metadata only
  EXPECT_EQ(checkpoints_->Get("uuid-1", "shard-1"), log_.shards["shard-1"].records.back().seq);
  // Each invocation is kept with its sequence range and result.
  auto invocations = poller_->Stats()[0].invocations;
  ASSERT_EQ(invocations.size(), 4u);
  EXPECT_EQ(invocations[0].result, "FunctionError");
  EXPECT_EQ(invocations[0].first_seq, bad);
  EXPECT_EQ(invocations[0].last_seq, bad);
  EXPECT_EQ(invocations[3].result, "OK");
  // The invocation records get the batch: mapping, shard, range and which attempt.
  ASSERT_EQ(sources_.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(sources_[i].mapping, "uuid-1");
    EXPECT_EQ(sources_[i].source_arn, "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x");
    EXPECT_EQ(sources_[i].shard, "shard-1");
    EXPECT_EQ(sources_[i].first_seq, bad);
    EXPECT_EQ(sources_[i].last_seq, bad);
    EXPECT_EQ(sources_[i].batch_size, 1);
    EXPECT_EQ(sources_[i].attempt, i + 1);
    EXPECT_FALSE(sources_[i].bisected);
    EXPECT_GT(sources_[i].invoked_ms, 0);
    EXPECT_EQ(sources_[i].first_arrival_ms, log_.shards["shard-1"].records[0].arrival_ms);
  }
  EXPECT_EQ(sources_[3].attempt, 1);
  EXPECT_EQ(sources_[3].first_seq, log_.shards["shard-1"].records.back().seq);
}

TEST_F(StreamPollerTest, BisectionIsolatesThePoisonRecord) {
  for (int i = 0; i < 8; ++i) {
    log_.Put("shard-1", "k" + std::to_string(i), i == 5 ? json{{"poison", true}} : json::object());
  }
  answer_ = [this](const json& e) {
    bool bad = HasPoison(e);
    ok_.push_back(!bad);
    return Outcome(bad ? InvokeOutcome::Kind::kFunctionError : InvokeOutcome::Kind::kOk);
  };
  Start([](StreamPoller::Settings& s) {
    s.batch_size = 8;
    s.bisect = true;
    s.max_retries = 0;
    s.on_failure = "arn:aws:sqs:us-east-1:0:dlq";
  });
  ASSERT_TRUE(RunUntil([&] { return failures_.size() == 1; }));
  Settle();
  EXPECT_EQ(Keys(true), (std::vector<std::string>{"k0", "k1", "k2", "k3", "k4", "k6", "k7"}));
  const json& info = failures_[0]["DDBStreamBatchInfo"];
  EXPECT_EQ(info["batchSize"], 1);
  EXPECT_EQ(info["startSequenceNumber"], log_.shards["shard-1"].records[5].seq);
  auto stats = poller_->Stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].bisections, 3);  // 8 -> 4 -> 2 -> 1
  EXPECT_EQ(stats[0].on_failure, 1);
  EXPECT_EQ(stats[0].records, 7);
  // The first invoke is the whole batch; every later one a bisected half.
  ASSERT_GE(sources_.size(), 4u);
  EXPECT_FALSE(sources_[0].bisected);
  EXPECT_EQ(sources_[0].batch_size, 8);
  EXPECT_TRUE(sources_[1].bisected);
  EXPECT_EQ(sources_[1].batch_size, 4);
  EXPECT_EQ(sources_[1].attempt, 1);
  for (size_t i = 1; i < sources_.size(); ++i) EXPECT_TRUE(sources_[i].bisected) << i;
}

TEST_F(StreamPollerTest, ReportBatchItemFailuresResumesAtTheLowestFailed) {
  std::vector<std::string> seqs;
  for (int i = 0; i < 5; ++i) {
    seqs.push_back(log_.Put("shard-1", "k" + std::to_string(i),
                            i == 2 ? json{{"poison", true}} : json::object()));
  }
  int calls = 0;
  answer_ = [&](const json& e) {
    if (++calls > 1) return Outcome(InvokeOutcome::Kind::kOk);
    json failures = json::array();
    for (const auto& r : e["Records"]) {
      if (r.contains("poison") || r["pk"] == "k4")
        failures.push_back({{"itemIdentifier", r["seq"]}});
    }
    return Outcome(InvokeOutcome::Kind::kOk, json{{"batchItemFailures", failures}}.dump());
  };
  // The fake's records carry their sequence number as "seq"; the poller matches identifiers
  // against LogRecord::seq.
  Start([](StreamPoller::Settings& s) {
    s.batch_size = 10;
    s.report_item_failures = true;
  });
  ASSERT_TRUE(RunUntil([&] { return events_.size() == 2; }));
  Settle();
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1]["Records"].size(), 3u);
  EXPECT_EQ(events_[1]["Records"][0]["pk"], "k2");
  EXPECT_EQ(checkpoints_->Get("uuid-1", "shard-1"), seqs.back());
}

TEST_F(StreamPollerTest, MalformedItemFailuresFailTheWholeBatch) {
  log_.Put("shard-1", "k0");
  log_.Put("shard-1", "k1");
  int calls = 0;
  answer_ = [&](const json&) {
    if (++calls > 1) return Outcome(InvokeOutcome::Kind::kOk);
    return Outcome(InvokeOutcome::Kind::kOk, R"({"batchItemFailures":[{"itemIdentifier":""}]})");
  };
  Start([](StreamPoller::Settings& s) {
    s.batch_size = 10;
    s.report_item_failures = true;
  });
  ASSERT_TRUE(RunUntil([&] { return events_.size() == 2; }));
  EXPECT_EQ(events_[1]["Records"].size(), 2u);
  EXPECT_EQ(poller_->Stats()[0].retries, 1);
}

TEST_F(StreamPollerTest, FilteredRecordsAreCheckpointedPast) {
  log_.Put("shard-1", "skip");
  log_.Put("shard-1", "keep");
  const std::string last = log_.Put("shard-1", "skip");
  Start([](StreamPoller::Settings& s) {
    s.batch_size = 10;
    s.filter = [](const json& r) { return r["pk"] == "keep"; };
  });
  ASSERT_TRUE(RunUntil([&] { return checkpoints_->Get("uuid-1", "shard-1") == last; }));
  EXPECT_EQ(Keys(), (std::vector<std::string>{"keep"}));
  EXPECT_EQ(poller_->Stats()[0].filtered, 2);
}

TEST_F(StreamPollerTest, PayloadLimitSplitsBatches) {
  for (int i = 0; i < 5; ++i) log_.Put("shard-1", "k" + std::to_string(i), {}, 2 * 1024 * 1024);
  Start([](StreamPoller::Settings& s) { s.batch_size = 100; });
  ASSERT_TRUE(RunUntil([&] { return Keys().size() == 5; }));
  ASSERT_EQ(events_.size(), 3u);  // 2 + 2 + 1 under 6 MB
  EXPECT_EQ(events_[0]["Records"].size(), 2u);
}

TEST_F(StreamPollerTest, RestartResumesAfterTheCheckpoint) {
  log_.Put("shard-1", "k0");
  log_.Put("shard-1", "k1");
  Start([](StreamPoller::Settings& s) { s.batch_size = 10; });
  ASSERT_TRUE(RunUntil([&] { return Keys().size() == 2; }));
  Settle();
  poller_.reset();
  log_.Put("shard-1", "k2");
  Checkpoints reloaded(loop_, loop_, *db_);
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_TRUE(reloaded.Started("uuid-1"));
  checkpoints_ = std::make_unique<Checkpoints>(loop_, loop_, *db_);
  ASSERT_TRUE(checkpoints_->Load().ok());
  Start([](StreamPoller::Settings& s) { s.batch_size = 10; });
  ASSERT_TRUE(RunUntil([&] { return Keys().size() == 3; }));
  Settle();
  EXPECT_EQ(Keys(), (std::vector<std::string>{"k0", "k1", "k2"}));
}

TEST_F(StreamPollerTest, LatestSkipsWhatIsAlreadyThere) {
  log_.Put("shard-1", "old");
  Start([](StreamPoller::Settings& s) {
    s.batch_size = 10;
    s.starting_position = "LATEST";
  });
  Settle();
  log_.Put("shard-1", "new");
  ASSERT_TRUE(RunUntil([&] { return Keys().size() == 1; }));
  EXPECT_EQ(Keys(), (std::vector<std::string>{"new"}));
}

TEST_F(StreamPollerTest, RecordAgeExceededSkipsWithoutInvoking) {
  log_.Put("shard-1", "old", {}, 100, SystemClock().RealtimeMillis() - 120000);
  log_.Put("shard-1", "new");
  Start([](StreamPoller::Settings& s) {
    s.batch_size = 1;
    s.max_record_age_s = 60;
    s.on_failure = "arn:aws:sns:us-east-1:0:t";
  });
  ASSERT_TRUE(RunUntil([&] { return Keys().size() == 1 && failures_.size() == 1; }));
  EXPECT_EQ(Keys(), (std::vector<std::string>{"new"}));
  EXPECT_EQ(failures_[0]["requestContext"]["condition"], "RecordAgeExceeded");
  EXPECT_EQ(failures_[0]["requestContext"]["approximateInvokeCount"], 0);
}

TEST_F(StreamPollerTest, TumblingWindowsCarryStateAndEndWithAFinalInvoke) {
  const int64_t width = 10000;
  const int64_t a = (SystemClock().RealtimeMillis() / width - 3) * width;  // ended windows
  log_.Put("shard-1", "a1", {}, 100, a + 1000);
  log_.Put("shard-1", "a2", {}, 100, a + 2000);
  log_.Put("shard-1", "b1", {}, 100, a + width + 500);
  answer_ = [](const json& e) {
    int n = e["state"].contains("n") ? std::stoi(e["state"]["n"].get<std::string>()) : 0;
    n += static_cast<int>(e["Records"].size());
    return Outcome(InvokeOutcome::Kind::kOk, json{{"state", {{"n", std::to_string(n)}}}}.dump());
  };
  Start([](StreamPoller::Settings& s) {
    s.batch_size = 10;
    s.tumbling_window_s = 10;
  });
  ASSERT_TRUE(RunUntil([&] { return events_.size() == 3; }));
  Settle();
  ASSERT_EQ(events_.size(), 3u);
  EXPECT_EQ(events_[0]["Records"].size(), 2u);
  EXPECT_EQ(events_[0]["isFinalInvokeForWindow"], true);  // b1 is in the next window
  EXPECT_EQ(events_[0]["state"], json::object());
  EXPECT_EQ(events_[0]["shardId"], "shard-1");
  EXPECT_EQ(events_[0]["isWindowTerminatedEarly"], false);
  EXPECT_EQ(events_[0]["window"]["start"], FormatIsoMillis(a).substr(0, 19) + "Z");
  EXPECT_EQ(events_[0]["window"]["end"], FormatIsoMillis(a + width).substr(0, 19) + "Z");
  EXPECT_EQ(events_[1]["Records"].size(), 1u);
  EXPECT_EQ(events_[1]["isFinalInvokeForWindow"], false);
  EXPECT_EQ(events_[1]["state"], json::object());  // a new window starts empty
  // The window has ended: its final invoke, with no records and the state so far.
  EXPECT_EQ(events_[2]["Records"].size(), 0u);
  EXPECT_EQ(events_[2]["isFinalInvokeForWindow"], true);
  EXPECT_EQ(events_[2]["state"], json({{"n", "1"}}));
}

TEST_F(StreamPollerTest, TumblingWindowStateSurvivesARestart) {
  const int64_t start = SystemClock().RealtimeMillis() / 60000 * 60000;  // the open window
  log_.Put("shard-1", "a1", {}, 100, start);
  answer_ = [](const json& e) {
    int n = e["state"].contains("n") ? std::stoi(e["state"]["n"].get<std::string>()) : 0;
    n += static_cast<int>(e["Records"].size());
    return Outcome(InvokeOutcome::Kind::kOk, json{{"state", {{"n", std::to_string(n)}}}}.dump());
  };
  auto set = [](StreamPoller::Settings& s) { s.tumbling_window_s = 60; };
  Start(set);
  ASSERT_TRUE(RunUntil([&] { return checkpoints_->Window("uuid-1", "shard-1") != ""; }));
  Settle();
  poller_.reset();
  checkpoints_ = std::make_unique<Checkpoints>(loop_, loop_, *db_);
  ASSERT_TRUE(checkpoints_->Load().ok());
  log_.Put("shard-1", "a2", {}, 100, start + 1);
  Start(set);
  ASSERT_TRUE(RunUntil([&] { return events_.size() == 2; }));
  EXPECT_EQ(events_[1]["Records"].size(), 1u);
  EXPECT_EQ(events_[1]["state"], json({{"n", "1"}}));
}

TEST_F(StreamPollerTest, TumblingWindowAnswerWithoutStateFails) {
  const int64_t a = (SystemClock().RealtimeMillis() / 10000 + 1) * 10000;  // not ended
  log_.Put("shard-1", "a1", {}, 100, a - 5000);
  int calls = 0;
  answer_ = [&](const json&) {
    return Outcome(InvokeOutcome::Kind::kOk, ++calls == 1 ? "{}" : R"({"state":{}})");
  };
  Start([](StreamPoller::Settings& s) { s.tumbling_window_s = 10; });
  ASSERT_TRUE(RunUntil([&] { return events_.size() == 2; }));
  EXPECT_EQ(poller_->Stats()[0].retries, 1);
}

TEST_F(StreamPollerTest, ParallelizationRunsBatchesTogetherKeepingEachKeysOrder) {
  for (int round = 0; round < 3; ++round) {
    for (int k = 0; k < 10; ++k) log_.Put("shard-1", "k" + std::to_string(k), {{"n", round}});
  }
  const std::string last = log_.shards["shard-1"].records.back().seq;
  Start([](StreamPoller::Settings& s) {
    s.batch_size = 4;
    s.parallelization = 3;
  });
  ASSERT_TRUE(RunUntil([&] { return checkpoints_->Get("uuid-1", "shard-1") == last; }));
  EXPECT_GT(peak_, 1);  // batches of one shard ran at the same time
  std::map<std::string, std::vector<int>> by_key;
  size_t total = 0;
  for (const auto& e : events_) {
    EXPECT_LE(e["Records"].size(), 4u);
    for (const auto& r : e["Records"]) {
      by_key[r["pk"]].push_back(r["n"]);
      ++total;
    }
  }
  EXPECT_EQ(total, 30u);
  for (const auto& [key, ns] : by_key) EXPECT_EQ(ns, (std::vector<int>{0, 1, 2})) << key;
}

TEST(StreamFailureRecordTest, KinesisKeepsMilliseconds) {
  LogRecord r;
  r.seq = "4960";
  r.arrival_ms = 1573690486835;
  json f = StreamFailureRecord("KinesisBatchInfo", "arn:f", "arn:s", "shardId-000000000001", {r},
                               "RetryAttemptsExhausted", 1, 1573690486900);
  EXPECT_EQ(f["KinesisBatchInfo"]["approximateArrivalOfFirstRecord"], "2019-11-14T00:14:46.835Z");
  json d = StreamFailureRecord("DDBStreamBatchInfo", "arn:f", "arn:s", "s", {r},
                               "RetryAttemptsExhausted", 1, 1573690486900);
  EXPECT_EQ(d["DDBStreamBatchInfo"]["approximateArrivalOfLastRecord"], "2019-11-14T00:14:46Z");
}

}  // namespace
}  // namespace thaw::esm
