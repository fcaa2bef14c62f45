#include "sqs/operations.h"

#include <chrono>
#include <filesystem>

#include <gtest/gtest.h>

namespace thaw::sqs {
namespace {

using nlohmann::json;

TEST(OperationsTest, ParsesQueueUrls) {
  auto parts = ParseQueueUrl("http://127.0.0.1:9000/123456789012/my-q");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->first, "123456789012");
  EXPECT_EQ(parts->second, "my-q");
  EXPECT_TRUE(ParseQueueUrl("/000000000000/q.fifo"));
  EXPECT_FALSE(ParseQueueUrl("http://host/only-one"));
  EXPECT_FALSE(ParseQueueUrl("http://host/a/b/c"));
  EXPECT_FALSE(ParseQueueUrl("my-q"));
}

class OperationsRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sqs_ops_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    auto opened = QueueStore::Open(loop_, {.path = (dir_ / "sqs.db").string(), .clock = &clock_});
    ASSERT_TRUE(opened.ok());
    store_ = std::move(*opened);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  Outcome Run(std::string_view op, json input) {
    std::optional<Outcome> out;
    Execute(*store_, ctx_, op, input, [&](Outcome o) { out = std::move(o); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!out && std::chrono::steady_clock::now() < deadline) {
      loop_.restart();
      loop_.run_for(std::chrono::milliseconds(5));
    }
    EXPECT_TRUE(out);
    return out.value_or(Outcome{});
  }
  std::string ErrorOf(std::string_view op, json input) {
    auto o = Run(op, std::move(input));
    return o.error ? o.error->code : "";
  }

  std::filesystem::path dir_;
  boost::asio::io_context loop_;
  FakeClock clock_;
  Context ctx_{.account = "000000000000", .host = "h:1", .sender_id = "AKID"};
  std::unique_ptr<QueueStore> store_;
};

TEST_F(OperationsRunTest, QueueLifecycleAndErrors) {
  auto created = Run("CreateQueue", {{"QueueName", "q"}});
  ASSERT_FALSE(created.error);
  EXPECT_EQ(created.output["QueueUrl"], "http://h:1/000000000000/q");
  EXPECT_EQ(ErrorOf("GetQueueUrl", {{"QueueName", "nope"}}), "QueueDoesNotExist");
  EXPECT_EQ(ErrorOf("CreateQueue", {{"QueueName", "bad name"}}), "InvalidParameterValue");
  EXPECT_EQ(ErrorOf("CreateQueue", {{"QueueName", "x"}, {"Attributes", {{"FifoQueue", "true"}}}}),
            "InvalidParameterValue");
  EXPECT_EQ(ErrorOf("CreateQueue", {{"QueueName", "q"}, {"Attributes", {{"Bogus", "1"}}}}),
            "InvalidAttributeName");
  EXPECT_EQ(ErrorOf("SendMessage", {{"QueueUrl", "http://h:1/000000000000/q"}}),
            "MissingParameter");
  EXPECT_EQ(ErrorOf("ReceiveMessage",
                    {{"QueueUrl", "http://h:1/000000000000/q"}, {"WaitTimeSeconds", 21}}),
            "InvalidParameterValue");
}

TEST_F(OperationsRunTest, SendAnswersDigests) {
  Run("CreateQueue", {{"QueueName", "q"}});
  auto sent = Run("SendMessage", {{"QueueUrl", "http://h:1/000000000000/q"},
                                  {"MessageBody", "hello"},
                                  {"MessageAttributes",
                                   {{"s", {{"DataType", "String"}, {"StringValue", "v"}}},
                                    {"b", {{"DataType", "Binary"}, {"BinaryValue", "AAE="}}}}}});
  ASSERT_FALSE(sent.error);
  EXPECT_EQ(sent.output["MD5OfMessageBody"], "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(sent.output["MD5OfMessageAttributes"], "d9c9bbb2badd153651a7647433fb4581");
  auto got = Run("ReceiveMessage",
                 {{"QueueUrl", "http://h:1/000000000000/q"}, {"MessageAttributeNames", {"s"}}});
  ASSERT_EQ(got.output["Messages"].size(), 1u);
  EXPECT_EQ(got.output["Messages"][0]["MessageAttributes"].size(), 1u);
}

TEST_F(OperationsRunTest, FifoNeedsGroupAndDedup) {
  Run("CreateQueue", {{"QueueName", "q.fifo"}, {"Attributes", {{"FifoQueue", "true"}}}});
  const std::string url = "http://h:1/000000000000/q.fifo";
  EXPECT_EQ(ErrorOf("SendMessage", {{"QueueUrl", url}, {"MessageBody", "x"}}), "MissingParameter");
  EXPECT_EQ(
      ErrorOf("SendMessage", {{"QueueUrl", url}, {"MessageBody", "x"}, {"MessageGroupId", "g"}}),
      "InvalidParameterValue");
  auto sent = Run("SendMessage", {{"QueueUrl", url},
                                  {"MessageBody", "x"},
                                  {"MessageGroupId", "g"},
                                  {"MessageDeduplicationId", "d"}});
  ASSERT_FALSE(sent.error);
  EXPECT_EQ(sent.output["SequenceNumber"].get<std::string>().size(), 20u);
}

TEST_F(OperationsRunTest, AnotherAccountNeedsTheQueuePolicy) {
  ctx_.account = "222222222222";
  auto created = Run("CreateQueue", {{"QueueName", "q"}});
  ASSERT_FALSE(created.error);
  const std::string url = created.output["QueueUrl"];
  ctx_.account = "111111111111";
  auto refused = Run("SendMessage", {{"QueueUrl", url}, {"MessageBody", "m"}});
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->code, "AccessDenied");
  EXPECT_EQ(refused.error->status, 403);
  EXPECT_EQ(refused.error->message,
            "User: arn:aws:iam::111111111111:root is not authorized to perform: sqs:sendmessage "
            "on resource: arn:aws:sqs:us-east-1:222222222222:q because no resource-based policy "
            "allows the sqs:sendmessage action");
  EXPECT_EQ(ErrorOf("ReceiveMessage", {{"QueueUrl", url}}), "AccessDenied");
  EXPECT_EQ(
      ErrorOf("GetQueueUrl", {{"QueueName", "q"}, {"QueueOwnerAWSAccountId", "222222222222"}}),
      "AccessDenied");
  // A policy the evaluator cannot read whole is refused when set.
  ctx_.account = "222222222222";
  EXPECT_EQ(ErrorOf("SetQueueAttributes",
                    {{"QueueUrl", url},
                     {"Attributes", {{"Policy", R"({"Statement":[{"Effect":"Maybe"}]})"}}}}),
            "InvalidAttributeValue");
  const std::string policy =
      R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},)"
      R"("Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:222222222222:q"}]})";
  ASSERT_EQ(
      ErrorOf("SetQueueAttributes", {{"QueueUrl", url}, {"Attributes", {{"Policy", policy}}}}), "");
  ctx_.account = "111111111111";
  EXPECT_EQ(ErrorOf("SendMessage", {{"QueueUrl", url}, {"MessageBody", "m"}}), "");
  EXPECT_EQ(ErrorOf("SendMessageBatch",
                    {{"QueueUrl", url}, {"Entries", {{{"Id", "a"}, {"MessageBody", "m"}}}}}),
            "");
  EXPECT_EQ(ErrorOf("ReceiveMessage", {{"QueueUrl", url}}), "AccessDenied");
  // Some actions stay the owner's whatever the policy says.
  EXPECT_EQ(ErrorOf("DeleteQueue", {{"QueueUrl", url}}), "AccessDenied");
}

