#include "httpfront/payload_v1.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "base/codec.h"

namespace thaw::httpfront {

using ordered = nlohmann::ordered_json;

namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

// Adds a value under `key`: the single map keeps the last, the multi map all.
void Put(ordered& single, ordered& multi, const std::string& key, const std::string& value) {
  single[key] = value;
  if (!multi.contains(key)) multi[key] = ordered::array();
  multi[key].push_back(value);
}

ordered MapOrNull(const std::map<std::string, std::string>& m) {
  if (m.empty()) return nullptr;
  ordered out = ordered::object();
  for (const auto& [k, v] : m) out[k] = v;
  return out;
}

}  // namespace

bool IsBinaryMediaType(std::string_view content_type, const std::vector<std::string>& types) {
  std::string type = AsciiLower(Trim(content_type.substr(0, content_type.find(';'))));
  for (const std::string& given : types) {
    std::string want;  // SAM escapes '/' as "~1"
    for (size_t i = 0; i < given.size(); ++i) {
      if (given[i] == '~' && i + 1 < given.size() && given[i + 1] == '1') {
        want += '/';
        ++i;
      } else {
        want += static_cast<char>(std::tolower(static_cast<unsigned char>(given[i])));
      }
    }
    if (want == "*/*") return true;
    if (type.empty()) continue;
    if (want == type) return true;
    if (want.ends_with("/*") && type.starts_with(want.substr(0, want.size() - 1))) return true;
  }
  return false;
}

std::string BuildV1Event(const HttpInput& in, const V1Context& context, bool binary) {
  ordered event = ordered::object();
  event["resource"] = context.resource;
  event["path"] = context.path;
  event["httpMethod"] = in.method;

  ordered headers = ordered::object();
  ordered multi_headers = ordered::object();
  std::string user_agent;
  for (const auto& [name, value] : in.headers) {
    if (AsciiLower(name) == "user-agent" && user_agent.empty()) user_agent = value;
    Put(headers, multi_headers, name, value);
  }
  event["headers"] = headers.empty() ? ordered(nullptr) : headers;
  event["multiValueHeaders"] = multi_headers.empty() ? ordered(nullptr) : multi_headers;

  ordered query = ordered::object();
  ordered multi_query = ordered::object();
  std::string_view rest = in.raw_query;
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string key = PercentDecode(pair.substr(0, eq), /*plus_is_space=*/true);
      std::string value =
          eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1), true);
      Put(query, multi_query, key, value);
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  event["queryStringParameters"] = query.empty() ? ordered(nullptr) : query;
  event["multiValueQueryStringParameters"] = multi_query.empty() ? ordered(nullptr) : multi_query;
  event["pathParameters"] = MapOrNull(context.path_parameters);
  event["stageVariables"] = MapOrNull(context.stage_variables);

  ordered identity = ordered::object();
  for (const char* key :
       {"cognitoIdentityPoolId", "accountId", "cognitoIdentityId", "caller", "apiKey", "apiKeyId",
        "accessKey", "principalOrgId", "cognitoAuthenticationType", "cognitoAuthenticationProvider",
        "userArn", "user"}) {
    identity[key] = nullptr;
  }
  identity["sourceIp"] = in.source_ip;
  identity["userAgent"] = user_agent;

  ordered rc = ordered::object();
  rc["accountId"] = context.account_id;
  rc["resourceId"] = context.resource_id;
  rc["stage"] = context.stage;
  rc["domainName"] = context.domain_name;
  rc["domainPrefix"] = context.domain_name.substr(0, context.domain_name.find('.'));
  rc["requestId"] = context.request_id;
  rc["extendedRequestId"] = context.request_id;
  rc["identity"] = std::move(identity);
  if (!context.authorizer.empty()) {
    ordered a = ordered::parse(context.authorizer, nullptr, /*allow_exceptions=*/false);
    if (a.is_object()) rc["authorizer"] = std::move(a);
  }
  rc["resourcePath"] = context.resource;
  rc["httpMethod"] = in.method;
  rc["apiId"] = context.api_id;
  rc["path"] = context.stage.empty() || context.stage == "$default"
                   ? context.path
                   : "/" + context.stage + context.path;
  rc["protocol"] = in.protocol;
  rc["requestTime"] = FormatRequestTime(context.time_ms);
  rc["requestTimeEpoch"] = context.time_ms;
  event["requestContext"] = std::move(rc);

  if (in.body.empty()) {
    event["body"] = nullptr;
    event["isBase64Encoded"] = false;
  } else {
    event["body"] = binary ? Base64Encode(in.body) : in.body;
    event["isBase64Encoded"] = binary;
  }
  return event.dump(-1, ' ', false, ordered::error_handler_t::replace);
}

}  // namespace thaw::httpfront
