#include "esm/mapping.h"

#include <gtest/gtest.h>

namespace thaw::esm {
namespace {

using nlohmann::json;

MappingRequest Parse(const std::string& body, bool create = true) {
  auto r = ParseMappingRequest(body, create);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : MappingRequest{};
}

std::string Error(const std::string& body, bool create = true) {
  auto r = ParseMappingRequest(body, create);
  EXPECT_FALSE(r.ok()) << body;
  return r.ok() ? "" : r.status().message();
}

TEST(MappingRequestTest, ReadsEveryField) {
  MappingRequest r = Parse(R"({"FunctionName":"f","EventSourceArn":"arn:aws:sqs:us-east-1:1:q",
      "Enabled":false,"BatchSize":20,"MaximumBatchingWindowInSeconds":3,
      "FunctionResponseTypes":["ReportBatchItemFailures"],
      "ScalingConfig":{"MaximumConcurrency":5},
      "FilterCriteria":{"Filters":[{"Pattern":"{\"body\":[\"a\"]}"}]}})");
  EXPECT_EQ(r.function_name, "f");
  EXPECT_EQ(r.event_source_arn, "arn:aws:sqs:us-east-1:1:q");
  EXPECT_EQ(r.enabled, false);
  EXPECT_EQ(r.batch_size, 20);
  EXPECT_EQ(r.batching_window_s, 3);
  ASSERT_TRUE(r.maximum_concurrency.has_value());
  EXPECT_EQ(*r.maximum_concurrency, 5);
  Mapping m;
  ApplySettings(r, m);
  EXPECT_FALSE(m.enabled);
  EXPECT_EQ(m.batch_size, 20);
  EXPECT_TRUE(m.ReportsItemFailures());
  EXPECT_EQ(m.maximum_concurrency, 5);
  EXPECT_EQ(m.filter_criteria["Filters"].size(), 1u);
}

TEST(MappingRequestTest, RangesAreValidationErrors) {
  EXPECT_EQ(Error(R"({"FunctionName":"f","EventSourceArn":"a","BatchSize":0})"),
            "1 validation error detected: Value '0' at 'batchSize' failed to satisfy "
            "constraint: Member must have value greater than or equal to 1");
  EXPECT_EQ(Error(R"({"FunctionName":"f","EventSourceArn":"a","BatchSize":10001,
                      "MaximumBatchingWindowInSeconds":301})"),
            "2 validation errors detected: Value '10001' at 'batchSize' failed to satisfy "
            "constraint: Member must have value less than or equal to 10000; Value '301' at "
            "'maximumBatchingWindowInSeconds' failed to satisfy constraint: Member must have "
            "value less than or equal to 300");
  EXPECT_NE(Error(R"({"FunctionName":"f","EventSourceArn":"a",
                      "ScalingConfig":{"MaximumConcurrency":1}})")
                .find("'scalingConfig.maximumConcurrency'"),
            std::string::npos);
  EXPECT_NE(Error(R"({"FunctionName":"f","EventSourceArn":"a",
                      "ScalingConfig":{"MaximumConcurrency":1001}})")
                .find("less than or equal to 1000"),
            std::string::npos);
  EXPECT_NE(Error(R"({"FunctionName":"f","EventSourceArn":"a",
                      "FunctionResponseTypes":["Other"]})")
                .find("functionResponseTypes"),
            std::string::npos);
}

TEST(MappingRequestTest, RequiredFieldsAndBadBodies) {
  EXPECT_NE(Error(R"({"EventSourceArn":"a"})").find("'functionName'"), std::string::npos);
  EXPECT_EQ(Error(R"({"FunctionName":"f"})"), "Unrecognized event source.");
  EXPECT_NE(Error("not json").find("Could not parse request body"), std::string::npos);
  EXPECT_NE(Error(R"({"FunctionName":"f","EventSourceArn":"a","BatchSize":"ten"})")
                .find("Could not parse"),
            std::string::npos);
  // An update may not move the mapping to another source, and needs nothing.
  EXPECT_FALSE(ParseMappingRequest(R"({"EventSourceArn":"a"})", false).ok());
  EXPECT_TRUE(ParseMappingRequest("", false).ok());
}

