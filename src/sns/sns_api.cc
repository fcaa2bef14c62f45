#include "sns/sns_api.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "auth/sigv4.h"
#include "base/codec.h"
#include "base/xml.h"
#include "http/dispatch.h"
#include "sqs/protocol.h"

namespace thaw::sns {

namespace {

// A publish of 256 KiB, form-encoded (up to 3 bytes a byte), and a batch of ten.
constexpr uint64_t kBodyLimit = 8ull << 20;

bool IsCertificate(const http::Request& request) { return request.path == kCertificatePath; }

std::string AccountOf(const http::Request& request) {
  if (!request.account.empty()) return request.account;  // the front door's (auth/accounts.h)
  std::string credential = http::SignatureCredential(request);
  std::string key = credential.substr(0, credential.find('/'));
  if (key.size() == 12 &&
      std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return key;
  }
  return kDefaultAccount;
}

}  // namespace

Params QueryParams(const http::Request& request) {
  Params out;
  for (auto& [k, v] : ParseForm(request.query)) out.emplace(k, v);
  if (request.method == "POST") {
    for (auto& [k, v] : ParseForm(request.body)) out.emplace(k, v);
  }
  return out;
}

http::Response RenderXml(std::string_view operation, const Outcome& outcome,
                         std::string_view request_id) {
  std::string op(operation);
  std::string xml = "<?xml version=\"1.0\"?>\n<" + op + "Response xmlns=\"" + kXmlNamespace + "\">";
  if (outcome.has_result) xml += "<" + op + "Result>" + outcome.result + "</" + op + "Result>";
  xml += "<ResponseMetadata><RequestId>" + XmlEscape(request_id) +
         "</RequestId></ResponseMetadata></" + op + "Response>";
  http::Response r;
  r.status = 200;
  r.headers.Set("Content-Type", "text/xml");
  r.body = std::move(xml);
  return r;
}

http::Response RenderXmlError(const Error& error, std::string_view request_id) {
  std::string xml = std::string("<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"") +
                    kXmlNamespace + "\"><Error><Type>" + (error.sender ? "Sender" : "Receiver") +
                    "</Type><Code>" + XmlEscape(error.code) + "</Code><Message>" +
                    XmlEscape(error.message) + "</Message></Error><RequestId>" +
                    XmlEscape(request_id) + "</RequestId></ErrorResponse>";
  http::Response r;
  r.status = error.status;
  r.headers.Set("Content-Type", "text/xml");
  r.body = std::move(xml);
  return r;
}

std::optional<uint64_t> SnsApi::BodyLimit(const http::Request& head) const {
  if (head.path.starts_with("/thaw/") && !IsCertificate(head)) return std::nullopt;
  return kBodyLimit;
}

std::optional<auth::Operation> SnsApi::Describe(const http::Request& request) const {
  if (request.path.starts_with("/thaw/")) {
    if (!IsCertificate(request)) return std::nullopt;
    // Public, as AWS's certificates are: functions verify signatures with it.
    auth::Operation op;
    op.plane = auth::Operation::Plane::kData;
    op.action = "sns:GetSigningCertificate";
    op.resource = "*";
    return op;
  }
  Params p = QueryParams(request);
  auth::Operation op;
  std::string action = p.count("Action") ? p["Action"] : "";
  op.action = "sns:" + action;
  op.plane = action == "Publish" || action == "PublishBatch" ? auth::Operation::Plane::kData
                                                             : auth::Operation::Plane::kControl;
  op.resource = "*";
  for (const char* key : {"TopicArn", "TargetArn", "ResourceArn"}) {
    if (p.count(key) && !p[key].empty()) {
      op.resource = p[key];
      break;
    }
  }
  return op;
}

std::optional<http::Response> SnsApi::Refusal(const http::Request& request, int status,
                                              std::string_view type,
                                              std::string_view message) const {
  if (request.path.starts_with("/thaw/")) return std::nullopt;
  std::string code(type);
  if (code == "AccessDeniedException") code = "AuthorizationError";
  if (code.ends_with("Exception")) code.resize(code.size() - 9);
  Error e = MakeError(code, std::string(message));
  e.status = status;
  return RenderXmlError(e, NewUuid());
}

bool SnsApi::Handle(http::Request& request, http::ResponseWriter& writer) {
  if (request.path.starts_with("/thaw/")) {
    if (!IsCertificate(request)) return false;
    http::Response r;
    if (!service_.signer()) {
      r.status = 404;
    } else {
      r.status = 200;
      r.headers.Set("Content-Type", "application/x-pem-file");
      r.body = service_.signer()->certificate_pem();
    }
    writer.Send(std::move(r));
    return true;
  }
  const std::string request_id = NewUuid();
  auto w = std::make_shared<http::ResponseWriter>(std::move(writer));
  auto reply = [w, request_id](const std::string& op, const Outcome& outcome) {
    http::Response r = outcome.error ? RenderXmlError(*outcome.error, request_id)
                                     : RenderXml(op, outcome, request_id);
    r.headers.Set("x-amzn-RequestId", request_id);
    w->Send(std::move(r));
  };
  if (request.oversized) {
    Outcome o;
    o.error = MakeError("RequestTooLarge", "The request body is too large.");
    o.error->status = 413;
    reply("", o);
    return true;
  }
  Params params = QueryParams(request);
  std::string op = params.count("Action") ? params["Action"] : "";
  if (op.empty() || !SnsService::IsOperation(op)) {
    Outcome o;
    o.error = op.empty() ? MakeError("MissingAction", "Missing Action")
                         : MakeError("InvalidAction", "The action " + op.substr(0, 64) +
                                                          " is not valid for this endpoint.");
    reply(op, o);
    return true;
  }
  Context ctx;
  ctx.account = AccountOf(request);
  // The front door lets an UnsubscribeURL through unsigned (cli/front_door.cc).
  ctx.unsubscribe_url = op == "Unsubscribe" && request.method == "GET" &&
                        !request.headers.Get("Authorization") &&
                        !auth::LooksPresigned(request.query);
  if (auto trace = request.headers.Get("X-Amzn-Trace-Id")) ctx.trace_header = std::string(*trace);
  service_.Execute(ctx, op, params, [reply, op](const Outcome& o) { reply(op, o); });
  return true;
}

}  // namespace thaw::sns
