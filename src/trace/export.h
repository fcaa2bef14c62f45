// A trace's spans in other tools' formats:
//  - Chrome trace event JSON, which ui.perfetto.dev and chrome://tracing open: a process per
//    service, a complete ("X") event per span on a track of its own, and a flow arrow ("s" at
//    the parent, "f" at the child) along every parent link. Times are microseconds from the
//    earliest start (absolute epoch microseconds would lose nanoseconds in a double); that base
//    is in otherData. Under clock skew an arrow can point back in time: that is the skew.
//  - OTLP/JSON (ExportTraceServiceRequest as the OTLP/HTTP JSON encoding writes it: hex ids,
//    int64 nanoseconds as strings), one resourceSpans per service.
// Pure functions: thread-safe.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "trace/span.h"

namespace thaw::trace {

nlohmann::json ChromeTraceJson(const std::string& root, const std::vector<Span>& spans);
nlohmann::json OtlpJson(const std::string& root, const std::vector<Span>& spans);

}  // namespace thaw::trace
