#include "cli/aws_errors.h"

#include <gtest/gtest.h>

#include "cli/client_fakes.h"
#include "cli/command.h"

namespace thaw::cli {
namespace {

TEST(AwsErrorTest, HeaderWithNamespaceAndBodyMessage) {
  http::Response r = MakeResponse(
      404,
      R"({"Type":"User","Message":"Function not found: arn:aws:lambda:us-east-1:000000000000:function:foo"})",
      {{"x-amzn-ErrorType",
        "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.lambda/"}});
  AwsError error = ParseAwsError(r);
  EXPECT_EQ(error.status, 404);
  EXPECT_EQ(error.type, "ResourceNotFoundException");
  EXPECT_EQ(FormatAwsError(error),
            "ResourceNotFoundException: Function not found: "
            "arn:aws:lambda:us-east-1:000000000000:function:foo (HTTP 404)");
}

TEST(AwsErrorTest, HashPrefixAndLowercaseMessage) {
  http::Response r = MakeResponse(
      429,
      R"({"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."})",
      {{"X-Amzn-ErrorType", "aws.lambda#TooManyRequestsException"}});
  EXPECT_EQ(FormatAwsError(ParseAwsError(r)),
            "TooManyRequestsException: Rate Exceeded. (HTTP 429)");
}

TEST(AwsErrorTest, FallsBackToBodyTypeAndRawText) {
  EXPECT_EQ(FormatAwsError(ParseAwsError(MakeResponse(
                400, R"({"__type":"ns#InvalidParameterValueException","message":"bad"})"))),
            "InvalidParameterValueException: bad (HTTP 400)");
  EXPECT_EQ(FormatAwsError(ParseAwsError(MakeResponse(502, "Bad Gateway\nfrom proxy\n"))),
            "Bad Gateway from proxy (HTTP 502)");
  EXPECT_EQ(FormatAwsError(ParseAwsError(MakeResponse(500, ""))),
            "empty error response (HTTP 500)");
}

TEST(AwsErrorTest, LongBodiesAreShortenedToOneLine) {
  std::string message = FormatAwsError(ParseAwsError(MakeResponse(500, std::string(5000, 'e'))));
  EXPECT_LT(message.size(), 400u);
  EXPECT_EQ(message.find('\n'), std::string::npos);
}

TEST(AwsErrorTest, ResponseStatusCodesAndExitCodes) {
  EXPECT_TRUE(ResponseStatus(MakeResponse(200, "{}")).ok());
  EXPECT_TRUE(ResponseStatus(MakeResponse(204, "")).ok());
  EXPECT_EQ(ResponseStatus(MakeResponse(404, "")).code(), StatusCode::kNotFound);
  EXPECT_EQ(ResponseStatus(MakeResponse(400, "")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ResponseStatus(MakeResponse(409, "")).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ResponseStatus(MakeResponse(429, "")).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(ResponseStatus(MakeResponse(500, "")).code(), StatusCode::kInternal);

  EXPECT_EQ(ExitCodeFor(Status::Ok()), kExitOk);
  EXPECT_EQ(ExitCodeFor(Status::Unavailable("down")), kExitUnavailable);
  EXPECT_EQ(ExitCodeFor(ResponseStatus(MakeResponse(400, ""))), kExitFailure);
  EXPECT_EQ(ExitCodeFor(ResponseStatus(MakeResponse(503, ""))), kExitFailure);
}

TEST(AwsErrorTest, ReportErrorSetsExitCode) {
  CommandContext ctx;
  ReportError(ctx, "test", Status::Unavailable("down"));
  EXPECT_EQ(ctx.exit_code, kExitUnavailable);
  ReportError(ctx, "test", Status::InvalidArgument("bad"), kExitUsage);
  EXPECT_EQ(ctx.exit_code, kExitUsage);
}

}  // namespace
}  // namespace thaw::cli
