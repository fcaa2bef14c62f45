#include "sns/service.h"

#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>

#include "sns/sns_api.h"

namespace thaw::sns {
namespace {

using nlohmann::json;

struct Sent {
  std::string kind;  // "invoke" or "queue"
  std::string target;
  std::string body;
  sqs::MessageAttributes attributes;
  std::string service = {};  // the principal of an ...As send
  std::string source_arn = {};
  std::string group_id = {};
  std::string dedup_id = {};
  std::string trace_header = {};
};

class FakeSinks : public delivery::Sinks {
 public:
  void SendToQueue(const std::string& queue_arn, std::string body,
                   sqs::MessageAttributes attributes, std::function<void(Status)> done) override {
    sent.push_back({"queue", queue_arn, std::move(body), std::move(attributes)});
    done(Answer(queue_arn));
  }
  void InvokeAsync(const std::string& function_arn, std::string payload,
                   std::function<void(Status)> done) override {
    sent.push_back({"invoke", function_arn, std::move(payload), {}});
    done(Answer(function_arn));
  }
  void PublishToTopic(const std::string& topic_arn, std::string message,
                      sqs::MessageAttributes attributes,
                      std::function<void(Status)> done) override {
    sent.push_back({"topic", topic_arn, std::move(message), std::move(attributes)});
    done(Answer(topic_arn));
  }
  void SendToQueueAs(const lambda::InvokePrincipal& who, const std::string& queue_arn,
                     sqs::Message m, std::function<void(Status)> done) override {
    sent.push_back({"queue", queue_arn, std::move(m.body), std::move(m.attributes), who.service,
                    who.source_arn, m.group_id, m.dedup_id, m.trace_header});
    done(Answer(queue_arn));
  }
  void InvokeAsyncAs(const lambda::InvokePrincipal& who, const std::string& function_arn,
                     std::string payload, std::string trace_header,
                     std::function<void(Status)> done) override {
    sent.push_back({"invoke",
                    function_arn,
                    std::move(payload),
                    {},
                    who.service,
                    who.source_arn,
                    "",
                    "",
                    std::move(trace_header)});
    done(Answer(function_arn));
  }
  Status Answer(const std::string& target) {
    auto it = answers.find(target);
    return it == answers.end() ? Status::Ok() : it->second;
  }
  std::vector<Sent> sent;
  std::map<std::string, Status> answers;
};

constexpr char kFunction[] = "arn:aws:lambda:us-east-1:000000000000:function:f";
constexpr char kQueue[] = "arn:aws:sqs:us-east-1:000000000000:q";
constexpr char kDlq[] = "arn:aws:sqs:us-east-1:000000000000:dlq";

class SnsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sns_service_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  void TearDown() override {
    service_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    service_.reset();
    store_.reset();
    auto opened = TopicStore::Open(loop_, {.path = (dir_ / "sns.db").string(), .clock = &clock_});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
    service_ = std::make_unique<SnsService>(
        *store_, sinks_,
        SnsService::Options{.delay_scale = 0.0, .endpoint = "http://h:1", .signer = nullptr});
    service_->Start();
  }
  template <typename Pred>
  void RunUntil(Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
      loop_.restart();
      loop_.run_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(pred());
  }
  Outcome Call(const std::string& op, Params p, const std::string& account = "000000000000",
               const std::string& trace_header = "") {
    std::optional<Outcome> got;
    Context ctx;
    ctx.account = account;
    ctx.trace_header = trace_header;
    service_->Execute(ctx, op, p, [&](Outcome o) { got = std::move(o); });
    RunUntil([&] { return got.has_value(); });
    return got.value_or(Outcome{});
  }
  // The text of <Name> in a result.
  static std::string Field(const Outcome& o, const std::string& name) {
    auto start = o.result.find("<" + name + ">");
    if (start == std::string::npos) return "";
    start += name.size() + 2;
    return o.result.substr(start, o.result.find("</" + name + ">", start) - start);
  }
  std::string CreateTopic(const std::string& name, Params extra = {}) {
    extra["Name"] = name;
    Outcome o = Call("CreateTopic", extra);
    EXPECT_FALSE(o.error) << o.error->message;
    return Field(o, "TopicArn");
  }
  std::string Subscribe(const std::string& topic, const std::string& protocol,
                        const std::string& endpoint, Params extra = {}) {
    extra["TopicArn"] = topic;
    extra["Protocol"] = protocol;
    extra["Endpoint"] = endpoint;
    Outcome o = Call("Subscribe", extra);
    EXPECT_FALSE(o.error) << o.error->message;
    return Field(o, "SubscriptionArn");
  }
  void Settle() {
    loop_.restart();
    for (int i = 0; i < 20; ++i) loop_.run_for(std::chrono::milliseconds(5));
  }

