#include "invoker/invoke_request.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/codec.h"

namespace thaw::invoker {
namespace {

using nlohmann::json;

constexpr char kValidCc[] = "eyJjdXN0b20iOnsiYSI6MX19";  // {"custom":{"a":1}}

// Function "f": $LATEST, version 1 and alias "live" -> 1.
class ParseInvokeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto latest = std::make_shared<lambda::FunctionConfig>();
    latest->name = "f";
    auto v1 = std::make_shared<lambda::FunctionConfig>(*latest);
    v1->version = "1";
    lambda::FunctionEntry entry;
    entry.latest = latest;
    entry.versions[1] = v1;
    entry.aliases["live"] = lambda::Alias{"live", "1", "", "r"};
    registry_.Put("f", std::move(entry));
  }

  static http::Request Post(std::string body = "", std::string query = "") {
    http::Request r;
    r.method = "POST";
    r.path = "/2015-03-31/functions/f/invocations";
    r.query = std::move(query);
    r.target = r.path + (r.query.empty() ? "" : "?" + r.query);
    r.body = std::move(body);
    return r;
  }

  InvokeRequest Ok(http::Request request, const std::string& name = "f") {
    auto parsed = ParseInvoke(name, std::move(request), registry_);
    if (auto* e = std::get_if<InvokeError>(&parsed)) {
      ADD_FAILURE() << "unexpected error: " << e->message;
      return {};
    }
    return std::get<InvokeRequest>(std::move(parsed));
  }

  InvokeError Error(http::Request request, const std::string& name = "f") {
    auto parsed = ParseInvoke(name, std::move(request), registry_);
    if (!std::holds_alternative<InvokeError>(parsed)) {
      ADD_FAILURE() << "parsed, expected an error";
      return {InvokeErrorType::kNotStarted, ""};
    }
    return std::get<InvokeError>(std::move(parsed));
  }

  lambda::Registry registry_;
};

TEST_F(ParseInvokeTest, DefaultsAreASyncInvokeOfLatestWithAnEmptyObject) {
  InvokeRequest r = Ok(Post());
  EXPECT_EQ(r.type, InvocationType::kRequestResponse);
  EXPECT_FALSE(r.want_tail);
  EXPECT_EQ(r.target.executed_version, "$LATEST");
  EXPECT_EQ(r.target.config->name, "f");
  EXPECT_EQ(r.payload, "{}");
  EXPECT_EQ(r.client_context, "");
  EXPECT_EQ(r.trace_header, "");
}

TEST_F(ParseInvokeTest, ReadsTheInvocationType) {
  for (auto [value, type] :
       {std::pair{"RequestResponse", InvocationType::kRequestResponse},
        std::pair{"Event", InvocationType::kEvent}, std::pair{"DryRun", InvocationType::kDryRun}}) {
    http::Request request = Post();
    request.headers.Set("X-Amz-Invocation-Type", value);
    EXPECT_EQ(Ok(std::move(request)).type, type) << value;
  }
}

TEST_F(ParseInvokeTest, RefusesAnUnknownInvocationType) {
  for (const char* value : {"event", "", "Async"}) {
    http::Request request = Post();
    request.headers.Set("X-Amz-Invocation-Type", value);
    InvokeError e = Error(std::move(request));
    EXPECT_EQ(e.type, InvokeErrorType::kInvalidParameterValue) << value;
    EXPECT_EQ(e.message, "1 validation error detected: Value '" + std::string(value) +
                             "' at 'invocationType' failed to satisfy constraint: Member must "
                             "satisfy enum value set: [Event, RequestResponse, DryRun]");
  }
}

TEST_F(ParseInvokeTest, ReadsTheLogType) {
  http::Request tail = Post();
  tail.headers.Set("X-Amz-Log-Type", "Tail");
  EXPECT_TRUE(Ok(std::move(tail)).want_tail);
  http::Request none = Post();
  none.headers.Set("X-Amz-Log-Type", "None");
  EXPECT_FALSE(Ok(std::move(none)).want_tail);
}

TEST_F(ParseInvokeTest, RefusesAnUnknownLogType) {
  http::Request request = Post();
  request.headers.Set("X-Amz-Log-Type", "tail");
  InvokeError e = Error(std::move(request));
  EXPECT_EQ(e.type, InvokeErrorType::kInvalidParameterValue);
  EXPECT_EQ(e.message,
            "1 validation error detected: Value 'tail' at 'logType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [None, Tail]");
}

