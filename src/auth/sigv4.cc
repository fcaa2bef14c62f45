#include "auth/sigv4.h"

#include <time.h>

#include <algorithm>
#include <cctype>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/codec.h"

namespace thaw::auth {

namespace {

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Trimmed, with runs of spaces inside collapsed to one (AWS's canonical header value).
std::string CanonicalValue(std::string_view v) {
  v = Trim(v);
  std::string out;
  out.reserve(v.size());
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return std::string(reinterpret_cast<char*>(md), len);
}

std::string CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string_view key = item.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    pairs.emplace_back(UriEncode(PercentDecode(key), false),
                       UriEncode(PercentDecode(value), false));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) {
    if (!out.empty()) out += '&';
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

// Lower-cased names, canonical values, sorted by name; repeated names joined with ','.
std::vector<std::pair<std::string, std::string>> CanonicalHeaders(const HeaderList& headers) {
  std::vector<std::pair<std::string, std::string>> sorted;
  for (const auto& [k, v] : headers) sorted.emplace_back(ToLower(k), CanonicalValue(v));
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::string, std::string>> merged;
  for (auto& [k, v] : sorted) {
    if (!merged.empty() && merged.back().first == k) {
      merged.back().second += "," + v;
    } else {
      merged.emplace_back(std::move(k), std::move(v));
    }
  }
  return merged;
}

bool Unsigned(std::string_view lower_name) {
  return lower_name == "user-agent" || lower_name == "expect" || lower_name == "x-amzn-trace-id" ||
         lower_name == "content-length" || lower_name == "authorization";
}

std::string Scope(std::string_view date, const SignRequest& r) {
  std::string scope(date);
  scope += "/" + r.region + "/" + r.service + "/aws4_request";
  return scope;
}

}  // namespace

std::string UriEncode(std::string_view s, bool keep_slash) {
  static const char* kDigits = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 15]);
    }
  }
  return out;
}

std::string NormalizePath(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> kept;
  std::string_view rest = path;
  while (true) {
    size_t slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
    } else if (!segment.empty() && segment != ".") {
      kept.push_back(segment);
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  std::string out = path.front() == '/' ? "/" : "";
  for (size_t i = 0; i < kept.size(); ++i) {
    if (i > 0) out += '/';
    out += kept[i];
  }
  if (path.back() == '/' && !kept.empty()) out += '/';
  return out;
}

std::string SignedHeaderNames(const HeaderList& headers) {
  std::string out;
  for (const auto& [k, v] : CanonicalHeaders(headers)) {
    if (!out.empty()) out += ';';
    out += k;
  }
  return out;
}

std::string CanonicalRequest(const CanonicalInput& in) {
  std::string path = in.path.empty() ? "/" : in.path;
  std::string uri = in.double_encode_path ? UriEncode(NormalizePath(path), true)
                                          : UriEncode(PercentDecode(path), true);
  std::string out = in.method + "\n" + uri + "\n" + CanonicalQuery(in.query) + "\n";
  auto headers = CanonicalHeaders(in.headers);
  std::string names;
  for (const auto& [k, v] : headers) {
    out += k + ":" + v + "\n";
    if (!names.empty()) names += ';';
    names += k;
  }
  out += "\n" + names + "\n" + in.payload_hash;
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out = kAlgorithm;
  out += "\n";
  out += amz_date;
  out += "\n";
  out += scope;
  out += "\n";
  out += Sha256Hex(canonical_request);
  return out;
}

std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service) {
  std::string k = Hmac("AWS4" + std::string(secret), date);
  k = Hmac(k, region);
  k = Hmac(k, service);
  return Hmac(k, "aws4_request");
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  return HexLower(Hmac(key, data));
}

