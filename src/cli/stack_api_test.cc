#include "cli/stack_api.h"

#include <gtest/gtest.h>

#include "cli/client_fakes.h"

namespace thaw::cli {
namespace {

using nlohmann::json;

struct Fakes {
  FakeClient* lambda;
  FakeClient* sqs;
  FakeClient* dynamodb;
  std::unique_ptr<StackApi> api;
};

Fakes MakeApi() {
  auto lambda = std::make_unique<FakeClient>();
  auto sqs = std::make_unique<FakeClient>();
  auto dynamodb = std::make_unique<FakeClient>();
  Fakes f{lambda.get(), sqs.get(), dynamodb.get(), nullptr};
  f.api = StackApi::WithClients("/tmp", nullptr, std::move(lambda), std::move(sqs),
                                std::make_unique<FakeClient>(), std::move(dynamodb),
                                std::make_unique<FakeClient>());
  f.api->poll_interval_ms = 1;
  return f;
}

sam::Step StepOf(const std::string& id, const std::string& type) {
  sam::Step s;
  s.logical_id = id;
  s.type = type;
  return s;
}

json Body(const FakeClient::Call& call) { return json::parse(call.body); }

TEST(StackApiTest, TableStreamSpecificationAndAttributes) {
  Fakes f = MakeApi();
  f.dynamodb->Expect("POST", "/", MakeResponse(200, R"({"TableDescription": {}})"));
  f.dynamodb->Expect("POST", "/", MakeResponse(200, R"({"Table": {"TableStatus": "CREATING"}})"));
  f.dynamodb->Expect("POST", "/",
                     MakeResponse(200, R"({"Table": {"TableStatus": "ACTIVE", "TableArn": "arn:t",
                                           "LatestStreamArn": "arn:t/stream/1"}})"));
  StatusOr<sam::Made> made =
      f.api->Create(StepOf("T", "AWS::DynamoDB::Table"),
                    json::parse(R"({"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                    "StreamSpecification": {"StreamViewType": "KEYS_ONLY"}})"),
                    "app-T-abc");
  ASSERT_TRUE(made.ok()) << made.status().message();
  EXPECT_EQ(made->physical_id, "app-T-abc");
  EXPECT_EQ(made->attributes, json::parse(R"({"Arn": "arn:t", "StreamArn": "arn:t/stream/1"})"));
  ASSERT_EQ(f.dynamodb->calls.size(), 3u);
  EXPECT_EQ(*f.dynamodb->calls[0].headers.Get("X-Amz-Target"), "DynamoDB_20120810.CreateTable");
  EXPECT_EQ(Body(f.dynamodb->calls[0])["StreamSpecification"],
            json::parse(R"({"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"})"));
  EXPECT_EQ(Body(f.dynamodb->calls[0])["TableName"], "app-T-abc");

  // A new key schema cannot be an update.
  StatusOr<std::optional<sam::Made>> updated = f.api->Update(
      StepOf("T", "AWS::DynamoDB::Table"),
      json::parse(R"({"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]})"),
      json::parse(R"({"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]})"), *made);
  ASSERT_TRUE(updated.ok());
  EXPECT_FALSE(updated->has_value());
  EXPECT_EQ(f.dynamodb->calls.size(), 3u);
}

