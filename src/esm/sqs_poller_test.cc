#include "esm/sqs_poller.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <boost/asio/post.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/clock.h"

namespace thaw::esm {
namespace {

using nlohmann::json;

SqsPoller::Settings Set(int64_t batch_size, int64_t window_ms = 0, bool report = false,
                        int64_t max_concurrency = 1000, MessageFilter filter = {}) {
  SqsPoller::Settings s;
  s.batch_size = batch_size;
  s.batching_window_ms = window_ms;
  s.report_item_failures = report;
  s.max_concurrency = max_concurrency;
  s.filter = std::move(filter);
  return s;
}

InvokeOutcome Out(InvokeOutcome::Kind kind, std::string body = "") {
  InvokeOutcome o;
  o.kind = kind;
  o.body = std::move(body);
  return o;
}

InvokeOutcome Ok(std::string body = "") { return Out(InvokeOutcome::Kind::kOk, std::move(body)); }

// A fake function: records each invocation; answers with `answer` (posted) unless held.
struct FakeFunction {
  explicit FakeFunction(boost::asio::io_context& l) : loop(l) {}
  boost::asio::io_context& loop;
  std::vector<json> events;
  std::vector<std::string> traces;
  std::vector<records::EventSource> sources;
  std::function<InvokeOutcome(const json&)> answer = [](const json&) { return Ok(); };
  bool hold = false;
  std::vector<std::function<void()>> held;
  int running = 0;
  int peak = 0;

  InvokeFn Fn() {
    return [this](const std::string&, std::string payload, InvokeMeta meta,
                  std::function<void(InvokeOutcome)> done) {
      json event = json::parse(payload);
      events.push_back(event);
      traces.push_back(meta.trace_header);
      sources.push_back(meta.source);
      peak = std::max(peak, ++running);
      auto finish = [this, event, done] {
        --running;
        done(answer(event));
      };
      if (hold) {
        held.push_back(finish);
      } else {
        boost::asio::post(loop, finish);
      }
    };
  }
  std::vector<std::string> Bodies() const {
    std::vector<std::string> out;
    for (const json& e : events) {
      for (const json& r : e["Records"]) out.push_back(r["body"]);
    }
    return out;
  }
};

class SqsPollerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("esm_poller_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto opened = sqs::QueueStore::Open(
        loop_, {.path = (dir_ / "sqs.db").string(), .clock = &SystemClock::Get()});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
  }
  void TearDown() override {
    poller_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  template <typename Pred>
  bool RunUntil(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
      loop_.restart();
      loop_.run_for(std::chrono::milliseconds(5));
    }
    return pred();
  }
  void RunFor(std::chrono::milliseconds d) {
    auto deadline = std::chrono::steady_clock::now() + d;
    RunUntil([&] { return std::chrono::steady_clock::now() >= deadline; }, d * 2);
  }
  sqs::Queue& MakeQueue(std::map<std::string, std::string> attributes = {}) {
    return store_->CreateQueue("000000000000", "q", std::move(attributes), {});
  }
  void Send(sqs::Queue& q, std::string body, std::string trace = "") {
    sqs::Message m;
    m.body = std::move(body);
    m.sender_id = "AKID";
    m.trace_header = std::move(trace);
    store_->Send(q, std::move(m));
  }
  sqs::QueueCounts Counts(sqs::Queue& q) { return store_->Count(q); }
  void Start(sqs::Queue& q, SqsPoller::Settings settings) {
    settings.function_arn = "arn:aws:lambda:us-east-1:000000000000:function:f";
    SqsPoller::Options options;
    options.long_poll_s = 1;
    options.backoff_ms = 50;
    poller_ = std::make_unique<SqsPoller>(loop_, *store_, q.Arn(), fn_.Fn(), std::move(settings),
                                          options);
    poller_->Start();
  }

  boost::asio::io_context loop_;
  std::filesystem::path dir_;
  std::unique_ptr<sqs::QueueStore> store_;
  FakeFunction fn_{loop_};
  std::unique_ptr<SqsPoller> poller_;
};

