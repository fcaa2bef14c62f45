// The X-Ray trace header as thaw passes it along: "Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;
// Sampled=0|1", plus thaw's `Hlc=<l>.<c>` (hlc.h) and any other fields (Lambda's Lineage,
// ALB's Self), kept in order. The one seam every event source goes through: the Invoke API
// and the async queue today; SNS and stream pollers are to parse what they receive with
// ParseTraceHeader and hand the invoker the header they would send (ForCallee).
// Pure functions: thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "trace/hlc.h"

namespace thaw::trace {

struct TraceContext {
  std::string root = {};
  std::string parent = {};
  std::string sampled = {};  // "1", "0", "?" or ""
  std::optional<HlcStamp> hlc = {};
  std::string extra = {};  // other "Key=Value" fields, ';'-joined, as received
};

// Lenient, as X-Ray is: missing fields stay empty, malformed parts are skipped, and an Hlc
// that does not parse is dropped (the header still counts).
TraceContext ParseTraceHeader(std::string_view header);
std::string FormatTraceHeader(const TraceContext& context);

// A new trace, as Lambda starts one for a caller that sent no header: not sampled.
TraceContext NewTrace(int64_t realtime_ms);

// The span id thaw gives an invocation: the first 16 hex digits of its request id (a UUID), so
// that records need not store it. Any other request id is hashed to 16 hex digits.
std::string SpanIdFor(std::string_view request_id);

// The header the function of an invocation sees (Lambda-Runtime-Trace-Id, then
// _X_AMZN_TRACE_ID): the caller's root and sampling, Parent = the invocation's own span, and
// the stamp of the hand-over.
std::string ForCallee(const TraceContext& caller, std::string_view span_id, HlcStamp stamp);

// X-Ray's "1-5759e988-bd862e3fe1be46a994272793" as OpenTelemetry's 32 hex digits; "" when
// the root has another shape.
std::string OtelTraceId(std::string_view root);

}  // namespace thaw::trace