  std::filesystem::path dir_;
  boost::asio::io_context loop_;
  FakeClock clock_;
  FakeSinks sinks_;
  std::unique_ptr<TopicStore> store_;
  std::unique_ptr<SnsService> service_;
};

TEST(SnsParams, MembersAndArns) {
  Params p = {{"Attributes.entry.2.key", "b"},  {"Attributes.entry.2.value", "2"},
              {"Attributes.entry.1.key", "a"},  {"Attributes.entry.1.value", "1"},
              {"Attributes.entry.10.key", "c"}, {"TagKeys.member.2", "y"},
              {"TagKeys.member.1", "x"}};
  auto m = Members(p, "Attributes.entry");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0]["key"], "a");
  EXPECT_EQ(m[1]["value"], "2");
  EXPECT_EQ(m[2]["key"], "c");
  EXPECT_EQ(ScalarMembers(p, "TagKeys.member"), (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(ParseTopicArn("arn:aws:sns:us-east-1:123456789012:t-1_x"));
  EXPECT_TRUE(ParseTopicArn("arn:aws:sns:us-east-1:123456789012:t.fifo"));
  EXPECT_FALSE(ParseTopicArn("arn:aws:sns:us-east-1:12345:t"));
  EXPECT_FALSE(ParseTopicArn("arn:aws:sqs:us-east-1:123456789012:t"));
  EXPECT_FALSE(ParseTopicArn("arn:aws:sns:us-east-1:123456789012:bad name"));
  EXPECT_FALSE(ParseTopicArn("nope"));
}

TEST(SnsParams, ManagedRetryPolicy) {
  // 3 immediate, 2 at 1 s, 10 backing off from 1 to 20 s, then 100,000 at 20 s.
  EXPECT_EQ(SnsService::ManagedRetryDelayMs(1), 0);
  EXPECT_EQ(SnsService::ManagedRetryDelayMs(3), 0);
  EXPECT_EQ(SnsService::ManagedRetryDelayMs(4), 1000);
  EXPECT_EQ(SnsService::ManagedRetryDelayMs(5), 1000);
  EXPECT_EQ(SnsService::ManagedRetryDelayMs(6), 1000);
  EXPECT_EQ(SnsService::ManagedRetryDelayMs(15), 20000);
  EXPECT_LT(*SnsService::ManagedRetryDelayMs(10), *SnsService::ManagedRetryDelayMs(11));
  EXPECT_EQ(SnsService::ManagedRetryDelayMs(16), 20000);
  EXPECT_EQ(SnsService::ManagedRetryDelayMs(100015), 20000);
  EXPECT_FALSE(SnsService::ManagedRetryDelayMs(100016));
}

TEST_F(SnsServiceTest, CreateTopicIsIdempotentOnlyWithTheSameAttributes) {
  std::string arn = CreateTopic(
      "t", {{"Attributes.entry.1.key", "DisplayName"}, {"Attributes.entry.1.value", "x"}});
  EXPECT_EQ(arn, "arn:aws:sns:us-east-1:000000000000:t");
  EXPECT_EQ(CreateTopic("t"), arn);
  Outcome o = Call("CreateTopic", {{"Name", "t"},
                                   {"Attributes.entry.1.key", "DisplayName"},
                                   {"Attributes.entry.1.value", "y"}});
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->code, "InvalidParameter");
  EXPECT_NE(o.error->message.find("different attributes"), std::string::npos);
  // Accounts are namespaces.
  EXPECT_EQ(Field(Call("CreateTopic", {{"Name", "t"}}, "111111111111"), "TopicArn"),
            "arn:aws:sns:us-east-1:111111111111:t");
}

