#include "delivery/destinations.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace thaw::delivery {
namespace {

using nlohmann::json;

constexpr char kFailQueue[] = "arn:aws:sqs:us-east-1:000000000000:fail";
constexpr char kOkFunction[] = "arn:aws:lambda:us-east-1:000000000000:function:ok";
constexpr char kDlq[] = "arn:aws:sqs:us-east-1:000000000000:dlq";

// Records every send and completes it when the test says so.
class FakeSinks final : public Sinks {
 public:
  struct Sent {
    std::string target;
    std::string body;
    sqs::MessageAttributes attributes;
    bool invoke = false;
    bool topic = false;
  };
  void SendToQueue(const std::string& queue_arn, std::string body,
                   sqs::MessageAttributes attributes, std::function<void(Status)> done) override {
    sent.push_back({queue_arn, std::move(body), std::move(attributes), false});
    pending.push_back(std::move(done));
  }
  void InvokeAsync(const std::string& function_arn, std::string payload,
                   std::function<void(Status)> done) override {
    sent.push_back({function_arn, std::move(payload), {}, true});
    pending.push_back(std::move(done));
  }
  void PublishToTopic(const std::string& topic_arn, std::string message,
                      sqs::MessageAttributes attributes,
                      std::function<void(Status)> done) override {
    sent.push_back({topic_arn, std::move(message), std::move(attributes), false, true});
    pending.push_back(std::move(done));
  }
  // Destinations never send on behalf of a service.
  void SendToQueueAs(const lambda::InvokePrincipal&, const std::string&, sqs::Message,
                     std::function<void(Status)> done) override {
    done(Status::Internal("unexpected"));
  }
  void InvokeAsyncAs(const lambda::InvokePrincipal&, const std::string&, std::string, std::string,
                     std::function<void(Status)> done) override {
    done(Status::Internal("unexpected"));
  }
  std::vector<Sent> sent;
  std::vector<std::function<void(Status)>> pending;
};

class DestinationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto config = std::make_shared<lambda::FunctionConfig>();
    config->name = "f";
    config->dead_letter_arn = kDlq;
    lambda::FunctionEntry entry;
    entry.latest = config;
    lambda::EventInvokeConfig eic;
    eic.on_success = kOkFunction;
    eic.on_failure = kFailQueue;
    entry.event_invoke_configs[lambda::kLatest] = eic;
    registry_.Put("f", entry);
    event_.request_id = "req-1";
    event_.function_name = "f";
    event_.payload = R"({"n":1})";
    event_.attempts = 3;
  }
  invoker::FinalOutcome Failed() {
    invoker::AttemptResult last;
    last.function_error = true;
    last.executed_version = "$LATEST";
    last.response = R"({"errorMessage":"boom","errorType":"errorString"})";
    last.error_message = std::string(2000, 'x');
    return {invoker::Condition::kRetriesExhausted, last};
  }

  lambda::Registry registry_;
  FakeSinks sinks_;
  FakeClock clock_;
  invoker::DeliveryCounts counts_;
  Destinations destinations_{registry_, sinks_, clock_, &counts_};
  invoker::QueuedEvent event_;
};

TEST_F(DestinationsTest, RecordHasLambdasShape) {
  json r = DestinationRecord(event_, Failed(), 1573755365568);
  EXPECT_EQ(r, json::parse(R"({
    "version": "1.0",
    "timestamp": "2019-11-14T18:16:05.568Z",
    "requestContext": {"requestId": "req-1",
                       "functionArn": "arn:aws:lambda:us-east-1:000000000000:function:f:$LATEST",
                       "condition": "RetriesExhausted", "approximateInvokeCount": 3},
    "requestPayload": {"n": 1},
    "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                        "functionError": "Unhandled"},
    "responsePayload": {"errorMessage": "boom", "errorType": "errorString"}
  })"));
  // Never ran: no response parts; a payload that is not JSON stays a string.
  event_.payload = "plain";
  event_.attempts = 0;
  json aged = DestinationRecord(event_, {invoker::Condition::kEventAgeExceeded, std::nullopt}, 0);
  EXPECT_EQ(aged["requestContext"]["condition"], "EventAgeExceeded");
  EXPECT_EQ(aged["requestPayload"], "plain");
  EXPECT_FALSE(aged.contains("responseContext"));
  EXPECT_FALSE(aged.contains("responsePayload"));
}

