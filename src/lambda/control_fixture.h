// Test fixture for lambda_test: a real ControlApi behind a real http::Server, with the loop and
// control io_contexts both pumped by the test thread while a helper thread plays the client.
// Header-only so the library glob does not pick it up. Thread-compatible.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/codec.h"
#include "http/aws_error.h"
#include "http/client.h"
#include "http/server.h"
#include "lambda/control_api.h"
#include "lambda/registry.h"
#include "lambda/test_helpers.h"
#include "store/sqlite.h"

namespace thaw::lambda::testing {

struct Reply {
  int status = 0;
  nlohmann::json body;  // discarded when the body is not JSON
  std::string raw;
  http::Headers headers;
  std::string error_type() const {
    return std::string(headers.Get("x-amzn-ErrorType").value_or(""));
  }
  std::string message() const {
    return body.is_object() && body.contains("Message") ? body["Message"].get<std::string>() : "";
  }
};

class ControlApiTest : public ::testing::Test {
 protected:
  // Offers each request to the Api and answers 404 NotHandled when it declines.
  class Front final : public http::Handler {
   public:
    explicit Front(ControlApiTest* test) : test_(test) {}
    std::optional<uint64_t> BodyLimit(const http::Request& head) override {
      return test_->api_->BodyLimit(head);
    }
    void Handle(http::Request request, http::ResponseWriter writer) override {
      // The front door's part: the caller's account (here from a test header).
      request.account = std::string(request.headers.Get("X-Test-Account").value_or(""));
      if (!test_->api_->Handle(request, writer)) {
        writer.Send(http::RestJsonError(404, "NotHandled", "not a control-plane route"));
      }
    }

   private:
    ControlApiTest* test_;
  };

  void SetUp() override {
    auto db = store::Database::Open(dir_.path() + "/state.db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    StartApi();
    auto server = http::Server::Start(loop_, http::ServerOptions{}, &front_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    auto client = http::Client::Create("127.0.0.1:" + std::to_string(server_->port()));
    ASSERT_TRUE(client.ok());
    client_ = std::move(client).value();
  }

  void TearDown() override {
    client_.reset();
    if (server_) server_->Stop();
    loop_.poll();
    control_.poll();
  }

  // (Re)creates the registry and the Api over the same database, as a restart would.
  void StartApi(int64_t account_limit = 1000) {
    registry_ = std::make_unique<Registry>();
    api_ = std::make_unique<ControlApi>(ControlApi::Options{
        .state_dir = dir_.path(),
        .loop = loop_,
        .control = control_,
        .db = *db_,
        .registry = *registry_,
        .clock = clock_,
        .account_concurrency_limit = account_limit,
        .unreserved_minimum = 100,
        .on_function_changed =
            [this](const std::string& name) {
              changed_.push_back(name);
              EXPECT_EQ(std::this_thread::get_id(), test_thread_);
            },
    });
    Status started = api_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }

  Reply Call(const std::string& method, const std::string& target, const std::string& body = "",
             http::Headers headers = {}) {
    std::atomic<bool> done{false};
    StatusOr<http::Response> result = Status::Internal("no response");
    std::thread client([&] {
      if (!body.empty()) headers.Set("Content-Type", "application/json");
      result = client_->Do(method, target, headers, body, 20000);
      done = true;
    });
    // The test thread is both the loop thread and the control thread.
    while (!done) {
      loop_.poll();
      control_.poll();
      std::this_thread::yield();
    }
    client.join();
    Reply reply;
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (!result.ok()) return reply;
    reply.status = result->status;
    reply.raw = result->body;
    reply.headers = result->headers;
    reply.body = nlohmann::json::parse(reply.raw, nullptr, false);
    return reply;
  }

  Reply Call(const std::string& method, const std::string& target, const nlohmann::json& body) {
    return Call(method, target, body.dump());
  }

  static nlohmann::json CreateBody(const std::string& name,
                                   const std::string& zip = BootstrapZip()) {
    return {
        {"FunctionName", name},
        {"Runtime", "provided.al2023"},
        {"Role", "arn:aws:iam::000000000000:role/lambda"},
        {"Handler", "bootstrap"},
        {"Code", {{"ZipFile", Base64Encode(zip)}}},
    };
  }

  // Runs both contexts until `done` says so or `timeout_ms` passes (timers, deferred work).
  bool PumpUntil(const std::function<bool()>& done, int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      loop_.poll();
      control_.poll();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  // Whether the code store holds anything (zip, tree or marker) of this hash.
  bool Stored(const std::string& sha256_hex) const {
    std::string base = dir_.path() + "/code/" + sha256_hex;
    return std::filesystem::exists(base) || std::filesystem::exists(base + ".zip") ||
           std::filesystem::exists(base + ".ok");
  }

  Reply Create(const std::string& name) {
    Reply r = Call("POST", "/2015-03-31/functions", CreateBody(name));
    EXPECT_EQ(r.status, 201) << r.raw;
    return r;
  }

  std::thread::id test_thread_ = std::this_thread::get_id();
  TempDir dir_;
  FakeClock clock_;
  boost::asio::io_context loop_;
  boost::asio::io_context control_;
  // Keep both contexts from running out of work between requests.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> loop_work_{
      loop_.get_executor()};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> control_work_{
      control_.get_executor()};
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<ControlApi> api_;
  Front front_{this};
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<http::Client> client_;
  std::vector<std::string> changed_;
};

}  // namespace thaw::lambda::testing
