#include "cli/front_door.h"

#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "auth/verify.h"
#include "http/aws_error.h"
#include "http/client.h"

namespace thaw::cli {
namespace {

namespace asio = boost::asio;

// Answers every request with 200 (unless it takes none); says every request is a control-plane
// write of function "b".
class FakeApi final : public http::Api {
 public:
  std::optional<uint64_t> BodyLimit(const http::Request&) const override { return limit; }
  bool Handle(http::Request& request, http::ResponseWriter& writer) override {
    if (!takes) return false;
    ++handled;
    account = request.account;
    http::Response r;
    r.body = request.path;
    writer.Send(std::move(r));
    return true;
  }
  std::optional<auth::Operation> Describe(const http::Request& request) const override {
    if (request.path == "/invoke") {
      return auth::Operation{auth::Operation::Plane::kData, "lambda:InvokeFunction",
                             auth::FunctionArn("b"), "b"};
    }
    return auth::Operation{auth::Operation::Plane::kControl, "lambda:UpdateFunctionCode",
                           auth::FunctionArn("b"), "b"};
  }
  int handled = 0;
  std::string account;  // of the last request handled
  bool takes = true;
  uint64_t limit = 1024;
};

class FrontDoorTest : public ::testing::Test {
 protected:
  void Start(FrontDoorOptions options) {
    door_ = std::make_unique<FrontDoor>(std::move(options),
                                        [this](const http::Request&) { return caller_; });
    door_->Add("lambda", &api_);
    door_->Add("sqs", &sqs_);
    auto s = http::Server::Start(io_, {}, door_.get());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
    door_->set_port(server_->port());
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    asio::post(io_, [this] { server_->Stop(); });
    guard_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  http::Response Call(const std::string& path, http::Headers headers = {}, bool sign = true,
                      const std::string& service = "", const std::string& method = "GET",
                      const std::string& body = "",
                      auth::Credentials credentials = {"AKID", "SECRET", ""}) {
    http::ClientOptions options;
    if (sign) options.credentials = credentials;
    options.service = service;
    auto client = http::Client::Create("127.0.0.1:" + std::to_string(server_->port()), options);
    auto r = (*client)->Do(method, path, headers, body, 5000);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : http::Response{};
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
  FakeApi api_;  // lambda
  FakeApi sqs_;
  auth::Caller caller_ = auth::Caller::Operator();
  std::unique_ptr<FrontDoor> door_;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
};

std::string ErrorType(const http::Response& r) {
  return std::string(r.headers.Get("x-amzn-ErrorType").value_or(""));
}

TEST_F(FrontDoorTest, UnsignedRequestsAreRefused) {
  Start({});
  http::Response r = Call("/anything", {}, false);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ErrorType(r), "MissingAuthenticationTokenException");
  EXPECT_EQ(nlohmann::json::parse(r.body)["Message"], "Missing Authentication Token");
  http::Headers json_service;
  json_service.Set("X-Amz-Target", "Logs_20140328.PutLogEvents");
  r = Call("/", json_service, false);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(nlohmann::json::parse(r.body)["__type"], "MissingAuthenticationTokenException");
  EXPECT_EQ(api_.handled, 0);
  EXPECT_EQ(Call("/anything").status, 200);
  EXPECT_EQ(api_.handled, 1);
}

TEST(ExemptFromSignature, OnlyTheSnsCertificateAndSubscribeUrls) {
  http::Request r;
  r.method = "GET";
  r.path = "/thaw/sns/SimpleNotificationService-thaw.pem";
  EXPECT_TRUE(ExemptFromSignature(r));
  r.path = "/";
  r.query = "Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:000000000000:t&Token=x";
  EXPECT_TRUE(ExemptFromSignature(r));
  r.query = "Action=Publish&TopicArn=arn:aws:sns:us-east-1:000000000000:t&Message=x";
  EXPECT_FALSE(ExemptFromSignature(r));
  r.query = "Action=ConfirmSubscription&TopicArn=t&Token=x";
  r.method = "POST";
  EXPECT_FALSE(ExemptFromSignature(r));
  r.method = "GET";
  r.path = "/thaw/environments";
  r.query.clear();
  EXPECT_FALSE(ExemptFromSignature(r));
}

TEST_F(FrontDoorTest, MalformedSignaturesAreRefused) {
  Start({});
  http::Headers h;
  h.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request");
  h.Set("X-Amz-Date", "20240101T000000Z");
  http::Response r = Call("/x", h, false);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ErrorType(r), "IncompleteSignatureException");
  EXPECT_EQ(Call("/x?X-Amz-Algorithm=AWS4-HMAC-SHA256", {}, false).status, 403);
  EXPECT_EQ(api_.handled, 0);
}

TEST_F(FrontDoorTest, BrowsersAndForeignHostsAreRefused) {
  FrontDoorOptions options;
  options.allowed_origins = {"http://app.local:3000"};
  Start(std::move(options));
  http::Headers origin;
  origin.Set("Origin", "http://evil.example");
  http::Response r = Call("/x", origin);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ErrorType(r), "AccessDeniedException");
  origin.Set("Origin", "http://app.local:3000");
  EXPECT_EQ(Call("/x", origin).status, 200);
  http::Headers host;
  host.Set("Host", "rebound.example:" + std::to_string(server_->port()));
  EXPECT_EQ(Call("/x", host).status, 403);
  host.Set("Host", "localhost:" + std::to_string(server_->port()));
  EXPECT_EQ(Call("/x", host).status, 200);
  host.Set("Host", "localhost:" + std::to_string(server_->port() + 1));
  EXPECT_EQ(Call("/x", host).status, 403);
}

TEST_F(FrontDoorTest, FunctionsGetTheDataPlaneOnly) {
  Start({});
  caller_ = {auth::Caller::Kind::kFunction, "a", "lambda-role", false, ""};
  http::Response r = Call("/update");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ErrorType(r), "AccessDeniedException");
  EXPECT_EQ(nlohmann::json::parse(r.body)["Message"],
            "User: arn:aws:sts::000000000000:assumed-role/lambda-role/a is not authorized to "
            "perform: lambda:UpdateFunctionCode on resource: "
            "arn:aws:lambda:us-east-1:000000000000:function:b because no identity-based policy "
            "allows the lambda:UpdateFunctionCode action");
  EXPECT_EQ(Call("/invoke").status, 200);
  caller_.may_manage = true;
  EXPECT_EQ(Call("/update").status, 200);
}

