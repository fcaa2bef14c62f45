#include "records/trace_store.h"

#include <memory>

namespace thaw::records {

Status CreateTraceSchema(store::Database& db) {
  THAW_RETURN_IF_ERROR(db.Exec(
      "CREATE TABLE IF NOT EXISTS segments ("
      " id INTEGER PRIMARY KEY, trace_root TEXT NOT NULL, span_id TEXT NOT NULL,"
      " parent TEXT NOT NULL, name TEXT NOT NULL, service TEXT NOT NULL, start_ns INTEGER NOT NULL,"
      " end_ns INTEGER NOT NULL, hlc_start TEXT NOT NULL, hlc_end TEXT NOT NULL,"
      " attributes TEXT NOT NULL)"));
  return db.Exec("CREATE INDEX IF NOT EXISTS segments_by_trace ON segments (trace_root)");
}

Status InsertSegments(store::Database& db, const std::string& root,
                      const std::vector<trace::Span>& spans, int64_t keep) {
  THAW_ASSIGN_OR_RETURN(std::unique_ptr<store::Transaction> tx, store::Transaction::Begin(db));
  THAW_ASSIGN_OR_RETURN(
      store::Statement insert,
      db.Prepare("INSERT INTO segments (trace_root, span_id, parent, name, service, start_ns,"
                 " end_ns, hlc_start, hlc_end, attributes) VALUES (?,?,?,?,?,?,?,?,?,?)"));
  for (const trace::Span& s : spans) {
    insert.Bind(1, root)
        .Bind(2, s.id)
        .Bind(3, s.parent)
        .Bind(4, s.name)
        .Bind(5, s.service)
        .Bind(6, s.start_ns)
        .Bind(7, s.end_ns)
        .Bind(8, s.hlc_start.empty() ? "" : trace::FormatHlc(s.hlc_start))
        .Bind(9, s.hlc_end.empty() ? "" : trace::FormatHlc(s.hlc_end))
        .Bind(10, s.attributes.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    THAW_RETURN_IF_ERROR(insert.Run());
  }
  THAW_ASSIGN_OR_RETURN(store::Statement prune,
                        db.Prepare("DELETE FROM segments WHERE id <= (SELECT MAX(id) FROM "
                                   "segments) - ?"));
  THAW_RETURN_IF_ERROR(prune.Bind(1, keep).Run());
  return tx->Commit();
}

StatusOr<std::vector<trace::Span>> QueryTrace(store::Database& db, const std::string& root) {
  RecordFilter filter;
  filter.trace_root = root;
  filter.limit = 10000;
  THAW_ASSIGN_OR_RETURN(std::vector<StoredRecord> records, QueryRecords(db, filter));
  std::vector<trace::Span> spans;
  for (auto it = records.rbegin(); it != records.rend(); ++it) spans.push_back(SpanOf(*it));
  THAW_ASSIGN_OR_RETURN(
      store::Statement query,
      db.Prepare("SELECT span_id, parent, name, service, start_ns, end_ns, hlc_start, hlc_end,"
                 " attributes FROM segments WHERE trace_root = ? ORDER BY id"));
  query.Bind(1, root);
  while (true) {
    THAW_ASSIGN_OR_RETURN(bool row, query.Step());
    if (!row) break;
    trace::Span s;
    s.kind = "segment";
    s.id = query.Text(0);
    s.parent = query.Text(1);
    s.name = query.Text(2);
    s.service = query.Text(3);
    s.start_ns = query.Int(4);
    s.end_ns = query.Int(5);
    s.hlc_start = trace::ParseHlc(query.Text(6)).value_or(trace::HlcStamp{});
    s.hlc_end = trace::ParseHlc(query.Text(7)).value_or(trace::HlcStamp{});
    auto attrs = nlohmann::json::parse(query.Text(8), nullptr, false);
    if (attrs.is_object()) s.attributes = std::move(attrs);
    spans.push_back(std::move(s));
  }
  return spans;
}

trace::Span SpanOf(const StoredRecord& r) {
  trace::Span s;
  s.kind = "invocation";
  s.id = r.span_id;
  s.parent = r.trace.parent;
  s.name = r.function;
  s.service = r.function;
  s.start_ns = r.start_ns;
  s.end_ns = r.start_ns + r.latency_ns;
  s.hlc_start = r.hlc_arrived;
  s.hlc_end = r.hlc_answered;
  s.attributes = {{"requestId", r.request_id},
                  {"version", r.version},
                  {"cold", r.cold},
                  {"status", r.status},
                  {"errorType", r.error_type},
                  {"durationMs", static_cast<double>(r.duration_ns) / 1e6},
                  {"initNs", r.init_ns},
                  {"async", r.async},
                  {"environment", r.environment}};
  return s;
}

}  // namespace thaw::records