TEST_F(OperationsRunTest, AServiceOfAnotherAccountNeedsTheQueuePolicy) {
  ctx_.account = "222222222222";
  ASSERT_FALSE(Run("CreateQueue", {{"QueueName", "q"}}).error);
  Queue* q = store_->Find("222222222222", "q");
  ASSERT_NE(q, nullptr);
  auth::AccessRequest sns;
  sns.service = "sns.amazonaws.com";
  sns.action = "sqs:SendMessage";
  sns.resource = q->Arn();
  sns.context["aws:sourcearn"] = "arn:aws:sns:us-east-1:111111111111:t";
  ASSERT_TRUE(AuthorizeQueue(*q, sns));
  EXPECT_EQ(AuthorizeQueue(*q, sns)->message,
            "User: sns.amazonaws.com is not authorized to perform: sqs:sendmessage on resource: "
            "arn:aws:sqs:us-east-1:222222222222:q because no resource-based policy allows the "
            "sqs:sendmessage action");
  // AWS's example: the service principal with the topic as aws:SourceArn.
  q->attributes["Policy"] =
      R"({"Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},)"
      R"("Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:222222222222:q",)"
      R"("Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111111111111:t"}}}]})";
  q->Refresh();
  EXPECT_FALSE(AuthorizeQueue(*q, sns));
  sns.context["aws:sourcearn"] = "arn:aws:sns:us-east-1:111111111111:other";
  EXPECT_TRUE(AuthorizeQueue(*q, sns));
}

}  // namespace
}  // namespace thaw::sqs
