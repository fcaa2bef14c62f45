#include "invoker/http_prelude.h"

namespace thaw::invoker {

namespace {
constexpr std::string_view kSeparator("\0\0\0\0\0\0\0\0", 8);
}  // namespace

std::string HttpPrelude::Feed(std::string_view data) {
  if (in_body_) return std::string(data);
  pending_.append(data);
  size_t at = pending_.find(kSeparator);
  if (at == std::string::npos) {
    if (pending_.size() <= kMaxPreludeBytes + kSeparator.size()) return "";
    in_body_ = true;
    return std::move(pending_);
  }
  prelude_ = pending_.substr(0, at);
  in_body_ = true;
  std::string body = pending_.substr(at + kSeparator.size());
  pending_.clear();
  return body;
}

}  // namespace thaw::invoker
