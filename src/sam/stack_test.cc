#include "sam/stack.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "sam/parameters.h"

namespace thaw::sam {
namespace {

using nlohmann::json;

// Records calls; queues and functions update in place, the rest are replaced.
class FakeApi : public ResourceApi {
 public:
  StatusOr<Made> Create(const Step& step, const json& properties,
                        const std::string& name) override {
    calls.push_back("create " + step.logical_id + " " + name);
    last_properties[step.logical_id] = properties;
    Made m;
    m.physical_id = step.type == "AWS::SQS::Queue" ? "https://sqs/" + name : name;
    m.attributes["Arn"] = "arn:" + name;
    m.attributes["StreamArn"] = "arn:" + name + "/stream";
    return m;
  }
  StatusOr<std::optional<Made>> Update(const Step& step, const json& properties,
                                       const json& previous, const Made& current) override {
    previous_properties[step.logical_id] = previous;
    if (step.type != "AWS::SQS::Queue" && step.type != "AWS::Lambda::Function") {
      return std::optional<Made>();
    }
    calls.push_back("update " + step.logical_id);
    last_properties[step.logical_id] = properties;
    return std::optional<Made>(current);
  }
  Status Delete(const std::string& type, const Made& current) override {
    calls.push_back("delete " + type + " " + current.physical_id);
    return Status::Ok();
  }
  Status Prepare(const Step& step, json& properties) override {
    // How many resource calls came before each build.
    prepared.emplace_back(step.logical_id, calls.size());
    if (properties.value("CodeUri", "") == "broken/") {
      return Status::FailedPrecondition("pip install failed");
    }
    return Status::Ok();
  }

  std::vector<std::string> calls;
  std::vector<std::pair<std::string, size_t>> prepared;
  std::map<std::string, json> last_properties;
  std::map<std::string, json> previous_properties;
};

struct Deployed {
  Status status;
  DeploySummary summary;
};

Deployed Deploy(const std::string& text, FakeApi& api, StackState& state) {
  StackInputs in;
  in.stack_name = state.stack_name;
  StatusOr<Template> t = ParseTemplate(text);
  if (!t.ok()) return {t.status(), {}};
  StatusOr<Scope> scope = MakeScope(*t, in);
  if (!scope.ok()) return {scope.status(), {}};
  StatusOr<Plan> plan = MakePlan(*t, *scope);
  if (!plan.ok()) return {plan.status(), {}};
  std::ostringstream progress;
  StatusOr<DeploySummary> s = DeployStack(*plan, *t, *scope, api, state, &progress);
  if (!s.ok()) return {s.status(), {}};
  return {Status::Ok(), *s};
}

constexpr char kTemplate[] = R"(
Resources:
  Dlq:
    Type: AWS::SQS::Queue
  Work:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: work
      VisibilityTimeout: 30
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dlq.Arn, maxReceiveCount: 3}
  Table:
    Type: AWS::Serverless::SimpleTable
Outputs:
  WorkUrl: {Value: !Ref Work}
  DlqArn: {Value: !GetAtt Dlq.Arn}
  Api: {Value: !Sub "https://${ServerlessRestApi}.execute-api"}
)";

TEST(StackTest, CreatesInOrderThenChangesNothing) {
  FakeApi api;
  StackState state;
  state.stack_name = "app";
  Deployed d = Deploy(kTemplate, api, state);
  ASSERT_TRUE(d.status.ok()) << d.status.message();
  EXPECT_EQ(d.summary.created, 3);
  ASSERT_EQ(api.calls.size(), 3u);
  EXPECT_EQ(api.calls[0].rfind("create Dlq app-Dlq-", 0), 0u) << api.calls[0];
  EXPECT_EQ(api.calls[1].rfind("create Table app-Table-", 0), 0u) << api.calls[1];
  EXPECT_EQ(api.calls[2].rfind("create Work app-Work-", 0), 0u) << api.calls[2];
  EXPECT_EQ(api.last_properties["Work"]["RedrivePolicy"]["deadLetterTargetArn"],
            state.resources["Dlq"].made.attributes["Arn"]);
  EXPECT_EQ(state.outputs["WorkUrl"], state.resources["Work"].made.physical_id);
  EXPECT_EQ(state.outputs["DlqArn"], state.resources["Dlq"].made.attributes["Arn"]);
  EXPECT_EQ(state.outputs["Api"],
            "(unavailable: 'ServerlessRestApi' is not a resource or parameter)");

  // Through JSON, as the command keeps it between deploys.
  StatusOr<StackState> reloaded = StackState::FromJson(json::parse(state.ToJson().dump()));
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().message();
  api.calls.clear();
  d = Deploy(kTemplate, api, *reloaded);
  ASSERT_TRUE(d.status.ok()) << d.status.message();
  EXPECT_TRUE(api.calls.empty()) << api.calls[0];
  EXPECT_EQ(d.summary.unchanged, 3);
  EXPECT_EQ(reloaded->ToJson(), state.ToJson());
}