TEST_F(SnsServiceTest, FifoTopicsNeedTheSuffixAndAGroup) {
  Outcome bad = Call("CreateTopic", {{"Name", "f.fifo"}});
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->code, "InvalidParameter");
  bad = Call("CreateTopic", {{"Name", "f"},
                             {"Attributes.entry.1.key", "FifoTopic"},
                             {"Attributes.entry.1.value", "true"}});
  ASSERT_TRUE(bad.error);
  std::string arn = CreateTopic(
      "f.fifo", {{"Attributes.entry.1.key", "FifoTopic"}, {"Attributes.entry.1.value", "true"}});
  Subscribe(arn, "sqs", "arn:aws:sqs:us-east-1:000000000000:q.fifo");
  Outcome o = Call("Publish", {{"TopicArn", arn}, {"Message", "m"}});
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->message,
            "Invalid parameter: The MessageGroupId parameter is required for FIFO topics");
  o = Call("Publish", {{"TopicArn", arn}, {"Message", "m"}, {"MessageGroupId", "g"}});
  ASSERT_TRUE(o.error);
  EXPECT_NE(o.error->message.find("ContentBasedDeduplication"), std::string::npos);
  Settle();
  EXPECT_TRUE(sinks_.sent.empty());
  Outcome a = Call("Publish", {{"TopicArn", arn},
                               {"Message", "m"},
                               {"MessageGroupId", "g"},
                               {"MessageDeduplicationId", "d"}});
  ASSERT_FALSE(a.error);
  EXPECT_EQ(Field(a, "SequenceNumber").size(), 20u);
  Outcome b = Call("Publish", {{"TopicArn", arn},
                               {"Message", "m"},
                               {"MessageGroupId", "g"},
                               {"MessageDeduplicationId", "d"}});
  EXPECT_EQ(Field(a, "MessageId"), Field(b, "MessageId"));
}

TEST_F(SnsServiceTest, PublishDeliversTheLambdaEventAndTheSqsEnvelope) {
  std::string topic = CreateTopic("t");
  std::string lambda_sub = Subscribe(topic, "lambda", kFunction);
  Subscribe(topic, "sqs", kQueue);
  EXPECT_TRUE(lambda_sub.starts_with(topic + ":"));
  Outcome o = Call("Publish", {{"TopicArn", topic},
                               {"Message", "hello"},
                               {"MessageAttributes.entry.1.Name", "color"},
                               {"MessageAttributes.entry.1.Value.DataType", "String"},
                               {"MessageAttributes.entry.1.Value.StringValue", "red"}});
  ASSERT_FALSE(o.error) << o.error->message;
  RunUntil([&] { return sinks_.sent.size() == 2; });
  for (const Sent& s : sinks_.sent) {
    json body = json::parse(s.body);
    if (s.kind == "invoke") {
      EXPECT_EQ(s.target, kFunction);
      EXPECT_EQ(body["Records"][0]["EventSubscriptionArn"], lambda_sub);
      EXPECT_EQ(body["Records"][0]["Sns"]["Message"], "hello");
      EXPECT_EQ(body["Records"][0]["Sns"]["MessageAttributes"]["color"]["Value"], "red");
    } else {
      EXPECT_EQ(s.target, kQueue);
      EXPECT_EQ(body["Message"], "hello");
      EXPECT_EQ(body["MessageId"], Field(o, "MessageId"));
    }
  }
}

TEST_F(SnsServiceTest, RawDeliveryCarriesAttributesAsSqsAttributes) {
  std::string topic = CreateTopic("t");
  Subscribe(
      topic, "sqs", kQueue,
      {{"Attributes.entry.1.key", "RawMessageDelivery"}, {"Attributes.entry.1.value", "true"}});
  Call("Publish", {{"TopicArn", topic},
                   {"Message", "raw body"},
                   {"MessageAttributes.entry.1.Name", "n"},
                   {"MessageAttributes.entry.1.Value.DataType", "Number"},
                   {"MessageAttributes.entry.1.Value.StringValue", "5"}});
  RunUntil([&] { return sinks_.sent.size() == 1; });
  EXPECT_EQ(sinks_.sent[0].body, "raw body");
  EXPECT_EQ(sinks_.sent[0].attributes["n"].data_type, "Number");
  EXPECT_EQ(sinks_.sent[0].attributes["n"].value, "5");
}