TEST(MappingRequestTest, FilterCriteria) {
  EXPECT_EQ(Error(R"({"FunctionName":"f","EventSourceArn":"a",
                      "FilterCriteria":{"Filters":[{"Pattern":"nope"}]}})"),
            "Invalid filter pattern definition.");
  EXPECT_EQ(Error(R"({"FunctionName":"f","EventSourceArn":"a",
                      "FilterCriteria":{"Filters":[{"Pattern":"[1]"}]}})"),
            "Invalid filter pattern definition.");
  json six = {{"Filters", json::array()}};
  for (int i = 0; i < 6; ++i) six["Filters"].push_back({{"Pattern", "{}"}});
  json body = {{"FunctionName", "f"}, {"EventSourceArn", "a"}, {"FilterCriteria", six}};
  EXPECT_NE(Error(body.dump()).find("less than or equal to 5"), std::string::npos);
  // An empty FilterCriteria removes the filters.
  Mapping m;
  ApplySettings(Parse(R"({"FunctionName":"f","EventSourceArn":"a",
                          "FilterCriteria":{"Filters":[{"Pattern":"{}"}]}})"),
                m);
  EXPECT_FALSE(m.filter_criteria.is_null());
  ApplySettings(Parse(R"({"FilterCriteria":{}})", false), m);
  EXPECT_TRUE(m.filter_criteria.is_null());
}

TEST(ValidateSqsTest, BatchSizeWindowAndFifo) {
  Mapping m;
  m.batch_size = 10;
  EXPECT_TRUE(ValidateSqs(m, false).ok());
  EXPECT_TRUE(ValidateSqs(m, true).ok());
  m.batch_size = 11;
  EXPECT_EQ(ValidateSqs(m, false).message(),
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
            "greater than 10");
  m.batching_window_s = 1;
  EXPECT_TRUE(ValidateSqs(m, false).ok());
  m.batch_size = 10000;
  EXPECT_TRUE(ValidateSqs(m, false).ok());
  EXPECT_EQ(ValidateSqs(m, true).code(), StatusCode::kInvalidArgument);
  m.batch_size = 10;
  EXPECT_EQ(ValidateSqs(m, true).code(), StatusCode::kInvalidArgument);  // window on FIFO
}

TEST(StateTest, SettleAndUpdate) {
  Mapping m;
  m.state = State::kCreating;
  EXPECT_EQ(Settle(m), State::kEnabled);
  EXPECT_FALSE(Polls(m));
  m.enabled = false;
  EXPECT_EQ(Settle(m), State::kDisabled);
  m.state = State::kEnabling;
  EXPECT_EQ(Settle(m), State::kEnabled);
  m.state = State::kDisabling;
  EXPECT_EQ(Settle(m), State::kDisabled);
  EXPECT_FALSE(Polls(m));
  m.state = State::kDeleting;
  EXPECT_EQ(Settle(m), std::nullopt);
  EXPECT_FALSE(Polls(m));
  m.state = State::kUpdating;
  m.enabled = true;
  EXPECT_EQ(Settle(m), State::kEnabled);
  EXPECT_TRUE(Polls(m));  // an update of an enabled mapping keeps reading
  m.state = State::kEnabled;
  EXPECT_EQ(Settle(m), State::kEnabled);
  EXPECT_TRUE(Polls(m));

  EXPECT_EQ(AfterUpdate(true, false), State::kDisabling);
  EXPECT_EQ(AfterUpdate(false, true), State::kEnabling);
  EXPECT_EQ(AfterUpdate(true, true), State::kUpdating);
  EXPECT_EQ(AfterUpdate(false, false), State::kUpdating);
  for (State s : {State::kCreating, State::kEnabling, State::kDisabling, State::kUpdating,
                  State::kDeleting}) {
    EXPECT_TRUE(Transitional(s)) << StateName(s);
    EXPECT_EQ(ParseState(StateName(s)), s);
  }
  EXPECT_FALSE(Transitional(State::kEnabled));
  EXPECT_FALSE(Transitional(State::kDisabled));
  EXPECT_EQ(ParseState("Bogus"), std::nullopt);
}

