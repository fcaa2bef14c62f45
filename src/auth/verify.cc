#include "auth/verify.h"

#include <time.h>

#include <openssl/crypto.h>

#include "auth/access.h"
#include "base/codec.h"

namespace thaw::auth {

namespace {

std::optional<int64_t> ParseAmzDate(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  struct tm tm {};
  std::string copy(text);
  const char* end = strptime(copy.c_str(), "%Y%m%dT%H%M%SZ", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

std::optional<int64_t> ParseHttpDate(std::string_view text) {
  struct tm tm {};
  std::string copy(text);
  const char* end = strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

std::optional<std::string_view> HeaderValue(const HeaderList& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return std::nullopt;
}

// The query without X-Amz-Signature (a presigned URL signs everything else).
std::string WithoutSignature(std::string_view query) {
  std::string out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.starts_with("X-Amz-Signature=") || item == "X-Amz-Signature") continue;
    if (!out.empty()) out += '&';
    out += item;
  }
  return out;
}

std::optional<std::string> QueryValue(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = item.find('=');
    if (item.substr(0, eq) != name) continue;
    return PercentDecode(eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1));
  }
  return std::nullopt;
}

bool SameText(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::optional<int64_t> SignedTime(const SignedMessage& message, bool presigned) {
  if (presigned) {
    auto date = QueryValue(message.query, "X-Amz-Date");
    return date ? ParseAmzDate(*date) : std::nullopt;
  }
  if (auto date = HeaderValue(*message.headers, "X-Amz-Date")) return ParseAmzDate(*date);
  if (auto date = HeaderValue(*message.headers, "Date")) return ParseHttpDate(*date);
  return std::nullopt;
}

std::optional<VerifyFailure> VerifySignature(const SignedMessage& message,
                                             const ParsedSignature& signature,
                                             std::string_view secret, int64_t now_unix,
                                             int64_t window_seconds) {
  using Kind = VerifyFailure::Kind;
  std::optional<int64_t> signed_at = SignedTime(message, signature.presigned);
  if (!signed_at) return VerifyFailure{Kind::kBadSignature, kBadSignatureMessage};
  const std::string amz_date = AmzDate(*signed_at);
  if (signature.presigned) {
    auto expires = ParseInt(QueryValue(message.query, "X-Amz-Expires").value_or(""));
    if (!expires || *expires < 1 || *expires > 604800 || now_unix > *signed_at + *expires) {
      return VerifyFailure{Kind::kExpired, "Request has expired"};
    }
  } else {
    std::string minutes = std::to_string(window_seconds / 60) + " min.)";
    if (*signed_at < now_unix - window_seconds) {
      return VerifyFailure{Kind::kExpired, "Signature expired: " + amz_date +
                                               " is now earlier than " +
                                               AmzDate(now_unix - window_seconds) + " (" +
                                               AmzDate(now_unix) + " - " + minutes};
    }
    if (*signed_at > now_unix + window_seconds) {
      return VerifyFailure{Kind::kExpired, "Signature not yet current: " + amz_date +
                                               " is still later than " +
                                               AmzDate(now_unix + window_seconds) + " (" +
                                               AmzDate(now_unix) + " + " + minutes};
    }
  }

  CanonicalInput in;
  in.method = message.method;
  in.path = message.path;
  in.query = signature.presigned ? WithoutSignature(message.query) : std::string(message.query);
  in.double_encode_path = signature.service != "s3";
  for (const std::string& name : signature.signed_headers) {
    bool found = false;
    for (const auto& [k, v] : *message.headers) {
      if (!EqualsIgnoreCase(k, name)) continue;
      in.headers.emplace_back(name, v);
      found = true;
    }
    // A signed header that did not arrive cannot match.
    if (!found) return VerifyFailure{Kind::kBadSignature, kBadSignatureMessage};
  }
  if (auto sent = HeaderValue(*message.headers, "x-amz-content-sha256")) {
    in.payload_hash = *sent;
  } else if (signature.presigned && signature.service == "s3") {
    in.payload_hash = kUnsignedPayload;
  } else if (message.body) {
    in.payload_hash = Sha256Hex(*message.body);
  } else {
    // The body was not read (over its limit): its hash cannot be checked, and the service
    // refuses the request for its size anyway.
    return std::nullopt;
  }
  std::string scope =
      signature.date + "/" + signature.region + "/" + signature.service + "/aws4_request";
  std::string expected =
      HmacSha256Hex(SigningKey(secret, signature.date, signature.region, signature.service),
                    StringToSign(amz_date, scope, CanonicalRequest(in)));
  if (!SameText(expected, signature.signature)) {
    return VerifyFailure{Kind::kBadSignature, kBadSignatureMessage};
  }
  return std::nullopt;
}

std::optional<FunctionKey> FunctionSecret(std::string_view access_key_id,
                                          std::string_view session_token,
                                          std::string_view server_key) {
  if (!access_key_id.starts_with("ASIA") || session_token.empty() || server_key.empty()) {
    return std::nullopt;
  }
  std::optional<std::string> decoded = Base64Decode(session_token);
  constexpr std::string_view kPrefix = "thaw-session:";
  if (!decoded || !decoded->starts_with(kPrefix)) return std::nullopt;
  size_t colon = decoded->rfind(':');
  if (colon <= kPrefix.size()) return std::nullopt;
  std::string arn = decoded->substr(kPrefix.size(), colon - kPrefix.size());
  Credentials derived = FunctionCredentials(arn, server_key);
  if (!SameText(derived.access_key_id, access_key_id) ||
      !SameText(derived.session_token, session_token)) {
    return std::nullopt;
  }
  return FunctionKey{derived.secret_access_key, arn};
}

}  // namespace thaw::auth
