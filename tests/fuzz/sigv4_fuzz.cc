// Fuzzes SigV4's parsers of what a caller sends: the Authorization header and a presigned
// query (the front door parses both before anything else sees the request), and the canonical
// request builder on the same bytes. Input: a flags byte (bit 0: a date header came too, bit 1:
// encode the path twice), then lines: Authorization, query, method, path, and "name:value"
// headers.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "auth/sigv4.h"
#include "base/codec.h"

using thaw::auth::ParsedSignature;

namespace {

bool Digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// What a successful parse promises its callers.
void CheckParsed(const ParsedSignature& p) {
  if (p.access_key_id.empty() || p.date.size() != 8 || !Digits(p.date) || p.region.empty() ||
      p.service.empty() || p.signature.empty()) {
    std::abort();
  }
  for (const auto& h : p.signed_headers) {
    if (h.empty() || h.find(';') != std::string::npos) std::abort();
  }
}

bool Unreserved(char c, bool keep_slash) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~' || (keep_slash && c == '/');
}

// UriEncode leaves only unreserved characters and %XX, and PercentDecode undoes it.
void CheckUriEncode(std::string_view s, bool keep_slash) {
  std::string encoded = thaw::auth::UriEncode(s, keep_slash);
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] == '%') {
      if (encoded.size() - i < 3) std::abort();
      i += 2;
    } else if (!Unreserved(encoded[i], keep_slash)) {
      std::abort();
    }
  }
  if (thaw::PercentDecode(encoded) != s) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string_view> lines;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    lines.push_back(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  }
  lines.resize(std::max<size_t>(lines.size(), 4));

  auto header = thaw::auth::ParseAuthorization(lines[0], (flags & 1) != 0);
  if (header.ok()) {
    CheckParsed(*header);
    if (header->presigned) std::abort();
  } else if (header.status().message().empty()) {
    std::abort();
  }

  const std::string_view query = lines[1];
  thaw::auth::LooksPresigned(query);
  auto presigned = thaw::auth::ParsePresignedQuery(query);
  if (presigned.ok()) {
    CheckParsed(*presigned);
    if (!presigned->presigned) std::abort();
  } else if (presigned.status().message().empty()) {
    std::abort();
  }

  thaw::auth::CanonicalInput in;
  in.method = lines[2];
  in.path = lines[3];
  in.query = query;
  in.payload_hash = thaw::auth::kUnsignedPayload;
  in.double_encode_path = (flags & 2) != 0;
  for (size_t i = 4; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    in.headers.emplace_back(lines[i].substr(0, colon),
                            colon == std::string_view::npos ? "" : lines[i].substr(colon + 1));
  }
  std::string canonical = thaw::auth::CanonicalRequest(in);
  if (!canonical.starts_with(in.method + "\n")) std::abort();
  if (!canonical.ends_with(std::string("\n") + thaw::auth::kUnsignedPayload)) std::abort();
  thaw::auth::SignedHeaderNames(in.headers);
  CheckUriEncode(lines[3], true);
  CheckUriEncode(query, false);
  return 0;
}