TEST_F(ParseInvokeTest, SyncPayloadsUpTo6MiB) {
  std::string at_limit = "\"" + std::string(kMaxSyncRequestBytes - 2, 'x') + "\"";
  EXPECT_EQ(Ok(Post(at_limit)).payload.size(), kMaxSyncRequestBytes);
  for (const char* type : {"RequestResponse", "DryRun"}) {
    http::Request request = Post(at_limit + " ");
    request.headers.Set("X-Amz-Invocation-Type", type);
    InvokeError e = Error(std::move(request));
    EXPECT_EQ(e.type, InvokeErrorType::kRequestTooLarge) << type;
    EXPECT_EQ(e.message,
              "Request must be smaller than 6291456 bytes for the InvokeFunction operation");
  }
}

TEST_F(ParseInvokeTest, EventPayloadsUpTo1MiB) {
  std::string at_limit = "\"" + std::string(kMaxAsyncRequestBytes - 2, 'x') + "\"";
  http::Request ok = Post(at_limit);
  ok.headers.Set("X-Amz-Invocation-Type", "Event");
  EXPECT_EQ(Ok(std::move(ok)).payload.size(), kMaxAsyncRequestBytes);
  http::Request over = Post(at_limit + " ");
  over.headers.Set("X-Amz-Invocation-Type", "Event");
  InvokeError e = Error(std::move(over));
  EXPECT_EQ(e.type, InvokeErrorType::kRequestTooLarge);
  EXPECT_EQ(e.message,
            "Request must be smaller than 1048576 bytes for the InvokeFunction operation");
}

TEST_F(ParseInvokeTest, ABodyTheServerDidNotReadIsTooLarge) {
  http::Request request = Post();
  request.oversized = true;
  EXPECT_EQ(Error(std::move(request)).type, InvokeErrorType::kRequestTooLarge);
}

TEST_F(ParseInvokeTest, ResolvesTheQualifier) {
  EXPECT_EQ(Ok(Post("", "Qualifier=1")).target.executed_version, "1");
  EXPECT_EQ(Ok(Post("", "Qualifier=live")).target.executed_version, "1");
  EXPECT_EQ(Ok(Post(), "f:live").target.executed_version, "1");
  EXPECT_EQ(Ok(Post("", "Qualifier=%24LATEST")).target.executed_version, "$LATEST");
}

TEST_F(ParseInvokeTest, AnUnknownFunctionOrVersionIsNotFound) {
  InvokeError e = Error(Post(), "g");
  EXPECT_EQ(e.type, InvokeErrorType::kResourceNotFound);
  EXPECT_EQ(e.message, "Function not found: arn:aws:lambda:us-east-1:000000000000:function:g");
  EXPECT_EQ(Error(Post("", "Qualifier=7")).type, InvokeErrorType::kResourceNotFound);
}

TEST_F(ParseInvokeTest, ABadNameOrAQualifierThatDisagreesIsInvalid) {
  EXPECT_EQ(Error(Post(), "bad name!").type, InvokeErrorType::kInvalidParameterValue);
  InvokeError e = Error(Post("", "Qualifier=1"), "f:live");
  EXPECT_EQ(e.type, InvokeErrorType::kInvalidParameterValue);
  EXPECT_EQ(e.message,
            "The derived qualifier from the function name does not match the specified "
            "qualifier.");
}

TEST_F(ParseInvokeTest, ThePayloadMustBeJson) {
  for (const char* body : {"{", "hello", "{\"a\":1} x"}) {
    InvokeError e = Error(Post(body));
    EXPECT_EQ(e.type, InvokeErrorType::kInvalidRequestContent) << body;
    EXPECT_EQ(e.message,
              "Could not parse request body into json: Could not parse payload into json: "
              "Unexpected character or malformed JSON at the start of the payload");
  }
  EXPECT_EQ(Ok(Post("[1, \"two\"]")).payload, "[1, \"two\"]");
  EXPECT_EQ(Ok(Post("42")).payload, "42");
}

TEST_F(ParseInvokeTest, DecodesTheClientContext) {
  http::Request request = Post();
  request.headers.Set("X-Amz-Client-Context", kValidCc);
  EXPECT_EQ(Ok(std::move(request)).client_context, "{\"custom\":{\"a\":1}}");
  http::Request empty = Post();
  empty.headers.Set("X-Amz-Client-Context", "");
  EXPECT_EQ(Ok(std::move(empty)).client_context, "");
}

