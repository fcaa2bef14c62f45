// Test-only helpers for driving `thaw` subcommands end to end: a Lambda API answering from a
// script on loopback, a fixture serving it from its own thread, and RunThaw, which runs a
// command line as main() does. Header-only so the library glob does not pick it up. The
// handler runs on the server thread; the test reads what it recorded on its own.
#pragma once

#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "cli/command.h"
#include "http/aws_error.h"
#include "http/server.h"

namespace thaw::cli {

// Answers "METHOD TARGET" from a script: the answers in order, the last one repeating; anything
// else gets 404 ResourceNotFoundException for the function the path names.
class ScriptedLambda final : public http::Handler {
 public:
  void On(const std::string& key, http::Response response) {
    std::lock_guard lock(mu_);
    script_[key].push_back(std::move(response));
  }
  void On(const std::string& method, const std::string& target, http::Response response) {
    On(method + " " + target, std::move(response));
  }

  void Handle(http::Request request, http::ResponseWriter writer) override {
    http::Response response;
    {
      std::lock_guard lock(mu_);
      auto it = script_.find(request.method + " " + request.target);
      if (it == script_.end() || it->second.empty()) {
        response = http::RestJsonError(404, "ResourceNotFoundException",
                                       "Function not found: arn:aws:lambda:us-east-1:"
                                       "000000000000:function:" +
                                           request.path.substr(request.path.rfind('/') + 1));
      } else {
        response = it->second.front();
        if (it->second.size() > 1) it->second.erase(it->second.begin());
      }
      requests_.push_back(std::move(request));
    }
    writer.Send(std::move(response));
  }

  std::vector<http::Request> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::vector<http::Request> Requests(const std::string& method) {
    std::vector<http::Request> out;
    for (http::Request& r : requests()) {
      if (r.method == method) out.push_back(std::move(r));
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::vector<http::Response>> script_;
  std::vector<http::Request> requests_;
};

struct RunResult {
  int exit_code = 0;
  std::string out;
  std::string err;
};

// Runs `thaw ARGS...` with the subcommands `add` registers, the way main() does, capturing
// stdout and stderr.
inline RunResult RunThaw(const std::function<void(CLI::App&, CommandContext&)>& add,
                         std::vector<std::string> args, const std::string& endpoint) {
  CLI::App app{"thaw"};
  app.require_subcommand(1);
  CommandContext ctx;
  ctx.endpoint = endpoint;
  add(app, ctx);
  args.insert(args.begin(), "thaw");
  std::vector<const char*> argv;
  argv.reserve(args.size());
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out;
  std::ostringstream err;
  std::streambuf* old_out = std::cout.rdbuf(out.rdbuf());
  std::streambuf* old_err = std::cerr.rdbuf(err.rdbuf());
  RunResult result;
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
    result.exit_code = ctx.exit_code;
  } catch (const CLI::ParseError& e) {
    result.exit_code = app.exit(e, err, err) == 0 ? kExitOk : kExitUsage;
  }
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  result.out = out.str();
  result.err = err.str();
  return result;
}

// Serves lambda_ on loopback (endpoint_) from its own thread for the length of a test.
class ScriptedLambdaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<std::unique_ptr<http::Server>> server = http::Server::Start(io_, {}, &lambda_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    endpoint_ = "http://127.0.0.1:" + std::to_string(server_->port());
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    io_.stop();
    if (thread_.joinable()) thread_.join();
    if (server_) server_->Stop();
    server_.reset();
  }

  boost::asio::io_context io_;
  ScriptedLambda lambda_;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
  std::string endpoint_;
};

}  // namespace thaw::cli
