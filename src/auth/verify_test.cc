#include "auth/verify.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "auth/access.h"
#include "base/codec.h"

namespace thaw::auth {
namespace {

namespace fs = std::filesystem;

// AWS's SigV4 test suite, from botocore's source distribution (tests/sigv4/aws4_testsuite).
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr int64_t kSuiteTime = 1440938160;  // 20150830T123600Z

struct RawRequest {
  std::string method, path, query;
  HeaderList headers;
  std::string body;
};

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A .req file: "METHOD PATH HTTP/1.1", "Name:value" lines (a line starting with a space
// continues the previous value), a blank line, the body.
RawRequest ParseRaw(const std::string& text) {
  RawRequest r;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  size_t first = line.find(' '), last = line.rfind(' ');
  r.method = line.substr(0, first);
  std::string target = line.substr(first + 1, last - first - 1);
  size_t q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query = target.substr(q + 1);
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    if ((line[0] == ' ' || line[0] == '\t') && !r.headers.empty()) {
      r.headers.back().second += " " + line;
      continue;
    }
    size_t colon = line.find(':');
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers.emplace_back(line.substr(0, colon), value);
  }
  std::stringstream rest;
  rest << in.rdbuf();
  r.body = rest.str();
  return r;
}

struct Case {
  std::string name;
  fs::path base;  // dir/name without extension
};

std::vector<Case> SuiteCases() {
  std::vector<Case> out;
  for (const auto& entry : fs::recursive_directory_iterator(THAW_SIGV4_SUITE)) {
    if (entry.path().extension() != ".req") continue;
    fs::path base = entry.path();
    base.replace_extension();
    out.push_back({fs::relative(entry.path().parent_path(), THAW_SIGV4_SUITE).string(), base});
  }
  std::sort(out.begin(), out.end(), [](const Case& a, const Case& b) { return a.name < b.name; });
  return out;
}

// The case's request with the suite's Authorization header (.authz) added. (Its .sreq files are
// not used: get-vanilla-with-session-token's carries the signature of get-vanilla.)
RawRequest Signed(const Case& c) {
  RawRequest r = ParseRaw(ReadFile(c.base.string() + ".req"));
  std::string authz = ReadFile(c.base.string() + ".authz");
  while (!authz.empty() && (authz.back() == '\n' || authz.back() == '\r')) authz.pop_back();
  // A session token in the canonical request was added by the signer (as botocore's test reads
  // it from there too); it is sent with the request.
  std::string creq = ReadFile(c.base.string() + ".creq");
  size_t token = creq.find("x-amz-security-token:");
  bool sent = std::any_of(r.headers.begin(), r.headers.end(), [](const auto& h) {
    return EqualsIgnoreCase(h.first, "X-Amz-Security-Token");
  });
  if (token != std::string::npos && !sent) {
    size_t start = token + 21;
    r.headers.emplace_back("X-Amz-Security-Token",
                           creq.substr(start, creq.find_first_of("\r\n", start) - start));
  }
  r.headers.emplace_back("Authorization", authz);
  return r;
}

std::optional<VerifyFailure> VerifyRaw(const RawRequest& r, std::string_view secret, int64_t now) {
  std::string_view authorization;
  for (const auto& [k, v] : r.headers) {
    if (k == "Authorization") authorization = v;
  }
  auto parsed = ParseAuthorization(authorization, true);
  EXPECT_TRUE(parsed.ok()) << parsed.status().message();
  if (!parsed.ok()) return VerifyFailure{};
  SignedMessage m{r.method, r.path, r.query, &r.headers, &r.body};
  return VerifySignature(m, *parsed, secret, now, 300);
}

TEST(VerifyTest, SuiteIsThere) { EXPECT_GE(SuiteCases().size(), 30u); }

// Every signed request of the suite verifies; its canonical request is the suite's.
TEST(VerifyTest, AwsTestSuiteSignedRequestsVerify) {
  for (const Case& c : SuiteCases()) {
    SCOPED_TRACE(c.name);
    RawRequest r = Signed(c);
    auto failure = VerifyRaw(r, kSecret, kSuiteTime);
    EXPECT_FALSE(failure.has_value()) << (failure ? failure->message : "");

    auto parsed = ParseAuthorization(r.headers.back().second, true);
    ASSERT_TRUE(parsed.ok());
    CanonicalInput in;
    in.method = r.method;
    in.path = r.path;
    in.query = r.query;
    for (const auto& name : parsed->signed_headers) {
      for (const auto& [k, v] : r.headers) {
        if (EqualsIgnoreCase(k, name)) in.headers.emplace_back(k, v);
      }
    }
    in.payload_hash = Sha256Hex(r.body);
    std::string creq = ReadFile(c.base.string() + ".creq");
    creq.erase(std::remove(creq.begin(), creq.end(), '\r'), creq.end());
    EXPECT_EQ(CanonicalRequest(in), creq);
  }
}

TEST(VerifyTest, AwsTestSuiteRefusesWrongSecretTamperingAndStaleness) {
  for (const Case& c : SuiteCases()) {
    SCOPED_TRACE(c.name);
    RawRequest r = Signed(c);
    auto wrong = VerifyRaw(r, "not-the-secret", kSuiteTime);
    ASSERT_TRUE(wrong.has_value());
    EXPECT_EQ(wrong->kind, VerifyFailure::Kind::kBadSignature);
    EXPECT_EQ(wrong->message, kBadSignatureMessage);

    RawRequest tampered = r;
    tampered.body += "x";
    EXPECT_TRUE(VerifyRaw(tampered, kSecret, kSuiteTime).has_value());
    tampered = r;
    tampered.method = r.method == "GET" ? "POST" : "GET";
    EXPECT_TRUE(VerifyRaw(tampered, kSecret, kSuiteTime).has_value());

    auto late = VerifyRaw(r, kSecret, kSuiteTime + 301);
    ASSERT_TRUE(late.has_value());
    EXPECT_EQ(late->kind, VerifyFailure::Kind::kExpired);
    EXPECT_EQ(late->message,
              "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z "
              "(20150830T124101Z - 5 min.)");
    EXPECT_FALSE(VerifyRaw(r, kSecret, kSuiteTime + 300).has_value());
    auto early = VerifyRaw(r, kSecret, kSuiteTime - 301);
    ASSERT_TRUE(early.has_value());
    EXPECT_EQ(early->message,
              "Signature not yet current: 20150830T123600Z is still later than "
              "20150830T123559Z (20150830T123059Z + 5 min.)");
  }
}

TEST(VerifyTest, QueryWindowIsFifteenMinutes) {
  RawRequest r =
      Signed({"get-vanilla", std::string(THAW_SIGV4_SUITE) + "/get-vanilla/get-vanilla"});
  auto parsed = ParseAuthorization(r.headers.back().second, true);
  ASSERT_TRUE(parsed.ok());
  SignedMessage m{r.method, r.path, r.query, &r.headers, &r.body};
  EXPECT_FALSE(VerifySignature(m, *parsed, kSecret, kSuiteTime + 899, 900).has_value());
  auto late = VerifySignature(m, *parsed, kSecret, kSuiteTime + 901, 900);
  ASSERT_TRUE(late.has_value());
  EXPECT_TRUE(late->message.ends_with(" - 15 min.)")) << late->message;
}

TEST(VerifyTest, OwnSignaturesVerifyHeaderAndPresigned) {
  const Credentials creds{"AKIDEXAMPLE", kSecret, ""};
  std::string body = R"({"a":1})";
  SignRequest r;
  r.method = "POST";
  r.path = "/2015-03-31/functions/my%24fn/invocations";
  r.query = "Qualifier=%24LATEST";
  r.host = "127.0.0.1:9001";
  r.body = &body;
  r.service = "lambda";
  r.unix_seconds = kSuiteTime;
  HeaderList headers = {{"Host", r.host}, {"Content-Type", "application/json"}};
  for (auto& h : Sign(r, creds, headers)) headers.push_back(h);
  auto parsed = ParseAuthorization(headers.back().second, true);
  ASSERT_TRUE(parsed.ok());
  SignedMessage m{r.method, r.path, r.query, &headers, &body};
  EXPECT_FALSE(VerifySignature(m, *parsed, kSecret, kSuiteTime, 300).has_value());
  std::string other = R"({"a":2})";
  m.body = &other;
  EXPECT_TRUE(VerifySignature(m, *parsed, kSecret, kSuiteTime, 300).has_value());

  SignRequest get;
  get.method = "GET";
  get.path = "/thaw/code/abc.zip";
  get.host = "127.0.0.1:9001";
  get.service = "s3";
  get.unix_seconds = kSuiteTime;
  std::string query = PresignQuery(get, creds, 600);
  auto pre = ParsePresignedQuery(query);
  ASSERT_TRUE(pre.ok());
  HeaderList get_headers = {{"Host", get.host}};
  std::string empty;
  SignedMessage pm{"GET", get.path, query, &get_headers, &empty};
  EXPECT_FALSE(VerifySignature(pm, *pre, kSecret, kSuiteTime + 599, 300).has_value());
  auto expired = VerifySignature(pm, *pre, kSecret, kSuiteTime + 601, 300);
  ASSERT_TRUE(expired.has_value());
  EXPECT_EQ(expired->kind, VerifyFailure::Kind::kExpired);
  SignedMessage moved{"GET", "/thaw/code/other.zip", query, &get_headers, &empty};
  EXPECT_TRUE(VerifySignature(moved, *pre, kSecret, kSuiteTime, 300).has_value());
}

TEST(VerifyTest, NormalizePathAsBotocore) {
  EXPECT_EQ(NormalizePath(""), "/");
  EXPECT_EQ(NormalizePath("//"), "/");
  EXPECT_EQ(NormalizePath("/example/.."), "/");
  EXPECT_EQ(NormalizePath("//example//"), "/example/");
  EXPECT_EQ(NormalizePath("/./example"), "/example");
  EXPECT_EQ(NormalizePath("/a/b/../c"), "/a/c");
  EXPECT_EQ(NormalizePath("/2015-03-31/functions/f/invocations"),
            "/2015-03-31/functions/f/invocations");
}

TEST(VerifyTest, FunctionCredentialsAreKnownByTheirToken) {
  const std::string arn = "arn:aws:lambda:us-east-1:000000000000:function:f";
  Credentials c = FunctionCredentials(arn, "server-key");
  auto key = FunctionSecret(c.access_key_id, c.session_token, "server-key");
  ASSERT_TRUE(key.has_value());
  EXPECT_EQ(key->secret, c.secret_access_key);
  EXPECT_EQ(key->function_arn, arn);
  EXPECT_FALSE(FunctionSecret(c.access_key_id, c.session_token, "other-key").has_value());
  Credentials g = FunctionCredentials(arn + "g", "server-key");
  EXPECT_FALSE(FunctionSecret(c.access_key_id, g.session_token, "server-key").has_value());
  EXPECT_FALSE(FunctionSecret(c.access_key_id, "", "server-key").has_value());
}

}  // namespace
}  // namespace thaw::auth
