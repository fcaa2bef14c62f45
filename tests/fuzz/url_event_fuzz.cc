// Fuzzes payload_v2's event builder (src/httpfront/payload_v2.h), what a function URL and an
// HTTP API route send the function: BuildV2Event must give a JSON object for any request, with
// the method, path, query, headers (cookies among them) and body as received, binary or not.
// Input: the method, raw path and raw query, one a line, then "name: value" header lines up to
// an empty line, then the body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "httpfront/payload_v2.h"

namespace httpfront = thaw::httpfront;

namespace {

std::string_view NextLine(std::string_view& input) {
  size_t end = input.find('\n');
  std::string_view line = input.substr(0, end);
  input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  httpfront::HttpInput in;
  in.method = std::string(NextLine(input));
  in.raw_path = std::string(NextLine(input));
  if (in.raw_path.empty()) in.raw_path = "/";
  in.raw_query = std::string(NextLine(input));
  while (!input.empty()) {
    std::string_view line = NextLine(input);
    if (line.empty()) break;
    size_t colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    std::string_view value =
        colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    if (value.starts_with(' ')) value.remove_prefix(1);
    in.headers.emplace_back(std::string(name), std::string(value));
  }
  in.body = std::string(input);
  in.source_ip = "127.0.0.1";
  httpfront::V2Context context;
  context.account_id = "anonymous";
  context.api_id = "abc";
  context.domain_name = "abc.lambda-url.us-east-1.localhost";
  context.domain_prefix = "abc";
  context.request_id = "r";
  context.time_ms = 1764280000123;
  std::string event = httpfront::BuildV2Event(in, context);
  nlohmann::json j = nlohmann::json::parse(event, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("requestContext")) abort();
  return 0;
}