TEST_F(ParseInvokeTest, TheClientContextMustBeBase64Json) {
  for (const std::string& value : {std::string("not base64!"), Base64Encode("not json")}) {
    http::Request request = Post();
    request.headers.Set("X-Amz-Client-Context", value);
    InvokeError e = Error(std::move(request));
    EXPECT_EQ(e.type, InvokeErrorType::kInvalidRequestContent) << value;
    EXPECT_EQ(e.message, "Client context must be a valid Base64-encoded JSON object.");
  }
}

TEST_F(ParseInvokeTest, KeepsTheCallersTraceHeader) {
  http::Request request = Post();
  request.headers.Set("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1");
  EXPECT_EQ(Ok(std::move(request)).trace_header,
            "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1");
}

// A request with several faults gets the error of the first check, in Lambda's order:
// invocation type, log type, size, function, payload, client context.
TEST_F(ParseInvokeTest, ChecksInLambdasOrder) {
  // Faults from the `first` check on.
  auto faulty = [](int first) {
    http::Request r = Post(first <= 4 ? "not json" : "{}");
    if (first <= 0) r.headers.Set("X-Amz-Invocation-Type", "Bad");
    if (first <= 1) r.headers.Set("X-Amz-Log-Type", "Bad");
    if (first <= 2) r.oversized = true;
    r.headers.Set("X-Amz-Client-Context", "!");
    return r;
  };
  EXPECT_NE(Error(faulty(0), "g").message.find("'invocationType'"), std::string::npos);
  EXPECT_NE(Error(faulty(1), "g").message.find("'logType'"), std::string::npos);
  EXPECT_EQ(Error(faulty(2), "g").type, InvokeErrorType::kRequestTooLarge);
  EXPECT_EQ(Error(faulty(3), "g").type, InvokeErrorType::kResourceNotFound);
  EXPECT_TRUE(Error(faulty(4)).message.starts_with("Could not parse request body"));
  EXPECT_TRUE(Error(faulty(5)).message.starts_with("Client context"));
}

TEST(InvokeTargetTest, MatchesOnlyThePostOfTheInvokePath) {
  http::Request r;
  r.method = "POST";
  r.path = "/2015-03-31/functions/my-fn/invocations";
  EXPECT_EQ(InvokeTarget(r), "my-fn");
  r.path = "/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:f/invocations";
  EXPECT_EQ(InvokeTarget(r), "arn:aws:lambda:us-east-1:000000000000:function:f");
  r.path = "/2015-03-31/functions//invocations";
  EXPECT_EQ(InvokeTarget(r), std::nullopt);
  r.path = "/2015-03-31/functions/a/b/invocations";
  EXPECT_EQ(InvokeTarget(r), std::nullopt);
  r.path = "/2015-03-31/functions/f";
  EXPECT_EQ(InvokeTarget(r), std::nullopt);
  r.path = "/2015-03-31/functions/f/invocations";
  r.method = "GET";
  EXPECT_EQ(InvokeTarget(r), std::nullopt);
}

TEST(InvokeTargetTest, BodyLimitFollowsTheInvocationType) {
  http::Request r;
  EXPECT_EQ(InvokeBodyLimit(r), kMaxSyncRequestBytes);
  r.headers.Set("X-Amz-Invocation-Type", "Event");
  EXPECT_EQ(InvokeBodyLimit(r), kMaxAsyncRequestBytes);
  r.headers.Set("X-Amz-Invocation-Type", "DryRun");
  EXPECT_EQ(InvokeBodyLimit(r), kMaxSyncRequestBytes);
}

std::string Header(const http::Response& r, std::string_view name) {
  return std::string(r.headers.Get(name).value_or("<absent>"));
}

InvokeResult Answer() {
  InvokeResult result;
  result.body = "{\"ok\":true}";
  result.executed_version = "3";
  result.trace_header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8";
  return result;
}

TEST(InvokeRenderTest, TheFunctionsAnswer) {
  http::Response r = Render("req-1", Answer());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"ok\":true}");
  EXPECT_EQ(Header(r, "Content-Type"), "application/json");
  EXPECT_EQ(Header(r, "X-Amz-Executed-Version"), "3");
  EXPECT_EQ(Header(r, "X-Amzn-Trace-Id"),
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8");
  EXPECT_EQ(Header(r, "x-amzn-RequestId"), "req-1");
  EXPECT_EQ(Header(r, "X-Amz-Function-Error"), "<absent>");
  EXPECT_EQ(Header(r, "X-Amz-Log-Result"), "<absent>");
}

