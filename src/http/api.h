// Api: one AWS-compatible surface served on the front door (Lambda, CloudWatch Logs, ...).
// Loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "auth/access.h"
#include "http/message.h"
#include "http/server.h"

namespace thaw::http {

class Api {
 public:
  virtual ~Api() = default;
  // The body limit of this request, judged from its head before any body is read; nullopt
  // when the request is not for this API. Must agree with Handle about which requests are.
  virtual std::optional<uint64_t> BodyLimit(const Request& head) const = 0;
  // Returns false, leaving `writer` untouched, when the request is not for this API.
  // Otherwise takes the request and answers through `writer` now or later (on the loop thread).
  // A body over BodyLimit arrives unread, with `request.oversized` set.
  virtual bool Handle(Request& request, ResponseWriter& writer) = 0;
  // What the request would do, as IAM names it, for the access rules; nullopt when the request
  // is not for this API. Called before Handle, only for callers the rules restrict.
  virtual std::optional<auth::Operation> Describe(const Request& request) const = 0;
  // This API's shape for a front-door refusal (authentication, browser checks, access); nullopt
  // to take the front door's default (Lambda's REST-JSON, or JSON 1.1 with X-Amz-Target).
  virtual std::optional<Response> Refusal(const Request& request, int status, std::string_view type,
                                          std::string_view message) const {
    (void)request, (void)status, (void)type, (void)message;
    return std::nullopt;
  }
};

}  // namespace thaw::http
