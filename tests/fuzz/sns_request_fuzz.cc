// Fuzzes SNS's query protocol end to end, short of the socket: a form is parsed as
// SnsApi::Handle parses it, run by a real SnsService over a TopicStore in a temporary directory
// (a standard topic "t" with an SQS subscription, a raw one with a filter policy and a Lambda
// one, and a FIFO topic "f.fifo"), its deliveries handed to sinks that accept everything, and
// the answer rendered back. Checks: every input is answered; the XML holds no character XML 1.0
// forbids (botocore's parser would fail on it); every delivery's body is what its protocol
// expects (the Lambda event and the envelope are JSON). The store is rebuilt every 256 inputs.
// Input: the form ("Action=Publish&TopicArn=...&Message=...").
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "sns/service.h"
#include "sns/sns_api.h"
#include "sns/topic_store.h"
#include "sqs/protocol.h"

namespace sns = thaw::sns;
using nlohmann::json;

namespace {

void CheckXml(std::string_view xml) {
  for (char c : xml) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && u != '\t' && u != '\n' && u != '\r') std::abort();
  }
}

class AcceptAll final : public thaw::delivery::Sinks {
 public:
  void SendToQueue(const std::string& queue_arn, std::string body,
                   thaw::sqs::MessageAttributes attributes,
                   std::function<void(thaw::Status)> done) override {
    (void)attributes;
    // The raw subscription's queue gets the message itself; the others an envelope.
    if (!queue_arn.ends_with(":raw") && json::parse(body, nullptr, false).is_discarded()) {
      std::abort();
    }
    done(thaw::Status::Ok());
  }
  void InvokeAsync(const std::string& function_arn, std::string payload,
                   std::function<void(thaw::Status)> done) override {
    (void)function_arn;
    json event = json::parse(payload, nullptr, false);
    if (!event.is_object() || event["Records"].size() != 1) std::abort();
    done(thaw::Status::Ok());
  }
  void PublishToTopic(const std::string& topic_arn, std::string message,
                      thaw::sqs::MessageAttributes attributes,
                      std::function<void(thaw::Status)> done) override {
    (void)topic_arn, (void)message, (void)attributes;
    done(thaw::Status::Ok());
  }
  // SNS delivers as its service principal, through these two.
  void SendToQueueAs(const thaw::lambda::InvokePrincipal& who, const std::string& queue_arn,
                     thaw::sqs::Message message, std::function<void(thaw::Status)> done) override {
    if (who.service != "sns.amazonaws.com") std::abort();
    SendToQueue(queue_arn, std::move(message.body), std::move(message.attributes), std::move(done));
  }
  void InvokeAsyncAs(const thaw::lambda::InvokePrincipal& who, const std::string& function_arn,
                     std::string payload, std::string trace_header,
                     std::function<void(thaw::Status)> done) override {
    (void)trace_header;
    if (who.service != "sns.amazonaws.com") std::abort();
    InvokeAsync(function_arn, std::move(payload), std::move(done));
  }
};

class Harness {
 public:
  Harness()
      : dir_(std::filesystem::temp_directory_path() /
             ("thaw_sns_fuzz_" + std::to_string(::getpid()))) {}

  void NextInput() {
    if (!store_ || ++inputs_ % 256 == 0) Reset();
  }

  sns::Outcome Run(const std::string& op, const sns::Params& params) {
    auto out = std::make_shared<std::optional<sns::Outcome>>();
    service_->Execute({}, op, params, [out](sns::Outcome o) { *out = std::move(o); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!*out) {
      if (std::chrono::steady_clock::now() > deadline) std::abort();  // an answer was lost
      loop_.restart();
      loop_.run_for(std::chrono::milliseconds(1));
    }
    return std::move(**out);
  }

 private:
  void Reset() {
    service_.reset();
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    std::filesystem::create_directories(dir_);
    auto opened = sns::TopicStore::Open(loop_, {.path = (dir_ / "sns.db").string()});
    if (!opened.ok()) std::abort();
    store_ = std::move(*opened);
    service_ = std::make_unique<sns::SnsService>(
        *store_, sinks_,
        sns::SnsService::Options{.delay_scale = 0, .endpoint = "http://h:1", .signer = nullptr});
    const std::string t = "arn:aws:sns:us-east-1:000000000000:t";
    Run("CreateTopic", {{"Name", "t"}});
    Run("CreateTopic", {{"Name", "f.fifo"},
                        {"Attributes.entry.1.key", "FifoTopic"},
                        {"Attributes.entry.1.value", "true"}});
    Run("Subscribe", {{"TopicArn", t},
                      {"Protocol", "sqs"},
                      {"Endpoint", "arn:aws:sqs:us-east-1:000000000000:q"}});
    Run("Subscribe", {{"TopicArn", t},
                      {"Protocol", "sqs"},
                      {"Endpoint", "arn:aws:sqs:us-east-1:000000000000:raw"},
                      {"Attributes.entry.1.key", "RawMessageDelivery"},
                      {"Attributes.entry.1.value", "true"},
                      {"Attributes.entry.2.key", "FilterPolicy"},
                      {"Attributes.entry.2.value", R"({"a":[{"prefix":"x"}]})"}});
    Run("Subscribe", {{"TopicArn", t},
                      {"Protocol", "lambda"},
                      {"Endpoint", "arn:aws:lambda:us-east-1:000000000000:function:f"}});
  }

  std::filesystem::path dir_;
  boost::asio::io_context loop_;
  AcceptAll sinks_;
  std::unique_ptr<sns::TopicStore> store_;
  std::unique_ptr<sns::SnsService> service_;
  int inputs_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* harness = new Harness();  // kept for the whole run
  harness->NextInput();
  std::string_view form(reinterpret_cast<const char*>(data), size);
  sns::Params params;
  for (auto& [k, v] : thaw::ParseForm(form)) params.emplace(k, v);
  auto action = params.find("Action");
  if (action == params.end() || !sns::SnsService::IsOperation(action->second)) return 0;
  sns::Outcome outcome = harness->Run(action->second, params);
  thaw::http::Response r = outcome.error ? sns::RenderXmlError(*outcome.error, "rid")
                                         : sns::RenderXml(action->second, outcome, "rid");
  CheckXml(r.body);
  return 0;
}
