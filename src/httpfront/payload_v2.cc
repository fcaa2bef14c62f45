#include "httpfront/payload_v2.h"

#include <cctype>
#include <ctime>

#include <nlohmann/json.hpp>

#include "base/codec.h"

namespace thaw::httpfront {

using nlohmann::json;
using ordered = nlohmann::ordered_json;

namespace {

// Adds `value` under `key`, comma-joining a repeated key, in first-seen order.
void Join(ordered& object, const std::string& key, const std::string& value) {
  if (object.contains(key)) {
    object[key] = object[key].get<std::string>() + "," + value;
  } else {
    object[key] = value;
  }
}

std::vector<std::string> SplitCookies(std::string_view header) {
  std::vector<std::string> out;
  while (!header.empty()) {
    size_t sep = header.find(';');
    std::string_view item = header.substr(0, sep);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (sep == std::string_view::npos) break;
    header.remove_prefix(sep + 1);
  }
  return out;
}

}  // namespace

bool IsTextContentType(std::string_view content_type) {
  std::string type = AsciiLower(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  if (type.empty()) return false;
  if (type.starts_with("text/")) return true;
  for (const char* text : {"application/json", "application/javascript", "application/xml",
                           "application/ecmascript"}) {
    if (type == text) return true;
  }
  return type.ends_with("+json") || type.ends_with("+xml");
}

std::string FormatRequestTime(int64_t ms) {
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t seconds = static_cast<time_t>(ms / 1000);
  tm t{};
  gmtime_r(&seconds, &t);
  char buf[64];
  snprintf(buf, sizeof buf, "%02d/%s/%04d:%02d:%02d:%02d +0000", t.tm_mday, kMonths[t.tm_mon],
           t.tm_year + 1900, t.tm_hour, t.tm_min, t.tm_sec);
  return buf;
}

std::string BuildV2Event(const HttpInput& in, const V2Context& context) {
  ordered event = ordered::object();
  event["version"] = "2.0";
  event["routeKey"] = context.route_key;
  event["rawPath"] = in.raw_path;
  event["rawQueryString"] = in.raw_query;

  std::vector<std::string> cookies;
  ordered headers = ordered::object();
  std::string content_type;
  std::string user_agent;
  for (const auto& [name, value] : in.headers) {
    std::string key = AsciiLower(name);
    if (key == "cookie") {
      for (std::string& c : SplitCookies(value)) cookies.push_back(std::move(c));
      continue;
    }
    if (key == "content-type" && content_type.empty()) content_type = value;
    if (key == "user-agent" && user_agent.empty()) user_agent = value;
    Join(headers, key, value);
  }
  if (!cookies.empty()) event["cookies"] = cookies;
  event["headers"] = std::move(headers);

  if (!in.raw_query.empty()) {
    ordered params = ordered::object();
    std::string_view rest = in.raw_query;
    while (!rest.empty()) {
      size_t amp = rest.find('&');
      std::string_view pair = rest.substr(0, amp);
      if (!pair.empty()) {
        size_t eq = pair.find('=');
        std::string key = PercentDecode(pair.substr(0, eq));
        std::string value = eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
        Join(params, key, value);
      }
      if (amp == std::string_view::npos) break;
      rest.remove_prefix(amp + 1);
    }
    event["queryStringParameters"] = std::move(params);
  }

  ordered request_context = ordered::object();
  request_context["accountId"] = context.account_id;
  request_context["apiId"] = context.api_id;
  if (context.iam) {
    request_context["authorizer"] = {{"iam",
                                      {{"accessKey", context.iam->access_key},
                                       {"accountId", context.iam->account_id},
                                       {"callerId", context.iam->caller_id},
                                       {"cognitoIdentity", nullptr},
                                       {"principalOrgId", nullptr},
                                       {"userArn", context.iam->user_arn},
                                       {"userId", context.iam->user_id}}}};
  } else if (!context.authorizer.empty()) {
    request_context["authorizer"] = ordered::parse(context.authorizer, nullptr, false);
  }
  request_context["domainName"] = context.domain_name;
  request_context["domainPrefix"] = context.domain_prefix;
  request_context["http"] = {{"method", in.method},
                             {"path", in.raw_path},
                             {"protocol", in.protocol},
                             {"sourceIp", in.source_ip},
                             {"userAgent", user_agent}};
  request_context["requestId"] = context.request_id;
  request_context["routeKey"] = context.route_key;
  request_context["stage"] = context.stage;
  request_context["time"] = FormatRequestTime(context.time_ms);
  request_context["timeEpoch"] = context.time_ms;
  event["requestContext"] = std::move(request_context);
  if (!context.path_parameters.empty()) {
    ordered params = ordered::object();
    for (const auto& [k, v] : context.path_parameters) params[k] = v;
    event["pathParameters"] = std::move(params);
  }
  if (!context.stage_variables.empty()) {
    ordered vars = ordered::object();
    for (const auto& [k, v] : context.stage_variables) vars[k] = v;
    event["stageVariables"] = std::move(vars);
  }

  if (!in.body.empty()) {
    bool text = IsTextContentType(content_type);
    event["body"] = text ? in.body : Base64Encode(in.body);
    event["isBase64Encoded"] = !text;
  } else {
    event["isBase64Encoded"] = false;
  }
  return event.dump(-1, ' ', false, ordered::error_handler_t::replace);
}

}  // namespace thaw::httpfront
