#include "lambda/function_url.h"

#include <cctype>

#include "base/codec.h"
#include "lambda/api_error.h"
#include "lambda/function.h"
#include "lambda/function_request.h"
#include "lambda/stored_json.h"

namespace thaw::lambda {

using nlohmann::json;

namespace {

constexpr char kHostSuffix[] = ".lambda-url.us-east-1.localhost";

// A list of strings member; absent or null -> nullopt.
StatusOr<std::optional<std::vector<std::string>>> OptionalStrings(const json& body,
                                                                  const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<std::vector<std::string>>();
  if (!it->is_array()) return BadRequestContent(std::string(key) + " must be a list");
  std::vector<std::string> out;
  for (const json& item : *it) {
    if (!item.is_string()) return BadRequestContent(std::string(key) + " must hold strings");
    out.push_back(item.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

StatusOr<UrlCors> ParseCors(const json& j, std::vector<std::string>* violations) {
  if (!j.is_object()) return BadRequestContent("Cors must be an object");
  UrlCors cors;
  THAW_ASSIGN_OR_RETURN(cors.allow_credentials, OptionalBool(j, "AllowCredentials"));
  THAW_ASSIGN_OR_RETURN(cors.max_age, OptionalInt(j, "MaxAge"));
  struct List {
    const char* key;
    const char* field;
    std::vector<std::string>* out;
    size_t max_length;
  };
  for (const List& l : {List{"AllowHeaders", "cors.allowHeaders", &cors.allow_headers, 1024},
                        List{"AllowMethods", "cors.allowMethods", &cors.allow_methods, 6},
                        List{"AllowOrigins", "cors.allowOrigins", &cors.allow_origins, 253},
                        List{"ExposeHeaders", "cors.exposeHeaders", &cors.expose_headers, 1024}}) {
    THAW_ASSIGN_OR_RETURN(auto values, OptionalStrings(j, l.key));
    if (!values) continue;
    for (const std::string& v : *values) {
      if (v.empty() || v.size() > l.max_length) {
        violations->push_back(ConstraintViolation(
            "[" + v + "]", l.field,
            "Member must satisfy constraint: [Member must have length less than or equal to " +
                std::to_string(l.max_length) +
                ", Member must have length greater than or equal "
                "to 1]"));
      }
    }
    *l.out = std::move(*values);
  }
  if (cors.max_age && (*cors.max_age < 0 || *cors.max_age > 86400)) {
    violations->push_back(ConstraintViolation(
        std::to_string(*cors.max_age), "cors.maxAge",
        *cors.max_age < 0 ? "Member must have value greater than or equal to 0"
                          : "Member must have value less than or equal to 86400"));
  }
  return cors;
}

json StringArray(const std::vector<std::string>& values) {
  json out = json::array();
  for (const std::string& v : values) out.push_back(v);
  return out;
}

// CreationTime's format: "2021-10-31T12:00:00.123000Z" (AWS gives microseconds).
std::string UrlTime(int64_t ms) {
  std::string iso = FormatIsoMillis(ms);
  return iso.substr(0, iso.size() - 1) + "000Z";
}

json CorsToJson(const UrlCors& cors) {
  json j = {{"AllowHeaders", StringArray(cors.allow_headers)},
            {"AllowMethods", StringArray(cors.allow_methods)},
            {"AllowOrigins", StringArray(cors.allow_origins)},
            {"ExposeHeaders", StringArray(cors.expose_headers)}};
  if (cors.allow_credentials) j["AllowCredentials"] = *cors.allow_credentials;
  if (cors.max_age) j["MaxAge"] = *cors.max_age;
  return j;
}

}  // namespace

std::string NewUrlId() {
  std::string id = NewUuid();  // 122 random bits, lower-case hex
  std::erase(id, '-');
  return id;
}

std::string UrlHostName(std::string_view url_id) { return std::string(url_id) + kHostSuffix; }

std::string FunctionUrl(std::string_view url_id, uint16_t port) {
  return "http://" + UrlHostName(url_id) + ":" + std::to_string(port) + "/";
}

std::string UrlIdOfHost(std::string_view host) {
  if (size_t colon = host.rfind(':'); colon != std::string_view::npos) host = host.substr(0, colon);
  if (host.ends_with('.')) host.remove_suffix(1);
  const std::string_view suffix = kHostSuffix;
  if (host.size() != 32 + suffix.size()) return "";
  if (!EqualsIgnoreCase(host.substr(32), suffix)) return "";
  std::string id;
  for (char c : host.substr(0, 32)) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return "";
    id.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return id;
}

StatusOr<FunctionUrlConfig> ParseFunctionUrlConfig(const json& body,
                                                   const FunctionUrlConfig* base) {
  THAW_ASSIGN_OR_RETURN(auto auth_type, OptionalString(body, "AuthType"));
  THAW_ASSIGN_OR_RETURN(auto invoke_mode, OptionalString(body, "InvokeMode"));
  std::vector<std::string> violations;
  std::optional<UrlCors> cors;
  if (auto it = body.find("Cors"); it != body.end() && !it->is_null()) {
    THAW_ASSIGN_OR_RETURN(cors, ParseCors(*it, &violations));
  }
  if (!base && !auth_type) {
    violations.insert(violations.begin(),
                      "Value null at 'authType' failed to satisfy "
                      "constraint: Member must not be null");
  }
  if (auth_type && *auth_type != "NONE" && *auth_type != "AWS_IAM") {
    violations.insert(violations.begin(),
                      ConstraintViolation(*auth_type, "authType",
                                          "Member must satisfy enum value set: [AWS_IAM, NONE]"));
  }
  if (invoke_mode && *invoke_mode != "BUFFERED" && *invoke_mode != "RESPONSE_STREAM") {
    violations.push_back(
        ConstraintViolation(*invoke_mode, "invokeMode",
                            "Member must satisfy enum value set: [RESPONSE_STREAM, BUFFERED]"));
  }
  if (!violations.empty()) return ValidationError(violations);
  FunctionUrlConfig config = base ? *base : FunctionUrlConfig{};
  if (auth_type) config.auth_type = *auth_type;
  if (invoke_mode) config.invoke_mode = *invoke_mode;
  if (cors) config.cors = std::move(cors);
  return config;
}

json RenderFunctionUrlConfig(const FunctionUrlConfig& config, const std::string& function_arn,
                             uint16_t port, bool with_modified) {
  json j = {{"FunctionUrl", FunctionUrl(config.url_id, port)},
            {"FunctionArn", function_arn},
            {"AuthType", config.auth_type},
            {"CreationTime", UrlTime(config.created_ms)},
            {"InvokeMode", config.invoke_mode}};
  if (config.cors) j["Cors"] = CorsToJson(*config.cors);
  if (with_modified) j["LastModifiedTime"] = UrlTime(config.modified_ms);
  return j;
}

std::string FunctionUrlToStorage(const FunctionUrlConfig& config) {
  json j = {{"url_id", config.url_id},
            {"auth_type", config.auth_type},
            {"invoke_mode", config.invoke_mode},
            {"created_ms", config.created_ms},
            {"modified_ms", config.modified_ms}};
  if (config.cors) j["cors"] = CorsToJson(*config.cors);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

FunctionUrlConfig FunctionUrlFromStorage(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  FunctionUrlConfig config;
  if (!j.is_object()) return config;
  config.url_id = StoredString(j, "url_id");
  config.auth_type = StoredString(j, "auth_type");
  config.invoke_mode = StoredString(j, "invoke_mode");
  config.created_ms = StoredInt(j, "created_ms");
  config.modified_ms = StoredInt(j, "modified_ms");
  if (auto it = j.find("cors"); it != j.end() && it->is_object()) {
    UrlCors cors;
    cors.allow_headers = StoredStrings(*it, "AllowHeaders");
    cors.allow_methods = StoredStrings(*it, "AllowMethods");
    cors.allow_origins = StoredStrings(*it, "AllowOrigins");
    cors.expose_headers = StoredStrings(*it, "ExposeHeaders");
    if (auto c = it->find("AllowCredentials"); c != it->end() && c->is_boolean())
      cors.allow_credentials = c->get<bool>();
    if (it->contains("MaxAge")) cors.max_age = StoredInt(*it, "MaxAge");
    config.cors = std::move(cors);
  }
  return config;
}

}  // namespace thaw::lambda
