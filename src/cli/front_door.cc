#include "cli/front_door.h"

#include <algorithm>

#include "auth/sigv4.h"
#include "auth/verify.h"
#include "base/codec.h"
#include "base/log.h"
#include "http/aws_error.h"
#include "lambda/function_url.h"
#include "sns/sns_api.h"

namespace thaw::cli {

namespace {

// "host:port" / "[v6]:port" / "host" -> (lower-cased host without brackets, port or -1).
std::pair<std::string, int64_t> SplitHostPort(std::string_view text) {
  std::string host;
  int64_t port = -1;
  if (text.starts_with("[")) {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return {"", -1};
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (rest.starts_with(":")) port = ParseInt(rest.substr(1)).value_or(-2);
  } else {
    size_t colon = text.rfind(':');
    host = text.substr(0, colon);
    if (colon != std::string_view::npos) port = ParseInt(text.substr(colon + 1)).value_or(-2);
  }
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return {host, port};
}

// "http://host:port/..." -> "host:port".
std::string_view OriginAuthority(std::string_view origin) {
  size_t scheme = origin.find("://");
  if (scheme != std::string_view::npos) origin.remove_prefix(scheme + 3);
  return origin.substr(0, origin.find('/'));
}

}  // namespace

bool ExemptFromSignature(const http::Request& request) {
  if (request.method != "GET" || request.headers.Get("Authorization")) return false;
  if (request.path == sns::kCertificatePath) return true;
  // SNS's SubscribeURL and UnsubscribeURL: the token or subscription ARN in them is the key.
  return request.path == "/" && (request.query.starts_with("Action=ConfirmSubscription&") ||
                                 request.query.starts_with("Action=Unsubscribe&"));
}

FrontDoor::FrontDoor(FrontDoorOptions options, IdentifyFn identify)
    : options_(std::move(options)), identify_(std::move(identify)) {}

bool FrontDoor::AllowedHost(std::string_view value) const {
  auto [host, port] = SplitHostPort(value);
  for (const std::string& origin : options_.allowed_origins) {
    if (EqualsIgnoreCase(OriginAuthority(origin), value)) return true;
  }
  int64_t want = options_.port;
  if (port == -1) port = 80;
  if (port != want) return false;
  std::string listen = SplitHostPort(options_.listen_host).first;
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host == listen;
}

std::string FrontDoor::BrowserProblem(const http::Request& request) const {
  if (auto origin = request.headers.Get("Origin")) {
    bool allowed = std::any_of(options_.allowed_origins.begin(), options_.allowed_origins.end(),
                               [&](const std::string& o) { return EqualsIgnoreCase(o, *origin); });
    if (!allowed) {
      return "Requests from web pages are refused (Origin: " + std::string(*origin) +
             "); start thaw serve with --allow-origin " + std::string(*origin) +
             " to allow this origin";
    }
  }
  if (auto host = request.headers.Get("Host"); host && !AllowedHost(*host)) {
    return "Host " + std::string(*host) +
           " is not this server's name (use 127.0.0.1, localhost "
           "or the --listen host with port " +
           std::to_string(options_.port) + ")";
  }
  return "";
}

void FrontDoor::Add(std::string_view service, http::Api* api) {
  auto it = services_.find(service);
  if (it == services_.end())
    it = services_.emplace(std::string(service), std::vector<http::Api*>{}).first;
  it->second.push_back(api);
}

const std::vector<http::Api*>* FrontDoor::ApisFor(std::string_view service) const {
  auto it = services_.find(service);
  return it == services_.end() ? nullptr : &it->second;
}

http::Response FrontDoor::Refuse(const http::Request& request, const http::Destination& to,
                                 int status, std::string_view type,
                                 std::string_view message) const {
  if (const auto* apis = ApisFor(to.service)) {
    for (const http::Api* api : *apis) {
      if (auto r = api->Refusal(request, status, type, message)) return std::move(*r);
    }
  }
  switch (to.protocol) {
    case http::Protocol::kJson:
      return http::JsonRpcError(status, type, message);
    case http::Protocol::kQuery: {
      // Query services name their errors without the suffix (AccessDenied, InvalidAction).
      std::string_view code = type;
      if (code.ends_with("Exception")) code.remove_suffix(9);
      return http::QueryXmlError(status, code, message, NewUuid());
    }
    case http::Protocol::kRestJson:
      break;
  }
  return http::RestJsonError(status, type, message);
}

std::optional<std::pair<std::string, std::string>> FrontDoor::Authenticate(
    http::Request& request, const http::Destination& to, const auth::ParsedSignature& signature) {
  const std::string& key_id = signature.access_key_id;
  std::string token = signature.presigned
                          ? request.QueryParam("X-Amz-Security-Token").value_or("")
                          : std::string(request.headers.Get("X-Amz-Security-Token").value_or(""));
  std::optional<auth::FunctionKey> function;
  if (key_id.starts_with("ASIA")) {
    function = auth::FunctionSecret(key_id, token, options_.function_key);
  }
  if (function) {
    request.account = auth::ArnAccount(function->function_arn);
  } else {
    request.account = options_.accounts.AccountOf(key_id);
  }
  if (!options_.verify_signatures) return std::nullopt;

  const bool query = to.protocol == http::Protocol::kQuery;
  std::string secret;
  if (const auth::AccountKey* known = options_.accounts.Find(key_id)) {
    secret = known->secret_access_key;
  } else if (function) {
    secret = function->secret;
  } else if (key_id == auth::kCodeLocationKeyId && signature.service == "s3" &&
             request.method == "GET" && request.path.starts_with("/thaw/code/")) {
    secret = auth::kCodeLocationSecret;
  } else {
    return std::make_pair(query ? "InvalidClientTokenId" : "UnrecognizedClientException",
                          auth::kUnknownKeyMessage);
  }
  std::string_view target = request.target;
  auth::SignedMessage message{request.method, target.substr(0, target.find('?')), request.query,
                              &request.headers.all(), request.oversized ? nullptr : &request.body};
  const Clock& clock = options_.clock ? *options_.clock : SystemClock::Get();
  auto failure = auth::VerifySignature(message, signature, secret,
                                       clock.RealtimeNanos() / 1'000'000'000, query ? 900 : 300);
  if (!failure) return std::nullopt;
  return std::make_pair(query ? "SignatureDoesNotMatch" : "InvalidSignatureException",
                        failure->message);
}

bool FrontDoor::SignedUrlRequest(http::Request& request, const http::Destination& to) {
  StatusOr<auth::ParsedSignature> parsed = Status::NotFound("");
  if (auto authorization = request.headers.Get("Authorization")) {
    bool has_date = request.headers.Get("X-Amz-Date") || request.headers.Get("Date");
    parsed = auth::ParseAuthorization(*authorization, has_date);
  } else if (auth::LooksPresigned(request.query)) {
    parsed = auth::ParsePresignedQuery(request.query);
  }
  if (!parsed.ok()) return false;
  if (auto refused = Authenticate(request, to, *parsed)) {
    THAW_LOG(kInfo, "front-door") << "refused function URL " << request.method << " "
                                  << request.path << ": " << refused->first;
    return false;
  }
  return true;
}

std::optional<uint64_t> FrontDoor::BodyLimit(const http::Request& head) {
  constexpr uint64_t kUnknownOperationBytes = 64 * 1024;
  if (url_api_) {
    if (auto limit = url_api_->BodyLimit(head)) return limit;
  }
  http::Destination to = http::Classify(head);
  const auto* apis = to.error.empty() ? ApisFor(to.service) : nullptr;
  if (apis) {
    for (const http::Api* api : *apis) {
      if (auto limit = api->BodyLimit(head)) return limit;
    }
  }
  return kUnknownOperationBytes;
}

void FrontDoor::Handle(http::Request request, http::ResponseWriter writer) {
  const http::Destination to = http::Classify(request);
  auto refuse = [&](int status, std::string_view type, std::string_view message) {
    http::Response r = Refuse(request, to, status, type, message);
    r.headers.Set("x-amzn-RequestId", NewUuid());
    writer.Send(std::move(r));
  };
  if (options_.port == 0) options_.port = request.local_port;
  if (std::optional<bool> signed_url = url_api_ ? url_api_->Claims(request) : std::nullopt) {
    // The path form carries thaw's own host name: a rebound one is refused as anywhere else.
    const std::string host(request.headers.Get("Host").value_or(""));
    if (lambda::UrlIdOfHost(host).empty() && !AllowedHost(host)) {
      THAW_LOG(kWarn, "front-door")
          << "refused function URL " << request.path << ": Host " << host << " is not thaw's";
      return writer.Send(httpfront::UrlForbidden());
    }
    if (*signed_url && !SignedUrlRequest(request, to)) {
      return writer.Send(httpfront::UrlForbidden());
    }
    return url_api_->Handle(std::move(request), std::move(writer));
  }
  if (std::string problem = BrowserProblem(request); !problem.empty()) {
    THAW_LOG(kWarn, "front-door") << "refused " << request.method << " " << request.path << ": "
                                  << problem;
    return refuse(403, "AccessDeniedException", problem);
  }
  request.account = auth::kAccount;
  if (!ExemptFromSignature(request)) {
    StatusOr<auth::ParsedSignature> parsed = Status::NotFound("");
    if (auto authorization = request.headers.Get("Authorization")) {
      bool has_date = request.headers.Get("X-Amz-Date") || request.headers.Get("Date");
      parsed = auth::ParseAuthorization(*authorization, has_date);
    } else if (auth::LooksPresigned(request.query)) {
      parsed = auth::ParsePresignedQuery(request.query);
    } else {
      return refuse(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
    }
    if (!parsed.ok()) {
      return refuse(403, "IncompleteSignatureException", parsed.status().message());
    }
    if (auto refused = Authenticate(request, to, *parsed)) {
      THAW_LOG(kInfo, "front-door")
          << "refused " << request.method << " " << request.path << " signed by "
          << parsed->access_key_id << ": " << refused->first;
      // Lambda and the query services answer 403, the JSON services 400.
      return refuse(to.protocol == http::Protocol::kJson ? 400 : 403, refused->first,
                    refused->second);
    }
  }
  if (!to.error.empty()) {
    return refuse(403,
                  to.protocol == http::Protocol::kQuery ? "SignatureDoesNotMatch"
                                                        : "InvalidSignatureException",
                  to.error);
  }
  const std::vector<http::Api*>* apis = ApisFor(to.service);
  if (!apis) {
    std::string message =
        to.service.empty()
            ? "thaw cannot tell which service this request is for (no credential scope, "
              "X-Amz-Target, Action or known path)"
            : "thaw does not serve the " + to.service + " service";
    if (!to.signed_for.empty()) message += " (signed for " + to.signed_for + ")";
    THAW_LOG(kInfo, "front-door") << request.method << " " << request.path << ": " << message;
    return refuse(
        to.protocol == http::Protocol::kRestJson ? 404 : 400,
        to.protocol == http::Protocol::kQuery ? "InvalidAction" : "UnknownOperationException",
        message);
  }
  if (identify_) {
    auth::Caller caller = identify_(request);
    if (caller.is_function()) {
      for (const http::Api* api : *apis) {
        std::optional<auth::Operation> op = api->Describe(request);
        if (!op) continue;
        if (std::optional<std::string> denied = auth::Authorize(caller, *op)) {
          THAW_LOG(kInfo, "front-door") << *denied;
          return refuse(403, "AccessDeniedException", *denied);
        }
        break;
      }
    }
  }
  for (http::Api* api : *apis) {
    if (api->Handle(request, writer)) return;
  }
  switch (to.protocol) {
    case http::Protocol::kJson:
      return refuse(400, "UnknownOperationException",
                    "Unknown operation " + std::string(*request.headers.Get("X-Amz-Target")));
    case http::Protocol::kQuery:
      return refuse(400, "InvalidAction",
                    "The action " + http::QueryAction(request).value_or("").substr(0, 64) +
                        " is not valid for this endpoint.");
    case http::Protocol::kRestJson:
      break;
  }
  refuse(404, "UnknownOperationException",
         "Unknown operation: " + request.method + " " + request.path);
}

}  // namespace thaw::cli
