// The SQL behind invocation records (STATE_DIR/invocations.db): one row per drained batch, its
// records in the compact form of record_codec.h, with the realtime/monotonic pair read when it
// was written; the filtered reads of `GET /thaw/invocations`; the JSON a record is shown as.
// Phases, wall-clock times, cost and trace fields are worked out when read, so that the loop
// only encodes timestamps and the writer only copies bytes.
// Thread-compatible: called on the RecordStore writer thread, which owns the connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "records/record.h"
#include "store/sqlite.h"
#include "trace/trace_header.h"

namespace thaw::records {

// One stored record, as read back.
struct StoredRecord {
  std::string request_id = {};
  std::string function = {};
  std::string version = {};
  std::string mechanism = {};
  std::string architecture = {};
  std::string environment = {};
  bool cold = false;
  bool async = false;
  std::string status = {};  // success, error or timeout
  std::string error_type = {};
  int64_t start_ms = 0;  // wall clock (Unix ms) when the invoke arrived
  int64_t start_ns = 0;  // the same, in nanoseconds
  // Phases, nanoseconds: queue (arrival -> environment taken), acquire (-> environment ready:
  // the thaw, or spawn and init), init (its part of acquire, or of the invoke after a reset),
  // delivery (-> event sent to /next), handler (-> /response or /error), response (-> the
  // caller's answer handed over), overhead (/response -> the runtime's next /next), freeze.
  int64_t queue_ns = 0;
  int64_t acquire_ns = 0;
  int64_t init_ns = 0;
  int64_t delivery_ns = 0;
  int64_t handler_ns = 0;
  int64_t response_ns = 0;
  int64_t overhead_ns = 0;
  int64_t freeze_ns = 0;
  int64_t latency_ns = 0;  // arrival -> answer handed over
  int64_t duration_ns = 0;
  int64_t billed_ms = 0;
  int64_t memory_mb = 0;
  int64_t max_memory_mb = 0;
  int64_t cpu_ns = 0;
  double gb_seconds = 0;
  double cost_usd = 0;
  trace::TraceContext trace = {};  // the caller's; this invocation's span is `span_id`
  std::string span_id = {};
  trace::HlcStamp hlc_arrived = {};
  trace::HlcStamp hlc_answered = {};
  EventSource source = {};  // the mapping's batch; empty for other invocations
};

struct RecordFilter {
  std::string function = {};    // empty: all
  std::string request_id = {};  // empty: all
  std::string trace_root = {};  // empty: all
  std::optional<int64_t> since_ms = {};
  std::optional<bool> cold = {};
  std::vector<std::string> statuses = {};  // empty: all
  int64_t limit = 100;
};

const char* StatusName(RecordStatus status);

Status CreateSchema(store::Database& db);

// Inserts batches, each as one row, with one prepared statement kept across batches (a writer
// wakes with cold caches; every saved parse shows).
class BatchWriter {
 public:
  static StatusOr<BatchWriter> Open(store::Database& db);
  // `records` is `count` encoded records, the first with its identity. `realtime_ns` and
  // `monotonic_ns`, read together, later turn their monotonic times into wall-clock times.
  Status Insert(std::string_view records, int64_t count, int64_t realtime_ns, int64_t monotonic_ns);

 private:
  explicit BatchWriter(store::Statement insert) : insert_(std::move(insert)) {}
  store::Statement insert_;
};

// How many records the file holds.
StatusOr<int64_t> CountRecords(store::Database& db);

// Deletes the oldest batches until at most `keep` records remain; returns how many remain.
StatusOr<int64_t> PruneRecords(store::Database& db, int64_t keep);

// What a stored record reads as, given the clock pair of its batch.
StoredRecord ToStored(const DecodedRecord& r, int64_t realtime_ns, int64_t monotonic_ns);

// Newest first.
StatusOr<std::vector<StoredRecord>> QueryRecords(store::Database& db, const RecordFilter& filter);

nlohmann::json RecordJson(const StoredRecord& record);

}  // namespace thaw::records
