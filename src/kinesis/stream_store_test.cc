#include "kinesis/stream_store.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/codec.h"
#include "kinesis/hash_key.h"
#include "kinesis/operations.h"

namespace thaw::kinesis {
namespace {

constexpr int64_t kMinuteNs = 60'000'000'000;
constexpr char kAccount[] = "123456789012";

class KinesisStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kinesis_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen(bool enforce = false) {
    store_.reset();
    auto opened = StreamStore::Open(
        loop_,
        {.path = (dir_ / "kinesis.db").string(), .clock = &clock_, .enforce_limits = enforce});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
  }
  // Runs the loop until every change so far is committed and its hooks have run.
  void Spin() {
    bool done = false;
    store_->AfterCommit([&](const Status&) { done = true; });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done && std::chrono::steady_clock::now() < deadline) {
      loop_.restart();
      loop_.run_for(std::chrono::milliseconds(5));
    }
  }
  Outcome Call(std::string_view op, const json& input) {
    std::optional<Outcome> got;
    Context ctx{kAccount};
    Execute(*store_, ctx, op, input, [&](Outcome o) { got = std::move(o); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!got && std::chrono::steady_clock::now() < deadline) {
      loop_.restart();
      loop_.run_for(std::chrono::milliseconds(5));
    }
    EXPECT_TRUE(got.has_value()) << op;
    return got ? *got : Outcome{};
  }
  json Ok(std::string_view op, const json& input) {
    Outcome o = Call(op, input);
    EXPECT_FALSE(o.error) << op << ": " << (o.error ? o.error->type + " " + o.error->message : "");
    return o.output;
  }
  Error Err(std::string_view op, const json& input) {
    Outcome o = Call(op, input);
    EXPECT_TRUE(o.error) << op << " succeeded: " << o.output.dump();
    return o.error.value_or(Error{});
  }
  json Put(const std::string& key, const std::string& data, const char* stream = "s") {
    return Ok("PutRecord",
              {{"StreamName", stream}, {"PartitionKey", key}, {"Data", Base64Encode(data)}});
  }
  std::string Arn(const char* stream = "s") {
    return std::string("arn:aws:kinesis:us-east-1:") + kAccount + ":stream/" + stream;
  }

  boost::asio::io_context loop_;
  FakeClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<StreamStore> store_;
};

TEST_F(KinesisStoreTest, RoutesByMd5AndExplicitHashKey) {
  Ok("CreateStream", {{"StreamName", "s"}, {"ShardCount", 4}});
  // MD5("a") = 16955237001963240173058271559858726497 < 2^128/4: the first shard.
  EXPECT_EQ(Put("a", "x")["ShardId"], "shardId-000000000000");
  // MD5("partition-1") = 198019941650871988756153596255032211816: the third.
  EXPECT_EQ(Put("partition-1", "x")["ShardId"], "shardId-000000000002");
  json r = Ok("PutRecord", {{"StreamName", "s"},
                            {"PartitionKey", "a"},
                            {"ExplicitHashKey", "340282366920938463463374607431768211455"},
                            {"Data", Base64Encode("y")}});
  EXPECT_EQ(r["ShardId"], "shardId-000000000003");
  Error e = Err("PutRecord", {{"StreamName", "s"},
                              {"PartitionKey", "a"},
                              {"ExplicitHashKey", "340282366920938463463374607431768211456"},
                              {"Data", Base64Encode("y")}});
  EXPECT_EQ(e.type, "InvalidArgumentException");
}

TEST_F(KinesisStoreTest, SequenceNumbersIncreaseAndSurviveRestart) {
  Ok("CreateStream", {{"StreamName", "s"}, {"ShardCount", 1}});
  std::string prev;
  for (int i = 0; i < 5; ++i) {
    std::string seq = Put("k", "d" + std::to_string(i))["SequenceNumber"];
    EXPECT_EQ(seq.size(), 56u);
    EXPECT_GT(seq, prev);
    prev = seq;
  }
  Reopen();
  std::string after = Put("k", "after")["SequenceNumber"];
  EXPECT_GT(after, prev);
  auto read = store_->Read(Arn(), "shardId-000000000000", "", 100);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->records.size(), 6u);
  EXPECT_EQ(read->records[0].data, "d0");
  EXPECT_EQ(read->records[5].data, "after");
  EXPECT_EQ(read->records[5].sequence_number, after);
}