TEST_F(FrontDoorTest, EachServiceGetsOnlyItsRequests) {
  Start({});
  EXPECT_EQ(Call("/anything").status, 200);  // signed as lambda
  EXPECT_EQ(api_.handled, 1);
  EXPECT_EQ(sqs_.handled, 0);
  http::Headers form;
  form.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(Call("/", form, true, "sqs", "POST", "Action=ListQueues&Version=2012-11-05").status,
            200);
  http::Headers json;
  json.Set("X-Amz-Target", "AmazonSQS.ListQueues");
  json.Set("Content-Type", "application/x-amz-json-1.0");
  EXPECT_EQ(Call("/", json, true, "sqs", "POST", "{}").status, 200);
  EXPECT_EQ(api_.handled, 1);
  EXPECT_EQ(sqs_.handled, 2);
}

TEST_F(FrontDoorTest, BodyLimitsAreTheServices) {
  Start({});
  sqs_.limit = 5 << 20;
  http::Request head;
  head.method = "POST";
  head.path = "/";
  head.headers.Set("Authorization",
                   "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sqs/aws4_request, "
                   "SignedHeaders=host, Signature=00");
  EXPECT_EQ(door_->BodyLimit(head), 5u << 20);
  head.headers.Set("Authorization",
                   "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request, "
                   "SignedHeaders=host, Signature=00");
  EXPECT_EQ(door_->BodyLimit(head), 1024u);
  // Services nobody serves, and scopes that disagree with their target, get the small limit.
  head.headers.Set("Authorization",
                   "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sns/aws4_request, "
                   "SignedHeaders=host, Signature=00");
  EXPECT_EQ(door_->BodyLimit(head), 64u * 1024);
  head.headers.Set("Authorization",
                   "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request, "
                   "SignedHeaders=host, Signature=00");
  head.headers.Set("X-Amz-Target", "AmazonSQS.SendMessage");
  EXPECT_EQ(door_->BodyLimit(head), 64u * 1024);
}

TEST_F(FrontDoorTest, ServicesNobodyServesGetAnErrorInTheirShape) {
  Start({});
  http::Headers form;
  form.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  http::Response r = Call("/", form, true, "sns", "POST", "Action=ListTopics&Version=2010-03-31");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("<Code>InvalidAction</Code>"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("thaw does not serve the sns service (signed for sns)"), std::string::npos)
      << r.body;
  http::Headers json;
  json.Set("X-Amz-Target", "DynamoDBStreams_20120810.ListStreams");
  json.Set("Content-Type", "application/x-amz-json-1.0");
  r = Call("/", json, true, "dynamodb", "POST", "{}");
  EXPECT_EQ(r.status, 400);
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["__type"], "UnknownOperationException");
  EXPECT_EQ(body["message"],
            "thaw does not serve the dynamodbstreams service (signed for dynamodb)");
  r = Call("/2015-03-31/functions", {}, true, "s3");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorType(r), "UnknownOperationException");
  EXPECT_EQ(api_.handled + sqs_.handled, 0);
}