TEST_F(SnsServiceTest, FilterPoliciesSelectSubscriptions) {
  std::string topic = CreateTopic("t");
  Subscribe(topic, "sqs", kQueue,
            {{"Attributes.entry.1.key", "FilterPolicy"},
             {"Attributes.entry.1.value", R"({"color":["red"],"size":[{"numeric":[">",3]}]})"}});
  Subscribe(topic, "sqs", kDlq,
            {{"Attributes.entry.1.key", "FilterPolicy"},
             {"Attributes.entry.1.value", R"({"kind":[{"prefix":"ord"}]})"},
             {"Attributes.entry.2.key", "FilterPolicyScope"},
             {"Attributes.entry.2.value", "MessageBody"}});
  auto publish = [&](const std::string& message, const std::string& color,
                     const std::string& size) {
    Call("Publish", {{"TopicArn", topic},
                     {"Message", message},
                     {"MessageAttributes.entry.1.Name", "color"},
                     {"MessageAttributes.entry.1.Value.DataType", "String"},
                     {"MessageAttributes.entry.1.Value.StringValue", color},
                     {"MessageAttributes.entry.2.Name", "size"},
                     {"MessageAttributes.entry.2.Value.DataType", "Number"},
                     {"MessageAttributes.entry.2.Value.StringValue", size}});
  };
  publish("x", "red", "2");                     // size too small: none
  publish("y", "red", "10");                    // first only
  publish(R"({"kind":"order"})", "blue", "1");  // second only
  Settle();
  ASSERT_EQ(sinks_.sent.size(), 2u);
  EXPECT_EQ(sinks_.sent[0].target, kQueue);
  EXPECT_EQ(json::parse(sinks_.sent[0].body)["Message"], "y");
  EXPECT_EQ(sinks_.sent[1].target, kDlq);

  Outcome bad = Call("Subscribe", {{"TopicArn", topic},
                                   {"Protocol", "sqs"},
                                   {"Endpoint", "arn:aws:sqs:us-east-1:000000000000:other"},
                                   {"Attributes.entry.1.key", "FilterPolicy"},
                                   {"Attributes.entry.1.value", "{not json"}});
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->code, "InvalidParameter");
  EXPECT_TRUE(bad.error->message.starts_with("Invalid parameter: FilterPolicy:"));
}

TEST_F(SnsServiceTest, BadPublishesStoreNothing) {
  std::string topic = CreateTopic("t");
  Subscribe(topic, "sqs", kQueue);
  Outcome o = Call("Publish", {{"TopicArn", topic}, {"Message", std::string(262145, 'x')}});
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->code, "InvalidParameter");
  EXPECT_EQ(o.error->message, "Invalid parameter: Message too long");
  o = Call("Publish", {{"TopicArn", "arn:aws:sns:us-east-1:000000000000:nope"}, {"Message", "m"}});
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->code, "NotFound");
  EXPECT_EQ(o.error->status, 404);
  o = Call("Publish", {{"TopicArn", "not-an-arn"}, {"Message", "m"}});
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->message, "Invalid parameter: TopicArn");
  Settle();
  EXPECT_TRUE(sinks_.sent.empty());
  // A message of exactly 256 KiB is fine.
  EXPECT_FALSE(Call("Publish", {{"TopicArn", topic}, {"Message", std::string(262144, 'x')}}).error);
}

TEST_F(SnsServiceTest, ClientErrorsGoStraightToTheRedriveQueue) {
  std::string topic = CreateTopic("t");
  Subscribe(
      topic, "lambda", kFunction,
      {{"Attributes.entry.1.key", "RedrivePolicy"},
       {"Attributes.entry.1.value", std::string(R"({"deadLetterTargetArn":")") + kDlq + "\"}"}});
  sinks_.answers[kFunction] = Status::NotFound("Function not found");
  Call("Publish", {{"TopicArn", topic}, {"Message", "lost"}});
  RunUntil([&] { return sinks_.sent.size() == 2; });
  EXPECT_EQ(sinks_.sent[0].kind, "invoke");
  EXPECT_EQ(sinks_.sent[1].target, kDlq);
  json body = json::parse(sinks_.sent[1].body);
  EXPECT_EQ(body["Message"], "lost");
  EXPECT_EQ(body["Type"], "Notification");
  Settle();
  EXPECT_EQ(sinks_.sent.size(), 2u);  // not retried
}

