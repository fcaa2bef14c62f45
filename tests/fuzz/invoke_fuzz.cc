// Fuzzes what the Invoke operation decodes before it hands an event to the invoker: the path's
// function name, ?Qualifier=, the name resolved against a registry holding one function with a
// version and an alias, the payload's JSON check, the base64 X-Amz-Client-Context and the trace
// header. InvokeApi itself needs a live Invoker, so this follows InvokeApi::Invoke's decoding
// step by step (src/invoker/invoke_api.cc) instead of calling it. Input: the request target,
// then "\n" and the X-Amz-Client-Context value, "\n" and X-Amzn-Trace-Id, "\n" and the body.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "http/message.h"
#include "lambda/registry.h"
#include "trace/trace_header.h"

namespace lambda = thaw::lambda;

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
  request.target = std::string(target);
  size_t q = target.find('?');
  request.path = thaw::http::PercentDecode(target.substr(0, q));
  if (q != std::string_view::npos) request.query = std::string(target.substr(q + 1));

  // As InvokeApi::Handle and Invoke do.
  constexpr std::string_view kPrefix = "/2015-03-31/functions/", kSuffix = "/invocations";
  const std::string& path = request.path;
  if (path.size() > kPrefix.size() + kSuffix.size() && path.starts_with(kPrefix) &&
      path.ends_with(kSuffix)) {
    std::string name = path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size());
    if (name.find('/') == std::string::npos) {
      std::string qualifier = request.QueryParam("Qualifier").value_or("");
      (void)OneFunction().Resolve(name, qualifier);
    }
  }
  nlohmann::json::accept(body);
  if (auto decoded = thaw::Base64Decode(client_context)) nlohmann::json::accept(*decoded);
  thaw::trace::TraceContext context = thaw::trace::ParseTraceHeader(trace);
  thaw::trace::FormatTraceHeader(context);
  return 0;
}
