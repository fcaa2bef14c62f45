// Fuzzes the Invoke operation's parser and renderer (src/invoker/invoke_request.h): InvokeTarget
// on the path, then ParseInvoke with ?Qualifier=, X-Amz-Client-Context, X-Amzn-Trace-Id and the
// body, resolved against a registry holding one function with a version and an alias, then
// Render of an error. Also the trace header, as the invoker reads it. Input: the
// request target, then "\n" and the X-Amz-Client-Context value, "\n" and X-Amzn-Trace-Id, "\n"
// and the body.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "http/message.h"
#include "invoker/invoke_request.h"
#include "lambda/registry.h"
#include "trace/trace_header.h"

namespace lambda = thaw::lambda;
namespace invoker = thaw::invoker;

namespace {

std::string_view NextLine(std::string_view& input) {
  size_t end = input.find('\n');
  std::string_view line = input.substr(0, end);
  input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
  return line;
}

const lambda::Registry& OneFunction() {
  static lambda::Registry* registry = [] {
    auto* r = new lambda::Registry();
    auto config = std::make_shared<lambda::FunctionConfig>();
    config->name = "f";
    lambda::FunctionEntry entry;
    entry.latest = config;
    entry.versions[1] = config;
    entry.aliases["live"] = lambda::Alias{"live", "1", "", "r"};
    entry.reserved_concurrency = 2;
    r->Put("f", std::move(entry));
    return r;
  }();
  return *registry;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view target = NextLine(input);
  std::string_view client_context = NextLine(input);
  std::string_view trace = NextLine(input);
  std::string_view body = input;

  // As the server splits a request target.
  thaw::http::Request request;
  request.method = "POST";
  request.target = std::string(target);
  size_t q = target.find('?');
  request.path = thaw::http::PercentDecode(target.substr(0, q));
  if (q != std::string_view::npos) request.query = std::string(target.substr(q + 1));
  request.headers.Set("X-Amz-Client-Context", client_context);
  request.headers.Set("X-Amzn-Trace-Id", trace);
  request.body = std::string(body);

  // As the invoker reads the caller's trace header (whatever the request's fate).
  thaw::trace::FormatTraceHeader(thaw::trace::ParseTraceHeader(trace));

  std::optional<std::string> name = invoker::InvokeTarget(request);
  if (!name) return 0;
  auto parsed = invoker::ParseInvoke(*name, std::move(request), OneFunction());
  if (auto* error = std::get_if<invoker::InvokeError>(&parsed)) {
    (void)invoker::Render("id", *error);
    return 0;
  }
  return 0;
}