TEST_F(SnsServiceTest, ServerErrorsAreRetried) {
  std::string topic = CreateTopic("t");
  Subscribe(topic, "sqs", kQueue);
  sinks_.answers[kQueue] = Status::Unavailable("busy");
  Call("Publish", {{"TopicArn", topic}, {"Message", "m"}});
  RunUntil([&] { return sinks_.sent.size() >= 5; });
  sinks_.answers.clear();
  size_t n = sinks_.sent.size();
  Settle();
  EXPECT_LE(sinks_.sent.size(), n + 1);
}

TEST_F(SnsServiceTest, TopicsSubscriptionsAndPendingDeliveriesSurviveARestart) {
  std::string topic = CreateTopic("t", {{"Tags.member.1.Key", "k"}, {"Tags.member.1.Value", "v"}});
  std::string sub = Subscribe(topic, "sqs", kQueue);
  sinks_.answers[kQueue] = Status::Unavailable("down");
  service_.reset();
  service_ = std::make_unique<SnsService>(
      *store_, sinks_,
      SnsService::Options{.delay_scale = 1000.0, .endpoint = "http://h:1", .signer = nullptr});
  Call("Publish", {{"TopicArn", topic}, {"Message", "kept"}});
  RunUntil([&] { return !sinks_.sent.empty(); });
  Settle();
  Reopen();  // like a kill -9 after the publish was answered
  sinks_.answers.clear();
  sinks_.sent.clear();
  RunUntil([&] { return sinks_.sent.size() == 1; });
  EXPECT_EQ(json::parse(sinks_.sent[0].body)["Message"], "kept");
  Outcome tags = Call("ListTagsForResource", {{"ResourceArn", topic}});
  EXPECT_NE(tags.result.find("<Key>k</Key><Value>v</Value>"), std::string::npos);
  Outcome attrs = Call("GetSubscriptionAttributes", {{"SubscriptionArn", sub}});
  EXPECT_FALSE(attrs.error);
  // Delivered now: not again after another restart.
  Settle();
  Reopen();
  Settle();
  EXPECT_EQ(sinks_.sent.size(), 1u);
}

TEST_F(SnsServiceTest, ListTopicsPagesByHundreds) {
  for (int i = 0; i < 105; ++i) CreateTopic("t" + std::to_string(1000 + i));
  Outcome first = Call("ListTopics", {});
  std::string token = Field(first, "NextToken");
  ASSERT_FALSE(token.empty());
  Outcome second = Call("ListTopics", {{"NextToken", token}});
  EXPECT_TRUE(Field(second, "NextToken").empty());
  size_t n = 0;
  for (auto* o : {&first, &second}) {
    for (size_t at = 0; (at = o->result.find("<member>", at)) != std::string::npos; ++at) ++n;
  }
  EXPECT_EQ(n, 105u);
}

TEST_F(SnsServiceTest, TopicAttributesHaveAwsReadOnlyOnes) {
  std::string topic = CreateTopic("t");
  Subscribe(topic, "sqs", kQueue);
  Outcome o = Call("GetTopicAttributes", {{"TopicArn", topic}});
  ASSERT_FALSE(o.error);
  for (const char* key :
       {"TopicArn", "Owner", "Policy", "SubscriptionsConfirmed", "SubscriptionsPending",
        "SubscriptionsDeleted", "EffectiveDeliveryPolicy", "DisplayName"}) {
    EXPECT_NE(o.result.find(std::string("<key>") + key + "</key>"), std::string::npos) << key;
  }
  EXPECT_NE(o.result.find("<key>SubscriptionsConfirmed</key><value>1</value>"), std::string::npos);
  EXPECT_FALSE(
      Call("SetTopicAttributes",
           {{"TopicArn", topic}, {"AttributeName", "DisplayName"}, {"AttributeValue", "shown"}})
          .error);
  o = Call("GetTopicAttributes", {{"TopicArn", topic}});
  EXPECT_NE(o.result.find("<key>DisplayName</key><value>shown</value>"), std::string::npos);
  Outcome bad = Call("SetTopicAttributes",
                     {{"TopicArn", topic}, {"AttributeName", "Nope"}, {"AttributeValue", "x"}});
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->code, "InvalidParameter");
}

