#include "lambda/event_invoke_config.h"

#include <gtest/gtest.h>

#include "lambda/route.h"

namespace thaw::lambda {
namespace {

using nlohmann::json;

constexpr char kQueue[] = "arn:aws:sqs:us-east-1:000000000000:dest";

TEST(EventInvokeConfig, PutResetsWhatItOmitsAndUpdateMerges) {
  auto put = ParseEventInvokeConfig(
      json{{"MaximumRetryAttempts", 1},
           {"DestinationConfig", {{"OnFailure", {{"Destination", kQueue}}}}}},
      nullptr);
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->retries(), 1);
  EXPECT_EQ(put->max_age_s(), kDefaultEventAgeSeconds);
  EXPECT_EQ(put->on_failure, kQueue);
  auto update = ParseEventInvokeConfig(json{{"MaximumEventAgeInSeconds", 120}}, &*put);
  ASSERT_TRUE(update.ok());
  EXPECT_EQ(update->retries(), 1);
  EXPECT_EQ(update->max_age_s(), 120);
  EXPECT_EQ(update->on_failure, kQueue);
  auto again = ParseEventInvokeConfig(json{{"MaximumEventAgeInSeconds", 120}}, nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->max_retry_attempts.has_value());
  EXPECT_EQ(again->retries(), 2);
  EXPECT_TRUE(again->on_failure.empty());
}

TEST(EventInvokeConfig, RangesAreCheckedAsTheApiModelDoes) {
  auto s = ParseEventInvokeConfig(json{{"MaximumRetryAttempts", 3}}, nullptr).status();
  EXPECT_EQ(s.message(),
            "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy "
            "constraint: Member must have value less than or equal to 2");
  s = ParseEventInvokeConfig(json{{"MaximumRetryAttempts", -1}, {"MaximumEventAgeInSeconds", 59}},
                             nullptr)
          .status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("2 validation errors detected"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("maximumEventAgeInSeconds"), std::string::npos);
  EXPECT_FALSE(ParseEventInvokeConfig(json{{"MaximumEventAgeInSeconds", 21601}}, nullptr).ok());
  EXPECT_TRUE(ParseEventInvokeConfig(json{{"MaximumEventAgeInSeconds", 21600}}, nullptr).ok());
  EXPECT_EQ(ParseEventInvokeConfig(json::object(), nullptr).status().message(),
            "You must specify at least one of error handling or destination setting.");
}

TEST(EventInvokeConfig, DestinationsThawCannotDeliverToAreRefused) {
  auto with = [](const std::string& arn) {
    return ParseEventInvokeConfig(
        json{{"DestinationConfig", {{"OnSuccess", {{"Destination", arn}}}}}}, nullptr);
  };
  EXPECT_TRUE(with(kQueue).ok());
  EXPECT_TRUE(with("arn:aws:lambda:us-east-1:000000000000:function:other").ok());
  auto fifo = with("arn:aws:sqs:us-east-1:000000000000:q.fifo").status();
  EXPECT_NE(fifo.message().find("FIFO"), std::string::npos) << fifo.message();
  EXPECT_TRUE(with("arn:aws:sns:us-east-1:000000000000:t").ok());
  EXPECT_FALSE(with("arn:aws:sns:us-east-1:000000000000:t.fifo").ok());
  EXPECT_FALSE(with("arn:aws:events:us-east-1:000000000000:event-bus/default").ok());
  auto bad = with("not-an-arn").status();
  EXPECT_NE(bad.message().find("destinationConfig.onSuccess.destination"), std::string::npos);
}

TEST(EventInvokeConfig, RendersTheApiShape) {
  EventInvokeConfig c;
  c.max_retry_attempts = 0;
  c.on_failure = kQueue;
  c.last_modified_ms = 1573686021479;
  json j = RenderEventInvokeConfig(c, "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST");
  EXPECT_DOUBLE_EQ(j["LastModified"].get<double>(), 1573686021.479);
  EXPECT_EQ(j["MaximumRetryAttempts"], 0);
  EXPECT_FALSE(j.contains("MaximumEventAgeInSeconds"));
  EXPECT_EQ(j["DestinationConfig"]["OnSuccess"], json::object());
  EXPECT_EQ(j["DestinationConfig"]["OnFailure"]["Destination"], kQueue);
  EXPECT_EQ(EventInvokeConfigFromStorage(EventInvokeConfigToStorage(c)), c);
}

TEST(EventInvokeConfig, DeadLetterTargetsAreStandardQueuesAndTopics) {
  EXPECT_TRUE(ValidateDeadLetterTarget("").ok());
  EXPECT_TRUE(ValidateDeadLetterTarget(kQueue).ok());
  EXPECT_TRUE(ValidateDeadLetterTarget("arn:aws:sns:us-east-1:000000000000:t").ok());
  EXPECT_FALSE(ValidateDeadLetterTarget("arn:aws:sqs:us-east-1:000000000000:q.fifo").ok());
  EXPECT_NE(ValidateDeadLetterTarget("nope").message().find("deadLetterConfig.targetArn"),
            std::string::npos);
}

TEST(EventInvokeConfig, Routes) {
  auto op = [](const char* method, const char* path) {
    auto r = MatchRoute(method, path);
    return r ? r->op : Op::kUnknownOperation;
  };
  EXPECT_EQ(op("PUT", "/2019-09-25/functions/f/event-invoke-config"),
            Op::kPutFunctionEventInvokeConfig);
  EXPECT_EQ(op("POST", "/2019-09-25/functions/f/event-invoke-config"),
            Op::kUpdateFunctionEventInvokeConfig);
  EXPECT_EQ(op("GET", "/2019-09-25/functions/f/event-invoke-config"),
            Op::kGetFunctionEventInvokeConfig);
  EXPECT_EQ(op("DELETE", "/2019-09-25/functions/f/event-invoke-config"),
            Op::kDeleteFunctionEventInvokeConfig);
  EXPECT_EQ(op("GET", "/2019-09-25/functions/f/event-invoke-config/list"),
            Op::kListFunctionEventInvokeConfigs);
  EXPECT_EQ(MatchRoute("GET", "/2019-09-25/functions/f/event-invoke-config")->function_name, "f");
}

}  // namespace
}  // namespace thaw::lambda
