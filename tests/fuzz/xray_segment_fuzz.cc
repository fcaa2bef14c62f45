// Fuzzes X-Ray segment documents (PutTraceSegments' strings, sent by any function), and what
// thaw does with the spans of one that parses: the trace tree, its text, Chrome and OTLP forms.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "trace/export.h"
#include "trace/segment.h"
#include "trace/trace_view.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = thaw::trace::ParseSegmentDocument(text);
  if (!doc.ok()) return 0;
  const auto& root = doc->trace_root;
  thaw::trace::TraceView view = thaw::trace::BuildView(doc->spans);
  thaw::trace::FormatTree(root, doc->spans, view);
  thaw::trace::ViewJson(root, doc->spans, view)
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  thaw::trace::ChromeTraceJson(root, doc->spans)
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  thaw::trace::OtlpJson(root, doc->spans)
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}