TEST(SnsApiRender, XmlShapes) {
  Outcome o;
  o.has_result = true;
  o.result = "<MessageId>m</MessageId>";
  http::Response r = RenderXml("Publish", o, "rid");
  EXPECT_NE(r.body.find("<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">"
                        "<PublishResult><MessageId>m</MessageId></PublishResult>"
                        "<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata>"
                        "</PublishResponse>"),
            std::string::npos);
  http::Response e = RenderXmlError(MakeError("NotFound", "Topic does not exist"), "rid");
  EXPECT_EQ(e.status, 404);
  EXPECT_NE(e.body.find("<Error><Type>Sender</Type><Code>NotFound</Code>"
                        "<Message>Topic does not exist</Message></Error><RequestId>rid"),
            std::string::npos);
}

constexpr char kOwner[] = "222222222222";
constexpr char kOther[] = "111111111111";

TEST_F(SnsServiceTest, AnotherAccountNeedsTheTopicPolicy) {
  Outcome created = Call("CreateTopic", {{"Name", "t"}}, kOwner);
  const std::string topic = Field(created, "TopicArn");
  Outcome refused = Call("Publish", {{"TopicArn", topic}, {"Message", "m"}}, kOther);
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->code, "AuthorizationError");
  EXPECT_EQ(refused.error->status, 403);
  EXPECT_EQ(refused.error->message,
            "User: arn:aws:iam::111111111111:root is not authorized to perform: SNS:Publish on "
            "resource: arn:aws:sns:us-east-1:222222222222:t because no resource-based policy "
            "allows the SNS:Publish action");
  EXPECT_TRUE(Call("Subscribe",
                   {{"TopicArn", topic}, {"Protocol", "lambda"}, {"Endpoint", kFunction}}, kOther)
                  .error);
  EXPECT_TRUE(Call("GetTopicAttributes", {{"TopicArn", topic}}, kOther).error);
  EXPECT_TRUE(Call("PublishBatch",
                   {{"TopicArn", topic},
                    {"PublishBatchRequestEntries.member.1.Id", "a"},
                    {"PublishBatchRequestEntries.member.1.Message", "m"}},
                   kOther)
                  .error);
  // A policy the evaluator does not understand is refused, and nothing is stored.
  Outcome bad = Call("SetTopicAttributes",
                     {{"TopicArn", topic},
                      {"AttributeName", "Policy"},
                      {"AttributeValue", R"({"Statement":[{"Effect":"Allow","Principal":"*",)"
                                         R"("Action":"sns:Publish","Condition":)"
                                         R"({"IpAddress":{"aws:SourceIp":"1.2.3.4"}}}]})"}},
                     kOwner);
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->code, "InvalidParameter");
  EXPECT_TRUE(bad.error->message.starts_with("Invalid parameter: Policy Error: "));
  Outcome attrs = Call("GetTopicAttributes", {{"TopicArn", topic}}, kOwner);
  EXPECT_NE(attrs.result.find("__default_policy_ID"), std::string::npos);

  const std::string policy =
      R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":")" +
      std::string(kOther) + R"("},"Action":["sns:Publish","sns:Subscribe"],"Resource":")" + topic +
      R"("}]})";
  ASSERT_FALSE(Call("SetTopicAttributes",
                    {{"TopicArn", topic}, {"AttributeName", "Policy"}, {"AttributeValue", policy}},
                    kOwner)
                   .error);
  EXPECT_FALSE(Call("Publish", {{"TopicArn", topic}, {"Message", "m"}}, kOther).error);
  Outcome sub = Call(
      "Subscribe", {{"TopicArn", topic}, {"Protocol", "lambda"}, {"Endpoint", kFunction}}, kOther);
  ASSERT_FALSE(sub.error);
  // The subscriber manages its subscription; the topic's other actions stay the owner's.
  EXPECT_FALSE(Call("GetSubscriptionAttributes",
                    {{"SubscriptionArn", Field(sub, "SubscriptionArn")}}, kOther)
                   .error);
  EXPECT_TRUE(Call("DeleteTopic", {{"TopicArn", topic}}, kOther).error);
  EXPECT_TRUE(Call("GetSubscriptionAttributes",
                   {{"SubscriptionArn", Field(sub, "SubscriptionArn")}}, "333333333333")
                  .error);
}

