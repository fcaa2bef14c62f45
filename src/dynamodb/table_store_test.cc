#include "dynamodb/table_store.h"

#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>

#include "dynamodb/operations.h"

namespace thaw::dynamodb {
namespace {

constexpr int64_t kMinute = 60'000'000'000;

class TableStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ddb_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen(int64_t rollover_ms = 4 * 3600000) {
    store_.reset();
    auto opened = TableStore::Open(loop_, {.path = (dir_ / "dynamodb.db").string(),
                                           .clock = &clock_,
                                           .shard_rollover_ms = rollover_ms});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
  }
  Outcome Call(std::string_view op, json input, bool streams = false) {
    std::optional<Outcome> got;
    Context ctx{"123456789012"};
    auto reply = [&](Outcome o) { got = std::move(o); };
    if (streams) {
      ExecuteStreams(*store_, ctx, op, input, reply);
    } else {
      Execute(*store_, ctx, op, input, reply);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!got && std::chrono::steady_clock::now() < deadline) {
      loop_.restart();
      loop_.run_for(std::chrono::milliseconds(5));
    }
    EXPECT_TRUE(got.has_value()) << op;
    return got ? *got : Outcome{};
  }
  json Ok(std::string_view op, json input, bool streams = false) {
    Outcome o = Call(op, std::move(input), streams);
    EXPECT_FALSE(o.error) << op << ": " << (o.error ? o.error->type + " " + o.error->message : "");
    return o.output;
  }
  Error Err(std::string_view op, json input, bool streams = false) {
    Outcome o = Call(op, std::move(input), streams);
    EXPECT_TRUE(o.error) << op << " succeeded: " << o.output.dump();
    return o.error.value_or(Error{});
  }
  void CreateTable(const std::string& name, const char* view = "NEW_AND_OLD_IMAGES") {
    json input = {{"TableName", name},
                  {"BillingMode", "PAY_PER_REQUEST"},
                  {"KeySchema", {{{"AttributeName", "pk"}, {"KeyType", "HASH"}}}},
                  {"AttributeDefinitions", {{{"AttributeName", "pk"}, {"AttributeType", "S"}}}}};
    if (view) input["StreamSpecification"] = {{"StreamEnabled", true}, {"StreamViewType", view}};
    Ok("CreateTable", input);
  }
  void Put(const std::string& table, const std::string& key, const std::string& value) {
    Ok("PutItem", {{"TableName", table}, {"Item", {{"pk", {{"S", key}}}, {"v", {{"S", value}}}}}});
  }
  std::string StreamArn(const std::string& table) {
    return Ok("DescribeTable", {{"TableName", table}})["Table"]["LatestStreamArn"];
  }
  json Shards(const std::string& arn) {
    return Ok("DescribeStream", {{"StreamArn", arn}}, true)["StreamDescription"]["Shards"];
  }
  std::string Iterator(const std::string& arn, const std::string& shard,
                       const char* type = "TRIM_HORIZON") {
    return Ok("GetShardIterator",
              {{"StreamArn", arn}, {"ShardId", shard}, {"ShardIteratorType", type}},
              true)["ShardIterator"];
  }

