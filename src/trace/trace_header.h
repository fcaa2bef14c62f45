// The X-Ray trace header as thaw passes it along: "Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;
// Sampled=0|1", Lambda's `Lineage` (recursion detection), thaw's `Hlc=<l>.<c>` (hlc.h) and any
// other fields (ALB's Self), kept in order. The one seam every event source goes through: the
// Invoke API, the async queue, SQS (AWSTraceHeader) and SNS (the publisher's header, kept with
// each delivery) hand the invoker the header they received; stream pollers are to do the same.
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
  std::string lineage = {};  // Lineage's value, as received (see LineageCount)
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

// Lambda's recursive loop detection counts, per function, how many invocations an event chain
// has been through: Lineage=<hash>:<count>, one '|'-joined entry per function, where <hash> is
// 8 hex digits naming the function (LineageHash). Entries of another form are kept as they are.
inline constexpr int kMaxRecursiveInvocations = 16;
// The first 8 hex digits of the SHA-256 of the function's unqualified ARN.
std::string LineageHash(std::string_view function_arn);
// `hash`'s count in `lineage`; 0 when it has no entry (or a malformed one).
int LineageCount(std::string_view lineage, std::string_view hash);
// `lineage` with `hash`'s entry set to `count` (appended when missing).
std::string SetLineageCount(std::string_view lineage, std::string_view hash, int count);

// X-Ray's "1-5759e988-bd862e3fe1be46a994272793" as OpenTelemetry's 32 hex digits; "" when
// the root has another shape.
std::string OtelTraceId(std::string_view root);

}  // namespace thaw::trace
