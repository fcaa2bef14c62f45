#include "records/record_queries.h"

#include <algorithm>

#include "base/codec.h"
#include "profile/pricing.h"
#include "records/record_codec.h"
#include "records/trace_store.h"

namespace thaw::records {

namespace {

// to - from, when both happened in that order; else 0.
int64_t Span(int64_t from, int64_t to) { return from > 0 && to >= from ? to - from : 0; }

bool Matches(const DecodedRecord& r, const RecordFilter& f, int64_t start_ns) {
  if (!f.function.empty() && r.function != f.function) return false;
  if (!f.request_id.empty() && r.request_id != f.request_id) return false;
  if (!f.trace_root.empty() && trace::ParseTraceHeader(r.trace).root != f.trace_root) return false;
  if (f.since_ms && start_ns < *f.since_ms * 1000000) return false;
  if (f.cold && r.cold != *f.cold) return false;
  if (!f.statuses.empty()) {
    std::string_view status = StatusName(r.status);
    bool any = false;
    for (const std::string& s : f.statuses) any = any || s == status;
    if (!any) return false;
  }
  return true;
}

}  // namespace

const char* StatusName(RecordStatus status) {
  switch (status) {
    case RecordStatus::kSuccess:
      return "success";
    case RecordStatus::kError:
      return "error";
    case RecordStatus::kTimeout:
      return "timeout";
  }
  return "error";
}

Status CreateSchema(store::Database& db) {
  // One connection, on the writer thread, uses the file: holding its locks for good saves a
  // handful of fcntl calls per transaction (thaw.lock already keeps other servers off).
  THAW_RETURN_IF_ERROR(db.Exec("PRAGMA locking_mode=EXCLUSIVE"));
  THAW_RETURN_IF_ERROR(CreateTraceSchema(db));
  // realtime_ns is when the batch was written, after every arrival in it: `since` skips
  // batches written before it.
  return db.Exec(
      "CREATE TABLE IF NOT EXISTS record_batches ("
      " id INTEGER PRIMARY KEY, realtime_ns INTEGER NOT NULL, monotonic_ns INTEGER NOT NULL,"
      " count INTEGER NOT NULL, records BLOB NOT NULL)");
}

StatusOr<BatchWriter> BatchWriter::Open(store::Database& db) {
  THAW_ASSIGN_OR_RETURN(store::Statement insert,
                        db.Prepare("INSERT INTO record_batches (realtime_ns, monotonic_ns, count, "
                                   "records) VALUES (?, ?, ?, ?)"));
  return BatchWriter(std::move(insert));
}

Status BatchWriter::Insert(std::string_view records, int64_t count, int64_t realtime_ns,
                           int64_t monotonic_ns) {
  if (count == 0) return Status::Ok();
  insert_.Bind(1, realtime_ns).Bind(2, monotonic_ns).Bind(3, count).BindBlob(4, records);
  return insert_.Run();
}

StatusOr<int64_t> CountRecords(store::Database& db) {
  THAW_ASSIGN_OR_RETURN(store::Statement q,
                        db.Prepare("SELECT COALESCE(SUM(count), 0) FROM record_batches"));
  THAW_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? q.Int(0) : 0;
}

StatusOr<int64_t> PruneRecords(store::Database& db, int64_t keep) {
  THAW_ASSIGN_OR_RETURN(int64_t total, CountRecords(db));
  if (total <= keep) return total;
  THAW_ASSIGN_OR_RETURN(store::Statement oldest,
                        db.Prepare("SELECT id, count FROM record_batches ORDER BY id"));
  int64_t cut = 0;
  while (total > keep) {
    THAW_ASSIGN_OR_RETURN(bool row, oldest.Step());
    if (!row) break;
    cut = oldest.Int(0);
    total -= oldest.Int(1);
  }
  oldest.Reset();
  THAW_ASSIGN_OR_RETURN(store::Statement del,
                        db.Prepare("DELETE FROM record_batches WHERE id <= ?"));
  del.Bind(1, cut);
  THAW_RETURN_IF_ERROR(del.Run());
  return total;
}

StoredRecord ToStored(const DecodedRecord& r, int64_t realtime_ns, int64_t monotonic_ns) {
  StoredRecord s;
  s.request_id = r.request_id;
  s.function = r.function;
  s.version = r.version;
  s.mechanism = r.mechanism;
  s.architecture = r.architecture;
  s.environment = r.environment;
  s.cold = r.cold;
  s.async = r.async;
  s.status = StatusName(r.status);
  s.error_type = r.error_type;
  s.start_ns = realtime_ns - (monotonic_ns - r.arrived_ns);
  s.start_ms = s.start_ns / 1000000;
  s.queue_ns = Span(r.arrived_ns, r.acquired_ns);
  s.acquire_ns = Span(r.acquired_ns, r.ready_ns);
  s.init_ns = r.init_ns;
  s.delivery_ns = Span(r.ready_ns, r.sent_ns);
  s.handler_ns = Span(r.sent_ns, r.responded_ns);
  s.response_ns = Span(r.responded_ns, r.answered_ns);
  s.overhead_ns = Span(r.responded_ns, r.ended_ns);
  s.freeze_ns = r.freeze_ns;
  s.latency_ns = Span(r.arrived_ns, r.answered_ns);
  s.duration_ns = r.duration_ns;
  s.billed_ms = r.billed_ms;
  s.memory_mb = r.memory_mb;
  s.max_memory_mb = r.max_memory_mb;
  s.cpu_ns = r.cpu_ns;
  // Cost from the price table at read time: a record keeps its billed figures, not dollars.
  auto arch = profile::ParseArchitecture(s.architecture).value_or(profile::Architecture::kX86_64);
  s.gb_seconds = profile::GbSeconds(s.billed_ms, s.memory_mb);
  s.cost_usd = profile::InvocationCost(arch, s.billed_ms, s.memory_mb);
  s.trace = trace::ParseTraceHeader(r.trace);
  s.span_id = trace::SpanIdFor(r.request_id);
  s.hlc_arrived = r.hlc_arrived;
  s.hlc_answered = r.hlc_answered;
  s.source = r.source;
  return s;
}

StatusOr<std::vector<StoredRecord>> QueryRecords(store::Database& db, const RecordFilter& filter) {
  std::string sql = "SELECT realtime_ns, monotonic_ns, records FROM record_batches";
  if (filter.since_ms) sql += " WHERE realtime_ns >= ?";
  sql += " ORDER BY id DESC";
  THAW_ASSIGN_OR_RETURN(store::Statement query, db.Prepare(sql));
  if (filter.since_ms) query.Bind(1, *filter.since_ms * 1000000);
  std::vector<StoredRecord> out;
  while (static_cast<int64_t>(out.size()) < filter.limit) {
    THAW_ASSIGN_OR_RETURN(bool row, query.Step());
    if (!row) break;
    int64_t realtime_ns = query.Int(0), monotonic_ns = query.Int(1);
    auto batch = DecodeBatch(query.Text(2));
    if (!batch.ok()) return batch.status();
    for (auto it = batch->rbegin(); it != batch->rend(); ++it) {
      int64_t start_ns = realtime_ns - (monotonic_ns - it->arrived_ns);
      if (!Matches(*it, filter, start_ns)) continue;
      out.push_back(ToStored(*it, realtime_ns, monotonic_ns));
      if (static_cast<int64_t>(out.size()) == filter.limit) break;
    }
  }
  query.Reset();
  return out;
}

// "eventSource" of a record: the mapping batch it delivered. Iterator age is the last record's
// age when the poller invoked (Lambda's IteratorAge); put -> handler is the first record's
// arrival until the event went to the runtime.
static nlohmann::json SourceJson(const StoredRecord& r) {
  const EventSource& s = r.source;
  nlohmann::json out = {{"mappingUuid", s.mapping},  {"eventSourceArn", s.source_arn},
                        {"batchSize", s.batch_size}, {"attempt", s.attempt},
                        {"bisected", s.bisected},    {"invokedTime", s.invoked_ms}};
  if (!s.shard.empty()) {
    out["shardId"] = s.shard;
    out["startSequenceNumber"] = s.first_seq;
    out["endSequenceNumber"] = s.last_seq;
  }
  if (s.first_arrival_ms > 0) {
    out["approximateArrivalOfFirstRecord"] = s.first_arrival_ms;
    out["approximateArrivalOfLastRecord"] = s.last_arrival_ms;
    out["iteratorAgeMs"] = std::max<int64_t>(0, s.invoked_ms - s.last_arrival_ms);
    int64_t sent_ms = (r.start_ns + r.queue_ns + r.acquire_ns + r.delivery_ns) / 1000000;
    out["putToHandlerMs"] = std::max<int64_t>(0, sent_ms - s.first_arrival_ms);
  }
  return out;
}

nlohmann::json RecordJson(const StoredRecord& r) {
  nlohmann::json out = {
      {"requestId", r.request_id},
      {"function", r.function},
      {"version", r.version},
      {"mechanism", r.mechanism},
      {"architecture", r.architecture},
      {"environment", r.environment},
      {"invocationType", r.async ? "Event" : "RequestResponse"},
      {"cold", r.cold},
      {"status", r.status},
      {"errorType", r.error_type},
      {"startTime", r.start_ms},
      {"start", FormatIsoMillis(r.start_ms)},
      {"phases",
       {{"queueNs", r.queue_ns},
        {"acquireNs", r.acquire_ns},
        {"initNs", r.init_ns},
        {"deliveryNs", r.delivery_ns},
        {"handlerNs", r.handler_ns},
        {"responseNs", r.response_ns},
        {"overheadNs", r.overhead_ns},
        {"freezeNs", r.freeze_ns}}},
      {"latencyNs", r.latency_ns},
      {"durationMs", static_cast<double>(r.duration_ns) / 1e6},
      {"billedDurationMs", r.billed_ms},
      {"memorySizeMB", r.memory_mb},
      {"maxMemoryUsedMB", r.max_memory_mb},
      {"cpuTimeNs", r.cpu_ns},
      {"gbSeconds", r.gb_seconds},
      {"costUsd", r.cost_usd},
      {"trace",
       {{"root", r.trace.root},
        {"parent", r.trace.parent},
        {"sampled", r.trace.sampled},
        {"spanId", r.span_id},
        {"hlcStart", r.hlc_arrived.empty() ? "" : trace::FormatHlc(r.hlc_arrived)},
        {"hlcEnd", r.hlc_answered.empty() ? "" : trace::FormatHlc(r.hlc_answered)}}},
  };
  if (!r.source.empty()) out["eventSource"] = SourceJson(r);
  return out;
}

}  // namespace thaw::records
