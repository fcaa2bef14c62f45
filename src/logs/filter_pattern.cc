#include "logs/filter_pattern.h"

namespace thaw::logs {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

Status Invalid(std::string_view text, std::string_view why) {
  return Status::InvalidArgument("Invalid filter pattern '" + std::string(text) +
                                 "': " + std::string(why));
}

}  // namespace

// Sample inputs: `ERROR`, `ERROR "connection reset" -retry`, `?WARN ?ERROR`.
StatusOr<FilterPattern> ParseFilterPattern(std::string_view text) {
  FilterPattern pattern;
  size_t i = 0;
  while (i < text.size() && IsSpace(text[i])) ++i;
  if (i < text.size() && (text[i] == '{' || text[i] == '[' || text[i] == '%')) {
    return Invalid(text,
                   "thaw supports terms and quoted phrases only, not JSON, "
                   "space-delimited or regex patterns");
  }
  while (i < text.size()) {
    if (IsSpace(text[i])) {
      ++i;
      continue;
    }
    // A "?" or "-" directly before a term selects OR or NOT; a lone one is a plain term.
    std::vector<std::string>* bucket = &pattern.all;
    if ((text[i] == '?' || text[i] == '-') && i + 1 < text.size() && !IsSpace(text[i + 1])) {
      bucket = text[i] == '?' ? &pattern.any : &pattern.none;
      ++i;
    }
    if (text[i] == '"') {
      size_t close = text.find('"', i + 1);
      if (close == std::string_view::npos) return Invalid(text, "unterminated quote");
      std::string phrase(text.substr(i + 1, close - i - 1));
      i = close + 1;
      // "" matches every event, so it adds no condition.
      if (!phrase.empty()) bucket->push_back(std::move(phrase));
      continue;
    }
    size_t start = i;
    while (i < text.size() && !IsSpace(text[i])) ++i;
    bucket->push_back(std::string(text.substr(start, i - start)));
  }
  return pattern;
}

}  // namespace thaw::logs
