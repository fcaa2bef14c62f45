#include "sqs/queue_store.h"

#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>

namespace thaw::sqs {
namespace {

class QueueStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sqs_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    store_.reset();
    auto opened = QueueStore::Open(loop_, {.path = (dir_ / "sqs.db").string(), .clock = &clock_});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
  }
  template <typename Pred>
  void RunUntil(Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
      // The loop stops when it runs out of work while the writer thread still commits.
      loop_.restart();
      loop_.run_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(pred());
  }
  void Flush() {
    bool done = false;
    store_->AfterCommit([&](Status s) {
      EXPECT_TRUE(s.ok());
      done = true;
    });
    RunUntil([&] { return done; });
  }
  std::vector<Delivered> ReceiveNow(Queue& q, int max = 10, int visibility = 30) {
    std::vector<Delivered> got;
    bool done = false;
    store_->Receive(q, {.max_messages = max, .visibility_timeout_s = visibility, .wait_s = 0},
                    [&](Status s, std::vector<Delivered> d) {
                      EXPECT_TRUE(s.ok());
                      got = std::move(d);
                      done = true;
                    });
    RunUntil([&] { return done; });
    return got;
  }
  Message Body(std::string body, std::string group = "", std::string dedup = "") {
    Message m;
    m.body = std::move(body);
    m.group_id = std::move(group);
    m.dedup_id = std::move(dedup);
    return m;
  }

  std::filesystem::path dir_;
  boost::asio::io_context loop_;
  FakeClock clock_;
  std::unique_ptr<QueueStore> store_;
};

TEST_F(QueueStoreTest, MessageReceivableOnlyAfterCommit) {
  Queue& q = store_->CreateQueue("000000000000", "q", {}, {});
  store_->Send(q, Body("a"));
  // Not yet committed: a receive right now sees nothing stored.
  std::vector<Delivered> early;
  bool done = false;
  store_->Receive(q, {.max_messages = 10, .visibility_timeout_s = 30, .wait_s = 0},
                  [&](Status, std::vector<Delivered> d) {
                    early = std::move(d);
                    done = true;
                  });
  EXPECT_TRUE(early.empty());
  RunUntil([&] { return done; });
  auto got = ReceiveNow(q);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].message.body, "a");
  EXPECT_EQ(got[0].message.receive_count, 1);
}

