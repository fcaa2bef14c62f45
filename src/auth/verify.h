// Signature verification (`thaw serve --verify-signatures`): recomputes a request's SigV4
// signature from what it carries (the Authorization header or a presigned query) with the key's
// secret and compares, as AWS's front ends do: the canonical request over the signed headers,
// the path normalized (not for S3), the payload hash (x-amz-content-sha256 when sent, else the
// body's; UNSIGNED-PAYLOAD for an S3 presigned URL), and the time: X-Amz-Date (or Date) within
// the window of now (5 minutes for JSON and REST services, 15 for query ones), a presigned URL
// until X-Amz-Expires. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/sigv4.h"

namespace thaw::auth {

// What a signature covers, as received.
struct SignedMessage {
  std::string_view method;
  std::string_view path;                // as sent (percent-encoded), without the query
  std::string_view query;               // as sent, without '?'
  const HeaderList* headers = nullptr;  // every header received
  const std::string* body = nullptr;    // null: not read (over its limit)
};

struct VerifyFailure {
  enum class Kind { kBadSignature, kExpired };
  Kind kind = Kind::kBadSignature;
  std::string message;  // AWS's text
};

// AWS's texts.
inline constexpr char kBadSignatureMessage[] =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";
inline constexpr char kUnknownKeyMessage[] =
    "The security token included in the request is invalid.";

// nullopt when `signature` (parsed from `message`) is valid for `secret` at `now_unix`;
// `window_seconds` is how far X-Amz-Date may be from now.
std::optional<VerifyFailure> VerifySignature(const SignedMessage& message,
                                             const ParsedSignature& signature,
                                             std::string_view secret, int64_t now_unix,
                                             int64_t window_seconds);

// The request time of a signed message: X-Amz-Date (query for a presigned URL, else header),
// else the Date header (RFC 1123), as Unix seconds; nullopt when missing or malformed.
std::optional<int64_t> SignedTime(const SignedMessage& message, bool presigned);

// The secret of a function's injected credentials (auth::FunctionCredentials): the session
// token names the function, and the key id and token must be the ones derived from it with
// `server_key`. Also returns the function's ARN. nullopt for anything else.
struct FunctionKey {
  std::string secret;
  std::string function_arn;
};
std::optional<FunctionKey> FunctionSecret(std::string_view access_key_id,
                                          std::string_view session_token,
                                          std::string_view server_key);

}  // namespace thaw::auth
