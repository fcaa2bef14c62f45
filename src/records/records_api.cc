#include "records/records_api.h"

#include <mutex>
#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "base/codec.h"
#include "http/aws_error.h"
#include "profile/pricing.h"

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
  if (request.path != "/thaw/invocations" || request.method != "GET") return false;
  auto filter = ParseRecordFilter(request);
  if (!filter.ok()) {
    writer.Send(
        http::RestJsonError(400, "InvalidParameterValueException", filter.status().message()));
    return true;
  }
  if (!store_) {
    writer.Send(http::RestJsonError(503, "ServiceException",
                                    "invocation records are off (thaw serve --no-records)"));
    return true;
  }
  uint64_t id = next_id_++;
  std::weak_ptr<WriterMap> weak_waiting = waiting_;
  RecordStore* store = store_;
  bool queued = store_->Query([poster = poster_, weak_waiting, id, store,
                               filter = std::move(*filter)](store::Database& db) {
    // On the writer thread: read, build the answer, hand it to the loop.
    auto records = QueryRecords(db, filter);
    http::Response response;
    if (!records.ok()) {
      response = http::RestJsonError(500, "ServiceException", records.status().message());
    } else {
      nlohmann::json list = nlohmann::json::array();
      for (const StoredRecord& r : *records) list.push_back(RecordJson(r));
      response = JsonResponse(200, {{"invocations", std::move(list)},
                                    {"dropped", store->dropped()},
                                    {"priceSource", profile::kPriceSource}});
    }
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
    return true;
  }
  // Parking the writer after queueing is safe: the answer is posted to this very thread.
  waiting_->emplace(id, std::move(writer));
  return true;
}

}  // namespace thaw::records
