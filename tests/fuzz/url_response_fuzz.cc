// Fuzzes how a function URL reads a function's answer: invoker::HttpPrelude fed a stream in
// pieces (the prelude and body must not depend on where the pieces split), MapStreamedResponse
// and MapResponse on the whole, and httpfront::UrlStreamSink driven by the stream, whose
// answer must be well formed: one Send, or one Head then Writes then End or Abort, nothing
// after. Input: a byte whose value % 16 + 1 sets the piece size, a byte of flags (1: the HTTP
// integration content type, 2: the function fails at the end, 4: the function did not stream),
// then the stream.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "httpfront/response_v2.h"
#include "httpfront/url_stream_sink.h"
#include "invoker/http_prelude.h"

namespace httpfront = thaw::httpfront;
namespace invoker = thaw::invoker;

namespace {

struct State {
  bool sent = false;
  bool head = false;
  bool finished = false;
};

// Aborts on any call out of order.
class CheckingOut final : public httpfront::UrlStreamOut {
 public:
  explicit CheckingOut(State* state) : s_(state) {}
  void Send(thaw::http::Response r) override {
    if (s_->sent || s_->head || s_->finished) abort();
    if (r.status < 100 || r.status > 599) abort();
    s_->sent = s_->finished = true;
  }
  void Head(thaw::http::Response r) override {
    if (s_->sent || s_->head || s_->finished) abort();
    if (r.status < 100 || r.status > 599 || !r.body.empty()) abort();
    s_->head = true;
  }
  void Write(std::string data) override {
    if (!s_->head || s_->finished || data.empty()) abort();
  }
  void End() override {
    if (!s_->head || s_->finished) abort();
    s_->finished = true;
  }
  void Abort() override {
    if (!s_->head || s_->finished) abort();
    s_->finished = true;
  }

 private:
  State* s_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t piece = data[0] % 16 + 1;
  const uint8_t flags = data[1];
  std::string_view stream(reinterpret_cast<const char*>(data + 2), size - 2);

  (void)httpfront::MapStreamedResponse(stream);
  (void)httpfront::MapResponse(stream);

  invoker::HttpPrelude whole;
  std::string whole_body = whole.Feed(stream);
  invoker::HttpPrelude split;
  std::string split_body;
  for (size_t at = 0; at < stream.size(); at += piece)
    split_body += split.Feed(stream.substr(at, piece));
  if (stream.size() < invoker::HttpPrelude::kMaxPreludeBytes) {
    if (whole.prelude() != split.prelude() || whole.in_body() != split.in_body()) abort();
    if (whole_body != split_body) abort();
  }

  State state;
  auto sink = std::make_shared<httpfront::UrlStreamSink>(std::make_unique<CheckingOut>(&state), "r",
                                                         [](thaw::http::Response*) {});
  invoker::InvokeResult end;
  end.function_error = (flags & 2) != 0;
  if (flags & 4) {
    end.body = std::string(stream);
  } else {
    sink->OnStart((flags & 1) ? invoker::kHttpIntegrationContentType : "text/plain");
    for (size_t at = 0; at < stream.size(); at += piece) {
      sink->OnChunk(std::string(stream.substr(at, piece)));
    }
  }
  sink->OnEnd(std::move(end));
  if (!state.finished) abort();
  return 0;
}
