// Api: one AWS-compatible surface served on the front door (Lambda, CloudWatch Logs, ...).
// Loop thread only.
#pragma once

#include "http/message.h"
#include "http/server.h"

namespace thaw::http {

class Api {
 public:
  virtual ~Api() = default;
  // Returns false, leaving `writer` untouched, when the request is not for this API.
  // Otherwise takes the request and answers through `writer` now or later (on the loop thread).
  virtual bool Handle(Request& request, ResponseWriter& writer) = 0;
};

}  // namespace thaw::http
