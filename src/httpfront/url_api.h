// UrlApi: serves function URLs on the front door. A request is a function URL's when its Host
// is <url-id>.lambda-url.us-east-1.localhost[:port] (any case), or its path
// /thaw/urls/<url-id>[/rest] (for clients that cannot set Host). The front door offers such
// requests here before its browser and SigV4 checks (cli/front_door.cc): an AuthType NONE URL
// takes unsigned requests from any Origin; an AWS_IAM URL needs the front door's SigV4 check,
// and then the caller's account must own the function or be allowed lambda:InvokeFunctionUrl
// by its resource policy. The request becomes a payload 2.0 event (payload_v2.h), runs through
// the invoker as an Invoke does (recorded and logged alike), and the function's answer becomes
// the response (response_v2.h), CORS (cors.h) added. A RESPONSE_STREAM URL streams: the
// function's stream goes out chunked as it arrives, its prelude read first (url_stream_sink.h).
// Loop thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/clock.h"
#include "http/message.h"
#include "http/server.h"
#include "invoker/invoker.h"
#include "lambda/registry.h"

namespace thaw::httpfront {

inline constexpr char kUrlPathPrefix[] = "/thaw/urls/";

class UrlApi {
 public:
  // Every reference must outlive the API.
  UrlApi(invoker::Invoker& invoker, const lambda::Registry& registry, const Clock& clock);

  // nullopt when the request is not a function URL's; else whether the URL wants it signed
  // (AWS_IAM). A URL id nothing has is claimed too, and answered 403 as AWS does.
  std::optional<bool> Claims(const http::Request& request) const;
  // 6 MiB for a claimed request (a larger one is answered 413), nullopt otherwise.
  std::optional<uint64_t> BodyLimit(const http::Request& head) const;
  // Serves a claimed request. An AWS_IAM URL's request must have passed the front door's SigV4
  // check, which set request.account.
  void Handle(http::Request request, http::ResponseWriter writer);

 private:
  invoker::Invoker& invoker_;
  const lambda::Registry& registry_;
  const Clock& clock_;
};

// The 403 the front door answers for an AWS_IAM URL's request whose signature fails.
http::Response UrlForbidden();

}  // namespace thaw::httpfront