TEST_F(SqsPollerTest, SuccessDeletesTheBatchAndPassesTheTraceHeader) {
  sqs::Queue& q = MakeQueue();
  Send(q, "a", "Root=1-5759e988-bd862e3fe1be46a994272793");
  Send(q, "b");
  Start(q, Set(10));
  ASSERT_TRUE(RunUntil([&] { return fn_.Bodies().size() == 2; }));
  ASSERT_TRUE(RunUntil([&] { return Counts(q).in_flight == 0 && Counts(q).visible == 0; }));
  EXPECT_EQ(fn_.events[0]["Records"][0]["eventSourceARN"], q.Arn());
  EXPECT_EQ(fn_.traces[0], "Root=1-5759e988-bd862e3fe1be46a994272793");
  int64_t messages = 0;  // one batch or two, as the receives fall
  for (const records::EventSource& src : fn_.sources) {
    EXPECT_EQ(src.source_arn, q.Arn());
    EXPECT_EQ(src.attempt, 1);
    messages += src.batch_size;
  }
  EXPECT_EQ(messages, 2);
  EXPECT_EQ(poller_->stats().deleted, 2);
}

TEST_F(SqsPollerTest, FunctionErrorLeavesTheBatchInFlight) {
  sqs::Queue& q = MakeQueue({{"VisibilityTimeout", "30"}});
  q.Refresh();
  fn_.answer = [](const json&) { return Out(InvokeOutcome::Kind::kFunctionError); };
  Send(q, "a");
  Start(q, Set(10));
  ASSERT_TRUE(RunUntil([&] { return poller_->stats().failed_batches == 1; }));
  RunFor(std::chrono::milliseconds(100));
  EXPECT_EQ(Counts(q).in_flight, 1);
  EXPECT_EQ(poller_->stats().deleted, 0);
  EXPECT_EQ(fn_.events.size(), 1u);  // not redelivered before the visibility timeout
}

TEST_F(SqsPollerTest, PartialBatchDeletesOnlySuccesses) {
  sqs::Queue& q = MakeQueue();
  Send(q, "ok");
  Send(q, "fail");
  Send(q, "ok2");
  fn_.answer = [](const json& event) {
    json failures = json::array();
    for (const json& r : event["Records"]) {
      if (r["body"] == "fail") failures.push_back({{"itemIdentifier", r["messageId"]}});
    }
    return Ok(json({{"batchItemFailures", failures}}).dump());
  };
  Start(q, Set(10, 300, true));
  ASSERT_TRUE(RunUntil([&] { return poller_->stats().deleted == 2; }));
  EXPECT_EQ(fn_.events.size(), 1u);
  EXPECT_EQ(Counts(q).in_flight, 1);
}

TEST_F(SqsPollerTest, UnknownItemIdentifierFailsTheWholeBatch) {
  sqs::Queue& q = MakeQueue();
  Send(q, "a");
  Send(q, "b");
  fn_.answer = [](const json&) {
    return Ok(R"({"batchItemFailures":[{"itemIdentifier":"nope"}]})");
  };
  Start(q, Set(10, 300, true));
  ASSERT_TRUE(RunUntil([&] { return poller_->stats().failed_batches == 1; }));
  EXPECT_EQ(poller_->stats().deleted, 0);
  EXPECT_EQ(Counts(q).in_flight, 2);
}

TEST_F(SqsPollerTest, WithoutReportBatchItemFailuresTheResponseIsIgnored) {
  sqs::Queue& q = MakeQueue();
  Send(q, "a");
  fn_.answer = [](const json&) {
    return Ok(R"({"batchItemFailures":[{"itemIdentifier":"nope"}]})");
  };
  Start(q, Set(10));
  ASSERT_TRUE(RunUntil([&] { return poller_->stats().deleted == 1; }));
}

TEST_F(SqsPollerTest, WindowGathersUpToBatchSize) {
  sqs::Queue& q = MakeQueue();
  Start(q, Set(25, 1500));
  Send(q, "1");
  RunFor(std::chrono::milliseconds(200));
  Send(q, "2");
  RunFor(std::chrono::milliseconds(200));
  Send(q, "3");
  ASSERT_TRUE(RunUntil([&] { return fn_.events.size() == 1; }));
  EXPECT_EQ(fn_.Bodies(), (std::vector<std::string>{"1", "2", "3"}));
}

TEST_F(SqsPollerTest, FullBatchGoesBeforeTheWindowEnds) {
  sqs::Queue& q = MakeQueue();
  for (int i = 0; i < 4; ++i) Send(q, std::to_string(i));
  auto started = std::chrono::steady_clock::now();
  Start(q, Set(4, 5000));
  ASSERT_TRUE(RunUntil([&] { return fn_.events.size() == 1; }));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  EXPECT_EQ(fn_.events[0]["Records"].size(), 4u);
}

TEST_F(SqsPollerTest, NoWindowInvokesWithWhatCame) {
  sqs::Queue& q = MakeQueue();
  Start(q, Set(10));
  Send(q, "alone");
  ASSERT_TRUE(RunUntil([&] { return fn_.events.size() == 1; }));
  EXPECT_EQ(fn_.events[0]["Records"].size(), 1u);
}