// An in-process reader does not wait for the receive's fsync; the receive is still committed.
TEST_F(QueueStoreTest, NonDurableReceiveAnswersBeforeItsCommit) {
  Queue& q = store_->CreateQueue("000000000000", "q", {}, {});
  store_->Send(q, Body("a"));
  Flush();
  std::vector<Delivered> got;
  store_->Receive(q, {.max_messages = 1, .visibility_timeout_s = 30, .wait_s = 0, .durable = false},
                  [&](Status s, std::vector<Delivered> d) {
                    EXPECT_TRUE(s.ok());
                    got = std::move(d);
                  });
  loop_.restart();
  loop_.poll();  // only what is ready now: no commit has come back yet
  ASSERT_EQ(got.size(), 1u);
  Flush();
  Reopen();
  Queue* again = store_->Find("000000000000", "q");
  ASSERT_NE(again, nullptr);
  clock_.Advance(31'000'000'000);
  auto redelivered = ReceiveNow(*again);
  ASSERT_EQ(redelivered.size(), 1u);
  EXPECT_EQ(redelivered[0].message.receive_count, 2);
}

// A parked in-process reader gets a new message before the message's commit; a parked durable
// receive (the API's long poll) gets it only after.
TEST_F(QueueStoreTest, ParkedInProcessReaderTakesMessageBeforeItsCommit) {
  Queue& q = store_->CreateQueue("000000000000", "q", {}, {});
  Flush();
  // Whether the send was committed when the answer ran: only a commit marks it stored, and
  // Count() counts stored messages.
  int64_t in_flight_seen = -1;
  std::vector<Delivered> got;
  store_->Receive(q,
                  {.max_messages = 10, .visibility_timeout_s = 30, .wait_s = 20, .durable = false},
                  [&](Status s, std::vector<Delivered> d) {
                    EXPECT_TRUE(s.ok());
                    in_flight_seen = store_->Count(q).in_flight;
                    got = std::move(d);
                  });
  store_->Send(q, Body("early"));
  RunUntil([&] { return !got.empty(); });
  EXPECT_EQ(in_flight_seen, 0);  // answered before the send's commit came back
  EXPECT_EQ(got[0].message.body, "early");
  EXPECT_EQ(got[0].message.receive_count, 1);
  Flush();
  EXPECT_EQ(store_->Count(q).in_flight, 1);  // indexed in flight by its commit, not visible
  EXPECT_EQ(store_->Count(q).visible, 0);
  EXPECT_EQ(store_->DeleteMessage(q, got[0].receipt_handle), QueueStore::HandleResult::kOk);
  Flush();
  Reopen();
  Queue* again = store_->Find("000000000000", "q");
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(store_->Count(*again).visible + store_->Count(*again).in_flight, 0);

  // A durable long poll is answered only once the message is committed.
  in_flight_seen = -1;
  got.clear();
  store_->Receive(*again, {.max_messages = 10, .visibility_timeout_s = 30, .wait_s = 20},
                  [&](Status s, std::vector<Delivered> d) {
                    EXPECT_TRUE(s.ok());
                    in_flight_seen = store_->Count(*again).in_flight;
                    got = std::move(d);
                  });
  store_->Send(*again, Body("late"));
  RunUntil([&] { return !got.empty(); });
  EXPECT_EQ(in_flight_seen, 1);
}

// Handed over and deleted before its commit: the message's insert and delete commit in order,
// and nothing is left after a restart.
TEST_F(QueueStoreTest, HandedOverMessageDeletedBeforeItsCommit) {
  Queue& q = store_->CreateQueue("000000000000", "q", {}, {});
  Flush();
  std::vector<Delivered> got;
  store_->Receive(q,
                  {.max_messages = 1, .visibility_timeout_s = 30, .wait_s = 20, .durable = false},
                  [&](Status, std::vector<Delivered> d) { got = std::move(d); });
  store_->Send(q, Body("a"));
  loop_.restart();
  while (got.empty()) loop_.run_one();
  EXPECT_EQ(store_->DeleteMessage(q, got[0].receipt_handle), QueueStore::HandleResult::kOk);
  Flush();
  EXPECT_EQ(store_->Count(q).in_flight + store_->Count(q).visible, 0);
  Reopen();
  Queue* again = store_->Find("000000000000", "q");
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(store_->Count(*again).visible + store_->Count(*again).in_flight, 0);
}

TEST_F(QueueStoreTest, SurvivesReopenWithReceiveCount) {
  Queue& q = store_->CreateQueue("000000000000", "q", {{"VisibilityTimeout", "5"}}, {{"t", "v"}});
  store_->Send(q, Body("durable"));
  Flush();
  ASSERT_EQ(ReceiveNow(q, 10, 1).size(), 1u);
  Reopen();
  Queue* again = store_->Find("000000000000", "q");
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->visibility_timeout_s, 5);
  EXPECT_EQ(again->tags.at("t"), "v");
  EXPECT_TRUE(ReceiveNow(*again).empty());  // still in flight
  clock_.Advance(2'000'000'000);
  auto got = ReceiveNow(*again);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].message.body, "durable");
  EXPECT_EQ(got[0].message.receive_count, 2);
  EXPECT_EQ(store_->DeleteMessage(*again, got[0].receipt_handle), QueueStore::HandleResult::kOk);
  Flush();
  Reopen();
  clock_.Advance(60'000'000'000);
  EXPECT_TRUE(ReceiveNow(*store_->Find("000000000000", "q")).empty());
}

TEST_F(QueueStoreTest, HandlesAreChecked) {
  Queue& q = store_->CreateQueue("000000000000", "q", {}, {});
  EXPECT_EQ(store_->DeleteMessage(q, "garbage"), QueueStore::HandleResult::kInvalid);
  store_->Send(q, Body("a"));
  Flush();
  auto got = ReceiveNow(q, 1, 0);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(store_->ChangeVisibility(q, got[0].receipt_handle, 10),
            QueueStore::HandleResult::kNotInFlight);
}

