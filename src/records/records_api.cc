#include "records/records_api.h"

#include <mutex>
#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "base/codec.h"
#include "http/aws_error.h"
#include "profile/pricing.h"
#include "records/trace_store.h"
#include "trace/export.h"
#include "trace/segment.h"
#include "trace/trace_view.h"

namespace thaw::records {

namespace {

constexpr int64_t kMaxLimit = 10000;

http::Response JsonResponse(int status, const nlohmann::json& body) {
  return http::Response::Json(status,
                              body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace

// The writer thread's way back to the loop, nulled when the API goes away (see LogsApi).
struct RecordsApi::Poster {
  std::mutex mu;
  boost::asio::io_context* loop = nullptr;  // guarded by mu

  template <typename Fn>
  void Post(Fn&& fn) {
    std::lock_guard<std::mutex> lock(mu);
    if (loop) boost::asio::post(*loop, std::forward<Fn>(fn));
  }
};

StatusOr<RecordFilter> ParseRecordFilter(const http::Request& request) {
  RecordFilter filter;
  filter.function = request.QueryParam("function").value_or("");
  filter.request_id = request.QueryParam("requestId").value_or("");
  if (auto limit = request.QueryParam("limit")) {
    auto n = ParseInt(*limit);
    if (!n || *n < 1 || *n > kMaxLimit) {
      return Status::InvalidArgument("limit must be between 1 and " + std::to_string(kMaxLimit));
    }
    filter.limit = *n;
  }
  if (auto since = request.QueryParam("since")) {
    auto ms = ParseInt(*since);
    if (!ms || *ms < 0) return Status::InvalidArgument("since must be Unix milliseconds");
    filter.since_ms = *ms;
  }
  if (auto cold = request.QueryParam("cold")) {
    if (*cold != "true" && *cold != "false") {
      return Status::InvalidArgument("cold must be true or false");
    }
    filter.cold = *cold == "true";
  }
  if (auto statuses = request.QueryParam("status")) {
    std::string_view rest = *statuses;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view s = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (s != "success" && s != "error" && s != "timeout") {
        return Status::InvalidArgument("status must list success, error or timeout");
      }
      filter.statuses.emplace_back(s);
    }
  }
  return filter;
}

RecordsApi::RecordsApi(boost::asio::io_context& loop, RecordStore* store)
    : store_(store), poster_(std::make_shared<Poster>()), waiting_(std::make_shared<WriterMap>()) {
  poster_->loop = &loop;
}

RecordsApi::~RecordsApi() {
  std::lock_guard<std::mutex> lock(poster_->mu);
  poster_->loop = nullptr;
}

std::optional<uint64_t> RecordsApi::BodyLimit(const http::Request& head) const {
  // X-Ray's batches: up to 50 segment documents of at most 64 KB each, JSON-escaped.
  constexpr uint64_t kMaxTraceSegmentsBytes = 4 << 20;
  constexpr uint64_t kSmallBytes = 64 * 1024;
  if (head.path == "/TraceSegments" && head.method == "POST") return kMaxTraceSegmentsBytes;
  if (head.path == "/thaw/invocations/recording" && head.method == "POST") return kSmallBytes;
  if (head.path.starts_with("/thaw/traces/") && head.method == "GET") return kSmallBytes;
  if (head.path == "/thaw/invocations" && head.method == "GET") return kSmallBytes;
  return std::nullopt;
}

std::optional<auth::Operation> RecordsApi::Describe(const http::Request& request) const {
  using Plane = auth::Operation::Plane;
  if (request.path == "/TraceSegments" && request.method == "POST") {
    return auth::Operation{Plane::kData, "xray:PutTraceSegments", "*", ""};
  }
  if (request.path == "/thaw/invocations/recording" && request.method == "POST") {
    return auth::Operation{Plane::kThaw, "thaw:SetRecording", "*", ""};
  }
  if (request.path.starts_with("/thaw/traces/") && request.method == "GET") {
    return auth::Operation{Plane::kThaw, "thaw:GetTrace", "*", ""};
  }
  if (request.path == "/thaw/invocations" && request.method == "GET") {
    return auth::Operation{Plane::kThaw, "thaw:ListInvocations", "*", ""};
  }
  return std::nullopt;
}

bool RecordsApi::Handle(http::Request& request, http::ResponseWriter& writer) {
  if (request.path == "/thaw/invocations/recording" && request.method == "POST") {
    auto enabled = request.QueryParam("enabled");
    if (!store_) {
      writer.Send(http::RestJsonError(503, "ServiceException",
                                      "invocation records are off (thaw serve --no-records)"));
    } else if (!enabled || (*enabled != "true" && *enabled != "false")) {
      writer.Send(http::RestJsonError(400, "InvalidParameterValueException",
                                      "enabled must be true or false"));
    } else {
      store_->set_enabled(*enabled == "true");
      writer.Send(JsonResponse(200, {{"enabled", store_->enabled()}}));
    }
    return true;
  }
  if (request.path == "/TraceSegments" && request.method == "POST") {
    PutTraceSegments(request, std::move(writer));
    return true;
  }
  constexpr std::string_view kTraces = "/thaw/traces/";
  if (request.path.starts_with(kTraces) && request.method == "GET") {
    GetTrace(request.path.substr(kTraces.size()), request.QueryParam("format").value_or("json"),
             std::move(writer));
    return true;
  }
  if (request.path != "/thaw/invocations" || request.method != "GET") return false;
  auto filter = ParseRecordFilter(request);
  if (!filter.ok()) {
    writer.Send(
        http::RestJsonError(400, "InvalidParameterValueException", filter.status().message()));
    return true;
  }
  RecordStore* store = store_;
  OnWriter(std::move(writer), [store, filter = std::move(*filter)](store::Database& db) {
    auto records = QueryRecords(db, filter);
    if (!records.ok()) {
      return http::RestJsonError(500, "ServiceException", records.status().message());
    }
    nlohmann::json list = nlohmann::json::array();
    for (const StoredRecord& r : *records) list.push_back(RecordJson(r));
    return JsonResponse(200, {{"invocations", std::move(list)},
                              {"dropped", store->dropped()},
                              {"priceSource", profile::kPriceSource}});
  });
  return true;
}

void RecordsApi::OnWriter(http::ResponseWriter writer,
                          std::function<http::Response(store::Database&)> fn) {
  if (!store_) {
    writer.Send(http::RestJsonError(503, "ServiceException",
                                    "invocation records are off (thaw serve --no-records)"));
    return;
  }
  uint64_t id = next_id_++;
  std::weak_ptr<WriterMap> weak_waiting = waiting_;
  bool queued =
      store_->Query([poster = poster_, weak_waiting, id, fn = std::move(fn)](store::Database& db) {
        // On the writer thread: read or write, build the answer, hand it to the loop.
        http::Response response = fn(db);
        poster->Post([weak_waiting, id, response = std::move(response)]() mutable {
          auto waiting = weak_waiting.lock();
          if (!waiting) return;
          auto it = waiting->find(id);
          if (it == waiting->end()) return;
          http::ResponseWriter w = std::move(it->second);
          waiting->erase(it);
          w.Send(std::move(response));
        });
      });
  if (!queued) {
    writer.Send(http::RestJsonError(503, "ServiceException", "the record store is stopped"));
    return;
  }
  // Parking the writer after queueing is safe: the answer is posted to this very thread.
  waiting_->emplace(id, std::move(writer));
}

void RecordsApi::PutTraceSegments(http::Request& request, http::ResponseWriter writer) {
  if (request.oversized) {
    writer.Send(http::RestJsonError(413, "RequestEntityTooLargeException",
                                    "Request must be smaller than " +
                                        std::to_string(*BodyLimit(request)) +
                                        " bytes for the PutTraceSegments operation"));
    return;
  }
  // X-Ray's PutTraceSegments (rest-json): {"TraceSegmentDocuments": ["<segment JSON>", ...]}
  // -> {"UnprocessedTraceSegments": [{"Id", "ErrorCode", "Message"}]}. Parsed here on the
  // loop (a request is at most a few hundred KB), stored on the writer thread.
  auto body = nlohmann::json::parse(request.body, nullptr, false);
  auto docs = body.is_object() ? body.find("TraceSegmentDocuments") : body.end();
  if (!body.is_object() || docs == body.end() || !docs->is_array()) {
    writer.Send(http::RestJsonError(400, "InvalidRequestException",
                                    "TraceSegmentDocuments must be a list of segment documents"));
    return;
  }
  std::vector<trace::SegmentDocument> good;
  nlohmann::json unprocessed = nlohmann::json::array();
  for (const auto& doc : *docs) {
    auto parsed = doc.is_string() ? trace::ParseSegmentDocument(doc.get<std::string>())
                                  : StatusOr<trace::SegmentDocument>(Status::InvalidArgument(
                                        "a segment document must be a string"));
    if (parsed.ok()) {
      good.push_back(std::move(*parsed));
      continue;
    }
    std::string id;
    if (doc.is_string()) {
      auto j = nlohmann::json::parse(doc.get<std::string>(), nullptr, false);
      if (j.is_object() && j.contains("id") && j["id"].is_string()) id = j["id"];
    }
    unprocessed.push_back(
        {{"Id", id}, {"ErrorCode", "InvalidSegment"}, {"Message", parsed.status().message()}});
  }
  OnWriter(std::move(writer), [good = std::move(good),
                               unprocessed = std::move(unprocessed)](store::Database& db) mutable {
    for (const trace::SegmentDocument& doc : good) {
      Status s = InsertSegments(db, doc.trace_root, doc.spans);
      if (!s.ok()) return http::RestJsonError(500, "ServiceException", s.message());
    }
    return JsonResponse(200, {{"UnprocessedTraceSegments", std::move(unprocessed)}});
  });
}

void RecordsApi::GetTrace(std::string root, std::string format, http::ResponseWriter writer) {
  if (format != "json" && format != "text" && format != "chrome" && format != "otlp") {
    writer.Send(http::RestJsonError(400, "InvalidParameterValueException",
                                    "format must be json, text, chrome or otlp"));
    return;
  }
  OnWriter(std::move(writer),
           [root = std::move(root), format = std::move(format)](store::Database& db) {
             auto spans = QueryTrace(db, root);
             if (!spans.ok())
               return http::RestJsonError(500, "ServiceException", spans.status().message());
             if (spans->empty()) {
               return http::RestJsonError(404, "ResourceNotFoundException",
                                          "no invocation or segment has trace " + root);
             }
             if (format == "chrome") return JsonResponse(200, trace::ChromeTraceJson(root, *spans));
             if (format == "otlp") return JsonResponse(200, trace::OtlpJson(root, *spans));
             trace::TraceView view = trace::BuildView(*spans);
             if (format == "text") {
               http::Response r;
               r.status = 200;
               r.headers.Set("Content-Type", "text/plain; charset=utf-8");
               r.body = trace::FormatTree(root, *spans, view);
               return r;
             }
             return JsonResponse(200, trace::ViewJson(root, *spans, view));
           });
}

}  // namespace thaw::records
