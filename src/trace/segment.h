// X-Ray segment documents (the strings PutTraceSegments carries) read as Spans: the segment,
// and its subsegments flattened with their enclosing (sub)segment as parent. thaw's HLC stamps
// ride in the annotations `thaw_hlc_start` and `thaw_hlc_end` ("<l>.<c>"). Checked as X-Ray
// checks them: trace_id "1-<8 hex>-<24 hex>", id 16 hex digits, a name, start_time, and
// end_time or in_progress. Pure functions: thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "trace/span.h"

namespace thaw::trace {

struct SegmentDocument {
  std::string trace_root;
  std::vector<Span> spans;  // the segment first
};

StatusOr<SegmentDocument> ParseSegmentDocument(std::string_view text);

}  // namespace thaw::trace
