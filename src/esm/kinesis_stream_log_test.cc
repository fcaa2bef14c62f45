#include "esm/kinesis_stream_log.h"

#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>

#include "base/codec.h"

namespace thaw::esm {
namespace {

using nlohmann::json;

constexpr char kRole[] = "arn:aws:iam::123456789012:role/consumer";

class KinesisStreamLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kinesis_log_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    clock_.SetRealtime(1'545'084'650'987'000'000);  // 1545084650.987 s
    auto opened = kinesis::StreamStore::Open(
        loop_, {.path = (dir_ / "kinesis.db").string(), .clock = &clock_});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
    stream_ = &store_->Create("123456789012", "s", 1, "PROVISIONED", 1024, {});
    log_ = std::make_unique<KinesisStreamLog>(*store_, stream_->Arn(), kRole);
  }
  void TearDown() override {
    log_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Puts and waits for the commit.
  void Put(const std::string& key, const std::string& data) {
    bool done = false;
    store_->Put(*stream_, {kinesis::PutEntry{key, data, std::nullopt}},
                [&](const Status&) { done = true; });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done && std::chrono::steady_clock::now() < deadline) {
      loop_.restart();
      loop_.run_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(done);
  }

  std::filesystem::path dir_;
  boost::asio::io_context loop_;
  FakeClock clock_;
  std::unique_ptr<kinesis::StreamStore> store_;
  kinesis::Stream* stream_ = nullptr;
  std::unique_ptr<KinesisStreamLog> log_;
};

TEST_F(KinesisStreamLogTest, RecordsAreLambdasKinesisEvent) {
  const std::string shard = "shardId-000000000000";
  const std::string latest = log_->Latest(shard);
  Put("1", R"({"message": "hi"})");
  std::vector<LogRecord> records = log_->Read(shard, "", 10);
  ASSERT_EQ(records.size(), 1u);
  const json e = json::parse(records[0].text, nullptr, false);
  // Written as nlohmann::json would dump it, and sized by it.
  EXPECT_EQ(e.dump(), records[0].text);
  EXPECT_EQ(records[0].bytes, static_cast<int64_t>(records[0].text.size()));
  EXPECT_EQ(e["eventSource"], "aws:kinesis");
  EXPECT_EQ(e["eventVersion"], "1.0");
  EXPECT_EQ(e["eventName"], "aws:kinesis:record");
  EXPECT_EQ(e["eventID"], shard + ":" + records[0].seq);
  EXPECT_EQ(e["invokeIdentityArn"], kRole);
  EXPECT_EQ(e["awsRegion"], "us-east-1");
  EXPECT_EQ(e["eventSourceARN"], stream_->Arn());
  EXPECT_FALSE(e["kinesis"].contains("encryptionType"));
  EXPECT_EQ(e["kinesis"]["kinesisSchemaVersion"], "1.0");
  EXPECT_EQ(e["kinesis"]["partitionKey"], "1");
  EXPECT_EQ(e["kinesis"]["sequenceNumber"], records[0].seq);
  EXPECT_EQ(e["kinesis"]["data"], Base64Encode(R"({"message": "hi"})"));
  // Epoch seconds with the milliseconds as a fraction.
  EXPECT_EQ(e["kinesis"]["approximateArrivalTimestamp"].dump(), "1545084650.987");
  EXPECT_EQ(records[0].partition_key, "1");
  // LATEST taken before the put reads it; taken after, nothing.
  EXPECT_EQ(log_->Read(shard, latest, 10).size(), 1u);
  EXPECT_TRUE(log_->Read(shard, log_->Latest(shard), 10).empty());
  EXPECT_EQ(log_->Behind(shard, ""), 1);
  EXPECT_EQ(log_->Behind(shard, records[0].seq), 0);
  EXPECT_FALSE(log_->Finished(shard, records[0].seq));  // still open
}

TEST_F(KinesisStreamLogTest, PartitionKeysAreEscapedInTheEventText) {
  const std::string key = "q\"uo\\te\n\t\b\f\r\x01\x1f\x7f\xc3\xa9";
  Put(key, "x");
  std::vector<LogRecord> records = log_->Read("shardId-000000000000", "", 10);
  ASSERT_EQ(records.size(), 1u);
  const json e = json::parse(records[0].text, nullptr, false);
  ASSERT_TRUE(e.is_object()) << records[0].text;
  EXPECT_EQ(e["kinesis"]["partitionKey"], key);
  EXPECT_EQ(e.dump(), records[0].text);
}

TEST_F(KinesisStreamLogTest, SplitGivesChildrenThatNameTheirParent) {
  Put("a", "before");
  store_->Split(*stream_, stream_->shards[0], kinesis::uint128{1} << 127);
  std::vector<ShardInfo> shards = log_->Shards();
  ASSERT_EQ(shards.size(), 3u);
  EXPECT_TRUE(shards[0].closed);
  EXPECT_EQ(shards[1].parent, shards[0].id);
  EXPECT_EQ(shards[2].parent, shards[0].id);
  std::vector<LogRecord> old = log_->Read(shards[0].id, "", 10);
  ASSERT_EQ(old.size(), 1u);
  EXPECT_FALSE(log_->Finished(shards[0].id, ""));
  EXPECT_TRUE(log_->Finished(shards[0].id, old[0].seq));
  // Merging the children back: the new shard has both as parents.
  store_->Merge(*stream_, stream_->shards[1], stream_->shards[2]);
  shards = log_->Shards();
  ASSERT_EQ(shards.size(), 4u);
  EXPECT_EQ(shards[3].parent, shards[1].id);
  EXPECT_EQ(shards[3].adjacent_parent, shards[2].id);
}

TEST_F(KinesisStreamLogTest, AtTimestampStartsAtTheFirstLaterRecord) {
  const std::string shard = "shardId-000000000000";
  Put("k", "one");
  clock_.Advance(2'000'000'000);
  const int64_t middle = clock_.RealtimeMillis();
  Put("k", "two");
  std::vector<LogRecord> got = log_->Read(shard, log_->AtTimestamp(shard, middle), 10);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(json::parse(got[0].text)["kinesis"]["data"], Base64Encode("two"));
}

TEST_F(KinesisStreamLogTest, ListenerWakesOnlyForItsStream) {
  int wakes = 0;
  std::shared_ptr<void> handle = log_->Listen([&] { ++wakes; });
  kinesis::Stream& other = store_->Create("123456789012", "other", 1, "PROVISIONED", 1024, {});
  bool done = false;
  store_->Put(other, {kinesis::PutEntry{"k", "x", std::nullopt}},
              [&](const Status&) { done = true; });
  while (!done) {
    loop_.restart();
    loop_.run_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(wakes, 0);
  Put("k", "mine");
  EXPECT_EQ(wakes, 1);
  handle.reset();
  Put("k", "after");
  EXPECT_EQ(wakes, 1);
}

}  // namespace
}  // namespace thaw::esm
