// FrontDoor: the one listener every AWS-compatible API shares. Before a request reaches an API
// it must pass, in order:
//   1. the browser checks: a Host other than loopback or the --listen host (DNS rebinding), or an
//      Origin header (a web page's request), is refused unless --allow-origin lists it;
//   2. SigV4: an Authorization header or a presigned query that parses (signatures are not
//      verified yet), else MissingAuthenticationTokenException / IncompleteSignatureException;
//   3. the access rules for the caller (auth/access.h), found from the connection by `identify`.
// Then it offers the request to the registered APIs in order and answers the ones nobody takes
// with AWS's unknown-operation error. Refusals take the shape of the API the request is for.
// Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "auth/access.h"
#include "http/api.h"
#include "http/server.h"

namespace thaw::cli {

struct FrontDoorOptions {
  std::string listen_host = "127.0.0.1";
  uint16_t port = 0;                         // the listener's port (0: the request's own)
  std::vector<std::string> allowed_origins;  // "http://host:port", exactly as browsers send it
};

class FrontDoor final : public http::Handler {
 public:
  // Finds who sent a request; runs on the loop thread for every signed request.
  using IdentifyFn = std::function<auth::Caller(const http::Request&)>;

  // Without `identify` every caller is the operator.
  explicit FrontDoor(FrontDoorOptions options = {}, IdentifyFn identify = nullptr);
  // APIs are borrowed and must outlive the front door.
  void Add(http::Api* api) { apis_.push_back(api); }
  // The limit of the first API that takes the request; a small one for unknown operations.
  std::optional<uint64_t> BodyLimit(const http::Request& head) override;
  void Handle(http::Request request, http::ResponseWriter writer) override;
  void set_port(uint16_t port) { options_.port = port; }

 private:
  // A refusal in the shape of the API the request is for.
  http::Response Refuse(const http::Request& request, int status, std::string_view type,
                        std::string_view message) const;
  // The reason to refuse a browser's or a rebound name's request, or "".
  std::string BrowserProblem(const http::Request& request) const;
  bool AllowedHost(std::string_view host) const;

  FrontDoorOptions options_;
  IdentifyFn identify_;
  std::vector<http::Api*> apis_;
};

// Requests that need no signature. None today; an SNS SubscribeURL or certificate, or a
// function URL with AuthType NONE, will be listed here.
bool ExemptFromSignature(const http::Request& request);

}  // namespace thaw::cli
