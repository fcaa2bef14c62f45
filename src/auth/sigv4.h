// SigV4: AWS Signature Version 4, both ways. Signing builds the canonical request, the string to
// sign, the signing key and the Authorization header, as AWS documents them (and as botocore does
// for non-S3 services: the path is URI-encoded once more). Parsing reads an Authorization header
// or a presigned query into its parts, with AWS's IncompleteSignatureException messages.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace thaw::auth {

inline constexpr char kAlgorithm[] = "AWS4-HMAC-SHA256";
inline constexpr char kUnsignedPayload[] = "UNSIGNED-PAYLOAD";

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: none (long-term keys)
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// What a signature covers. `path` and `query` are as sent on the wire (percent-encoded).
struct CanonicalInput {
  std::string method;
  std::string path;
  std::string query;
  HeaderList headers;              // the headers to sign, any case; values are trimmed
  std::string payload_hash;        // hex SHA-256 of the body, or UNSIGNED-PAYLOAD
  bool double_encode_path = true;  // every service but S3 (which also normalizes the path)
};

// AWS's URI encoding: everything but A-Z a-z 0-9 - _ . ~ as %XX (upper-case); '/' kept when
// keep_slash.
std::string UriEncode(std::string_view s, bool keep_slash);

// "/a/./b/../c//" -> "/a/c/": dot segments resolved, empty segments dropped, a trailing slash
// kept (botocore's normalize_url_path; every service but S3 signs the path so).
std::string NormalizePath(std::string_view path);

// "host;x-amz-date" for the headers of `in`, lower-cased and sorted.
std::string SignedHeaderNames(const HeaderList& headers);
std::string CanonicalRequest(const CanonicalInput& in);
// amz_date "20150830T123600Z"; scope "20150830/us-east-1/service/aws4_request".
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
// HMAC chain over date, region, service and "aws4_request" (raw bytes).
std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service);
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// "20150830T123600Z" for a Unix time in seconds.
std::string AmzDate(int64_t unix_seconds);

enum class PayloadSigning {
  kSigned,          // hash the body (what botocore does for Lambda)
  kSignedHeader,    // hash the body and send it in x-amz-content-sha256 too (S3 requires it)
  kUnsignedHeader,  // x-amz-content-sha256: UNSIGNED-PAYLOAD (S3 over TLS, large uploads)
};

struct SignRequest {
  std::string method;
  std::string path;   // percent-encoded, as sent
  std::string query;  // without '?', as sent
  std::string host;   // the Host header's value
  const std::string* body = nullptr;
  std::string region = "us-east-1";
  std::string service;
  int64_t unix_seconds = 0;
  PayloadSigning payload = PayloadSigning::kSigned;
};

// The headers to add to the request: X-Amz-Date, X-Amz-Security-Token (with a session token),
// x-amz-content-sha256 (when the payload mode says so) and Authorization. `extra` are the
// request's other headers; they are signed too (except User-Agent, Expect, X-Amzn-Trace-Id,
// Content-Length and any Authorization).
HeaderList Sign(const SignRequest& request, const Credentials& credentials,
                const HeaderList& extra = {});

// A presigned URL's query (S3 style: UNSIGNED-PAYLOAD, only host signed), valid for
// expires_seconds: "X-Amz-Algorithm=...&X-Amz-Signature=hex", appended to `request.query`.
std::string PresignQuery(const SignRequest& request, const Credentials& credentials,
                         int64_t expires_seconds);

// The parts of a signature as the caller sent them.
struct ParsedSignature {
  std::string access_key_id;
  std::string date;  // of the credential scope, YYYYMMDD
  std::string region;
  std::string service;
  std::vector<std::string> signed_headers;
  std::string signature;  // hex
  bool presigned = false;
};

// Parses "AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
// SignedHeaders=a;b, Signature=hex". `has_date` tells whether X-Amz-Date or Date came with it.
// InvalidArgument carries AWS's IncompleteSignatureException message.
StatusOr<ParsedSignature> ParseAuthorization(std::string_view header, bool has_date);
// Parses a presigned query's X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-SignedHeaders
// and X-Amz-Signature. InvalidArgument as above.
StatusOr<ParsedSignature> ParsePresignedQuery(std::string_view query);
// True when the query carries X-Amz-Algorithm, X-Amz-Credential or X-Amz-Signature.
bool LooksPresigned(std::string_view query);

}  // namespace thaw::auth