TEST_F(KinesisStoreTest, ReadApiAndListener) {
  Ok("CreateStream", {{"StreamName", "s"}, {"ShardCount", 2}});
  std::vector<std::string> woken;
  uint64_t id = store_->Listen([&](const std::string& arn) { woken.push_back(arn); });
  auto shards = store_->Shards(Arn());
  ASSERT_TRUE(shards.ok());
  ASSERT_EQ(shards->size(), 2u);
  EXPECT_EQ((*shards)[1].starting_hash_key, "170141183460469231731687303715884105728");
  EXPECT_TRUE((*shards)[0].open);
  auto latest = store_->LatestPosition(Arn(), "shardId-000000000000");
  ASSERT_TRUE(latest.ok());
  // Not readable before its commit.
  store_->Put(*store_->Find(kAccount, "s"), {PutEntry{"a", "one", std::nullopt}},
              [](const Status&) {});
  auto before = store_->Read(Arn(), "shardId-000000000000", *latest, 10);
  ASSERT_TRUE(before.ok());
  EXPECT_TRUE(before->records.empty());
  EXPECT_TRUE(woken.empty());
  Spin();
  ASSERT_EQ(woken.size(), 1u);
  EXPECT_EQ(woken[0], Arn());
  auto got = store_->Read(Arn(), "shardId-000000000000", *latest, 10);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->records.size(), 1u);
  EXPECT_EQ(got->records[0].data, "one");
  EXPECT_EQ(got->records[0].partition_key, "a");
  EXPECT_FALSE(got->shard_ended);
  // Reading after the record gives nothing; AT_TIMESTAMP of the future is the end.
  auto none = store_->Read(Arn(), "shardId-000000000000", got->records[0].sequence_number, 10);
  EXPECT_TRUE(none->records.empty());
  auto ts = store_->TimestampPosition(Arn(), "shardId-000000000000", clock_.RealtimeMillis());
  ASSERT_TRUE(ts.ok());
  EXPECT_EQ(store_->Read(Arn(), "shardId-000000000000", *ts, 10)->records.size(), 1u);
  auto ts_late =
      store_->TimestampPosition(Arn(), "shardId-000000000000", clock_.RealtimeMillis() + 1);
  EXPECT_TRUE(store_->Read(Arn(), "shardId-000000000000", *ts_late, 10)->records.empty());
  store_->Unlisten(id);
  Put("a", "two");
  EXPECT_EQ(woken.size(), 1u);
  EXPECT_FALSE(store_->Shards(Arn("nope")).ok());
}

// A listener that writes (a trigger that forwards records, say) starts the next commit from
// inside the previous one's hooks; each put is still answered only after its own commit.
TEST_F(KinesisStoreTest, ListenerMayWrite) {
  Ok("CreateStream", {{"StreamName", "s"}, {"ShardCount", 1}});
  Stream* s = store_->Find(kAccount, "s");
  int calls = 0;
  bool echoed = false;
  store_->Listen([&](const std::string&) {
    if (++calls > 1) return;
    store_->Put(*s, {PutEntry{"k", "echo", std::nullopt}}, [](const Status&) {});
    // As PutRecord answers: after everything so far is committed.
    store_->AfterCommit([&](const Status& st) {
      EXPECT_TRUE(st.ok());
      auto r = store_->Read(Arn(), "shardId-000000000000", "", 10);
      EXPECT_EQ(r->records.size(), 2u);  // readable once answered
      echoed = true;
    });
  });
  Put("k", "first");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!echoed && std::chrono::steady_clock::now() < deadline) {
    loop_.restart();
    loop_.run_for(std::chrono::milliseconds(5));
  }
  EXPECT_TRUE(echoed);
  EXPECT_EQ(calls, 2);
}