std::string AmzDate(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

HeaderList Sign(const SignRequest& r, const Credentials& credentials, const HeaderList& extra) {
  const std::string amz_date = AmzDate(r.unix_seconds);
  const std::string date = amz_date.substr(0, 8);
  static const std::string kEmpty;
  const std::string& body = r.body ? *r.body : kEmpty;
  std::string payload_hash =
      r.payload == PayloadSigning::kUnsignedHeader ? kUnsignedPayload : Sha256Hex(body);

  HeaderList added;
  added.emplace_back("X-Amz-Date", amz_date);
  if (!credentials.session_token.empty()) {
    added.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  if (r.payload != PayloadSigning::kSigned)
    added.emplace_back("x-amz-content-sha256", payload_hash);

  CanonicalInput in;
  in.method = r.method;
  in.path = r.path;
  in.query = r.query;
  in.payload_hash = payload_hash;
  in.double_encode_path = r.service != "s3";
  in.headers.emplace_back("host", r.host);
  for (const auto& [k, v] : extra) {
    std::string lower = ToLower(k);
    if (lower == "host" || lower == "x-amz-date" || lower == "x-amz-security-token" ||
        lower == "x-amz-content-sha256" || Unsigned(lower)) {
      continue;
    }
    in.headers.emplace_back(k, v);
  }
  for (const auto& h : added) in.headers.push_back(h);

  std::string scope = Scope(date, r);
  std::string signature =
      HmacSha256Hex(SigningKey(credentials.secret_access_key, date, r.region, r.service),
                    StringToSign(amz_date, scope, CanonicalRequest(in)));
  added.emplace_back("Authorization", std::string(kAlgorithm) +
                                          " Credential=" + credentials.access_key_id + "/" + scope +
                                          ", SignedHeaders=" + SignedHeaderNames(in.headers) +
                                          ", Signature=" + signature);
  return added;
}

std::string PresignQuery(const SignRequest& r, const Credentials& credentials,
                         int64_t expires_seconds) {
  const std::string amz_date = AmzDate(r.unix_seconds);
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = Scope(date, r);
  std::string query = r.query;
  auto add = [&query](std::string_view key, std::string_view value) {
    if (!query.empty()) query += '&';
    query += key;
    query += '=';
    query += UriEncode(value, false);
  };
  add("X-Amz-Algorithm", kAlgorithm);
  add("X-Amz-Credential", credentials.access_key_id + "/" + scope);
  add("X-Amz-Date", amz_date);
  add("X-Amz-Expires", std::to_string(expires_seconds));
  if (!credentials.session_token.empty()) add("X-Amz-Security-Token", credentials.session_token);
  add("X-Amz-SignedHeaders", "host");
  CanonicalInput in;
  in.method = r.method;
  in.path = r.path;
  in.query = query;
  in.payload_hash = kUnsignedPayload;
  in.double_encode_path = r.service != "s3";
  in.headers.emplace_back("host", r.host);
  std::string signature =
      HmacSha256Hex(SigningKey(credentials.secret_access_key, date, r.region, r.service),
                    StringToSign(amz_date, scope, CanonicalRequest(in)));
  query += "&X-Amz-Signature=" + signature;
  return query;
}

namespace {

// Fills scope fields from "AKID/DATE/REGION/SERVICE/aws4_request"; an AWS message otherwise.
std::string ParseCredential(std::string_view credential, ParsedSignature& out) {
  std::vector<std::string_view> parts;
  std::string_view rest = credential;
  while (true) {
    size_t slash = rest.find('/');
    parts.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  if (parts.size() != 5) {
    return "Credential should be scoped to a valid region, not '" +
           std::string(parts.size() > 2 ? parts[2] : std::string_view()) + "'. ";
  }
  if (parts[0].empty()) return "Credential should contain an access key id. ";
  if (parts[1].size() != 8 ||
      !std::all_of(parts[1].begin(), parts[1].end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return "Credential should be scoped to a valid date, not '" + std::string(parts[1]) + "'. ";
  }
  if (parts[2].empty()) return "Credential should be scoped to a valid region, not ''. ";
  if (parts[3].empty()) return "Credential should be scoped to correct service: ''. ";
  if (parts[4] != "aws4_request") {
    return "Credential should be scoped with a valid terminator: 'aws4_request', not '" +
           std::string(parts[4]) + "'. ";
  }
  out.access_key_id = parts[0];
  out.date = parts[1];
  out.region = parts[2];
  out.service = parts[3];
  return "";
}

std::vector<std::string> SplitSemicolons(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    size_t semi = s.find(';');
    if (semi != 0) out.emplace_back(s.substr(0, semi));
    if (semi == std::string_view::npos) break;
    s = s.substr(semi + 1);
  }
  return out;
}

}  // namespace

StatusOr<ParsedSignature> ParseAuthorization(std::string_view header, bool has_date) {
  const std::string quoted(header);
  std::string_view rest = Trim(header);
  std::string_view credential, signed_headers, signature;
  bool scheme = rest.starts_with(kAlgorithm) &&
                (rest.size() == sizeof(kAlgorithm) - 1 || rest[sizeof(kAlgorithm) - 1] == ' ');
  if (scheme) {
    rest.remove_prefix(sizeof(kAlgorithm) - 1);
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view item = Trim(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (item.empty()) continue;
      size_t eq = item.find('=');
      if (eq == std::string_view::npos) {
        return Status::InvalidArgument("'" + std::string(item) +
                                       "' not a valid key=value pair (missing equal-sign) in "
                                       "Authorization header: '" +
                                       quoted + "'.");
      }
      std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
      if (key == "Credential") credential = value;
      if (key == "SignedHeaders") signed_headers = value;
      if (key == "Signature") signature = value;
    }
  }
  std::string missing;
  if (credential.empty()) missing += "Authorization header requires 'Credential' parameter. ";
  if (signature.empty()) missing += "Authorization header requires 'Signature' parameter. ";
  if (signed_headers.empty()) {
    missing += "Authorization header requires 'SignedHeaders' parameter. ";
  }
  if (!has_date) {
    missing +=
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
  }
  if (!missing.empty()) return Status::InvalidArgument(missing + "Authorization=" + quoted);
  ParsedSignature out;
  if (std::string bad = ParseCredential(credential, out); !bad.empty()) {
    return Status::InvalidArgument(bad + "Authorization=" + quoted);
  }
  out.signed_headers = SplitSemicolons(signed_headers);
  out.signature = signature;
  return out;
}

bool LooksPresigned(std::string_view query) {
  return query.find("X-Amz-Algorithm=") != std::string_view::npos ||
         query.find("X-Amz-Credential=") != std::string_view::npos ||
         query.find("X-Amz-Signature=") != std::string_view::npos;
}

StatusOr<ParsedSignature> ParsePresignedQuery(std::string_view query) {
  std::string algorithm, credential, date, signed_headers, signature;
  std::string_view rest = query;
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view item = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = item.substr(0, eq);
    std::string value = PercentDecode(item.substr(eq + 1));
    if (key == "X-Amz-Algorithm") algorithm = value;
    if (key == "X-Amz-Credential") credential = value;
    if (key == "X-Amz-Date") date = value;
    if (key == "X-Amz-SignedHeaders") signed_headers = value;
    if (key == "X-Amz-Signature") signature = value;
  }
  std::string missing;
  auto need = [&missing](const std::string& value, const char* name) {
    if (value.empty()) {
      missing += "AWS query-string parameters must include '";
      missing += name;
      missing += "'. ";
    }
  };
  need(algorithm, "X-Amz-Algorithm");
  need(credential, "X-Amz-Credential");
  need(signature, "X-Amz-Signature");
  need(date, "X-Amz-Date");
  need(signed_headers, "X-Amz-SignedHeaders");
  if (!missing.empty())
    return Status::InvalidArgument(missing + "Re-examine the query-string parameters.");
  if (algorithm != kAlgorithm) {
    return Status::InvalidArgument("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"");
  }
  ParsedSignature out;
  if (std::string bad = ParseCredential(credential, out); !bad.empty()) {
    return Status::InvalidArgument(bad);
  }
  out.signed_headers = SplitSemicolons(signed_headers);
  out.signature = signature;
  out.presigned = true;
  return out;
}

}  // namespace thaw::auth
