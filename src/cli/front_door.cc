#include "cli/front_door.h"

#include "base/codec.h"
#include "http/aws_error.h"

namespace thaw::cli {

std::optional<uint64_t> FrontDoor::BodyLimit(const http::Request& head) {
  constexpr uint64_t kUnknownOperationBytes = 64 * 1024;
  for (const http::Api* api : apis_) {
    if (auto limit = api->BodyLimit(head)) return limit;
  }
  return kUnknownOperationBytes;
}

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