TEST_F(SqsPollerTest, WorkersScaleWithTheBacklogUpToMaximumConcurrency) {
  sqs::Queue& q = MakeQueue();
  for (int i = 0; i < 20; ++i) Send(q, std::to_string(i));
  fn_.hold = true;
  Start(q, Set(1, 0, false, 3));
  ASSERT_TRUE(RunUntil([&] { return fn_.running == 3; }));
  RunFor(std::chrono::milliseconds(100));
  EXPECT_EQ(fn_.running, 3);
  EXPECT_EQ(poller_->workers(), 3);
  fn_.hold = false;
  for (auto& f : fn_.held) f();
  fn_.held.clear();
  ASSERT_TRUE(RunUntil([&] { return poller_->stats().deleted == 20; }));
  EXPECT_LE(fn_.peak, 3);
  // Idle: the extra workers retire after an empty long poll.
  ASSERT_TRUE(RunUntil([&] { return poller_->workers() == 1; }, std::chrono::seconds(5)));
}

TEST_F(SqsPollerTest, ThrottledBatchStaysAndIsRetriedLater) {
  sqs::Queue& q = MakeQueue({{"VisibilityTimeout", "1"}});
  q.Refresh();
  int calls = 0;
  fn_.answer = [&](const json&) {
    return Out(++calls == 1 ? InvokeOutcome::Kind::kNotInvoked : InvokeOutcome::Kind::kOk);
  };
  Send(q, "a");
  Start(q, Set(10));
  ASSERT_TRUE(RunUntil([&] { return poller_->stats().deleted == 1; }));
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(fn_.events[1]["Records"][0]["attributes"]["ApproximateReceiveCount"], "2");
}

TEST(SqsPollerOptions, BackoffScalesWithTheRetryDelayScale) {
  EXPECT_EQ(SqsPoller::Options::Scaled(1).backoff_ms, 1000);
  EXPECT_EQ(SqsPoller::Options::Scaled(0.01).backoff_ms, 10);
  EXPECT_EQ(SqsPoller::Options::Scaled(0).backoff_ms, 1);  // never a busy loop
}

TEST_F(SqsPollerTest, FilterDropsAndDeletesWhatItRejects) {
  sqs::Queue& q = MakeQueue();
  Send(q, "keep");
  Send(q, "drop");
  Start(q, Set(10, 300, false, 1000,
               [](const sqs::Delivered& d) { return d.message.body == "keep"; }));
  ASSERT_TRUE(RunUntil([&] { return fn_.events.size() == 1; }));
  EXPECT_EQ(fn_.Bodies(), std::vector<std::string>{"keep"});
  ASSERT_TRUE(RunUntil([&] { return Counts(q).in_flight == 0 && Counts(q).visible == 0; }));
}

TEST_F(SqsPollerTest, FifoGroupsStayInOrder) {
  sqs::Queue& q = store_->CreateQueue(
      "000000000000", "q.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}}, {});
  q.Refresh();
  for (int i = 0; i < 5; ++i) {
    for (std::string g : {"a", "b"}) {
      sqs::Message m;
      m.body = g + std::to_string(i);
      m.group_id = g;
      m.dedup_id = m.body;
      store_->Send(q, std::move(m));
    }
  }
  Start(q, Set(2, 0, false, 4));
  ASSERT_TRUE(RunUntil([&] { return fn_.Bodies().size() == 10; }));
  std::vector<std::string> a, b;
  for (const auto& body : fn_.Bodies()) (body[0] == 'a' ? a : b).push_back(body);
  EXPECT_EQ(a, (std::vector<std::string>{"a0", "a1", "a2", "a3", "a4"}));
  EXPECT_EQ(b, (std::vector<std::string>{"b0", "b1", "b2", "b3", "b4"}));
  EXPECT_EQ(fn_.events[0]["Records"][0]["attributes"]["MessageGroupId"].get<std::string>().size(),
            1u);
}

TEST_F(SqsPollerTest, StoppedPollerReturnsWhatItStillReceives) {
  sqs::Queue& q = MakeQueue();
  Start(q, Set(10));
  RunFor(std::chrono::milliseconds(50));  // the worker is parked in a long poll
  poller_.reset();
  Send(q, "late");
  RunFor(std::chrono::milliseconds(300));
  EXPECT_TRUE(fn_.events.empty());
  EXPECT_EQ(Counts(q).visible, 1);
}

}  // namespace
}  // namespace thaw::esm
