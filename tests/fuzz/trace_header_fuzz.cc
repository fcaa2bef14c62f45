// Fuzzes the X-Ray trace header every invocation carries (X-Amzn-Trace-Id), and checks that
// formatting what was parsed parses back to the same context.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "trace/trace_header.h"

using thaw::trace::TraceContext;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view header(reinterpret_cast<const char*>(data), size);
  TraceContext parsed = thaw::trace::ParseTraceHeader(header);
  std::string formatted = thaw::trace::FormatTraceHeader(parsed);
  TraceContext again = thaw::trace::ParseTraceHeader(formatted);
  if (thaw::trace::FormatTraceHeader(again) != formatted) std::abort();
  thaw::trace::OtelTraceId(parsed.root);
  thaw::trace::SpanIdFor(header);
  if (parsed.hlc) thaw::trace::ForCallee(parsed, "53995c3f42cd8ad8", *parsed.hlc);
  return 0;
}
