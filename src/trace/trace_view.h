// A trace's spans as a tree, in causal order, with the places where the recorders' clocks
// contradict it: thaw's answer to the seed's finding that timestamps cannot order events
// across machines. The tree comes from parent links; siblings, and the "causal order" list,
// are sorted by HLC stamp (physical start where a span has none). An inversion is a span that
// by its own clock starts before a causal ancestor does. Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "trace/span.h"

namespace thaw::trace {

struct TreeLine {
  size_t span = 0;  // index into the spans
  int depth = 0;
};

struct Inversion {
  size_t ancestor = 0;  // causally first...
  size_t span = 0;      // ...yet this one's clock says it started `by_ns` earlier
  int64_t by_ns = 0;
};

struct TraceView {
  std::vector<TreeLine> tree;           // depth-first, children in causal order
  std::vector<size_t> causal_order;     // by HLC start
  std::vector<size_t> timestamp_order;  // by physical start
  std::vector<Inversion> inversions;
};

TraceView BuildView(const std::vector<Span>& spans);

// `thaw trace ID`: the tree with offsets from the earliest start, durations and HLC stamps,
// then the inversions.
std::string FormatTree(const std::string& root, const std::vector<Span>& spans,
                       const TraceView& view);

// The JSON of GET /thaw/traces/ID: spans, tree, both orders and the inversions.
nlohmann::json ViewJson(const std::string& root, const std::vector<Span>& spans,
                        const TraceView& view);

}  // namespace thaw::trace