TEST(StackApiTest, QueueAttributesAsTextAndRemovedAttributeReplaces) {
  Fakes f = MakeApi();
  f.sqs->Expect("POST", "/", MakeResponse(200, R"({"QueueUrl": "http://q/app-Q"})"));
  f.sqs->Expect("POST", "/", MakeResponse(200, R"({"Attributes": {"QueueArn": "arn:q"}})"));
  json props = json::parse(R"({"VisibilityTimeout": 60, "Tags": [{"Key": "a", "Value": "b"}],
      "RedrivePolicy": {"deadLetterTargetArn": "arn:dlq", "maxReceiveCount": 3}})");
  StatusOr<sam::Made> made = f.api->Create(StepOf("Q", "AWS::SQS::Queue"), props, "app-Q");
  ASSERT_TRUE(made.ok()) << made.status().message();
  EXPECT_EQ(made->physical_id, "http://q/app-Q");
  EXPECT_EQ(made->attributes["Arn"], "arn:q");
  json create = Body(f.sqs->calls[0]);
  EXPECT_EQ(create["Attributes"]["VisibilityTimeout"], "60");
  EXPECT_EQ(
      json::parse(create["Attributes"]["RedrivePolicy"].get<std::string>())["maxReceiveCount"], 3);
  EXPECT_EQ(create["tags"], json::parse(R"({"a": "b"})"));

  f.sqs->Expect("POST", "/", MakeResponse(200, "{}"));
  json changed = props;
  changed["VisibilityTimeout"] = 30;
  StatusOr<std::optional<sam::Made>> u =
      f.api->Update(StepOf("Q", "AWS::SQS::Queue"), changed, props, *made);
  ASSERT_TRUE(u.ok() && u->has_value()) << u.status().message();
  EXPECT_EQ(*f.sqs->calls[2].headers.Get("X-Amz-Target"), "AmazonSQS.SetQueueAttributes");
  EXPECT_EQ(Body(f.sqs->calls[2])["Attributes"]["VisibilityTimeout"], "30");

  changed.erase("RedrivePolicy");
  u = f.api->Update(StepOf("Q", "AWS::SQS::Queue"), changed, props, *made);
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->has_value());
  EXPECT_TRUE(f.sqs->Done());
}

TEST(StackApiTest, MappingUpdatesInPlaceUnlessItsSourceChanges) {
  Fakes f = MakeApi();
  sam::Made current;
  current.physical_id = "uuid-1";
  json before = json::parse(R"({"EventSourceArn": "arn:q", "FunctionName": "f", "BatchSize": 1})");
  json after = json::parse(R"({"EventSourceArn": "arn:q", "FunctionName": "f", "BatchSize": 5})");
  f.lambda->Expect("PUT", "/2015-03-31/event-source-mappings/uuid-1", MakeResponse(202, "{}"));
  f.lambda->Expect("GET", "/2015-03-31/event-source-mappings/uuid-1",
                   MakeResponse(200, R"({"State": "Updating"})"));
  f.lambda->Expect("GET", "/2015-03-31/event-source-mappings/uuid-1",
                   MakeResponse(200, R"({"State": "Enabled"})"));
  StatusOr<std::optional<sam::Made>> u =
      f.api->Update(StepOf("M", "AWS::Lambda::EventSourceMapping"), after, before, current);
  ASSERT_TRUE(u.ok() && u->has_value()) << u.status().message();
  EXPECT_EQ(Body(f.lambda->calls[0]), json::parse(R"({"FunctionName": "f", "BatchSize": 5})"));
  EXPECT_TRUE(f.lambda->Done());

  after["EventSourceArn"] = "arn:other";
  u = f.api->Update(StepOf("M", "AWS::Lambda::EventSourceMapping"), after, before, current);
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->has_value());
}

TEST(StackApiTest, PermissionOnAnAliasArn) {
  Fakes f = MakeApi();
  f.lambda->Expect("POST", "/2015-03-31/functions/fn/policy?Qualifier=live",
                   MakeResponse(201, R"({"Statement": "{}"})"));
  StatusOr<sam::Made> made = f.api->Create(
      StepOf("P", "AWS::Lambda::Permission"),
      json::parse(R"({"FunctionName": "arn:aws:lambda:us-east-1:000000000000:function:fn:live",
                      "Action": "lambda:InvokeFunction", "Principal": "sns.amazonaws.com",
                      "SourceArn": "arn:t"})"),
      "app-P-abc");
  ASSERT_TRUE(made.ok()) << made.status().message();
  EXPECT_EQ(Body(f.lambda->calls[0])["StatementId"], "app-P-abc");
  EXPECT_EQ(made->attributes["Qualifier"], "live");
}

}  // namespace
}  // namespace thaw::cli