TEST(StackTest, UpdatesReplacesAndDeletes) {
  FakeApi api;
  StackState state;
  state.stack_name = "app";
  ASSERT_TRUE(Deploy(kTemplate, api, state).status.ok());
  std::string table = state.resources["Table"].made.physical_id;
  std::string dlq = state.resources["Dlq"].made.physical_id;
  api.calls.clear();

  // A changed queue is updated; a changed table replaced under the same generated name; a
  // removed resource deleted after the others are done.
  std::string changed = kTemplate;
  changed.replace(changed.find("VisibilityTimeout: 30"), 21, "VisibilityTimeout: 60");
  changed.replace(changed.find("Type: AWS::Serverless::SimpleTable"), 34,
                  "Type: AWS::Serverless::SimpleTable\n    Properties: {PrimaryKey: {Name: k, "
                  "Type: Number}}");
  Deployed d = Deploy(changed, api, state);
  ASSERT_TRUE(d.status.ok()) << d.status.message();
  ASSERT_EQ(api.calls.size(), 3u);
  EXPECT_EQ(api.calls[0], "delete AWS::DynamoDB::Table " + table);
  // A replacement gets a new generated name.
  EXPECT_EQ(api.calls[1].rfind("create Table app-Table-", 0), 0u) << api.calls[1];
  EXPECT_NE(api.calls[1], "create Table " + table);
  EXPECT_EQ(api.calls[2], "update Work");
  table = state.resources["Table"].made.physical_id;
  EXPECT_EQ(d.summary.updated, 1);
  EXPECT_EQ(api.previous_properties["Work"]["VisibilityTimeout"], 30);
  EXPECT_EQ(api.last_properties["Work"]["VisibilityTimeout"], 60);
  EXPECT_EQ(state.resources["Work"].properties["VisibilityTimeout"], 60);
  EXPECT_EQ(d.summary.replaced, 1);
  EXPECT_EQ(d.summary.unchanged, 1);

  api.calls.clear();
  std::string without_table = changed.substr(0, changed.find("  Table:"));
  without_table += "Outputs:\n  WorkUrl: {Value: !Ref Work}\n";
  d = Deploy(without_table, api, state);
  ASSERT_TRUE(d.status.ok()) << d.status.message();
  EXPECT_EQ(api.calls, (std::vector<std::string>{"delete AWS::DynamoDB::Table " + table}));
  EXPECT_EQ(d.summary.deleted, 1);
  EXPECT_FALSE(state.resources.contains("Table"));
  EXPECT_FALSE(state.outputs.contains("DlqArn"));

  api.calls.clear();
  std::ostringstream progress;
  ASSERT_TRUE(DeleteStack(api, state, &progress).ok());
  EXPECT_EQ(api.calls.size(), 2u);
  EXPECT_EQ(api.calls[1], "delete AWS::SQS::Queue " + dlq);  // made first, deleted last
  EXPECT_TRUE(state.resources.empty());
}

TEST(StackTest, WhatRefersToAReplacedResourceIsRedone) {
  FakeApi api;
  StackState state;
  state.stack_name = "app";
  // The topic's name is given, so its replacement has the same ARN; the subscription is redone
  // all the same (it went with the old topic).
  std::string text = R"(
Resources:
  Topic: {Type: AWS::SNS::Topic, Properties: {TopicName: news}}
  Sub: {Type: AWS::SNS::Subscription, Properties: {TopicArn: !Ref Topic, Protocol: sqs, Endpoint: q}}
  Other: {Type: AWS::SQS::Queue}
)";
  ASSERT_TRUE(Deploy(text, api, state).status.ok());
  api.calls.clear();
  text.replace(text.find("TopicName: news"), 15, "TopicName: news, DisplayName: x");
  Deployed d = Deploy(text, api, state);
  ASSERT_TRUE(d.status.ok()) << d.status.message();
  EXPECT_EQ(d.summary.replaced, 2);
  EXPECT_EQ(d.summary.unchanged, 1);
  ASSERT_EQ(api.calls.size(), 4u);
  EXPECT_EQ(api.calls[1].rfind("create Topic", 0), 0u);
  EXPECT_EQ(api.calls[3].rfind("create Sub", 0), 0u);
}

TEST(StackTest, AnUnknownAttributeIsNamed) {
  FakeApi api;
  StackState state;
  state.stack_name = "app";
  Deployed d = Deploy(R"(
Resources:
  A: {Type: AWS::SQS::Queue}
  B: {Type: AWS::SQS::Queue, Properties: {QueueName: !GetAtt A.Colour}}
)",
                      api, state);
  EXPECT_EQ(d.status.message(),
            "Resources.B: Fn::GetAtt A.Colour: thaw knows no attribute Colour of AWS::SQS::Queue");
  EXPECT_TRUE(state.resources.contains("A"));  // what was made is in the state
}

TEST(DeployStackTest, CodeIsBuiltBeforeAnythingChanges) {
  const std::string text = R"(
Resources:
  Work:
    Type: AWS::SQS::Queue
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: CODE
      Handler: app.handler
      Runtime: python3.12
      Environment: {Variables: {QUEUE: !Ref Work}}
)";
  auto with_code = [&](const std::string& code) {
    std::string t = text;
    t.replace(t.find("CODE"), 4, code);
    return t;
  };
  FakeApi api;
  StackState state;
  state.stack_name = "s";
  Deployed broken = Deploy(with_code("broken/"), api, state);
  EXPECT_EQ(broken.status.code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(api.calls.empty());
  EXPECT_TRUE(state.resources.empty());

  api.prepared.clear();
  Deployed ok = Deploy(with_code("app/"), api, state);
  ASSERT_TRUE(ok.status.ok()) << ok.status.ToString();
  // Built before the queue exists; then prepared again with all its properties (the queue's
  // URL) when its turn comes.
  std::vector<size_t> fn;
  for (const auto& [id, calls_before] : api.prepared) {
    if (id == "Fn") fn.push_back(calls_before);
  }
  EXPECT_EQ(fn, (std::vector<size_t>{0, 2}));
  EXPECT_EQ(api.calls.size(), 3u);  // the queue, the role and the function
}

}  // namespace
}  // namespace thaw::sam
