#include "sqs/protocol.h"

#include <gtest/gtest.h>

#include "base/codec.h"

namespace thaw::sqs {
namespace {

using nlohmann::json;

TEST(ProtocolTest, FormDecodesPlusAndPercent) {
  auto params = ParseForm("Action=SendMessage&MessageBody=a+b%26c%0D%0A&Empty=");
  ASSERT_EQ(params.size(), 3u);
  EXPECT_EQ(params[1].second, "a b&c\r\n");
  EXPECT_EQ(params[2].first, "Empty");
}

TEST(ProtocolTest, QueryAttributesTagsAndLists) {
  auto input = QueryToInput(
      "CreateQueue", ParseForm("Action=CreateQueue&QueueName=q&Attribute.1.Name=DelaySeconds&"
                               "Attribute.1.Value=5&Attribute.2.Name=FifoQueue&"
                               "Attribute.2.Value=true&Tag.1.Key=k&Tag.1.Value=v&Version=x"));
  EXPECT_EQ(input, json::parse(R"({"QueueName":"q","Attributes":{"DelaySeconds":"5",
      "FifoQueue":"true"},"tags":{"k":"v"}})"));
  auto tag = QueryToInput("TagQueue", ParseForm("Tags.1.Key=a&Tags.1.Value=b&QueueUrl=u"));
  EXPECT_EQ(tag["Tags"], json::parse(R"({"a":"b"})"));
  auto names = QueryToInput("GetQueueAttributes",
                            ParseForm("AttributeName.2=B&AttributeName.1=A&AttributeName.10=C"));
  EXPECT_EQ(names["AttributeNames"], json::parse(R"(["A","B","C"])"));
}

TEST(ProtocolTest, QueryBatchEntriesWithMessageAttributes) {
  auto input = QueryToInput(
      "SendMessageBatch",
      ParseForm(
          "SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=x&"
          "SendMessageBatchRequestEntry.1.DelaySeconds=3&"
          "SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=n&"
          "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=Number&"
          "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=1&"
          "SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=y"));
  EXPECT_EQ(input, json::parse(R"({"Entries":[
      {"Id":"a","MessageBody":"x","DelaySeconds":3,
       "MessageAttributes":{"n":{"DataType":"Number","StringValue":"1"}}},
      {"Id":"b","MessageBody":"y"}]})"));
}

TEST(ProtocolTest, QueryIntegersStayStringsWhenNotNumbers) {
  auto input =
      QueryToInput("ReceiveMessage", ParseForm("MaxNumberOfMessages=x&WaitTimeSeconds=20"));
  EXPECT_EQ(input["MaxNumberOfMessages"], "x");
  EXPECT_EQ(input["WaitTimeSeconds"], 20);
}

TEST(ProtocolTest, JsonErrorCarriesQueryCode) {
  auto r = RenderJsonError(MakeError("QueueDoesNotExist", "The specified queue does not exist."));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.headers.Get("x-amzn-query-error"), "AWS.SimpleQueueService.NonExistentQueue;Sender");
  auto body = json::parse(r.body);
  EXPECT_EQ(body["__type"], "com.amazonaws.sqs#QueueDoesNotExist");
  EXPECT_EQ(RenderJsonError(MakeError("PurgeQueueInProgress", "x")).status, 403);
}

TEST(ProtocolTest, XmlErrorAndResult) {
  auto e = RenderXmlError(MakeError("QueueNameExists", "a < b"), "rid");
  EXPECT_NE(e.body.find("<Code>QueueAlreadyExists</Code>"), std::string::npos);
  EXPECT_NE(e.body.find("<Message>a &lt; b</Message>"), std::string::npos);
  EXPECT_NE(e.body.find("<Type>Sender</Type>"), std::string::npos);

  json out = json::parse(R"({"Messages":[{"MessageId":"m","Body":"a\r\nb&",
      "Attributes":{"SenderId":"s"},
      "MessageAttributes":{"n":{"DataType":"String","StringValue":"v"}}}]})");
  auto r = RenderXml("ReceiveMessage", out, "rid");
  EXPECT_NE(r.body.find("<ReceiveMessageResponse xmlns=\"http://queue.amazonaws.com/doc/"
                        "2012-11-05/\"><ReceiveMessageResult><Message>"),
            std::string::npos);
  EXPECT_NE(r.body.find("<Body>a&#13;\nb&amp;</Body>"), std::string::npos);
  EXPECT_NE(r.body.find("<Attribute><Name>SenderId</Name><Value>s</Value></Attribute>"),
            std::string::npos);
  EXPECT_NE(r.body.find("<MessageAttribute><Name>n</Name><Value><DataType>String</DataType>"
                        "<StringValue>v</StringValue></Value></MessageAttribute>"),
            std::string::npos);
  EXPECT_NE(r.body.find("<RequestId>rid</RequestId>"), std::string::npos);

  auto batch =
      RenderXml("DeleteMessageBatch", json::parse(R"({"Successful":[{"Id":"a"}],"Failed":[{"Id":"b",
                             "SenderFault":true,"Code":"ReceiptHandleIsInvalid","Message":"m"}]})"),
                "rid");
  EXPECT_NE(batch.body.find("<DeleteMessageBatchResultEntry><Id>a</Id>"
                            "</DeleteMessageBatchResultEntry>"),
            std::string::npos);
  EXPECT_NE(batch.body.find("<BatchResultErrorEntry><Code>ReceiptHandleIsInvalid</Code>"),
            std::string::npos);
  EXPECT_NE(batch.body.find("<SenderFault>true</SenderFault>"), std::string::npos);

  auto empty = RenderXml("ListQueues", json::object(), "rid");
  EXPECT_NE(empty.body.find("<ListQueuesResult></ListQueuesResult>"), std::string::npos);
  auto none = RenderXml("DeleteQueue", json::object(), "rid");
  EXPECT_EQ(none.body.find("Result>"), std::string::npos);

  auto list = RenderXml("ListQueues", json::parse(R"({"QueueUrls":["u1","u2"]})"), "rid");
  EXPECT_NE(list.body.find("<QueueUrl>u1</QueueUrl><QueueUrl>u2</QueueUrl>"), std::string::npos);
}

}  // namespace
}  // namespace thaw::sqs
