#include "httpfront/url_stream_sink.h"

#include <string_view>
#include <utility>

#include "base/log.h"
#include "httpfront/response_v2.h"

namespace thaw::httpfront {

namespace {

constexpr std::string_view kSeparator("\0\0\0\0\0\0\0\0", 8);
constexpr char kOctetStream[] = "application/octet-stream";

class ResponseWriterOut final : public UrlStreamOut {
 public:
  explicit ResponseWriterOut(http::ResponseWriter writer) : writer_(std::move(writer)) {}
  void Send(http::Response response) override { writer_.Send(std::move(response)); }
  void Head(http::Response head) override { stream_ = writer_.Stream(std::move(head)); }
  void Write(std::string data) override { stream_.Write(std::move(data)); }
  void End() override { stream_.End(); }
  // A StreamWriter destroyed before End closes the connection.
  void Abort() override { stream_ = http::StreamWriter(); }

 private:
  http::ResponseWriter writer_;
  http::StreamWriter stream_;
};

// The head a prelude gives (nullopt when it is malformed).
std::optional<http::Response> PreludeHead(std::string_view prelude) {
  std::string text(prelude);
  text.append(kSeparator);
  std::optional<http::Response> head = MapStreamedResponse(text);
  if (head && !head->headers.Get("content-type")) head->headers.Set("content-type", kOctetStream);
  return head;
}

}  // namespace

std::unique_ptr<UrlStreamOut> WriterOut(http::ResponseWriter writer) {
  return std::make_unique<ResponseWriterOut>(std::move(writer));
}

UrlStreamSink::UrlStreamSink(std::unique_ptr<UrlStreamOut> out, std::string request_id,
                             std::function<void(http::Response*)> decorate)
    : out_(std::move(out)), request_id_(std::move(request_id)), decorate_(std::move(decorate)) {}

void UrlStreamSink::OnStart(const std::string& content_type) {
  streamed_ = true;
  content_type_ = content_type;
  integration_ = std::string_view(content_type).starts_with(invoker::kHttpIntegrationContentType);
}

void UrlStreamSink::OnChunk(std::string data) {
  if (done_) return;
  streamed_ = true;
  if (head_sent_) return Body(std::move(data));
  if (!integration_) {
    SendHead(PlainHead());
    return Body(std::move(data));
  }
  held_ += data;
  std::string body = prelude_.Feed(data);
  if (!prelude_.in_body()) return;
  held_.clear();
  if (!prelude_.prelude()) {
    // Too long to be a prelude: the bytes are the body.
    SendHead(PlainHead());
    return Body(std::move(body));
  }
  std::optional<http::Response> head = PreludeHead(*prelude_.prelude());
  if (!head) {
    THAW_LOG(kInfo, "function-url") << "request " << request_id_ << ": malformed stream prelude";
    done_ = true;
    http::Response r = BadGateway();
    decorate_(&r);
    return out_->Send(std::move(r));
  }
  SendHead(std::move(*head));
  Body(std::move(body));
}

void UrlStreamSink::OnEnd(invoker::InvokeResult result) {
  if (done_) return;
  done_ = true;
  if (!streamed_) {
    // A function that did not stream: mapped as on a BUFFERED URL.
    http::Response r;
    if (result.function_error) {
      r = BadGateway();
    } else if (auto prelude = MapStreamedResponse(result.body)) {
      r = std::move(*prelude);
    } else if (auto mapped = MapResponse(result.body); mapped.ok()) {
      r = std::move(*mapped);
    } else {
      THAW_LOG(kInfo, "function-url")
          << "request " << request_id_ << ": malformed answer: " << mapped.status().message();
      r = BadGateway();
    }
    decorate_(&r);
    return out_->Send(std::move(r));
  }
  if (result.function_error) {
    THAW_LOG(kInfo, "function-url") << "request " << request_id_ << ": stream failed"
                                    << (head_sent_ ? " after the head" : "") << ": " << result.body;
    if (head_sent_) return out_->Abort();
    http::Response r = BadGateway();
    decorate_(&r);
    return out_->Send(std::move(r));
  }
  if (!head_sent_) {
    // A stream that ended within its prelude (no separator): the prelude alone, when it is one.
    std::optional<http::Response> head = integration_ ? PreludeHead(held_) : std::nullopt;
    if (head) {
      SendHead(std::move(*head));
    } else {
      SendHead(PlainHead());
      Body(std::move(held_));
    }
  }
  out_->End();
}

void UrlStreamSink::Answer(http::Response response) {
  done_ = true;
  decorate_(&response);
  out_->Send(std::move(response));
}

void UrlStreamSink::SendHead(http::Response head) {
  head_sent_ = true;
  head.body.clear();
  decorate_(&head);
  out_->Head(std::move(head));
}

http::Response UrlStreamSink::PlainHead() const {
  http::Response head;
  head.status = 200;
  bool typed = !content_type_.empty() && !integration_;
  head.headers.Set("content-type", typed ? content_type_ : std::string(kOctetStream));
  return head;
}

void UrlStreamSink::Body(std::string data) {
  if (!data.empty()) out_->Write(std::move(data));
}

}  // namespace thaw::httpfront
