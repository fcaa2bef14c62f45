#include "httpfront/url_api.h"

#include <memory>
#include <utility>

#include "auth/access.h"
#include "auth/accounts.h"
#include "auth/sigv4.h"
#include "base/codec.h"
#include "base/log.h"
#include "httpfront/cors.h"
#include "httpfront/payload_v2.h"
#include "httpfront/response_v2.h"
#include "httpfront/url_stream_sink.h"
#include "invoker/invoke_request.h"
#include "lambda/function.h"
#include "lambda/function_url.h"
#include "lambda/invoke_permission.h"
#include "trace/trace_header.h"

namespace thaw::httpfront {

namespace {

constexpr uint64_t kMaxRequestBytes = invoker::kMaxSyncRequestBytes;

struct Address {
  std::string url_id;
  std::string raw_path;  // the path the function sees
  bool by_host = false;
};

std::string RawPath(const http::Request& request) {
  std::string_view target = request.target;
  return std::string(target.substr(0, target.find('?')));
}

std::optional<Address> AddressOf(const http::Request& request) {
  if (auto host = request.headers.Get("Host")) {
    std::string id = lambda::UrlIdOfHost(*host);
    if (!id.empty()) {
      std::string path = RawPath(request);
      return Address{id, path.empty() ? "/" : path, true};
    }
  }
  std::string path = RawPath(request);
  std::string_view prefix = kUrlPathPrefix;
  if (!path.starts_with(prefix)) return std::nullopt;
  std::string_view rest = std::string_view(path).substr(prefix.size());
  size_t slash = rest.find('/');
  std::string id(rest.substr(0, slash));
  if (id.empty()) return std::nullopt;
  std::string raw = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  return Address{id, raw, false};
}

http::Response WithRequestId(http::Response r, const std::string& request_id) {
  r.headers.Set("x-amzn-RequestId", request_id);
  return r;
}

}  // namespace

http::Response UrlForbidden() { return UrlError(403, "Forbidden"); }

UrlApi::UrlApi(invoker::Invoker& invoker, const lambda::Registry& registry, const Clock& clock)
    : invoker_(invoker), registry_(registry), clock_(clock) {}

std::optional<bool> UrlApi::Claims(const http::Request& request) const {
  std::optional<Address> address = AddressOf(request);
  if (!address) return std::nullopt;
  std::optional<lambda::UrlTarget> url = registry_.FindUrl(address->url_id);
  if (!url) return false;
  // A preflight is answered from the CORS configuration, unsigned, as AWS does.
  if (url->config.cors && IsPreflight(request)) return false;
  return url->config.auth_type == "AWS_IAM";
}

std::optional<uint64_t> UrlApi::BodyLimit(const http::Request& head) const {
  if (!AddressOf(head)) return std::nullopt;
  return kMaxRequestBytes;
}

void UrlApi::Handle(http::Request request, http::ResponseWriter writer) {
  const int64_t arrived_ns = clock_.MonotonicNanos();
  const std::string request_id = NewUuid();
  std::optional<Address> address = AddressOf(request);
  std::optional<lambda::UrlTarget> url =
      address ? registry_.FindUrl(address->url_id) : std::nullopt;
  if (!url) return writer.Send(WithRequestId(UrlForbidden(), request_id));
  const lambda::FunctionUrlConfig& config = url->config;
  if (config.cors && IsPreflight(request)) {
    return writer.Send(WithRequestId(Preflight(*config.cors, request), request_id));
  }
  auto answer = [&](http::Response r) {
    if (config.cors) AddCorsHeaders(*config.cors, request, &r);
    writer.Send(WithRequestId(std::move(r), request_id));
  };
  StatusOr<lambda::Resolved> target = registry_.Resolve(url->key, url->qualifier);
  if (!target.ok()) return answer(UrlForbidden());

  std::optional<IamCaller> iam;
  if (config.auth_type == "AWS_IAM") {
    lambda::InvokePrincipal who = lambda::InvokePrincipal::Account(
        request.account.empty() ? std::string(auth::kAccount) : request.account);
    who.function_url_auth_type = "AWS_IAM";
    if (auto denied = lambda::AuthorizeInvoke(*target, who)) {
      THAW_LOG(kInfo, "function-url") << *denied;
      return answer(UrlForbidden());
    }
    std::string key_id;
    if (auto authorization = request.headers.Get("Authorization")) {
      bool has_date = request.headers.Get("X-Amz-Date") || request.headers.Get("Date");
      if (auto parsed = auth::ParseAuthorization(*authorization, has_date); parsed.ok()) {
        key_id = parsed->access_key_id;
      }
    } else if (auto parsed = auth::ParsePresignedQuery(request.query); parsed.ok()) {
      key_id = parsed->access_key_id;
    }
    iam = IamCaller{key_id, who.account, key_id, "arn:aws:iam::" + who.account + ":root",
                    who.account};
  }
  if (request.oversized) {
    return answer(UrlError(413,
                           "Request must be smaller than 6291456 bytes for the "
                           "InvokeFunction operation"));
  }

  HttpInput in;
  in.method = request.method;
  in.raw_path = address->raw_path;
  in.raw_query = request.query;
  in.headers = request.headers.all();
  in.source_ip = request.peer_address;
  // What AWS's front adds: the client's address, scheme and port, and the trace.
  const std::string trace = trace::FormatTraceHeader(trace::NewTrace(clock_.RealtimeMillis()));
  in.headers.emplace_back("x-forwarded-for", request.peer_address);
  in.headers.emplace_back("x-forwarded-proto", "http");
  in.headers.emplace_back("x-forwarded-port", std::to_string(request.local_port));
  in.headers.emplace_back("x-amzn-trace-id", trace);
  in.body = std::move(request.body);
  V2Context context;
  context.account_id =
      config.auth_type == "AWS_IAM" ? auth::ArnAccount(target->invoked_arn) : "anonymous";
  context.api_id = address->url_id;
  context.domain_prefix = address->url_id;
  context.domain_name = lambda::UrlHostName(address->url_id);
  context.request_id = request_id;
  context.time_ms = clock_.RealtimeMillis();
  context.iam = std::move(iam);

  runtime_api::Event event;
  event.request_id = request_id;
  event.payload = BuildV2Event(in, context);
  if (event.payload.size() > kMaxRequestBytes) {
    return answer(UrlError(413,
                           "Request must be smaller than 6291456 bytes for the "
                           "InvokeFunction operation"));
  }
  event.trace_id = trace;

  // The request's Origin, for the CORS headers of the answer that comes later.
  auto origin = std::make_shared<http::Request>();
  if (auto o = request.headers.Get("Origin")) origin->headers.Set("Origin", *o);
  auto cors = config.cors;
  auto decorate = [origin, cors, request_id](http::Response* r) {
    if (cors) AddCorsHeaders(*cors, *origin, r);
    r->headers.Set("x-amzn-RequestId", request_id);
  };
  // Both modes answer through the sink: a RESPONSE_STREAM URL's function streams to it as it
  // writes; a BUFFERED URL's answer is mapped whole and sent with Answer.
  const bool streamed = config.invoke_mode == "RESPONSE_STREAM";
  auto sink = std::make_shared<UrlStreamSink>(WriterOut(std::move(writer)), request_id, decorate);
  invoker::ResultCallback done;
  if (!streamed) {
    done = [sink, request_id](invoker::InvokeResult result) {
      http::Response r;
      if (result.function_error) {
        r = BadGateway();
      } else if (auto mapped = MapResponse(result.body); mapped.ok()) {
        r = std::move(*mapped);
      } else {
        THAW_LOG(kInfo, "function-url")
            << "request " << request_id << ": malformed answer: " << mapped.status().message();
        r = BadGateway();
      }
      sink->Answer(std::move(r));
    };
  }
  Status s = invoker_.Invoke(*target, std::move(event), /*want_tail=*/false, std::move(done),
                             {.arrived_ns = arrived_ns}, streamed ? sink : nullptr);
  if (s.ok()) return;
  sink->Answer(s.code() == StatusCode::kResourceExhausted ? UrlError(429, "Rate Exceeded.")
                                                          : BadGateway());
}

}  // namespace thaw::httpfront
