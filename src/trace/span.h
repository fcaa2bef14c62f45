// Span: one hop of a trace as thaw shows and exports it, whatever recorded it: an invocation
// record (the invocation's span is trace::SpanIdFor(request id)) or a segment a function or
// host sent with X-Ray's PutTraceSegments. Times are each recorder's own clock, so under skew
// they may disagree with causality; the HLC stamps do not. Plain data: thread-compatible.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "trace/hlc.h"

namespace thaw::trace {

struct Span {
  std::string id = {};       // 16 hex digits
  std::string parent = {};   // "" for a root
  std::string name = {};     // what ran: a function, or the segment's name
  std::string service = {};  // who ran it: a function, or a segment's service (its name)
  std::string kind = {};     // "invocation" or "segment"
  int64_t start_ns = 0;      // Unix nanoseconds, by the recorder's clock
  int64_t end_ns = 0;
  HlcStamp hlc_start = {};  // empty when the recorder had no HLC
  HlcStamp hlc_end = {};
  nlohmann::json attributes = nlohmann::json::object();  // flat: strings, numbers, booleans
};

}  // namespace thaw::trace
