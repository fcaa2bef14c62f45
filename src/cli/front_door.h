// FrontDoor: the one listener every AWS-compatible API shares. It offers each request to the
// registered APIs in order and answers the ones nobody takes with AWS's unknown-operation error.
// Loop thread only.
#pragma once

#include <vector>

#include "http/api.h"
#include "http/server.h"

namespace thaw::cli {

class FrontDoor final : public http::Handler {
 public:
  // APIs are borrowed and must outlive the front door.
  void Add(http::Api* api) { apis_.push_back(api); }
  // The limit of the first API that takes the request; a small one for unknown operations.
  std::optional<uint64_t> BodyLimit(const http::Request& head) override;
  void Handle(http::Request request, http::ResponseWriter writer) override;

 private:
  std::vector<http::Api*> apis_;
};

}  // namespace thaw::cli
