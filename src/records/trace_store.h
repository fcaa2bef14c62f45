// Traces in STATE_DIR/invocations.db: the segments functions and hosts send with X-Ray's
// PutTraceSegments (one row per span, by trace root), and a trace's spans read back together
// with its invocation records, the hops thaw itself ran.
// Thread-compatible: called on the RecordStore writer thread, which owns the connection.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "records/record_queries.h"
#include "store/sqlite.h"
#include "trace/span.h"

namespace thaw::records {

Status CreateTraceSchema(store::Database& db);

// One transaction; beyond `keep` rows the oldest go.
Status InsertSegments(store::Database& db, const std::string& root,
                      const std::vector<trace::Span>& spans, int64_t keep = 1'000'000);

// The trace's invocations (spans named by function) and segments.
StatusOr<std::vector<trace::Span>> QueryTrace(store::Database& db, const std::string& root);

// An invocation record as a span: id SpanIdFor(request id), parent the caller's, from arrival
// to answer by the server's clock, with the server's HLC stamps.
trace::Span SpanOf(const StoredRecord& r);

}  // namespace thaw::records