  std::filesystem::path dir_;
  boost::asio::io_context loop_;
  FakeClock clock_;
  std::unique_ptr<TableStore> store_;
};

TEST_F(TableStoreTest, WritesAndRecordsSurviveReopen) {
  CreateTable("tab");
  Put("tab", "a", "1");
  Put("tab", "a", "1");  // unchanged: no record
  Put("tab", "a", "2");
  Ok("DeleteItem", {{"TableName", "tab"}, {"Key", {{"pk", {{"S", "a"}}}}}});
  Ok("DeleteItem", {{"TableName", "tab"}, {"Key", {{"pk", {{"S", "a"}}}}}});  // absent: none
  Put("tab", "b", "3");
  const std::string arn = StreamArn("tab");
  Reopen();
  json got = Ok("GetItem", {{"TableName", "tab"}, {"Key", {{"pk", {{"S", "b"}}}}}});
  EXPECT_EQ(got["Item"]["v"], json({{"S", "3"}}));
  EXPECT_FALSE(
      Ok("GetItem", {{"TableName", "tab"}, {"Key", {{"pk", {{"S", "a"}}}}}}).contains("Item"));
  json shards = Shards(arn);
  ASSERT_EQ(shards.size(), 1u);
  json records =
      Ok("GetRecords", {{"ShardIterator", Iterator(arn, shards[0]["ShardId"])}}, true)["Records"];
  std::vector<std::string> names;
  for (const auto& r : records) names.push_back(r["eventName"]);
  EXPECT_EQ(names, (std::vector<std::string>{"INSERT", "MODIFY", "REMOVE", "INSERT"}));
  // New records after the reopen continue the sequence.
  Put("tab", "c", "4");
  json again =
      Ok("GetRecords", {{"ShardIterator", Iterator(arn, shards[0]["ShardId"])}}, true)["Records"];
  ASSERT_EQ(again.size(), 5u);
  EXPECT_LT(again[3]["dynamodb"]["SequenceNumber"].get<std::string>(),
            again[4]["dynamodb"]["SequenceNumber"].get<std::string>());
}

TEST_F(TableStoreTest, IteratorsExpireAfterFifteenMinutes) {
  CreateTable("tab");
  Put("tab", "a", "1");
  const std::string arn = StreamArn("tab");
  const std::string it = Iterator(arn, Shards(arn)[0]["ShardId"]);
  clock_.Advance(14 * kMinute);
  json page = Ok("GetRecords", {{"ShardIterator", it}}, true);
  EXPECT_EQ(page["Records"].size(), 1u);
  clock_.Advance(2 * kMinute);
  EXPECT_EQ(Err("GetRecords", {{"ShardIterator", it}}, true).type, "ExpiredIteratorException");
  // The next iterator handed out with the page is fresh.
  EXPECT_EQ(
      Ok("GetRecords", {{"ShardIterator", page["NextShardIterator"]}}, true)["Records"].size(), 0u);
}

TEST_F(TableStoreTest, RecordsAreTrimmedAfterADay) {
  Reopen(/*rollover_ms=*/48 * 3600000);
  CreateTable("tab");
  Put("tab", "old", "1");
  const std::string arn = StreamArn("tab");
  const std::string shard = Shards(arn)[0]["ShardId"];
  clock_.Advance(23 * 60 * kMinute);
  Put("tab", "new", "2");
  clock_.Advance(2 * 60 * kMinute);  // "old" is 25 h old, "new" 2 h
  // Iterators last 15 minutes, so take a fresh one at the old position to see the trim.
  json first = Ok("GetRecords", {{"ShardIterator", Iterator(arn, shard)}}, true)["Records"];
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0]["dynamodb"]["Keys"]["pk"]["S"], "new");
  Error e = Err("GetShardIterator",
                {{"StreamArn", arn},
                 {"ShardId", shard},
                 {"ShardIteratorType", "AT_SEQUENCE_NUMBER"},
                 {"SequenceNumber", FormatSequence(1)}},
                true);
  EXPECT_EQ(e.type, "TrimmedDataAccessException");
}

TEST_F(TableStoreTest, ShardsRollOverIntoChildren) {
  Reopen(/*rollover_ms=*/60'000);
  CreateTable("tab", "KEYS_ONLY");
  Put("tab", "a", "1");
  clock_.Advance(2 * kMinute);
  Put("tab", "b", "1");
  const std::string arn = StreamArn("tab");
  json shards = Shards(arn);
  ASSERT_EQ(shards.size(), 2u);
  EXPECT_EQ(shards[1]["ParentShardId"], shards[0]["ShardId"]);
  EXPECT_TRUE(shards[0]["SequenceNumberRange"].contains("EndingSequenceNumber"));
  EXPECT_FALSE(shards[1]["SequenceNumberRange"].contains("EndingSequenceNumber"));
  json parent = Ok("GetRecords", {{"ShardIterator", Iterator(arn, shards[0]["ShardId"])}}, true);
  ASSERT_EQ(parent["Records"].size(), 1u);
  EXPECT_FALSE(parent.contains("NextShardIterator"));
  json child = Ok("GetRecords", {{"ShardIterator", Iterator(arn, shards[1]["ShardId"])}}, true);
  ASSERT_EQ(child["Records"].size(), 1u);
  EXPECT_EQ(child["Records"][0]["dynamodb"]["Keys"]["pk"]["S"], "b");
  EXPECT_TRUE(child.contains("NextShardIterator"));
  // A day on, the trimmed closed shards are gone; one open shard is left.
  clock_.Advance(25 * 60 * kMinute);
  json later = Shards(arn);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_FALSE(later[0]["SequenceNumberRange"].contains("EndingSequenceNumber"));
}

TEST_F(TableStoreTest, KeyTextsAreAws) {
  CreateTable("tab", nullptr);
  EXPECT_EQ(Err("PutItem", {{"TableName", "tab"}, {"Item", {{"pk", {{"N", "1"}}}}}}).message,
            "One or more parameter values were invalid: Type mismatch for key pk expected: S "
            "actual: N");
  EXPECT_EQ(Err("PutItem", {{"TableName", "tab"}, {"Item", {{"x", {{"S", "1"}}}}}}).message,
            "One or more parameter values were invalid: Missing the key pk in the item");
  EXPECT_EQ(Err("GetItem", {{"TableName", "tab"}, {"Key", {{"pk", {{"N", "1"}}}}}}).message,
            "The provided key element does not match the schema");
  Error missing = Err("PutItem", {{"TableName", "nope"}, {"Item", {{"pk", {{"S", "1"}}}}}});
  EXPECT_EQ(missing.type, "ResourceNotFoundException");
  http::Response r = RenderError(missing);
  EXPECT_EQ(r.body, R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",)"
                    R"("message":"Requested resource not found"})");
  EXPECT_EQ(RenderError(Validation("x")).body,
            R"({"__type":"com.amazon.coral.validate#ValidationException","message":"x"})");
}

TEST_F(TableStoreTest, NumbersSortNumericallyInKeys) {
  Ok("CreateTable", {{"TableName", "nums"},
                     {"BillingMode", "PAY_PER_REQUEST"},
                     {"KeySchema",
                      {{{"AttributeName", "pk"}, {"KeyType", "HASH"}},
                       {{"AttributeName", "n"}, {"KeyType", "RANGE"}}}},
                     {"AttributeDefinitions",
                      {{{"AttributeName", "pk"}, {"AttributeType", "S"}},
                       {{"AttributeName", "n"}, {"AttributeType", "N"}}}}});
  for (const char* n : {"10", "-2", "1e2", "0.5", "-0.25", "3"}) {
    Ok("PutItem", {{"TableName", "nums"}, {"Item", {{"pk", {{"S", "p"}}}, {"n", {{"N", n}}}}}});
  }
  json items = Ok("Query", {{"TableName", "nums"},
                            {"KeyConditionExpression", "pk = :p"},
                            {"ExpressionAttributeValues", {{":p", {{"S", "p"}}}}}})["Items"];
  std::vector<std::string> order;
  for (const auto& i : items) order.push_back(i["n"]["N"]);
  EXPECT_EQ(order, (std::vector<std::string>{"-2", "-0.25", "0.5", "3", "10", "100"}));
}

}  // namespace
}  // namespace thaw::dynamodb

