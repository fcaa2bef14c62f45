#include "httpfront/url_stream_sink.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace thaw::httpfront {
namespace {

// Records what the sink sends, in order: "send 502", "head 201", "write <data>", "end", "abort".
struct Log {
  std::vector<std::string> calls;
  http::Response last;
};

class FakeOut final : public UrlStreamOut {
 public:
  explicit FakeOut(Log* log) : log_(log) {}
  void Send(http::Response r) override {
    log_->calls.push_back("send " + std::to_string(r.status));
    log_->last = std::move(r);
  }
  void Head(http::Response r) override {
    log_->calls.push_back("head " + std::to_string(r.status));
    log_->last = std::move(r);
  }
  void Write(std::string data) override { log_->calls.push_back("write " + data); }
  void End() override { log_->calls.push_back("end"); }
  void Abort() override { log_->calls.push_back("abort"); }

 private:
  Log* log_;
};

std::shared_ptr<UrlStreamSink> MakeSink(Log* log) {
  return std::make_shared<UrlStreamSink>(
      std::make_unique<FakeOut>(log), "req-1",
      [](http::Response* r) { r->headers.Set("x-amzn-RequestId", "req-1"); });
}

const std::string kNuls(8, '\0');

invoker::InvokeResult Ok() { return invoker::InvokeResult{}; }
invoker::InvokeResult Failed() {
  invoker::InvokeResult r;
  r.function_error = true;
  r.body = R"({"errorType":"E","errorMessage":"boom"})";
  return r;
}

TEST(UrlStreamSink, PreludeSplitAcrossChunksGivesTheHeadThenChunksAsTheyCome) {
  Log log;
  auto sink = MakeSink(&log);
  sink->OnStart(invoker::kHttpIntegrationContentType);
  sink->OnChunk(R"({"statusCode":201,"headers":{"x-a":"1"},)");
  EXPECT_TRUE(log.calls.empty());  // the prelude is not complete yet
  sink->OnChunk(R"("cookies":["a=1","b=2"]})" + kNuls.substr(0, 3));
  EXPECT_TRUE(log.calls.empty());
  sink->OnChunk(kNuls.substr(3) + "first");
  ASSERT_EQ(log.calls, (std::vector<std::string>{"head 201", "write first"}));
  EXPECT_EQ(log.last.headers.Get("x-a"), "1");
  EXPECT_EQ(log.last.headers.Get("x-amzn-RequestId"), "req-1");
  EXPECT_EQ(log.last.headers.Get("content-type"), "application/octet-stream");
  int cookies = 0;
  for (const auto& [name, value] : log.last.headers.all()) cookies += name == "set-cookie";
  EXPECT_EQ(cookies, 2);
  sink->OnChunk("second");
  sink->OnEnd(Ok());
  EXPECT_EQ(log.calls,
            (std::vector<std::string>{"head 201", "write first", "write second", "end"}));
}

TEST(UrlStreamSink, PlainStreamIs200WithItsContentTypeFromTheFirstChunk) {
  Log log;
  auto sink = MakeSink(&log);
  sink->OnStart("text/plain");
  EXPECT_TRUE(log.calls.empty());
  sink->OnChunk("{not a prelude");
  ASSERT_EQ(log.calls, (std::vector<std::string>{"head 200", "write {not a prelude"}));
  EXPECT_EQ(log.last.headers.Get("content-type"), "text/plain");
  sink->OnEnd(Ok());
  EXPECT_EQ(log.calls.back(), "end");
}

TEST(UrlStreamSink, PlainStreamWithoutContentTypeIsOctetStream) {
  Log log;
  auto sink = MakeSink(&log);
  sink->OnStart("");
  sink->OnEnd(Ok());
  EXPECT_EQ(log.calls, (std::vector<std::string>{"head 200", "end"}));
  EXPECT_EQ(log.last.headers.Get("content-type"), "application/octet-stream");
}

TEST(UrlStreamSink, ErrorAfterTheHeadClosesTheConnection) {
  Log log;
  auto sink = MakeSink(&log);
  sink->OnStart("application/octet-stream");
  sink->OnChunk("part");
  sink->OnEnd(Failed());
  EXPECT_EQ(log.calls, (std::vector<std::string>{"head 200", "write part", "abort"}));
}

TEST(UrlStreamSink, ErrorBeforeTheHeadIs502) {
  Log log;
  auto sink = MakeSink(&log);
  sink->OnStart(invoker::kHttpIntegrationContentType);
  sink->OnChunk(R"({"statusCode":200)");
  sink->OnEnd(Failed());
  EXPECT_EQ(log.calls, (std::vector<std::string>{"send 502"}));
  EXPECT_EQ(log.last.headers.Get("x-amzn-RequestId"), "req-1");
}

TEST(UrlStreamSink, MalformedPreludeIs502AndTheRestIsDropped) {
  Log log;
  auto sink = MakeSink(&log);
  sink->OnStart(invoker::kHttpIntegrationContentType);
  sink->OnChunk(R"({"statusCode":"abc"})" + kNuls + "body");
  sink->OnChunk("more");
  sink->OnEnd(Ok());
  EXPECT_EQ(log.calls, (std::vector<std::string>{"send 502"}));
}

TEST(UrlStreamSink, StreamEndingWithinThePreludeAnswersThePreludeAlone) {
  Log log;
  auto sink = MakeSink(&log);
  sink->OnStart(invoker::kHttpIntegrationContentType);
  sink->OnChunk(R"({"statusCode":204})");
  sink->OnEnd(Ok());
  EXPECT_EQ(log.calls, (std::vector<std::string>{"head 204", "end"}));
}

TEST(UrlStreamSink, FunctionThatDoesNotStreamIsAnsweredWhole) {
  Log log;
  auto sink = MakeSink(&log);
  invoker::InvokeResult r;
  r.body = R"({"statusCode":418,"body":"teapot"})";
  sink->OnEnd(r);
  EXPECT_EQ(log.calls, (std::vector<std::string>{"send 418"}));
  EXPECT_EQ(log.last.body, "teapot");
  EXPECT_EQ(log.last.headers.Get("x-amzn-RequestId"), "req-1");
  Log failed;
  auto other = MakeSink(&failed);
  other->OnEnd(Failed());
  EXPECT_EQ(failed.calls, (std::vector<std::string>{"send 502"}));
}

}  // namespace
}  // namespace thaw::httpfront
