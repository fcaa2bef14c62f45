// LogsApi: the CloudWatch Logs JSON 1.1 protocol on the front door (POST / with
// X-Amz-Target: Logs_20140328.<Operation>), so `aws logs tail`, `aws logs get-log-events` and
// SDKs read function logs, and SDK users can write their own. Operations run on the LogStore
// writer thread; their responses come back to the loop thread through boost::asio::post.
// Loop thread only: construct, call Handle and destroy on the io_context's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>

#include "http/api.h"
#include "logs/log_store.h"

namespace boost::asio {
class io_context;
}

namespace thaw::logs {

class LogsApi final : public http::Api {
 public:
  // `loop` and `store` must outlive this object. Responses to queries still queued in `store`
  // when this object dies are dropped (their connections then get the writer's 500).
  LogsApi(boost::asio::io_context& loop, LogStore& store);
  LogsApi(const LogsApi&) = delete;
  LogsApi& operator=(const LogsApi&) = delete;
  ~LogsApi() override;

  // Takes requests carrying a Logs_20140328.* target and a JSON 1.1 content type; returns false
  // for anything else. Every answer carries an x-amzn-RequestId header.
  bool Handle(http::Request& request, http::ResponseWriter& writer) override;
  // PutLogEvents may carry CloudWatch's 1 MiB batch (as JSON, escaped); other operations less.
  std::optional<uint64_t> BodyLimit(const http::Request& head) const override;
  std::optional<auth::Operation> Describe(const http::Request& request) const override;
  std::optional<http::Response> Refusal(const http::Request& request, int status,
                                        std::string_view type,
                                        std::string_view message) const override;

 private:
  struct Poster;  // shared with the writer thread; see logs_api.cc
  using WriterMap = std::unordered_map<uint64_t, http::ResponseWriter>;

  // Answers request `id` if it is still waiting. Loop thread only.
  static void Finish(WriterMap& waiting, uint64_t id, http::Response response);

  LogStore& store_;
  std::shared_ptr<Poster> poster_;
  // Writers waiting for their query, by request number. Loop thread only, and owned only
  // here: the writer thread holds weak_ptrs it never locks, so writers die on the loop thread.
  std::shared_ptr<WriterMap> waiting_;
  uint64_t next_id_ = 1;
};

}  // namespace thaw::logs