TEST_F(QueueStoreTest, FifoGroupsLockAndDeduplicate) {
  Queue& q = store_->CreateQueue("000000000000", "q.fifo", {{"FifoQueue", "true"}}, {});
  auto first = store_->Send(q, Body("g1-a", "g1", "d1"));
  store_->Send(q, Body("g1-b", "g1", "d2"));
  store_->Send(q, Body("g2-a", "g2", "d3"));
  auto dup = store_->Send(q, Body("g1-a again", "g1", "d1"));
  EXPECT_TRUE(dup.duplicate);
  EXPECT_EQ(dup.message_id, first.message_id);
  Flush();
  auto got = ReceiveNow(q, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].message.body, "g1-a");
  // g1 is locked while g1-a is in flight; g2 is free.
  auto next = ReceiveNow(q, 10);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].message.body, "g2-a");
  store_->DeleteMessage(q, got[0].receipt_handle);
  auto last = ReceiveNow(q, 10);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].message.body, "g1-b");
  // The dedup window survives a restart and ends after 5 minutes.
  Flush();
  Reopen();
  Queue& again = *store_->Find("000000000000", "q.fifo");
  EXPECT_TRUE(store_->Send(again, Body("x", "g1", "d1")).duplicate);
  clock_.Advance(int64_t{301} * 1'000'000'000);
  EXPECT_FALSE(store_->Send(again, Body("x", "g1", "d1")).duplicate);
}

TEST_F(QueueStoreTest, LongPollAnsweredBySend) {
  Queue& q = store_->CreateQueue("000000000000", "q", {}, {});
  std::vector<Delivered> got;
  int answered = 0;
  for (int i = 0; i < 3; ++i) {
    store_->Receive(q, {.max_messages = 1, .visibility_timeout_s = 30, .wait_s = 20},
                    [&](Status, std::vector<Delivered> d) {
                      for (auto& x : d) got.push_back(std::move(x));
                      ++answered;
                    });
  }
  loop_.restart();
  loop_.poll();
  EXPECT_EQ(answered, 0);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i) store_->Send(q, Body("wake"));
  RunUntil([&] { return answered == 3; });
  EXPECT_EQ(got.size(), 3u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(QueueStoreTest, LongPollEndsEmpty) {
  Queue& q = store_->CreateQueue("000000000000", "q", {}, {});
  bool answered = false;
  store_->Receive(q, {.max_messages = 1, .visibility_timeout_s = 30, .wait_s = 1},
                  [&](Status, std::vector<Delivered> d) {
                    EXPECT_TRUE(d.empty());
                    answered = true;
                  });
  RunUntil([&] { return answered; });
}

TEST_F(QueueStoreTest, RedriveMovesToDlq) {
  Queue& dlq = store_->CreateQueue("000000000000", "dlq", {}, {});
  Queue& src = store_->CreateQueue(
      "000000000000", "src",
      {{"RedrivePolicy",
        R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":2})"}},
      {});
  store_->Send(src, Body("poison"));
  Flush();
  EXPECT_EQ(ReceiveNow(src, 1, 0).size(), 1u);
  EXPECT_EQ(ReceiveNow(src, 1, 0).size(), 1u);
  EXPECT_TRUE(ReceiveNow(src, 1, 0).empty());
  auto moved = ReceiveNow(dlq);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].message.dlq_source_arn, src.Arn());
  ASSERT_EQ(store_->SourcesOf(dlq).size(), 1u);
}

TEST_F(QueueStoreTest, RetentionDropsOldMessages) {
  Queue& q = store_->CreateQueue("000000000000", "q", {{"MessageRetentionPeriod", "60"}}, {});
  store_->Send(q, Body("old"));
  Flush();
  clock_.Advance(int64_t{61} * 1'000'000'000);
  EXPECT_TRUE(ReceiveNow(q).empty());
}

}  // namespace
}  // namespace thaw::sqs