TEST_F(SnsServiceTest, DeliveriesGoAsTheSnsServicePrincipalOfTheTopic) {
  std::string topic = CreateTopic("t");
  Subscribe(topic, "lambda", kFunction);
  Subscribe(topic, "sqs", kQueue);
  Call("Publish", {{"TopicArn", topic}, {"Message", "m"}});
  RunUntil([&] { return sinks_.sent.size() == 2; });
  for (const Sent& s : sinks_.sent) {
    EXPECT_EQ(s.service, "sns.amazonaws.com");
    EXPECT_EQ(s.source_arn, topic);
  }
}

// Lambda's recursive loop detection counts hops in the Lineage of the header SNS passes on.
constexpr char kTrace[] =
    "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;"
    "Lineage=a87bd80c:3";

TEST_F(SnsServiceTest, ThePublishersTraceHeaderGoesToLambdaAndSqs) {
  std::string topic = CreateTopic("t");
  Subscribe(topic, "lambda", kFunction);
  Subscribe(topic, "sqs", kQueue);
  Call("Publish", {{"TopicArn", topic}, {"Message", "m"}}, "000000000000", kTrace);
  Call("PublishBatch",
       {{"TopicArn", topic},
        {"PublishBatchRequestEntries.member.1.Id", "a"},
        {"PublishBatchRequestEntries.member.1.Message", "b"}},
       "000000000000", kTrace);
  RunUntil([&] { return sinks_.sent.size() == 4; });
  for (const Sent& s : sinks_.sent) EXPECT_EQ(s.trace_header, kTrace) << s.kind;
  // Without a header, none is made up here (Lambda starts the trace).
  sinks_.sent.clear();
  Call("Publish", {{"TopicArn", topic}, {"Message", "m"}});
  RunUntil([&] { return sinks_.sent.size() == 2; });
  for (const Sent& s : sinks_.sent) EXPECT_EQ(s.trace_header, "") << s.kind;
}

TEST_F(SnsServiceTest, APendingDeliveryKeepsItsTraceHeaderAcrossARestart) {
  std::string topic = CreateTopic("t");
  Subscribe(topic, "lambda", kFunction);
  sinks_.answers[kFunction] = Status::Unavailable("down");
  service_.reset();
  service_ = std::make_unique<SnsService>(
      *store_, sinks_,
      SnsService::Options{.delay_scale = 1000.0, .endpoint = "http://h:1", .signer = nullptr});
  Call("Publish", {{"TopicArn", topic}, {"Message", "kept"}}, "000000000000", kTrace);
  RunUntil([&] { return !sinks_.sent.empty(); });
  Settle();
  Reopen();  // like a kill -9 after the publish was answered
  sinks_.answers.clear();
  sinks_.sent.clear();
  RunUntil([&] { return sinks_.sent.size() == 1; });
  EXPECT_EQ(sinks_.sent[0].trace_header, kTrace);
}

TEST_F(SnsServiceTest, ARefusedInvokeIsTriedOnceAndDeadLettered) {
  std::string topic = CreateTopic("t");
  Subscribe(
      topic, "lambda", kFunction,
      {{"Attributes.entry.1.key", "RedrivePolicy"},
       {"Attributes.entry.1.value", std::string(R"({"deadLetterTargetArn":")") + kDlq + "\"}"}});
  sinks_.answers[kFunction] = Status::PermissionDenied("User: sns.amazonaws.com is not authorized");
  Call("Publish", {{"TopicArn", topic}, {"Message", "refused"}});
  RunUntil([&] { return sinks_.sent.size() == 2; });
  Settle();
  ASSERT_EQ(sinks_.sent.size(), 2u);  // one attempt, then the DLQ
  EXPECT_EQ(sinks_.sent[1].target, kDlq);
  EXPECT_EQ(json::parse(sinks_.sent[1].body)["Message"], "refused");
  EXPECT_EQ(sinks_.sent[1].attributes.at("ErrorCode").value, "403");
  EXPECT_EQ(sinks_.sent[1].attributes.at("ErrorMessage").value,
            "User: sns.amazonaws.com is not authorized");
  EXPECT_EQ(sinks_.sent[1].attributes.at("RequestID").data_type, "String");
}