TEST(InvokeRenderTest, TheFunctionsContentTypeAndLogTail) {
  InvokeResult result = Answer();
  result.content_type = "text/plain";
  result.log_tail = "START RequestId: req-1\nEND RequestId: req-1\n";
  http::Response r = Render("req-1", std::move(result));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Header(r, "Content-Type"), "text/plain");
  EXPECT_EQ(Header(r, "X-Amz-Log-Result"),
            Base64Encode("START RequestId: req-1\nEND RequestId: req-1\n"));
}

TEST(InvokeRenderTest, AFunctionErrorIsA200WithItsHeader) {
  InvokeResult result = Answer();
  result.function_error = true;
  result.body = R"({"errorType":"Runtime.ExitError","errorMessage":"exit status 1"})";
  http::Response r = Render("req-1", std::move(result));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Header(r, "X-Amz-Function-Error"), "Unhandled");
  EXPECT_EQ(r.body, R"({"errorType":"Runtime.ExitError","errorMessage":"exit status 1"})");
}

TEST(InvokeRenderTest, AnEventIsAcceptedWith202AndADryRunWith204) {
  http::Response event = Render("req-1", Accepted{InvocationType::kEvent, "2"});
  EXPECT_EQ(event.status, 202);
  EXPECT_EQ(event.body, "");
  EXPECT_EQ(Header(event, "X-Amz-Executed-Version"), "2");
  EXPECT_EQ(Header(event, "x-amzn-RequestId"), "req-1");
  http::Response dry = Render("req-2", Accepted{InvocationType::kDryRun, "$LATEST"});
  EXPECT_EQ(dry.status, 204);
  EXPECT_EQ(dry.body, "");
  EXPECT_EQ(Header(dry, "X-Amz-Executed-Version"), "$LATEST");
  EXPECT_EQ(Header(dry, "x-amzn-RequestId"), "req-2");
}

TEST(InvokeRenderTest, ErrorsInAwsShape) {
  struct Case {
    InvokeErrorType type;
    int status;
    const char* error_type;
    const char* fault;
  };
  for (const Case& c : {
           Case{InvokeErrorType::kInvalidParameterValue, 400, "InvalidParameterValueException",
                "User"},
           Case{InvokeErrorType::kInvalidRequestContent, 400, "InvalidRequestContentException",
                "User"},
           Case{InvokeErrorType::kResourceNotFound, 404, "ResourceNotFoundException", "User"},
           Case{InvokeErrorType::kRequestTooLarge, 413, "RequestEntityTooLargeException", "User"},
           Case{InvokeErrorType::kNotQueued, 500, "ServiceException", "Service"},
           Case{InvokeErrorType::kNotStarted, 503, "ServiceException", "Service"},
           Case{InvokeErrorType::kAccessDenied, 403, "AccessDeniedException", "User"},
       }) {
    http::Response r = Render("req-1", InvokeError{c.type, "what went wrong"});
    EXPECT_EQ(r.status, c.status) << c.error_type;
    EXPECT_EQ(Header(r, "x-amzn-ErrorType"), c.error_type);
    EXPECT_EQ(Header(r, "x-amzn-RequestId"), "req-1");
    EXPECT_EQ(Header(r, "Retry-After"), "<absent>");
    json body = json::parse(r.body, nullptr, false);
    EXPECT_EQ(body, (json{{"Type", c.fault}, {"Message", "what went wrong"}})) << r.body;
  }
}

TEST(InvokeRenderTest, AThrottleIsA429WithItsReason) {
  http::Response r =
      Render("req-1", InvokeError{InvokeErrorType::kTooManyRequests,
                                  "ReservedFunctionConcurrentInvocationLimitExceeded"});
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(Header(r, "x-amzn-ErrorType"), "TooManyRequestsException");
  EXPECT_EQ(Header(r, "Retry-After"), "1");
  EXPECT_EQ(Header(r, "x-amzn-RequestId"), "req-1");
  json body = json::parse(r.body, nullptr, false);
  EXPECT_EQ(body, (json{{"Reason", "ReservedFunctionConcurrentInvocationLimitExceeded"},
                        {"Type", "User"},
                        {"message", "Rate Exceeded."}}))
      << r.body;
}

TEST(InvokeRenderTest, MessagesWithInvalidUtf8StillRender) {
  http::Response r =
      Render("req-1", InvokeError{InvokeErrorType::kInvalidParameterValue, "Value '\xff'"});
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(json::parse(r.body, nullptr, false).is_discarded());
}

}  // namespace
}  // namespace thaw::invoker