TEST_F(FrontDoorTest, ScopeAndTargetMustAgree) {
  Start({});
  http::Headers json;
  json.Set("X-Amz-Target", "AmazonSQS.ListQueues");
  json.Set("Content-Type", "application/x-amz-json-1.0");
  http::Response r = Call("/", json, true, "lambda", "POST", "{}");
  EXPECT_EQ(r.status, 403);
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["__type"], "InvalidSignatureException");
  EXPECT_EQ(body["message"], "Credential should be scoped to correct service: 'sqs'. ");
  EXPECT_EQ(api_.handled + sqs_.handled, 0);
}

TEST_F(FrontDoorTest, OperationsNoApiTakesAreUnknown) {
  Start({});
  api_.takes = false;
  sqs_.takes = false;
  http::Response r = Call("/2015-03-31/nothing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorType(r), "UnknownOperationException");
  EXPECT_EQ(nlohmann::json::parse(r.body)["Message"], "Unknown operation: GET /2015-03-31/nothing");
  http::Headers form;
  form.Set("Content-Type", "application/x-www-form-urlencoded");
  r = Call("/", form, true, "sqs", "POST", "Action=Frobnicate");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("<Code>InvalidAction</Code><Message>The action Frobnicate is not valid "
                        "for this endpoint.</Message>"),
            std::string::npos)
      << r.body;
}

TEST_F(FrontDoorTest, TheKeyIdGivesTheAccount) {
  auto accounts = auth::Accounts::Parse(
      R"({"keys":[{"accessKeyId":"AKIANAMED","secretAccessKey":"s","account":"333333333333"}]})");
  ASSERT_TRUE(accounts.ok());
  FrontDoorOptions options;
  options.accounts = *accounts;
  Start(std::move(options));
  EXPECT_EQ(Call("/x", {}, true, "", "GET", "", {"111111111111", "any", ""}).status, 200);
  EXPECT_EQ(api_.account, "111111111111");
  EXPECT_EQ(Call("/x", {}, true, "", "GET", "", {"AKIANAMED", "not-checked", ""}).status, 200);
  EXPECT_EQ(api_.account, "333333333333");
  EXPECT_EQ(Call("/x").status, 200);
  EXPECT_EQ(api_.account, "000000000000");
}

TEST_F(FrontDoorTest, VerifiedSignaturesNeedAKnownKeyAndItsSecret) {
  auto accounts = auth::Accounts::Parse(
      R"({"keys":[{"accessKeyId":"AKID","secretAccessKey":"SECRET","account":"111111111111"}]})");
  ASSERT_TRUE(accounts.ok());
  FrontDoorOptions options;
  options.accounts = *accounts;
  options.verify_signatures = true;
  options.function_key = "server-key";
  Start(std::move(options));
  EXPECT_EQ(Call("/x").status, 200);
  EXPECT_EQ(api_.account, "111111111111");

  http::Response r = Call("/x", {}, true, "", "GET", "", {"AKID", "WRONG", ""});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ErrorType(r), "InvalidSignatureException");
  EXPECT_EQ(nlohmann::json::parse(r.body)["Message"], auth::kBadSignatureMessage);
  r = Call("/x", {}, true, "", "GET", "", {"AKIDOTHER", "SECRET", ""});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ErrorType(r), "UnrecognizedClientException");
  EXPECT_EQ(nlohmann::json::parse(r.body)["Message"], auth::kUnknownKeyMessage);

  // Query services: their codes, in XML.
  http::Headers form;
  form.Set("Content-Type", "application/x-www-form-urlencoded");
  r = Call("/", form, true, "sqs", "POST", "Action=ListQueues", {"AKID", "WRONG", ""});
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("<Code>SignatureDoesNotMatch</Code>"), std::string::npos) << r.body;
  r = Call("/", form, true, "sqs", "POST", "Action=ListQueues", {"AKIDOTHER", "x", ""});
  EXPECT_NE(r.body.find("<Code>InvalidClientTokenId</Code>"), std::string::npos) << r.body;
  EXPECT_EQ(Call("/", form, true, "sqs", "POST", "Action=ListQueues").status, 200);

  // A function's own credentials are known by their token; its account is the function's.
  auth::Credentials fn =
      auth::FunctionCredentials("arn:aws:lambda:us-east-1:000000000000:function:f", "server-key");
  EXPECT_EQ(Call("/x", {}, true, "", "GET", "", fn).status, 200);
  EXPECT_EQ(api_.account, "000000000000");
  fn.secret_access_key = "forged";
  EXPECT_EQ(ErrorType(Call("/x", {}, true, "", "GET", "", fn)), "InvalidSignatureException");
  EXPECT_EQ(api_.handled + sqs_.handled, 3);
}

}  // namespace
}  // namespace thaw::cli
