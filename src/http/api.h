// Api: one AWS-compatible surface served on the front door (Lambda, CloudWatch Logs, ...).
// Loop thread only.
#pragma once

#include <cstdint>
#include <optional>

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
};

}  // namespace thaw::http
