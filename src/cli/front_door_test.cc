#include "cli/front_door.h"

#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/aws_error.h"
#include "http/client.h"

namespace thaw::cli {
namespace {

namespace asio = boost::asio;

// Answers every request with 200; says every request is a control-plane write of function "b".
class FakeApi final : public http::Api {
 public:
  std::optional<uint64_t> BodyLimit(const http::Request&) const override { return 1024; }
  bool Handle(http::Request& request, http::ResponseWriter& writer) override {
    ++handled;
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
};

class FrontDoorTest : public ::testing::Test {
 protected:
  void Start(FrontDoorOptions options) {
    door_ = std::make_unique<FrontDoor>(std::move(options),
                                        [this](const http::Request&) { return caller_; });
    door_->Add(&api_);
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
  http::Response Call(const std::string& path, http::Headers headers = {}, bool sign = true) {
    http::ClientOptions options;
    if (sign) options.credentials = auth::Credentials{"AKID", "SECRET", ""};
    auto client = http::Client::Create("127.0.0.1:" + std::to_string(server_->port()), options);
    auto r = (*client)->Do("GET", path, headers, "", 5000);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : http::Response{};
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
  FakeApi api_;
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
  Start({.listen_host = "127.0.0.1", .port = 0, .allowed_origins = {"http://app.local:3000"}});
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
  caller_ = {auth::Caller::Kind::kFunction, "a", "lambda-role", false};
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

}  // namespace
}  // namespace thaw::cli
