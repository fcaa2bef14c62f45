// The subset of CloudWatch Logs filter patterns thaw supports for unstructured log events:
// terms and "quoted phrases" that must all appear (AND), ?terms of which one must appear (OR)
// and -terms that must not appear. Matching is case-sensitive, as in CloudWatch. JSON
// ({ $.x = 1 }), space-delimited ([a, b]) and %regex% patterns are rejected. Matching itself
// happens in SQL (log_queries.cc). Pure values and functions: thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace thaw::logs {

struct FilterPattern {
  std::vector<std::string> all = {};   // every one must occur
  std::vector<std::string> any = {};   // when non-empty, at least one must occur
  std::vector<std::string> none = {};  // none may occur
  bool empty() const { return all.empty() && any.empty() && none.empty(); }
};

// Parses `text`; an empty or blank pattern matches everything. InvalidArgument for an
// unterminated quote or an unsupported pattern kind.
StatusOr<FilterPattern> ParseFilterPattern(std::string_view text);

}  // namespace thaw::logs
