#include "cli/front_door.h"

#include "base/codec.h"
#include "http/aws_error.h"

namespace thaw::cli {

void FrontDoor::Handle(http::Request request, http::ResponseWriter writer) {
  for (http::Api* api : apis_) {
    if (api->Handle(request, writer)) return;
  }
  http::Response r;
  if (request.headers.Get("X-Amz-Target")) {
    r = http::JsonRpcError(
        400, "UnknownOperationException",
        "Unknown operation " + std::string(*request.headers.Get("X-Amz-Target")));
  } else {
    r = http::RestJsonError(404, "UnknownOperationException",
                            "Unknown operation: " + request.method + " " + request.path);
  }
  r.headers.Set("x-amzn-RequestId", NewUuid());
  writer.Send(std::move(r));
}

}  // namespace thaw::cli
