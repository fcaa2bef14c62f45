// Shared by the SQS fuzz targets: a QueueStore in a temporary directory, with a standard queue
// "q" and a FIFO queue "q.fifo", on which an operation's input runs as SqsApi runs it
// (sqs::Execute), the loop turning until it answers. Long polls are cut to zero so that no input
// waits; an operation that still does not answer within 5 s aborts (a lost answer). The store is
// rebuilt every 256 inputs (between inputs, never within one), so queues and messages do not
// pile up across a run.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/codec.h"
#include "sqs/message.h"
#include "sqs/operations.h"
#include "sqs/queue_store.h"

namespace thaw::sqs::fuzz {

class Harness {
 public:
  Harness()
      : dir_(std::filesystem::temp_directory_path() /
             ("thaw_sqs_fuzz_" + std::to_string(::getpid()))) {}
  ~Harness() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Call once per fuzz input, before its first Run: every 256 inputs the store starts over.
  void NextInput() {
    if (!store_ || ++inputs_ % 256 == 0) Reset();
  }

  // Runs `operation` with `input`; never returns without an answer.
  Outcome Run(std::string_view operation, nlohmann::json input) {
    if (!store_) std::abort();  // NextInput first
    NoLongPolls(input);
    auto out = std::make_shared<std::optional<Outcome>>();
    Execute(*store_, context_, operation, input, [out](Outcome o) { *out = std::move(o); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!*out) {
      if (std::chrono::steady_clock::now() > deadline) std::abort();  // an answer was lost
      loop_.restart();
      loop_.run_for(std::chrono::milliseconds(1));
    }
    return std::move(**out);
  }

  const Context& context() const { return context_; }

 private:
  // A WaitTimeSeconds or ReceiveMessageWaitTimeSeconds that would park the poll becomes 0;
  // values out of range stay, so their errors are still reached.
  static void NoLongPolls(nlohmann::json& input) {
    auto cut = [](nlohmann::json& v) {
      std::optional<int64_t> n;
      if (v.is_number_integer()) n = v.get<int64_t>();
      if (v.is_string()) n = ParseInt(v.get<std::string>());
      if (n && *n > 0 && *n <= 20) v = v.is_string() ? nlohmann::json("0") : nlohmann::json(0);
    };
    if (!input.is_object()) return;
    if (input.contains("WaitTimeSeconds")) cut(input["WaitTimeSeconds"]);
    if (input.contains("Attributes") && input["Attributes"].is_object() &&
        input["Attributes"].contains("ReceiveMessageWaitTimeSeconds")) {
      cut(input["Attributes"]["ReceiveMessageWaitTimeSeconds"]);
    }
  }

  void Reset() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    std::filesystem::create_directories(dir_);
    auto opened = QueueStore::Open(loop_, {.path = (dir_ / "sqs.db").string(), .clock = &clock_});
    if (!opened.ok()) std::abort();
    store_ = std::move(*opened);
    store_->CreateQueue(context_.account, "q", {}, {});
    store_->CreateQueue(context_.account, "q.fifo", {{"FifoQueue", "true"}}, {});
  }

  std::filesystem::path dir_;
  boost::asio::io_context loop_;
  SystemClock clock_;
  Context context_{.account = "000000000000", .host = "h:1", .sender_id = "AKID"};
  std::unique_ptr<QueueStore> store_;
  uint64_t inputs_ = 0;
};

inline constexpr char kQueueUrl[] = "http://h:1/000000000000/q";
inline constexpr char kFifoUrl[] = "http://h:1/000000000000/q.fifo";

}  // namespace thaw::sqs::fuzz
