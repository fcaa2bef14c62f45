// SqsApi: SQS on the front door, in both wire protocols, registered for the "sqs" service
// (http/dispatch.h). A request carrying X-Amz-Target: AmazonSQS.<Op> is JSON 1.0 (current SDKs);
// one without a target is the query protocol (a form POST or a GET with Action=<Op>, as the AWS
// CLI v2 of Debian and older SDKs send). Queue URLs are http://HOST:PORT/ACCOUNT/NAME. The account
// is the caller's access key id when that is 12 digits, else 000000000000. Loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/api.h"
#include "sqs/queue_store.h"

namespace thaw::sqs {

class SqsApi final : public http::Api {
 public:
  // `store` must outlive this object.
  explicit SqsApi(QueueStore& store) : store_(store) {}

  std::optional<uint64_t> BodyLimit(const http::Request& head) const override;
  bool Handle(http::Request& request, http::ResponseWriter& writer) override;
  std::optional<auth::Operation> Describe(const http::Request& request) const override;
  std::optional<http::Response> Refusal(const http::Request& request, int status,
                                        std::string_view type,
                                        std::string_view message) const override;

 private:
  QueueStore& store_;
};

// The account a request acts in: the front door's (Request::account), else a 12-digit access
// key id, else 000000000000.
std::string AccountOf(const http::Request& request);

}  // namespace thaw::sqs
