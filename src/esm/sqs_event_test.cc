#include "esm/sqs_event.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace thaw::esm {
namespace {

using nlohmann::json;

sqs::Delivered Delivery(std::string id, std::string body) {
  sqs::Delivered d;
  d.message.id = std::move(id);
  d.message.body = std::move(body);
  d.message.seq = 42;
  d.message.sender_id = "AIDAIENQZJOLO23YVJ4VO";
  d.message.sent_ms = 1545082649183;
  d.message.first_receive_ms = 1545082649185;
  d.message.receive_count = 1;
  d.receipt_handle = "rh-" + d.message.id;
  return d;
}

TEST(SqsEventTest, StandardRecordExactly) {
  std::string event = RenderSqsEvent({Delivery("059f36b4-87a3-44ab-83d2-661975830a7d", "test")},
                                     "arn:aws:sqs:us-east-1:000000000000:q", false);
  EXPECT_EQ(
      event,
      R"({"Records":[{"messageId":"059f36b4-87a3-44ab-83d2-661975830a7d",)"
      R"("receiptHandle":"rh-059f36b4-87a3-44ab-83d2-661975830a7d","body":"test",)"
      R"("attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"1545082649183",)"
      R"("SenderId":"AIDAIENQZJOLO23YVJ4VO","ApproximateFirstReceiveTimestamp":)"
      R"("1545082649185"},"messageAttributes":{},"md5OfMessageAttributes":null,)"
      R"("md5OfBody":"098f6bcd4621d373cade4e832627b4f6","eventSource":"aws:sqs",)"
      R"("eventSourceARN":"arn:aws:sqs:us-east-1:000000000000:q","awsRegion":"us-east-1"}]})");
}

TEST(SqsEventTest, FifoAttributesTraceAndMessageAttributes) {
  sqs::Delivered d = Delivery("m1", "hi");
  d.message.group_id = "g";
  d.message.dedup_id = "d";
  d.message.trace_header = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1";
  d.message.attributes["s"] = {.data_type = "String", .value = "v"};
  d.message.attributes["b"] = {.data_type = "Binary", .value = std::string("\x00\x01", 2)};
  json e = json::parse(RenderSqsEvent({d, Delivery("m2", "x")}, "arn:q.fifo", true));
  ASSERT_EQ(e["Records"].size(), 2u);
  const json& r = e["Records"][0];
  EXPECT_EQ(r["attributes"]["SequenceNumber"], "00000000000000000042");
  EXPECT_EQ(r["attributes"]["MessageGroupId"], "g");
  EXPECT_EQ(r["attributes"]["MessageDeduplicationId"], "d");
  EXPECT_EQ(r["attributes"]["AWSTraceHeader"], d.message.trace_header);
  EXPECT_EQ(r["messageAttributes"]["s"], json({{"stringValue", "v"},
                                               {"stringListValues", json::array()},
                                               {"binaryListValues", json::array()},
                                               {"dataType", "String"}}));
  EXPECT_EQ(r["messageAttributes"]["b"]["binaryValue"], "AAE=");
  EXPECT_FALSE(r["messageAttributes"]["b"].contains("stringValue"));
  EXPECT_EQ(r["md5OfMessageAttributes"], sqs::Md5OfAttributes(d.message.attributes));
  EXPECT_FALSE(e["Records"][1]["attributes"].contains("AWSTraceHeader"));
}

TEST(BatchFailuresTest, AwsRules) {
  const std::set<std::string> ids = {"a", "b", "c"};
  using Set = std::set<std::string>;
  // Success: nothing failed.
  EXPECT_EQ(ParseBatchFailures("", ids), Set{});
  EXPECT_EQ(ParseBatchFailures("null", ids), Set{});
  EXPECT_EQ(ParseBatchFailures("{}", ids), Set{});
  EXPECT_EQ(ParseBatchFailures(R"({"batchItemFailures":null})", ids), Set{});
  EXPECT_EQ(ParseBatchFailures(R"({"batchItemFailures":[]})", ids), Set{});
  EXPECT_EQ(ParseBatchFailures(R"({"batchItemFailures":[{"itemIdentifier":"b"}]})", ids), Set{"b"});
  EXPECT_EQ(ParseBatchFailures(
                R"({"batchItemFailures":[{"itemIdentifier":"a"},{"itemIdentifier":"c"}]})", ids),
            (Set{"a", "c"}));
  // The whole batch failed.
  EXPECT_EQ(ParseBatchFailures("{not json", ids), std::nullopt);
  EXPECT_EQ(ParseBatchFailures(R"({"batchItemFailures":[{"itemIdentifier":""}]})", ids),
            std::nullopt);
  EXPECT_EQ(ParseBatchFailures(R"({"batchItemFailures":[{"itemIdentifier":null}]})", ids),
            std::nullopt);
  EXPECT_EQ(ParseBatchFailures(R"({"batchItemFailures":[{"itemIdentifier":"zz"}]})", ids),
            std::nullopt);
  EXPECT_EQ(ParseBatchFailures(R"({"batchItemFailures":[{"id":"a"}]})", ids), std::nullopt);
}

}  // namespace
}  // namespace thaw::esm
