// RecordsApi: GET /thaw/invocations on the front door, thaw's own (non-AWS) view of invocation
// records: ?function=NAME&requestId=ID&since=UNIX_MS&cold=true|false&status=success,error,timeout
// &limit=N (default 100, at most 10000), newest first, as
// {"invocations": [...], "dropped": N, "priceSource": "..."}. Queries run on the record
// store's writer thread and come back to the loop through boost::asio::post.
// POST /thaw/invocations/recording?enabled=true|false pauses or resumes recording: for
// measuring its cost within one server (bench/records_cpu.sh), like `serve --no-records`.
// Traces: X-Ray's PutTraceSegments (POST /TraceSegments) takes segments from functions and
// hosts; GET /thaw/traces/ROOT?format=json|text|chrome|otlp shows a trace's invocations and
// segments as a causal tree (trace/trace_view.h) or exports it (trace/export.h).
// Loop thread only: construct, call Handle and destroy on the io_context's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "http/api.h"
#include "records/record_queries.h"
#include "records/record_store.h"

namespace boost::asio {
class io_context;
}

namespace thaw::records {

// Reads a filter from the query string; InvalidArgument names the bad parameter.
StatusOr<RecordFilter> ParseRecordFilter(const http::Request& request);

class RecordsApi final : public http::Api {
 public:
  // `loop` and `store` must outlive this object; a null `store` (recording off) answers 503.
  RecordsApi(boost::asio::io_context& loop, RecordStore* store);
  RecordsApi(const RecordsApi&) = delete;
  RecordsApi& operator=(const RecordsApi&) = delete;
  ~RecordsApi() override;

  bool Handle(http::Request& request, http::ResponseWriter& writer) override;
  std::optional<uint64_t> BodyLimit(const http::Request& head) const override;
  std::optional<auth::Operation> Describe(const http::Request& request) const override;

 private:
  struct Poster;  // shared with the writer thread
  // Runs `fn` on the record store's writer thread and sends its answer from the loop.
  void OnWriter(http::ResponseWriter writer, std::function<http::Response(store::Database&)> fn);
  void PutTraceSegments(http::Request& request, http::ResponseWriter writer);
  void GetTrace(std::string root, std::string format, http::ResponseWriter writer);

  using WriterMap = std::unordered_map<uint64_t, http::ResponseWriter>;

  RecordStore* store_;
  std::shared_ptr<Poster> poster_;
  std::shared_ptr<WriterMap> waiting_;  // loop thread only
  uint64_t next_id_ = 0;
};

}  // namespace thaw::records