TEST_F(KinesisStoreTest, SplitAndMergeSetRangesAndParents) {
  Ok("CreateStream", {{"StreamName", "s"}, {"ShardCount", 1}});
  Put("a", "before");
  Ok("SplitShard", {{"StreamName", "s"},
                    {"ShardToSplit", "shardId-000000000000"},
                    {"NewStartingHashKey", "100"}});
  json shards = Ok("ListShards", {{"StreamName", "s"}})["Shards"];
  ASSERT_EQ(shards.size(), 3u);
  EXPECT_TRUE(shards[0]["SequenceNumberRange"].contains("EndingSequenceNumber"));
  EXPECT_EQ(shards[1]["ParentShardId"], "shardId-000000000000");
  EXPECT_EQ(shards[1]["HashKeyRange"]["EndingHashKey"], "99");
  EXPECT_EQ(shards[2]["HashKeyRange"]["StartingHashKey"], "100");
  EXPECT_EQ(shards[2]["HashKeyRange"]["EndingHashKey"], "340282366920938463463374607431768211455");
  // The closed parent ends with ChildShards and no next iterator.
  std::string it = Ok("GetShardIterator", {{"StreamName", "s"},
                                           {"ShardId", "shardId-000000000000"},
                                           {"ShardIteratorType", "TRIM_HORIZON"}})["ShardIterator"];
  json got = Ok("GetRecords", {{"ShardIterator", it}});
  ASSERT_EQ(got["Records"].size(), 1u);
  EXPECT_TRUE(got["NextShardIterator"].is_null());
  ASSERT_EQ(got["ChildShards"].size(), 2u);
  EXPECT_EQ(got["ChildShards"][0]["ParentShards"][0], "shardId-000000000000");
  // Not adjacent: shard 0 is closed, 1 and 2 are adjacent.
  EXPECT_EQ(Err("MergeShards", {{"StreamName", "s"},
                                {"ShardToMerge", "shardId-000000000001"},
                                {"AdjacentShardToMerge", "shardId-000000000000"}})
                .type,
            "ResourceInUseException");
  Ok("MergeShards", {{"StreamName", "s"},
                     {"ShardToMerge", "shardId-000000000001"},
                     {"AdjacentShardToMerge", "shardId-000000000002"}});
  shards = Ok("ListShards", {{"StreamName", "s"}})["Shards"];
  ASSERT_EQ(shards.size(), 4u);
  EXPECT_EQ(shards[3]["ParentShardId"], "shardId-000000000001");
  EXPECT_EQ(shards[3]["AdjacentParentShardId"], "shardId-000000000002");
  EXPECT_EQ(shards[3]["HashKeyRange"]["StartingHashKey"], "0");
  Error bad = Err(
      "SplitShard",
      {{"StreamName", "s"}, {"ShardToSplit", "shardId-000000000003"}, {"NewStartingHashKey", "0"}});
  EXPECT_EQ(bad.type, "InvalidArgumentException");
}

TEST_F(KinesisStoreTest, UpdateShardCountRescales) {
  Ok("CreateStream", {{"StreamName", "s"}, {"ShardCount", 2}});
  json r = Ok("UpdateShardCount",
              {{"StreamName", "s"}, {"TargetShardCount", 4}, {"ScalingType", "UNIFORM_SCALING"}});
  EXPECT_EQ(r["CurrentShardCount"], 2);
  json shards =
      Ok("ListShards", {{"StreamName", "s"}, {"ShardFilter", {{"Type", "AT_LATEST"}}}})["Shards"];
  ASSERT_EQ(shards.size(), 4u);
  EXPECT_EQ(shards[0]["ParentShardId"], "shardId-000000000000");
  EXPECT_EQ(shards[3]["ParentShardId"], "shardId-000000000001");
  EXPECT_EQ(shards[1]["HashKeyRange"]["EndingHashKey"], "170141183460469231731687303715884105727");
  EXPECT_EQ(Err("UpdateShardCount",
                {{"StreamName", "s"}, {"TargetShardCount", 9}, {"ScalingType", "UNIFORM_SCALING"}})
                .type,
            "InvalidArgumentException");
}