TEST(MappingJsonTest, ApiFieldsAndStoredRoundTrip) {
  Mapping m;
  m.uuid = "6f1c8a4e-0000-4000-8000-000000000000";
  m.event_source_arn = "arn:aws:sqs:us-east-1:000000000000:q";
  m.function_arn = "arn:aws:lambda:us-east-1:000000000000:function:f";
  m.last_modified_ms = 1541139209351;
  m.state = State::kDisabled;
  m.enabled = false;
  json j = ToJson(m);
  EXPECT_EQ(j["UUID"], m.uuid);
  EXPECT_EQ(j["BatchSize"], 10);
  EXPECT_EQ(j["MaximumBatchingWindowInSeconds"], 0);
  EXPECT_DOUBLE_EQ(j["LastModified"].get<double>(), 1541139209.351);
  EXPECT_EQ(j["State"], "Disabled");
  EXPECT_EQ(j["StateTransitionReason"], "USER_INITIATED");
  EXPECT_EQ(j["FunctionResponseTypes"], json::array());
  EXPECT_EQ(j["EventSourceMappingArn"],
            "arn:aws:lambda:us-east-1:000000000000:event-source-mapping:" + m.uuid);
  EXPECT_FALSE(j.contains("ScalingConfig"));
  EXPECT_FALSE(j.contains("FilterCriteria"));
  EXPECT_FALSE(j.contains("Enabled"));

  m.maximum_concurrency = 7;
  m.function_response_types = {"ReportBatchItemFailures"};
  m.filter_criteria = {{"Filters", {{{"Pattern", "{}"}}}}};
  auto back = Load(Store(m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ToJson(*back), ToJson(m));
  EXPECT_FALSE(back->enabled);
  EXPECT_EQ(back->last_modified_ms, m.last_modified_ms);
  EXPECT_FALSE(Load("{}").ok());
}

TEST(StreamMappingTest, ReadsAndChecksTheStreamFields) {
  MappingRequest r = Parse(R"({"FunctionName":"f",
      "EventSourceArn":"arn:aws:dynamodb:us-east-1:1:table/t/stream/2026-01-01T00:00:00.000",
      "StartingPosition":"TRIM_HORIZON","ParallelizationFactor":2,
      "BisectBatchOnFunctionError":true,"MaximumRetryAttempts":3,
      "MaximumRecordAgeInSeconds":60,"TumblingWindowInSeconds":0,
      "DestinationConfig":{"OnFailure":{"Destination":"arn:aws:sqs:us-east-1:1:dlq"}}})");
  Mapping m;
  m.uuid = "u";
  m.kind = SourceKind::kDynamoDbStreams;
  m.event_source_arn = *r.event_source_arn;
  ApplySettings(r, m);
  EXPECT_EQ(m.starting_position, "TRIM_HORIZON");
  EXPECT_EQ(m.parallelization, 2);
  EXPECT_TRUE(m.bisect);
  EXPECT_EQ(m.max_retries, 3);
  EXPECT_EQ(m.max_record_age_s, 60);
  EXPECT_EQ(m.on_failure, "arn:aws:sqs:us-east-1:1:dlq");
  EXPECT_TRUE(ValidateStream(m, false).ok());
  json j = ToJson(m);
  EXPECT_EQ(j["DestinationConfig"]["OnFailure"]["Destination"], "arn:aws:sqs:us-east-1:1:dlq");
  EXPECT_EQ(j["LastProcessingResult"], "No records processed");
  EXPECT_EQ(j["StartingPosition"], "TRIM_HORIZON");
  EXPECT_FALSE(j.contains("StartingPositionTimestamp"));
  auto back = Load(Store(m));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->on_failure, m.on_failure);
  EXPECT_EQ(back->max_retries, 3);
  EXPECT_TRUE(back->bisect);
  EXPECT_EQ(back->starting_position, "TRIM_HORIZON");

  // The defaults are AWS's.
  Mapping d;
  d.kind = SourceKind::kDynamoDbStreams;
  d.starting_position = "LATEST";
  json dj = ToJson(d);
  EXPECT_EQ(dj["MaximumRetryAttempts"], -1);
  EXPECT_EQ(dj["MaximumRecordAgeInSeconds"], -1);
  EXPECT_EQ(dj["BisectBatchOnFunctionError"], false);
  EXPECT_EQ(dj["TumblingWindowInSeconds"], 0);
  EXPECT_EQ(dj["ParallelizationFactor"], 1);
  EXPECT_EQ(dj["DestinationConfig"], json({{"OnFailure", json::object()}}));
  // An SQS mapping shows none of it.
  EXPECT_FALSE(ToJson(Mapping{}).contains("StartingPosition"));
}

