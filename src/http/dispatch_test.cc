#include "http/dispatch.h"

#include <gtest/gtest.h>

namespace thaw::http {
namespace {

// A request head as a client sends it; `scope` is the credential scope's service ("" unsigned).
struct Head {
  std::string method;
  std::string path;
  std::string query;
  std::string scope;
  std::string target;
  std::string content_type;
  std::string body;
};

Request Make(const Head& h) {
  Request r;
  r.method = h.method;
  r.path = h.path;
  r.query = h.query;
  r.target = h.path + (h.query.empty() ? "" : "?" + h.query);
  if (!h.scope.empty()) {
    r.headers.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261207/us-east-1/" +
                                       h.scope +
                                       "/aws4_request, SignedHeaders=host;x-amz-date, "
                                       "Signature=e1f528fd841ad1a6b6574af28bfcdffb75e6cdef");
    r.headers.Set("X-Amz-Date", "20261207T050628Z");
  }
  if (!h.target.empty()) r.headers.Set("X-Amz-Target", h.target);
  if (!h.content_type.empty()) r.headers.Set("Content-Type", h.content_type);
  r.body = h.body;
  return r;
}

constexpr char kForm[] = "application/x-www-form-urlencoded; charset=utf-8";

struct Case {
  Head head;
  std::string service;
  Protocol protocol;
};

// Heads captured from boto3 1.44.8 / botocore 1.44.18 and the AWS CLI 2.9.19 (before-send hook).
TEST(DispatchTest, RealClientHeads) {
  const Case cases[] = {
      {{"GET", "/2015-03-31/functions", "", "lambda", "", "", ""}, "lambda", Protocol::kRestJson},
      {{"POST", "/2015-03-31/functions/f/invocations", "", "lambda", "", "", ""},
       "lambda",
       Protocol::kRestJson},
      {{"PUT", "/2019-09-25/functions/f/event-invoke-config", "", "lambda", "", "application/json",
        R"({"MaximumRetryAttempts": 1})"},
       "lambda",
       Protocol::kRestJson},
      {{"POST", "/2021-10-31/functions/f/url", "", "lambda", "", "application/json",
        R"({"AuthType": "NONE"})"},
       "lambda",
       Protocol::kRestJson},
      {{"POST", "/", "", "sqs", "AmazonSQS.SendMessage", "application/x-amz-json-1.0",
        R"({"QueueUrl": "http://127.0.0.1:1/000000000000/q", "MessageBody": "hi"})"},
       "sqs",
       Protocol::kJson},
      // The AWS CLI v2 of Debian: SQS's query protocol, the Action only in the body.
      {{"POST", "/", "", "sqs", "", kForm, "Action=ListQueues&Version=2012-11-05"},
       "sqs",
       Protocol::kQuery},
      {{"POST", "/000000000000/q", "", "sqs", "", kForm, ""}, "sqs", Protocol::kQuery},
      {{"POST", "/", "", "logs", "Logs_20140328.DescribeLogGroups", "application/x-amz-json-1.1",
        "{}"},
       "logs",
       Protocol::kJson},
      {{"POST", "/TraceSegments", "", "xray", "", "application/json",
        R"({"TraceSegmentDocuments": ["{}"]})"},
       "xray",
       Protocol::kRestJson},
      {{"POST", "/", "", "dynamodb", "DynamoDB_20120810.ListTables", "application/x-amz-json-1.0",
        "{}"},
       "dynamodb",
       Protocol::kJson},
      // DynamoDB Streams signs as dynamodb.
      {{"POST", "/", "", "dynamodb", "DynamoDBStreams_20120810.ListStreams",
        "application/x-amz-json-1.0", "{}"},
       "dynamodbstreams",
       Protocol::kJson},
      {{"POST", "/", "", "kinesis", "Kinesis_20131202.ListStreams", "application/x-amz-json-1.1",
        "{}"},
       "kinesis",
       Protocol::kJson},
      {{"POST", "/", "", "sns", "", kForm, "Action=ListTopics&Version=2010-03-31"},
       "sns",
       Protocol::kQuery},
      {{"POST", "/", "", "sts", "", kForm, "Action=GetCallerIdentity&Version=2011-06-15"},
       "sts",
       Protocol::kQuery},
      {{"POST", "/", "", "events", "AWSEvents.ListRules", "application/x-amz-json-1.1", "{}"},
       "events",
       Protocol::kJson},
      // thaw's own routes, whatever they are signed as.
      {{"GET", "/thaw/invocations", "limit=5", "lambda", "", "", ""}, "thaw", Protocol::kRestJson},
      {{"GET", "/thaw/environments", "", "", "", "", ""}, "thaw", Protocol::kRestJson},
      // A service thaw does not serve is still named.
      {{"POST", "/", "", "ec2", "", kForm, "Action=DescribeInstances"}, "ec2", Protocol::kQuery},
  };
  for (const Case& c : cases) {
    Destination d = Classify(Make(c.head));
    SCOPED_TRACE(c.head.method + " " + c.head.path + " " + c.head.scope + " " + c.head.target);
    EXPECT_EQ(d.service, c.service);
    EXPECT_EQ(d.protocol, c.protocol);
    EXPECT_EQ(d.signed_for, c.head.scope);
    EXPECT_EQ(d.error, "");
  }
}

TEST(DispatchTest, PresignedQueryNamesItsService) {
  Request code;
  code.method = "GET";
  code.path = "/thaw/code/ab.zip";
  code.query =
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIATHAWCODELOCATION%2F20261207%2F"
      "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261207T050628Z&X-Amz-Expires=600&"
      "X-Amz-SignedHeaders=host&X-Amz-Signature=00";
  Destination d = Classify(code);
  EXPECT_EQ(d.service, "thaw");
  EXPECT_EQ(d.signed_for, "s3");

  Request list;
  list.method = "GET";
  list.path = "/";
  list.query =
      "Action=ListQueues&Version=2012-11-05&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
      "AKID%2F20261207%2Fus-east-1%2Fsqs%2Faws4_request&X-Amz-Date=20261207T050628Z&"
      "X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00";
  d = Classify(list);
  EXPECT_EQ(d.service, "sqs");
  EXPECT_EQ(d.protocol, Protocol::kQuery);
}

TEST(DispatchTest, ScopeAndTargetMustAgree) {
  Destination d = Classify(Make({"POST", "/", "", "lambda", "Logs_20140328.DescribeLogGroups",
                                 "application/x-amz-json-1.1", "{}"}));
  EXPECT_EQ(d.service, "logs");
  EXPECT_EQ(d.protocol, Protocol::kJson);
  EXPECT_EQ(d.error, "Credential should be scoped to correct service: 'logs'. ");

  d = Classify(Make({"POST", "/", "", "sqs", "DynamoDBStreams_20120810.ListStreams",
                     "application/x-amz-json-1.0", "{}"}));
  EXPECT_EQ(d.service, "dynamodbstreams");
  EXPECT_EQ(d.error, "Credential should be scoped to correct service: 'dynamodb'. ");

  // A target thaw does not know leaves the scope's service to answer it.
  d = Classify(Make({"POST", "/", "", "sqs", "AmazonSQSv2.SendMessage", "", "{}"}));
  EXPECT_EQ(d.service, "sqs");
  EXPECT_EQ(d.protocol, Protocol::kJson);
  EXPECT_EQ(d.error, "");
}

// Unsigned requests are refused (or exempt): their shape still follows the service they name.
TEST(DispatchTest, UnsignedRequestsByTargetActionThenPath) {
  const Case cases[] = {
      {{"POST", "/", "", "", "AmazonSQS.ListQueues", "application/x-amz-json-1.0", "{}"},
       "sqs",
       Protocol::kJson},
      {{"POST", "/", "", "", "Nonesuch_2020.Op", "", "{}"}, "", Protocol::kJson},
      {{"POST", "/", "", "", "", kForm, "Version=2012-11-05&Action=SendMessage&MessageBody=a+b"},
       "sqs",
       Protocol::kQuery},
      {{"GET", "/", "Action=Publish&TopicArn=x", "", "", "", ""}, "sns", Protocol::kQuery},
      {{"POST", "/", "", "", "", kForm, "Action=Nonesuch"}, "", Protocol::kQuery},
      // A form's Action counts only as a form.
      {{"POST", "/", "", "", "", "text/plain", "Action=SendMessage"}, "", Protocol::kRestJson},
      {{"GET", "/2015-03-31/functions/", "", "", "", "", ""}, "lambda", Protocol::kRestJson},
      {{"GET", "/2015-03-3x/functions/", "", "", "", "", ""}, "", Protocol::kRestJson},
      {{"GET", "/2015-03-31", "", "", "", "", ""}, "", Protocol::kRestJson},
      {{"POST", "/TraceSegments", "", "", "", "", ""}, "xray", Protocol::kRestJson},
      {{"GET", "/schedules/nightly", "", "", "", "", ""}, "scheduler", Protocol::kRestJson},
      {{"GET", "/schedulesx", "", "", "", "", ""}, "", Protocol::kRestJson},
      {{"GET", "/", "", "", "", "", ""}, "", Protocol::kRestJson},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.head.method + " " + c.head.path + " " + c.head.target + " " + c.head.body);
    Destination d = Classify(Make(c.head));
    EXPECT_EQ(d.service, c.service);
    EXPECT_EQ(d.protocol, c.protocol);
    EXPECT_EQ(d.signed_for, "");
  }
}

TEST(DispatchTest, SignatureCredential) {
  Request r = Make({"GET", "/", "", "sqs", "", "", ""});
  EXPECT_EQ(SignatureCredential(r), "AKID/20261207/us-east-1/sqs/aws4_request");
  Request presigned;
  presigned.query = "X-Amz-Credential=123456789012%2F20261207%2Fus-east-1%2Fsqs%2Faws4_request";
  EXPECT_EQ(SignatureCredential(presigned), "123456789012/20261207/us-east-1/sqs/aws4_request");
  EXPECT_EQ(SignatureCredential(Request{}), "");
}

TEST(DispatchTest, ScopeService) {
  EXPECT_EQ(ScopeService("AKID/20240101/us-east-1/sqs/aws4_request"), "sqs");
  EXPECT_EQ(ScopeService("AKID/20240101/us-east-1/sqs"), "sqs");
  EXPECT_EQ(ScopeService("AKID/20240101/us-east-1"), "");
  EXPECT_EQ(ScopeService(""), "");
}

}  // namespace
}  // namespace thaw::http