// 3 -> 4 and 4 -> 3 need splits and merges: each shard still names every parent it has (at
// most two), and the open shards are the even ranges.
TEST_F(KinesisStoreTest, UpdateShardCountKeepsLineage) {
  Ok("CreateStream", {{"StreamName", "s"}, {"ShardCount", 3}});
  for (int target : {4, 3, 5}) {
    Ok("UpdateShardCount",
       {{"StreamName", "s"}, {"TargetShardCount", target}, {"ScalingType", "UNIFORM_SCALING"}});
    json all = Ok("ListShards", {{"StreamName", "s"}})["Shards"];
    std::map<std::string, json> by_id;
    for (const json& sh : all) by_id[sh["ShardId"]] = sh;
    auto hash = [](const json& sh, const char* end) {
      return ParseHashKey(sh["HashKeyRange"][end].get<std::string>()).value();
    };
    json open =
        Ok("ListShards", {{"StreamName", "s"}, {"ShardFilter", {{"Type", "AT_LATEST"}}}})["Shards"];
    ASSERT_EQ(open.size(), static_cast<size_t>(target));
    std::sort(open.begin(), open.end(), [&](const json& a, const json& b) {
      return hash(a, "StartingHashKey") < hash(b, "StartingHashKey");
    });
    auto even = EvenRanges(target);
    for (size_t i = 0; i < open.size(); ++i) {
      EXPECT_EQ(hash(open[i], "StartingHashKey"), even[i].first);
      EXPECT_EQ(hash(open[i], "EndingHashKey"), even[i].second);
    }
    // Every shard with parents: its parents are closed and their ranges are exactly its own.
    for (const json& sh : all) {
      if (!sh.contains("ParentShardId")) continue;
      std::vector<json> parents = {by_id.at(sh["ParentShardId"])};
      if (sh.contains("AdjacentParentShardId"))
        parents.push_back(by_id.at(sh["AdjacentParentShardId"]));
      for (const json& p : parents) {
        EXPECT_TRUE(p["SequenceNumberRange"].contains("EndingSequenceNumber")) << p.dump();
      }
      if (parents.size() == 2) {
        uint128 lo =
            std::min(hash(parents[0], "StartingHashKey"), hash(parents[1], "StartingHashKey"));
        uint128 hi = std::max(hash(parents[0], "EndingHashKey"), hash(parents[1], "EndingHashKey"));
        EXPECT_EQ(lo, hash(sh, "StartingHashKey")) << sh.dump();
        EXPECT_EQ(hi, hash(sh, "EndingHashKey")) << sh.dump();
      } else {
        EXPECT_LE(hash(parents[0], "StartingHashKey"), hash(sh, "StartingHashKey")) << sh.dump();
        EXPECT_GE(hash(parents[0], "EndingHashKey"), hash(sh, "EndingHashKey")) << sh.dump();
      }
    }
  }
}

TEST_F(KinesisStoreTest, Limits) {
  Ok("CreateStream", {{"StreamName", "s"}, {"ShardCount", 1}});
  json records = json::array();
  for (int i = 0; i < 501; ++i) records.push_back({{"PartitionKey", "k"}, {"Data", "eA=="}});
  EXPECT_EQ(Err("PutRecords", {{"StreamName", "s"}, {"Records", records}}).type,
            "ValidationException");
  // 1 MiB of data and key: the limit is on both.
  const std::string mib(1 << 20, 'x');
  Error big =
      Err("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", Base64Encode(mib)}});
  EXPECT_EQ(big.type, "ValidationException");
  EXPECT_NE(big.message.find("1048576"), std::string::npos);
  Ok("UpdateMaxRecordSize", {{"StreamARN", Arn()}, {"MaxRecordSizeInKiB", 2048}});
  Ok("PutRecord", {{"StreamName", "s"}, {"PartitionKey", "k"}, {"Data", Base64Encode(mib)}});
  EXPECT_EQ(Err("PutRecord",
                {{"StreamName", "s"}, {"PartitionKey", std::string(257, 'k')}, {"Data", "eA=="}})
                .type,
            "ValidationException");
  // Eleven records of 1 MiB: over PutRecords' 10 MiB.
  json heavy = json::array();
  for (int i = 0; i < 11; ++i)
    heavy.push_back({{"PartitionKey", "k"}, {"Data", Base64Encode(mib)}});
  EXPECT_EQ(Err("PutRecords", {{"StreamName", "s"}, {"Records", heavy}}).type,
            "InvalidArgumentException");
  Error nf = Err("DescribeStream", {{"StreamName", "nope"}});
  EXPECT_EQ(nf.type, "ResourceNotFoundException");
  EXPECT_EQ(nf.message, "Stream nope under account 123456789012 not found.");
  Error dup = Err("CreateStream", {{"StreamName", "s"}, {"ShardCount", 1}});
  EXPECT_EQ(dup.type, "ResourceInUseException");
  EXPECT_EQ(
      Err("IncreaseStreamRetentionPeriod", {{"StreamName", "s"}, {"RetentionPeriodHours", 8761}})
          .message,
      "Maximum allowed retention period is 8760 hours. Requested retention period (8761 "
      "hours) is too long.");
}

