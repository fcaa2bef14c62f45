#include "esm/ddb_stream_log.h"

#include <chrono>
#include <filesystem>
#include <optional>

#include <gtest/gtest.h>

#include "dynamodb/operations.h"

namespace thaw::esm {
namespace {

using nlohmann::json;

constexpr int64_t kHour = 3600'000'000'000;

class DdbStreamLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ddb_stream_log_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto opened = dynamodb::TableStore::Open(
        loop_, {.path = (dir_ / "dynamodb.db").string(), .clock = &clock_});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
    Call("CreateTable",
         {{"TableName", "tbl"},
          {"BillingMode", "PAY_PER_REQUEST"},
          {"KeySchema", {{{"AttributeName", "pk"}, {"KeyType", "HASH"}}}},
          {"AttributeDefinitions", {{{"AttributeName", "pk"}, {"AttributeType", "S"}}}},
          {"StreamSpecification", {{"StreamEnabled", true}, {"StreamViewType", "NEW_IMAGE"}}}});
    arn_ = Call("DescribeTable", {{"TableName", "tbl"}})["Table"]["LatestStreamArn"];
    log_ = std::make_unique<DdbStreamLog>(*store_, arn_);
  }
  void TearDown() override {
    log_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  json Call(std::string_view op, json input) {
    std::optional<dynamodb::Outcome> got;
    dynamodb::Execute(*store_, dynamodb::Context{"123456789012"}, op, input,
                      [&](dynamodb::Outcome o) { got = std::move(o); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!got && std::chrono::steady_clock::now() < deadline) {
      loop_.restart();
      loop_.run_for(std::chrono::milliseconds(5));
    }
    EXPECT_TRUE(got && !got->error) << op << ": " << (got && got->error ? got->error->message : "");
    return got ? got->output : json();
  }
  void Put(const std::string& key) {
    Call("PutItem", {{"TableName", "tbl"}, {"Item", {{"pk", {{"S", key}}}}}});
  }

  boost::asio::io_context loop_;
  FakeClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<dynamodb::TableStore> store_;
  std::string arn_;
  std::unique_ptr<DdbStreamLog> log_;
};

TEST_F(DdbStreamLogTest, ReadsCommittedRecordsAsTheLambdaEvent) {
  EXPECT_TRUE(log_->Exists());
  int woken = 0;
  auto listening = log_->Listen([&] { ++woken; });
  Put("a");
  Put("b");
  loop_.restart();
  loop_.run_for(std::chrono::milliseconds(20));
  EXPECT_GE(woken, 2);
  auto shards = log_->Shards();
  ASSERT_EQ(shards.size(), 1u);
  EXPECT_FALSE(shards[0].closed);
  auto records = log_->Read(shards[0].id, "", 10);
  ASSERT_EQ(records.size(), 2u);
  const json& e = records[0].event;
  EXPECT_EQ(e["eventSourceARN"], arn_);
  EXPECT_EQ(e["eventName"], "INSERT");
  EXPECT_EQ(e["eventVersion"], "1.1");
  EXPECT_EQ(e["eventSource"], "aws:dynamodb");
  EXPECT_EQ(e["dynamodb"]["Keys"]["pk"]["S"], "a");
  EXPECT_EQ(e["dynamodb"]["SequenceNumber"], records[0].seq);
  EXPECT_EQ(records[0].seq.size(), 21u);
  EXPECT_GT(records[0].bytes, 0);
  EXPECT_EQ(log_->Read(shards[0].id, records[0].seq, 10).size(), 1u);
  EXPECT_EQ(log_->Behind(shards[0].id, records[0].seq), 1);
  EXPECT_EQ(log_->Behind(shards[0].id, ""), 2);
  // LATEST is after what is committed.
  EXPECT_TRUE(log_->Read(shards[0].id, log_->Latest(shards[0].id), 10).empty());
  EXPECT_FALSE(log_->Finished(shards[0].id, records[1].seq));
  // Released: no more wakes.
  listening.reset();
  int before = woken;
  Put("c");
  loop_.restart();
  loop_.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(woken, before);
}

TEST_F(DdbStreamLogTest, RolloverClosesTheParentAndTheChildFollowsIt) {
  Put("a");
  clock_.Advance(5 * kHour);  // past the 4 h rollover
  Put("b");
  auto shards = log_->Shards();
  ASSERT_EQ(shards.size(), 2u);
  EXPECT_TRUE(shards[0].closed);
  EXPECT_EQ(shards[1].parent, shards[0].id);
  auto parent = log_->Read(shards[0].id, "", 10);
  ASSERT_EQ(parent.size(), 1u);
  EXPECT_TRUE(log_->Finished(shards[0].id, parent[0].seq));
  EXPECT_FALSE(log_->Finished(shards[0].id, ""));
  auto child = log_->Read(shards[1].id, "", 10);
  ASSERT_EQ(child.size(), 1u);
  EXPECT_EQ(child[0].event["dynamodb"]["Keys"]["pk"]["S"], "b");
  // AT_TIMESTAMP: just before the first record at or after the time.
  EXPECT_EQ(dynamodb::ParseSequence(log_->AtTimestamp(shards[1].id, 0)),
            *dynamodb::ParseSequence(child[0].seq) - 1);
}

}  // namespace
}  // namespace thaw::esm