TEST(StreamMappingTest, Refusals) {
  EXPECT_NE(Error(R"({"FunctionName":"f","EventSourceArn":"a","StartingPosition":"NOW"})")
                .find("startingPosition"),
            std::string::npos);
  EXPECT_NE(Error(R"({"FunctionName":"f","EventSourceArn":"a","ParallelizationFactor":11})")
                .find("parallelizationFactor"),
            std::string::npos);
  EXPECT_NE(Error(R"({"FunctionName":"f","EventSourceArn":"a","MaximumRetryAttempts":-2})")
                .find("maximumRetryAttempts"),
            std::string::npos);
  EXPECT_NE(Error(R"({"FunctionName":"f","EventSourceArn":"a","TumblingWindowInSeconds":901})")
                .find("tumblingWindowInSeconds"),
            std::string::npos);
  Mapping m;
  m.kind = SourceKind::kDynamoDbStreams;
  m.event_source_arn = "arn:aws:dynamodb:us-east-1:1:table/t/stream/x";
  EXPECT_NE(ValidateStream(m, false).message().find("startingPosition"), std::string::npos);
  m.starting_position = "AT_TIMESTAMP";
  m.starting_position_ts = 1.0;
  EXPECT_EQ(ValidateStream(m, false).message(),
            "Unsupported starting position for arn type: " + m.event_source_arn);
  EXPECT_TRUE(ValidateStream(m, true).ok());
  m.starting_position = "LATEST";
  m.starting_position_ts.reset();
  m.max_record_age_s = 59;
  EXPECT_FALSE(ValidateStream(m, false).ok());
  m.max_record_age_s = -1;
  m.on_failure = "arn:aws:lambda:us-east-1:1:function:f";
  EXPECT_FALSE(ValidateStream(m, false).ok());
  MappingRequest r = Parse(R"({"FunctionName":"f","EventSourceArn":"a",
      "DestinationConfig":{"OnSuccess":{"Destination":"arn:aws:sqs:us-east-1:1:q"}}})");
  EXPECT_EQ(ValidateRequest(m, r, true).message(),
            "Unsupported DestinationConfig parameter for given event source mapping type.");
}

TEST(MappingTest, TheMappingArnCarriesTheFunctionsAccount) {
  Mapping m;
  m.uuid = "u-1";
  m.function_arn = "arn:aws:lambda:us-east-1:222222222222:function:fn";
  EXPECT_EQ(m.Arn(), "arn:aws:lambda:us-east-1:222222222222:event-source-mapping:u-1");
  m.function_arn = "arn:aws:lambda:us-east-1:000000000000:function:fn:live";
  EXPECT_EQ(m.Arn(), "arn:aws:lambda:us-east-1:000000000000:event-source-mapping:u-1");
  EXPECT_EQ(ToJson(m)["EventSourceMappingArn"], m.Arn());
}

}  // namespace
}  // namespace thaw::esm
