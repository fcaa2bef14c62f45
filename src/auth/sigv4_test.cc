#include "auth/sigv4.h"

#include <gtest/gtest.h>

#include "auth/access.h"
#include "base/codec.h"

namespace thaw::auth {
namespace {

// AWS's aws4_testsuite "get-vanilla": GET / on example.amazonaws.com, 2015-08-30T12:36:00Z.
constexpr int64_t kVanillaTime = 1440938160;
const Credentials kExample{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};

TEST(SigV4Test, GetVanillaMatchesAwsTestSuite) {
  EXPECT_EQ(AmzDate(kVanillaTime), "20150830T123600Z");
  SignRequest r;
  r.method = "GET";
  r.path = "/";
  r.host = "example.amazonaws.com";
  r.service = "service";
  r.unix_seconds = kVanillaTime;
  HeaderList added = Sign(r, kExample);
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[0], (std::pair<std::string, std::string>("X-Amz-Date", "20150830T123600Z")));
  EXPECT_EQ(added[1].second,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4Test, GetVanillaIntermediateSteps) {
  CanonicalInput in;
  in.method = "GET";
  in.path = "/";
  in.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  in.payload_hash = Sha256Hex("");
  std::string canonical = CanonicalRequest(in);
  EXPECT_EQ(canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(StringToSign("20150830T123600Z", "20150830/us-east-1/service/aws4_request", canonical),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
}

// Computed with botocore's SigV4Auth (lambda, us-east-1) on the same request: the path is
// encoded twice ('$' -> %24 -> %2524), the query is sorted, the session token is signed.
TEST(SigV4Test, MatchesBotocoreForLambdaWithTokenAndBody) {
  std::string body = R"({"a":1})";
  SignRequest r;
  r.method = "POST";
  r.path = "/2015-03-31/functions/my%24fn/invocations";
  r.query = "Qualifier=%24LATEST&b=2";
  r.host = "127.0.0.1:9001";
  r.body = &body;
  r.service = "lambda";
  r.unix_seconds = 1704067200;  // 2024-01-01T00:00:00Z
  HeaderList added =
      Sign(r, {"AKID", "SECRET", "TOKEN"},
           {{"Content-Type", "application/json"}, {"User-Agent", "thaw"}, {"Content-Length", "7"}});
  ASSERT_EQ(added.size(), 3u);
  EXPECT_EQ(added[1], (std::pair<std::string, std::string>("X-Amz-Security-Token", "TOKEN")));
  EXPECT_EQ(added[2].second,
            "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "
            "Signature=dd50dc7c7055d266bf93554001ce11a2f673aacb414d288eb3a5698ee64e2179");
}

TEST(SigV4Test, UnsignedPayloadHeader) {
  SignRequest r;
  r.method = "PUT";
  r.path = "/b/k";
  r.host = "h";
  r.service = "s3";
  r.payload = PayloadSigning::kUnsignedHeader;
  HeaderList added = Sign(r, kExample);
  ASSERT_EQ(added.size(), 3u);
  EXPECT_EQ(added[1],
            (std::pair<std::string, std::string>("x-amz-content-sha256", "UNSIGNED-PAYLOAD")));
  EXPECT_NE(added[2].second.find("SignedHeaders=host;x-amz-content-sha256;x-amz-date"),
            std::string::npos);
  std::string body = "abc";
  r.payload = PayloadSigning::kSignedHeader;
  r.body = &body;
  added = Sign(r, kExample);
  EXPECT_EQ(added[1].second, Sha256Hex("abc"));
}

TEST(SigV4Test, UriEncode) {
  EXPECT_EQ(UriEncode("a b/c~d%", true), "a%20b/c~d%25");
  EXPECT_EQ(UriEncode("a/b", false), "a%2Fb");
}

TEST(SigV4Test, ParsesAuthorizationHeader) {
  auto p = ParseAuthorization(
      "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/lambda/aws4_request, "
      "SignedHeaders=host;x-amz-date, Signature=abc",
      true);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->access_key_id, "AKID");
  EXPECT_EQ(p->date, "20240101");
  EXPECT_EQ(p->region, "us-east-1");
  EXPECT_EQ(p->service, "lambda");
  EXPECT_EQ(p->signed_headers, (std::vector<std::string>{"host", "x-amz-date"}));
  EXPECT_EQ(p->signature, "abc");
}

TEST(SigV4Test, MalformedHeadersGiveAwsMessages) {
  auto other = ParseAuthorization("Bearer xyz", true);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().message(),
            "Authorization header requires 'Credential' parameter. Authorization header requires "
            "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. "
            "Authorization=Bearer xyz");
  auto no_eq = ParseAuthorization("AWS4-HMAC-SHA256 Credential", true);
  ASSERT_FALSE(no_eq.ok());
  EXPECT_EQ(no_eq.status().message(),
            "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: "
            "'AWS4-HMAC-SHA256 Credential'.");
  auto no_date = ParseAuthorization(
      "AWS4-HMAC-SHA256 Credential=A/20240101/r/s/aws4_request, SignedHeaders=host, Signature=x",
      false);
  ASSERT_FALSE(no_date.ok());
  EXPECT_NE(no_date.status().message().find("'X-Amz-Date' or a 'Date' header"), std::string::npos);
  auto bad_scope = ParseAuthorization(
      "AWS4-HMAC-SHA256 Credential=A/20240101/r/s/nope, SignedHeaders=host, Signature=x", true);
  ASSERT_FALSE(bad_scope.ok());
  EXPECT_NE(bad_scope.status().message().find("valid terminator: 'aws4_request', not 'nope'"),
            std::string::npos);
  EXPECT_FALSE(
      ParseAuthorization("AWS4-HMAC-SHA256 Credential=AKID, SignedHeaders=host, Signature=x", true)
          .ok());
}

TEST(SigV4Test, PresignRoundTrip) {
  SignRequest r;
  r.method = "GET";
  r.path = "/thaw/code/ab.zip";
  r.host = "127.0.0.1:1";
  r.service = "s3";
  r.unix_seconds = kVanillaTime;
  std::string query = PresignQuery(r, kExample, 600);
  EXPECT_TRUE(LooksPresigned(query));
  auto p = ParsePresignedQuery(query);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_TRUE(p->presigned);
  EXPECT_EQ(p->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(p->service, "s3");
  EXPECT_EQ(p->signature.size(), 64u);
  EXPECT_FALSE(ParsePresignedQuery("X-Amz-Algorithm=AWS4-HMAC-SHA256").ok());
  EXPECT_FALSE(LooksPresigned("a=b"));
}

TEST(AccessTest, FunctionsGetTheDataPlaneAndTheirOwnConfiguration) {
  Caller fn{Caller::Kind::kFunction, "a", "lambda-role", false, ""};
  Operation invoke{Operation::Plane::kData, "lambda:InvokeFunction", FunctionArn("b"), ""};
  EXPECT_FALSE(Authorize(fn, invoke));
  Operation read_b{Operation::Plane::kReadFunction, "lambda:GetFunction", FunctionArn("b"), "b"};
  auto denied = Authorize(fn, read_b);
  ASSERT_TRUE(denied);
  EXPECT_EQ(*denied,
            "User: arn:aws:sts::000000000000:assumed-role/lambda-role/a is not authorized to "
            "perform: lambda:GetFunction on resource: "
            "arn:aws:lambda:us-east-1:000000000000:function:b because no identity-based policy "
            "allows the lambda:GetFunction action");
  Operation read_a{Operation::Plane::kReadFunction, "lambda:GetFunction", FunctionArn("a"), "a"};
  EXPECT_FALSE(Authorize(fn, read_a));
  Operation thaw{Operation::Plane::kThaw, "thaw:ListEnvironments", "*", ""};
  EXPECT_TRUE(Authorize(fn, thaw));
  EXPECT_FALSE(Authorize(Caller::Operator(), thaw));
  fn.may_manage = true;
  EXPECT_FALSE(Authorize(fn, thaw));
}

TEST(AccessTest, FunctionCredentialsLookLikeStsAndDiffer) {
  Credentials a = FunctionCredentials(FunctionArn("a"), "k");
  Credentials b = FunctionCredentials(FunctionArn("b"), "k");
  EXPECT_EQ(a.access_key_id.size(), 20u);
  EXPECT_TRUE(a.access_key_id.starts_with("ASIA"));
  EXPECT_EQ(a.secret_access_key.size(), 40u);
  EXPECT_FALSE(a.session_token.empty());
  EXPECT_NE(a.access_key_id, b.access_key_id);
  EXPECT_EQ(a.access_key_id, FunctionCredentials(FunctionArn("a"), "k").access_key_id);
  EXPECT_NE(a.secret_access_key, FunctionCredentials(FunctionArn("a"), "other").secret_access_key);
  EXPECT_EQ(RoleName("arn:aws:iam::000000000000:role/path/lambda-role"), "lambda-role");
}

}  // namespace
}  // namespace thaw::auth
