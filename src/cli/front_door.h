// FrontDoor: the one listener every AWS-compatible API shares. Before a request reaches an API
// it must pass, in order:
//   1. the browser checks: a Host other than loopback or the --listen host (DNS rebinding), or an
//      Origin header (a web page's request), is refused unless --allow-origin lists it;
//   2. SigV4: an Authorization header or a presigned query that parses, else
//      MissingAuthenticationTokenException / IncompleteSignatureException. The key id gives the
//      account the request acts in (auth/accounts.h; Request::account). With
//      verify_signatures, the key must be known (the accounts file's, a function's injected
//      credentials, thaw's download key for its downloads) and the signature right and recent
//      (auth/verify.h), else UnrecognizedClientException / InvalidSignatureException (JSON and
//      REST services, 5 minutes) or InvalidClientTokenId / SignatureDoesNotMatch (query
//      services, 15 minutes);
//   3. dispatch (http/dispatch.h): the service the request is for, from the signature's scope,
//      X-Amz-Target, the query protocol's Action or the path. A scope that disagrees with the
//      target is refused; a service no API serves gets an unknown-operation error;
//   4. the access rules for the caller (auth/access.h), found from the connection by `identify`.
// Then the APIs registered for that service, and only those, are offered the request in the
// order added; one that none takes gets the service's unknown-operation error. Every refusal
// takes the shape of the service the request is for (its API's Refusal, else its protocol's).
// Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "auth/access.h"
#include "auth/accounts.h"
#include "base/clock.h"
#include "http/api.h"
#include "http/dispatch.h"
#include "http/server.h"
#include "httpfront/url_api.h"

namespace thaw::cli {

struct FrontDoorOptions {
  std::string listen_host = "127.0.0.1";
  uint16_t port = 0;                         // the listener's port (0: the request's own)
  std::vector<std::string> allowed_origins;  // "http://host:port", exactly as browsers send it
  auth::Accounts accounts;                   // named keys (thaw serve --accounts)
  bool verify_signatures = false;
  std::string function_key;      // the server key functions' credentials derive from
  const Clock* clock = nullptr;  // null: the system clock
};

class FrontDoor final : public http::Handler {
 public:
  // Finds who sent a request; runs on the loop thread for every signed request.
  using IdentifyFn = std::function<auth::Caller(const http::Request&)>;

  // Without `identify` every caller is the operator.
  explicit FrontDoor(FrontDoorOptions options = {}, IdentifyFn identify = nullptr);
  // Serves `service` (a name of http/dispatch.h: "lambda", "sqs", "thaw", ...) with `api`. A
  // service may have several APIs (tried in the order added), an API several services. APIs are
  // borrowed and must outlive the front door.
  void Add(std::string_view service, http::Api* api);
  // The limit of the first of the service's APIs that takes the request; a small one for
  // unknown services and operations.
  std::optional<uint64_t> BodyLimit(const http::Request& head) override;
  void Handle(http::Request request, http::ResponseWriter writer) override;
  void set_port(uint16_t port) { options_.port = port; }
  // Function URLs: their requests go there before the browser checks, and are signed only when
  // the URL is AWS_IAM. Borrowed; must outlive the front door.
  void SetUrlApi(httpfront::UrlApi* api) { url_api_ = api; }

 private:
  // An AWS_IAM function URL's request: signed, and (with verify_signatures) rightly.
  bool SignedUrlRequest(http::Request& request, const http::Destination& to);
  // The APIs serving `service`, or null.
  const std::vector<http::Api*>* ApisFor(std::string_view service) const;
  // A refusal in the shape of the service the request is for.
  http::Response Refuse(const http::Request& request, const http::Destination& to, int status,
                        std::string_view type, std::string_view message) const;
  // The reason to refuse a browser's or a rebound name's request, or "".
  std::string BrowserProblem(const http::Request& request) const;
  bool AllowedHost(std::string_view host) const;
  // Sets request.account from the signature; with verify_signatures, checks the signature
  // and returns the refusal's (type, message) when it fails.
  std::optional<std::pair<std::string, std::string>> Authenticate(
      http::Request& request, const http::Destination& to, const auth::ParsedSignature& signature);

  FrontDoorOptions options_;
  IdentifyFn identify_;
  std::map<std::string, std::vector<http::Api*>, std::less<>> services_;
  httpfront::UrlApi* url_api_ = nullptr;
};

// Requests that need no signature: GETs of SNS's signing certificate and of a SubscribeURL
// (ConfirmSubscription, whose random token is the credential, as on AWS). A function URL with
// AuthType NONE is served before these checks (SetUrlApi).
bool ExemptFromSignature(const http::Request& request);

}  // namespace thaw::cli