TEST_F(KinesisStoreTest, ThroughputLimitsWhenEnforced) {
  Reopen(true);
  Ok("CreateStream", {{"StreamName", "s"}, {"ShardCount", 1}});
  json records = json::array();
  for (int i = 0; i < 500; ++i) records.push_back({{"PartitionKey", "k"}, {"Data", "eA=="}});
  json a = Ok("PutRecords", {{"StreamName", "s"}, {"Records", records}});
  json b = Ok("PutRecords", {{"StreamName", "s"}, {"Records", records}});
  json c = Ok("PutRecords", {{"StreamName", "s"}, {"Records", records}});
  EXPECT_EQ(a["FailedRecordCount"].get<int>() + b["FailedRecordCount"].get<int>() +
                c["FailedRecordCount"].get<int>(),
            500);
  EXPECT_EQ(c["Records"][0]["ErrorCode"], "ProvisionedThroughputExceededException");
  std::string it = Ok("GetShardIterator", {{"StreamName", "s"},
                                           {"ShardId", "shardId-000000000000"},
                                           {"ShardIteratorType", "LATEST"}})["ShardIterator"];
  for (int i = 0; i < 5; ++i) Ok("GetRecords", {{"ShardIterator", it}});
  EXPECT_EQ(Err("GetRecords", {{"ShardIterator", it}}).type,
            "ProvisionedThroughputExceededException");
  clock_.Advance(1'000'000'000);
  Ok("GetRecords", {{"ShardIterator", it}});
}

TEST_F(KinesisStoreTest, IteratorsExpireAndRecordsAreTrimmed) {
  Ok("CreateStream", {{"StreamName", "s"}, {"ShardCount", 1}});
  Put("k", "old");
  std::string it = Ok("GetShardIterator", {{"StreamName", "s"},
                                           {"ShardId", "shardId-000000000000"},
                                           {"ShardIteratorType", "TRIM_HORIZON"}})["ShardIterator"];
  clock_.Advance(5 * kMinuteNs + 1'000'000);
  Error e = Err("GetRecords", {{"ShardIterator", it}});
  EXPECT_EQ(e.type, "ExpiredIteratorException");
  EXPECT_NE(e.message.find("tolerated delay of 300000 milliseconds"), std::string::npos);
  clock_.Advance(int64_t{24} * 60 * kMinuteNs);
  store_->Trim();
  Spin();
  auto read = store_->Read(Arn(), "shardId-000000000000", "", 10);
  EXPECT_TRUE(read->records.empty());
  Reopen();
  EXPECT_TRUE(store_->Read(Arn(), "shardId-000000000000", "", 10)->records.empty());
}

TEST_F(KinesisStoreTest, OnDemandHasFourShardsAndArnWorks) {
  Ok("CreateStream", {{"StreamName", "s"}, {"StreamModeDetails", {{"StreamMode", "ON_DEMAND"}}}});
  json d = Ok("DescribeStreamSummary", {{"StreamARN", Arn()}})["StreamDescriptionSummary"];
  EXPECT_EQ(d["OpenShardCount"], 4);
  EXPECT_EQ(d["StreamModeDetails"]["StreamMode"], "ON_DEMAND");
  EXPECT_EQ(d["StreamStatus"], "ACTIVE");
}

}  // namespace
}  // namespace thaw::kinesis
