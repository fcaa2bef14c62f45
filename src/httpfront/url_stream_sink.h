// UrlStreamSink: the ResponseSink of a RESPONSE_STREAM function URL. A stream whose content type
// is the HTTP integration type (aws-lambda-go's LambdaFunctionURLStreamingResponse, Node's
// HttpResponseStream.from) starts with a prelude {statusCode, headers, cookies} and 8 NUL bytes:
// the head is sent once the prelude is read, and each later piece goes out as a chunk as it
// arrives. Any other stream is a 200 with the stream's content type (application/octet-stream
// unless the function set one), its bytes as they come. A function that does not stream is
// answered whole, as on a BUFFERED URL. A failure before the head is the 502 a BUFFERED URL
// answers; after it, the connection is closed without the last chunk, so the client sees a
// truncated body. Memory: as EventStreamSink, chunks queue on the connection, bounded by the
// runtime's stream limit (200 MB, paced after 6 MiB) and the server's idle timeout for a client
// that stops reading. Loop thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "http/message.h"
#include "http/server.h"
#include "invoker/http_prelude.h"
#include "invoker/invocation.h"

namespace thaw::httpfront {

// Where the sink's answer goes (a ResponseWriter, or a fake in tests).
class UrlStreamOut {
 public:
  virtual ~UrlStreamOut() = default;
  virtual void Send(http::Response response) = 0;  // a whole answer
  virtual void Head(http::Response head) = 0;      // a chunked answer's head
  virtual void Write(std::string data) = 0;        // one chunk, after Head
  virtual void End() = 0;                          // the last chunk
  virtual void Abort() = 0;                        // closes the connection, no last chunk
};

// UrlStreamOut on a server's ResponseWriter.
std::unique_ptr<UrlStreamOut> WriterOut(http::ResponseWriter writer);

class UrlStreamSink final : public invoker::ResponseSink {
 public:
  // `decorate` adds the URL's headers (CORS, x-amzn-RequestId) to every head or answer.
  UrlStreamSink(std::unique_ptr<UrlStreamOut> out, std::string request_id,
                std::function<void(http::Response*)> decorate);
  void OnStart(const std::string& content_type) override;
  void OnChunk(std::string data) override;
  void OnEnd(invoker::InvokeResult result) override;
  // A whole answer instead of a stream: a BUFFERED URL's, or the invoke did not start.
  void Answer(http::Response response);

 private:
  void SendHead(http::Response head);
  http::Response PlainHead() const;
  void Body(std::string data);

  std::unique_ptr<UrlStreamOut> out_;
  std::string request_id_;
  std::function<void(http::Response*)> decorate_;
  invoker::HttpPrelude prelude_;
  std::string held_;  // the stream so far while the prelude is incomplete
  std::string content_type_;
  bool streamed_ = false;
  bool integration_ = false;  // the stream has a prelude
  bool head_sent_ = false;
  bool done_ = false;
};

}  // namespace thaw::httpfront