namespace thaw::dynamodb {
namespace {

// Members of every shape in every operation: none may make an operation throw (nlohmann::json
// throws on a wrong-typed access) instead of answering.
TEST_F(TableStoreTest, WrongShapesAreAnsweredNotThrown) {
  CreateTable("tab");
  Put("tab", "a", "1");
  const std::string arn = StreamArn("tab");
  const char* members[] = {"TableName",
                           "KeySchema",
                           "AttributeDefinitions",
                           "BillingMode",
                           "ProvisionedThroughput",
                           "StreamSpecification",
                           "GlobalSecondaryIndexes",
                           "LocalSecondaryIndexes",
                           "Tags",
                           "TagKeys",
                           "ResourceArn",
                           "Limit",
                           "ExclusiveStartTableName",
                           "Item",
                           "Key",
                           "ReturnValues",
                           "ConditionExpression",
                           "UpdateExpression",
                           "ExpressionAttributeNames",
                           "ExpressionAttributeValues",
                           "ProjectionExpression",
                           "KeyConditionExpression",
                           "FilterExpression",
                           "ExclusiveStartKey",
                           "ScanIndexForward",
                           "Select",
                           "IndexName",
                           "ConsistentRead",
                           "Segment",
                           "TotalSegments",
                           "RequestItems",
                           "TransactItems",
                           "ClientRequestToken",
                           "TimeToLiveSpecification",
                           "GlobalSecondaryIndexUpdates",
                           "ReturnConsumedCapacity",
                           "AttributesToGet",
                           "StreamArn",
                           "ShardId",
                           "ShardIteratorType",
                           "SequenceNumber",
                           "ShardIterator",
                           "ExclusiveStartShardId",
                           "ReturnValuesOnConditionCheckFailure"};
  const json shapes[] = {
      1, "x", json::array({1, "x", json::object()}), json::object({{"a", 1}}), true, nullptr};
  const char* ops[] = {"CreateTable",
                       "DescribeTable",
                       "ListTables",
                       "UpdateTable",
                       "UpdateTimeToLive",
                       "DescribeTimeToLive",
                       "TagResource",
                       "UntagResource",
                       "ListTagsOfResource",
                       "PutItem",
                       "GetItem",
                       "DeleteItem",
                       "UpdateItem",
                       "Query",
                       "Scan",
                       "BatchGetItem",
                       "BatchWriteItem",
                       "TransactWriteItems",
                       "TransactGetItems"};
  const char* stream_ops[] = {"ListStreams", "DescribeStream", "GetShardIterator", "GetRecords"};
  for (const char* member : members) {
    for (const json& shape : shapes) {
      json input = {{"TableName", "tab"}, {"StreamArn", arn}};
      input[member] = shape;
      for (const char* op : ops) Call(op, input);
      for (const char* op : stream_ops) Call(op, input, true);
    }
  }
  // Still serving.
  EXPECT_TRUE(
      Ok("GetItem", {{"TableName", "tab"}, {"Key", {{"pk", {{"S", "a"}}}}}}).contains("Item"));
}

}  // namespace
}  // namespace thaw::dynamodb