TEST_F(SnsServiceTest, FifoTopicsDeliverToFifoQueuesOnlyWithTheirGroups) {
  std::string arn = CreateTopic(
      "f.fifo", {{"Attributes.entry.1.key", "FifoTopic"}, {"Attributes.entry.1.value", "true"}});
  Outcome standard =
      Call("Subscribe", {{"TopicArn", arn}, {"Protocol", "sqs"}, {"Endpoint", kQueue}});
  ASSERT_TRUE(standard.error);
  EXPECT_EQ(standard.error->message,
            "Invalid parameter: Invalid parameter: Endpoint Reason: Please use FIFO SQS queue");
  Subscribe(arn, "sqs", "arn:aws:sqs:us-east-1:000000000000:q.fifo");
  for (const char* body : {"1", "2", "3"}) {
    ASSERT_FALSE(Call("Publish", {{"TopicArn", arn},
                                  {"Message", body},
                                  {"MessageGroupId", "g"},
                                  {"MessageDeduplicationId", std::string("d") + body}})
                     .error);
  }
  RunUntil([&] { return sinks_.sent.size() == 3; });
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(json::parse(sinks_.sent[i].body)["Message"], std::to_string(i + 1));
    EXPECT_EQ(sinks_.sent[i].group_id, "g");
    EXPECT_EQ(sinks_.sent[i].dedup_id, "d" + std::to_string(i + 1));
  }
}

TEST_F(SnsServiceTest, FifoDeduplicationSurvivesARestart) {
  std::string arn = CreateTopic(
      "f.fifo", {{"Attributes.entry.1.key", "FifoTopic"}, {"Attributes.entry.1.value", "true"}});
  Params p = {{"TopicArn", arn},
              {"Message", "m"},
              {"MessageGroupId", "g"},
              {"MessageDeduplicationId", "d"}};
  Outcome a = Call("Publish", p);
  ASSERT_FALSE(a.error);
  Settle();
  Reopen();
  Outcome b = Call("Publish", p);
  EXPECT_EQ(Field(a, "MessageId"), Field(b, "MessageId"));
  clock_.Advance(int64_t{6} * 60 * 1000 * 1000 * 1000);
  Reopen();
  Outcome c = Call("Publish", p);
  EXPECT_NE(Field(a, "MessageId"), Field(c, "MessageId"));
}

TEST_F(SnsServiceTest, DeliveryPoliciesAreCheckedAndShown) {
  std::string topic = CreateTopic("t");
  Outcome bad = Call("SetTopicAttributes",
                     {{"TopicArn", topic},
                      {"AttributeName", "DeliveryPolicy"},
                      {"AttributeValue", R"({"http":{"defaultHealthyRetryPolicy":)"
                                         R"({"numRetries":2,"numNoDelayRetries":3}}})"}});
  ASSERT_TRUE(bad.error);
  EXPECT_EQ(bad.error->code, "InvalidParameter");
  ASSERT_FALSE(
      Call("SetTopicAttributes",
           {{"TopicArn", topic},
            {"AttributeName", "DeliveryPolicy"},
            {"AttributeValue", R"({"http":{"defaultHealthyRetryPolicy":)"
                               R"({"numRetries":5,"minDelayTarget":1,"maxDelayTarget":4}}})"}})
          .error);
  Outcome attrs = Call("GetTopicAttributes", {{"TopicArn", topic}});
  EXPECT_NE(attrs.result.find("&quot;numRetries&quot;:5"), std::string::npos) << attrs.result;
}

}  // namespace
}  // namespace thaw::sns
