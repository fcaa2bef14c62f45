// Fuzzes Kinesis's JSON 1.1 operations end to end, short of the socket: a body is parsed as
// KinesisApi::Handle parses it and run against a StreamStore in a temporary directory (a
// 2-shard stream "s" with a few records, an iterator at its start), and the answer rendered
// back. Checks: every input is answered, and the answer is a JSON object (an error's with
// __type). The store is rebuilt every 256 inputs.
// Input: the operation name, a newline, then the JSON body; "@IT" in the body is replaced by a
// live shard iterator so GetRecords gets past its decoding.
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "kinesis/operations.h"
#include "kinesis/stream_store.h"

namespace kinesis = thaw::kinesis;
using nlohmann::json;

namespace {

class Harness {
 public:
  Harness()
      : dir_(std::filesystem::temp_directory_path() /
             ("thaw_kinesis_fuzz_" + std::to_string(::getpid()))) {}

  void NextInput() {
    if (!store_ || ++inputs_ % 256 == 0) Reset();
  }

  kinesis::Outcome Run(std::string_view op, const json& input) {
    auto out = std::make_shared<std::optional<kinesis::Outcome>>();
    kinesis::Execute(*store_, {"000000000000"}, op, input,
                     [out](kinesis::Outcome o) { *out = std::move(o); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!*out) {
      if (std::chrono::steady_clock::now() > deadline) std::abort();  // an answer was lost
      loop_.restart();
      loop_.run_for(std::chrono::milliseconds(1));
    }
    return std::move(**out);
  }

  const std::string& iterator() const { return iterator_; }

 private:
  void Reset() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    std::filesystem::create_directories(dir_);
    auto opened = kinesis::StreamStore::Open(loop_, {.path = (dir_ / "kinesis.db").string()});
    if (!opened.ok()) std::abort();
    store_ = std::move(*opened);
    Run("CreateStream", {{"StreamName", "s"}, {"ShardCount", 2}});
    for (const char* key : {"a", "b", "c"}) {
      Run("PutRecord", {{"StreamName", "s"}, {"PartitionKey", key}, {"Data", "eA=="}});
    }
    auto it = Run("GetShardIterator", {{"StreamName", "s"},
                                       {"ShardId", "shardId-000000000000"},
                                       {"ShardIteratorType", "TRIM_HORIZON"}});
    iterator_ = it.output.value("ShardIterator", "");
  }

  std::filesystem::path dir_;
  boost::asio::io_context loop_;
  std::unique_ptr<kinesis::StreamStore> store_;
  std::string iterator_;
  int inputs_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* harness = new Harness();  // kept for the whole run
  harness->NextInput();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return 0;
  const std::string op(text.substr(0, nl));
  if (!kinesis::IsOperation(op)) return 0;
  std::string body(text.substr(nl + 1));
  for (size_t at = body.find("@IT"); at != std::string::npos; at = body.find("@IT", at)) {
    body.replace(at, 3, harness->iterator());
    at += harness->iterator().size();
  }
  json input = json::parse(body, nullptr, false);
  if (!input.is_object()) return 0;
  kinesis::Outcome outcome = harness->Run(op, input);
  thaw::http::Response r = kinesis::RenderOutcome(outcome);
  json answer = json::parse(r.body, nullptr, false);
  if (!answer.is_object()) std::abort();
  if (outcome.error && !answer["__type"].is_string()) std::abort();
  return 0;
}