TEST_F(DestinationsTest, FailureGoesToOnFailureAndTheDlqAndIsReleasedAfterBoth) {
  bool released = false;
  destinations_.Finish(event_, Failed(), [&] { released = true; });
  ASSERT_EQ(sinks_.sent.size(), 2u);
  EXPECT_EQ(sinks_.sent[0].target, kFailQueue);
  EXPECT_EQ(json::parse(sinks_.sent[0].body)["requestContext"]["condition"], "RetriesExhausted");
  EXPECT_EQ(sinks_.sent[1].target, kDlq);
  EXPECT_EQ(sinks_.sent[1].body, event_.payload);  // the original event, unchanged
  const auto& a = sinks_.sent[1].attributes;
  EXPECT_EQ(a.at("RequestID").data_type, "String");
  EXPECT_EQ(a.at("RequestID").value, "req-1");
  EXPECT_EQ(a.at("ErrorCode").data_type, "Number");
  EXPECT_EQ(a.at("ErrorCode").value, "200");
  EXPECT_EQ(a.at("ErrorMessage").value.size(), 1024u);  // the first 1 KB
  sinks_.pending[0](Status::Ok());
  EXPECT_FALSE(released);                      // the DLQ send is not durable yet
  sinks_.pending[1](Status::IoError("disk"));  // a failed send is dropped, as on Lambda
  EXPECT_TRUE(released);
}

TEST_F(DestinationsTest, FailedSendsAreCountedPerFunction) {
  destinations_.Finish(event_, Failed(), [] {});
  destinations_.Finish(event_, Failed(), [] {});
  ASSERT_EQ(sinks_.pending.size(), 4u);
  sinks_.pending[0](Status::NotFound("no such queue"));  // OnFailure
  sinks_.pending[1](Status::NotFound("no such queue"));  // the DLQ
  sinks_.pending[2](Status::Ok());
  sinks_.pending[3](Status::NotFound("no such queue"));
  EXPECT_EQ(counts_.destination_delivery_failures, (std::map<std::string, int64_t>{{"f", 1}}));
  EXPECT_EQ(counts_.dead_letter_errors, (std::map<std::string, int64_t>{{"f", 2}}));
  // A failed OnSuccess send is a destination failure too.
  invoker::AttemptResult ok;
  destinations_.Finish(event_, {invoker::Condition::kSuccess, ok}, [] {});
  sinks_.pending[4](Status::NotFound("no such function"));
  EXPECT_EQ(counts_.destination_delivery_failures.at("f"), 2);
}

TEST_F(DestinationsTest, SuccessGoesToOnSuccessOnly) {
  invoker::AttemptResult ok;
  ok.response = "42";
  ok.executed_version = "$LATEST";
  bool released = false;
  destinations_.Finish(event_, {invoker::Condition::kSuccess, ok}, [&] { released = true; });
  ASSERT_EQ(sinks_.sent.size(), 1u);
  EXPECT_TRUE(sinks_.sent[0].invoke);
  EXPECT_EQ(sinks_.sent[0].target, kOkFunction);
  EXPECT_EQ(json::parse(sinks_.sent[0].body)["responsePayload"], 42);
  sinks_.pending[0](Status::Ok());
  EXPECT_TRUE(released);
}

TEST_F(DestinationsTest, TopicsAreDestinationsAndDeadLetterTargets) {
  constexpr char kTopic[] = "arn:aws:sns:us-east-1:000000000000:failures";
  constexpr char kDlqTopic[] = "arn:aws:sns:us-east-1:000000000000:dlq";
  auto entry = *registry_.Get("f");
  auto config = std::make_shared<lambda::FunctionConfig>(*entry.latest);
  config->dead_letter_arn = kDlqTopic;
  entry.latest = config;
  entry.event_invoke_configs[lambda::kLatest].on_failure = kTopic;
  registry_.Put("f", entry);
  bool released = false;
  destinations_.Finish(event_, Failed(), [&] { released = true; });
  ASSERT_EQ(sinks_.sent.size(), 2u);
  EXPECT_EQ(sinks_.sent[0].target, kTopic);
  EXPECT_TRUE(sinks_.sent[0].topic);
  EXPECT_TRUE(sinks_.sent[1].topic);
  EXPECT_EQ(json::parse(sinks_.sent[0].body)["requestContext"]["condition"], "RetriesExhausted");
  EXPECT_EQ(sinks_.sent[1].target, kDlqTopic);
  EXPECT_EQ(sinks_.sent[1].body, event_.payload);
  EXPECT_EQ(sinks_.sent[1].attributes.at("RequestID").value, "req-1");
  for (auto& done : sinks_.pending) done(Status::Ok());
  EXPECT_TRUE(released);
}

TEST_F(DestinationsTest, NothingConfiguredReleasesAtOnce) {
  event_.qualifier = "7";  // no configuration for this qualifier, no such version
  bool released = false;
  destinations_.Finish(event_, {invoker::Condition::kSuccess, std::nullopt},
                       [&] { released = true; });
  EXPECT_TRUE(sinks_.sent.empty());
  EXPECT_TRUE(released);
}

}  // namespace
}  // namespace thaw::delivery
