#include "lambda/function_request.h"

#include <algorithm>
#include <array>
#include <initializer_list>

#include "base/codec.h"
#include "lambda/api_error.h"
#include "lambda/event_invoke_config.h"
#include "lambda/layer.h"

namespace thaw::lambda {

using nlohmann::json;

namespace {

// The Runtime enum of the Lambda API model, deprecated ids included: thaw runs them all as
// custom runtimes, and old templates still name go1.x.
constexpr std::array<std::string_view, 49> kRuntimes = {
    "nodejs",         "nodejs4.3",     "nodejs6.10",    "nodejs8.10",    "nodejs10.x",
    "nodejs12.x",     "nodejs14.x",    "nodejs16.x",    "nodejs18.x",    "nodejs20.x",
    "nodejs22.x",     "nodejs24.x",    "java8",         "java8.al2",     "java11",
    "java17",         "java21",        "java25",        "python2.7",     "python3.6",
    "python3.7",      "python3.8",     "python3.9",     "python3.10",    "python3.11",
    "python3.12",     "python3.13",    "python3.14",    "dotnetcore1.0", "dotnetcore2.0",
    "dotnetcore2.1",  "dotnetcore3.1", "dotnet6",       "dotnet8",       "dotnet10",
    "nodejs4.3-edge", "go1.x",         "ruby2.5",       "ruby2.7",       "ruby3.2",
    "ruby3.3",        "ruby3.4",       "provided",      "provided.al2",  "provided.al2023",
    "java8.al2023",   "java11.al2023", "java17.al2023", "java21.al2023",
};

// Variables the runtime environment sets itself; AWS refuses them in Environment.
constexpr std::array<std::string_view, 18> kReservedVariables = {
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_REGION",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "LAMBDA_RUNTIME_DIR",
    "LAMBDA_TASK_ROOT",
};

constexpr char kRolePattern[] = R"(arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+)";

// Hand-written matchers for the API model's patterns (std::regex is slow and trips GCC 12's
// -Wmaybe-uninitialized in sanitizer builds).
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsWordChar(char c) { return IsAlpha(c) || IsDigit(c) || c == '_'; }

// [a-zA-Z]([a-zA-Z0-9_])+
bool IsVariableName(std::string_view s) {
  if (s.size() < 2 || !IsAlpha(s[0])) return false;
  return std::all_of(s.begin() + 1, s.end(), IsWordChar);
}

// arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+
bool IsRoleArn(std::string_view s) {
  if (!s.starts_with("arn:")) return false;
  s.remove_prefix(4);
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view partition = s.substr(0, colon);
  if (!partition.empty()) {
    if (!partition.starts_with("aws")) return false;
    for (char c : partition.substr(3)) {
      if (!IsAlpha(c) && c != '-') return false;
    }
  }
  s.remove_prefix(colon + 1);
  if (!s.starts_with("iam::")) return false;
  s.remove_prefix(5);
  if (s.size() < 12 || !std::all_of(s.begin(), s.begin() + 12, IsDigit)) return false;
  s.remove_prefix(12);
  if (!s.starts_with(":role")) return false;
  s.remove_prefix(5);
  // "/?" followed by one or more of the set, which itself holds '/': any non-empty run.
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return IsWordChar(c) || std::string_view("+=,.@-/").find(c) != std::string_view::npos;
  });
}

// [^\s]+
bool IsHandler(std::string_view s) {
  return !s.empty() && s.find_first_of(" \t\n\v\f\r") == std::string_view::npos;
}

std::string RuntimeList() {
  std::string out;
  for (std::string_view r : kRuntimes) {
    if (!out.empty()) out += ", ";
    out += r;
  }
  return out;
}

std::string TypeName(const json& v) { return v.type_name(); }

void CheckRange(int64_t value, int64_t low, int64_t high, const char* field,
                std::vector<std::string>* violations) {
  if (value < low) {
    violations->push_back(ConstraintViolation(
        std::to_string(value), field,
        "Member must have value greater than or equal to " + std::to_string(low)));
  } else if (value > high) {
    violations->push_back(ConstraintViolation(
        std::to_string(value), field,
        "Member must have value less than or equal to " + std::to_string(high)));
  }
}

StatusOr<std::vector<std::pair<std::string, std::string>>> ParseEnvironment(const json& env) {
  if (!env.is_object()) return BadRequestContent("Environment must be an object");
  std::vector<std::pair<std::string, std::string>> out;
  auto vars = env.find("Variables");
  if (vars == env.end() || vars->is_null()) return out;
  if (!vars->is_object()) return BadRequestContent("Environment.Variables must be an object");
  std::vector<std::string> reserved;
  for (auto it = vars->begin(); it != vars->end(); ++it) {
    if (!it.value().is_string()) {
      return BadRequestContent("Environment.Variables." + it.key() + " must be a string");
    }
    if (!IsVariableName(it.key())) {
      return ValidationError(std::vector<std::string>{
          "Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy "
          "constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]"});
    }
    if (std::find(kReservedVariables.begin(), kReservedVariables.end(), it.key()) !=
        kReservedVariables.end()) {
      reserved.push_back(it.key());
    }
    out.emplace_back(it.key(), it.value().get<std::string>());
    // A process environment cannot hold a NUL (execve ends the string there). The model puts no
    // pattern on values, so this is Lambda's own check, like the reserved keys and 4 KB below.
    if (out.back().second.find('\0') != std::string::npos) {
      return Status::InvalidArgument(
          "Lambda was unable to configure your environment variables because the environment "
          "variables you have provided contains invalid characters. Variable: " +
          it.key());
    }
  }
  if (!reserved.empty()) {
    std::string list;
    for (const auto& k : reserved) list += (list.empty() ? "" : ",") + k;
    return Status::InvalidArgument(
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided contains reserved keys that are currently not supported "
        "for modification. Reserved keys used in this request: " +
        list);
  }
  std::string measured = vars->dump();
  if (measured.size() > kMaxEnvironmentBytes) {
    return Status::InvalidArgument(
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided exceeded the 4KB limit. String measured: " +
        measured);
  }
  return out;
}

}  // namespace

StatusOr<json> ParseJsonObject(std::string_view body) {
  if (body.empty()) return json::object();
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return BadRequestContent("the request body is not valid JSON");
  if (!j.is_object()) return BadRequestContent("the request body must be a JSON object");
  return j;
}

StatusOr<std::optional<std::string>> OptionalString(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) {
    return BadRequestContent(std::string(key) + " must be a string, not " + TypeName(*it));
  }
  return std::optional<std::string>(it->get<std::string>());
}

StatusOr<std::optional<int64_t>> OptionalInt(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<int64_t>();
  if (it->is_number_unsigned() && it->get<uint64_t>() > uint64_t{INT64_MAX}) {
    return BadRequestContent(std::string(key) + " is out of range");
  }
  if (!it->is_number_integer()) {
    return BadRequestContent(std::string(key) + " must be an integer, not " + TypeName(*it));
  }
  return std::optional<int64_t>(it->get<int64_t>());
}

StatusOr<std::optional<bool>> OptionalBool(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) {
    return BadRequestContent(std::string(key) + " must be a boolean, not " + TypeName(*it));
  }
  return std::optional<bool>(it->get<bool>());
}

bool IsKnownRuntime(std::string_view runtime) {
  return std::find(kRuntimes.begin(), kRuntimes.end(), runtime) != kRuntimes.end();
}

StatusOr<ConfigUpdate> ParseConfigUpdate(const json& body) {
  ConfigUpdate u;
  THAW_ASSIGN_OR_RETURN(u.runtime, OptionalString(body, "Runtime"));
  THAW_ASSIGN_OR_RETURN(u.role, OptionalString(body, "Role"));
  THAW_ASSIGN_OR_RETURN(u.handler, OptionalString(body, "Handler"));
  THAW_ASSIGN_OR_RETURN(u.description, OptionalString(body, "Description"));
  THAW_ASSIGN_OR_RETURN(u.timeout_s, OptionalInt(body, "Timeout"));
  THAW_ASSIGN_OR_RETURN(u.memory_mb, OptionalInt(body, "MemorySize"));
  if (auto it = body.find("EphemeralStorage"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return BadRequestContent("EphemeralStorage must be an object");
    THAW_ASSIGN_OR_RETURN(u.ephemeral_mb, OptionalInt(*it, "Size"));
    if (!u.ephemeral_mb) {
      return ValidationError("null", "ephemeralStorage.size", "Member must not be null");
    }
  }
  if (auto it = body.find("TracingConfig"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return BadRequestContent("TracingConfig must be an object");
    THAW_ASSIGN_OR_RETURN(u.tracing_mode, OptionalString(*it, "Mode"));
  }
  if (auto it = body.find("DeadLetterConfig"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return BadRequestContent("DeadLetterConfig must be an object");
    THAW_ASSIGN_OR_RETURN(auto target, OptionalString(*it, "TargetArn"));
    u.dead_letter_arn = target.value_or("");
  }
  if (auto it = body.find("Environment"); it != body.end() && !it->is_null()) {
    THAW_ASSIGN_OR_RETURN(u.environment, ParseEnvironment(*it));
  }
  if (auto it = body.find("LoggingConfig"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return BadRequestContent("LoggingConfig must be an object");
    THAW_ASSIGN_OR_RETURN(u.log_format, OptionalString(*it, "LogFormat"));
    THAW_ASSIGN_OR_RETURN(u.application_log_level, OptionalString(*it, "ApplicationLogLevel"));
    THAW_ASSIGN_OR_RETURN(u.system_log_level, OptionalString(*it, "SystemLogLevel"));
  }
  if (auto it = body.find("Layers"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return BadRequestContent("Layers must be a list");
    std::vector<std::string> layers;
    for (const auto& l : *it) {
      if (!l.is_string()) return BadRequestContent("Layers must be a list of strings");
      layers.push_back(l.get<std::string>());
    }
    for (const auto& l : layers) {
      if (!ParseLayerVersionArn(l)) return LayersPatternError(layers);
    }
    u.layers = std::move(layers);
  }

  // Constraint checks of the API model, reported together like AWS's validator does.
  std::vector<std::string> violations;
  if (u.role && !IsRoleArn(*u.role)) {
    violations.push_back(ConstraintViolation(
        *u.role, "role",
        std::string("Member must satisfy regular expression pattern: ") + kRolePattern));
  }
  if (u.handler) {
    if (u.handler->size() > 128) {
      violations.push_back(ConstraintViolation(
          *u.handler, "handler", "Member must have length less than or equal to 128"));
    } else if (!IsHandler(*u.handler)) {
      violations.push_back(ConstraintViolation(
          *u.handler, "handler", "Member must satisfy regular expression pattern: [^\\s]+"));
    }
  }
  if (u.description && u.description->size() > 256) {
    violations.push_back(ConstraintViolation(*u.description, "description",
                                             "Member must have length less than or equal to 256"));
  }
  if (u.timeout_s) CheckRange(*u.timeout_s, 1, 900, "timeout", &violations);
  if (u.memory_mb) CheckRange(*u.memory_mb, 128, 10240, "memorySize", &violations);
  if (u.ephemeral_mb) CheckRange(*u.ephemeral_mb, 512, 10240, "ephemeralStorage.size", &violations);
  if (u.tracing_mode && *u.tracing_mode != "Active" && *u.tracing_mode != "PassThrough") {
    violations.push_back(
        ConstraintViolation(*u.tracing_mode, "tracingConfig.mode",
                            "Member must satisfy enum value set: [Active, PassThrough]"));
  }
  auto check_enum = [&](const std::optional<std::string>& v, const char* field,
                        std::initializer_list<std::string_view> allowed, const char* shown) {
    if (v && std::find(allowed.begin(), allowed.end(), *v) == allowed.end()) {
      violations.push_back(ConstraintViolation(
          *v, field, std::string("Member must satisfy enum value set: [") + shown + "]"));
    }
  };
  check_enum(u.log_format, "loggingConfig.logFormat", {"JSON", "Text"}, "JSON, Text");
  check_enum(u.application_log_level, "loggingConfig.applicationLogLevel",
             {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"},
             "TRACE, DEBUG, INFO, WARN, ERROR, FATAL");
  check_enum(u.system_log_level, "loggingConfig.systemLogLevel", {"DEBUG", "INFO", "WARN"},
             "DEBUG, INFO, WARN");
  if (!violations.empty()) return ValidationError(violations);
  if (u.log_format && *u.log_format == "Text" && (u.application_log_level || u.system_log_level)) {
    return Status::InvalidArgument(
        "Log levels can only be set when LogFormat is JSON; set LogFormat to JSON or remove "
        "ApplicationLogLevel and SystemLogLevel.");
  }
  if (u.dead_letter_arn) THAW_RETURN_IF_ERROR(ValidateDeadLetterTarget(*u.dead_letter_arn));
  // Not a model constraint: AWS checks the runtime separately and answers
  // InvalidParameterValueException.
  if (u.runtime && !IsKnownRuntime(*u.runtime)) {
    return Status::InvalidArgument("Value " + *u.runtime +
                                   " at 'runtime' failed to satisfy constraint: Member must "
                                   "satisfy enum value set: [" +
                                   RuntimeList() + "] or be a valid ARN");
  }
  return u;
}

FunctionConfig ApplyConfigUpdate(FunctionConfig c, const ConfigUpdate& u) {
  if (u.runtime) c.runtime = *u.runtime;
  if (u.role) c.role = *u.role;
  if (u.handler) c.handler = *u.handler;
  if (u.description) c.description = *u.description;
  if (u.timeout_s) c.timeout_s = *u.timeout_s;
  if (u.memory_mb) c.memory_mb = *u.memory_mb;
  if (u.ephemeral_mb) c.ephemeral_mb = *u.ephemeral_mb;
  if (u.environment) c.environment = *u.environment;
  if (u.tracing_mode) c.tracing_mode = *u.tracing_mode;
  if (u.dead_letter_arn) c.dead_letter_arn = *u.dead_letter_arn;
  if (u.log_format) {
    c.log_format = *u.log_format;
    if (c.log_format == "Text") c.application_log_level = c.system_log_level = "";
  }
  if (u.application_log_level) c.application_log_level = *u.application_log_level;
  if (u.system_log_level) c.system_log_level = *u.system_log_level;
  return c;
}

StatusOr<std::optional<std::string>> ParseArchitectures(const json& body) {
  auto it = body.find("Architectures");
  if (it == body.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_array()) return BadRequestContent("Architectures must be a list");
  std::string shown = "[";
  for (const auto& a : *it) {
    if (!a.is_string()) return BadRequestContent("Architectures must be a list of strings");
    shown += (shown.size() > 1 ? ", " : "") + a.get<std::string>();
  }
  shown += "]";
  if (it->size() != 1) {
    return ValidationError(shown, "architectures",
                           it->empty() ? "Member must have length greater than or equal to 1"
                                       : "Member must have length less than or equal to 1");
  }
  std::string arch = (*it)[0].get<std::string>();
  if (arch != "x86_64" && arch != "arm64") {
    return ValidationError(
        shown, "architectures",
        "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]");
  }
  return std::optional<std::string>(arch);
}

StatusOr<std::map<std::string, std::string>> ParseTags(const json& tags) {
  std::map<std::string, std::string> out;
  if (tags.is_null()) return out;
  if (!tags.is_object()) return BadRequestContent("Tags must be an object");
  for (auto it = tags.begin(); it != tags.end(); ++it) {
    if (!it.value().is_string()) return BadRequestContent("Tags." + it.key() + " must be a string");
    if (it.key().empty() || it.key().size() > 128) {
      return ValidationError(it.key(), "tags",
                             "Map keys must satisfy constraint: [Member must have length less "
                             "than or equal to 128, Member must have length greater than or "
                             "equal to 1]");
    }
    std::string value = it.value().get<std::string>();
    if (value.size() > 256) {
      return ValidationError(value, "tags",
                             "Map value must satisfy constraint: [Member must have length less "
                             "than or equal to 256]");
    }
    out[it.key()] = std::move(value);
  }
  if (out.size() > 50) {
    return Status::InvalidArgument("Number of tags exceeds resource tag limit.");
  }
  return out;
}

StatusOr<std::string> DecodeZipFile(const json& value) {
  if (!value.is_string()) return BadRequestContent("ZipFile must be a base64 string");
  auto zip = Base64Decode(value.get<std::string>());
  if (!zip) return BadRequestContent("ZipFile is not valid base64");
  return std::move(*zip);
}

StatusOr<std::string> ValidateNewFunctionName(const std::string& function_name) {
  auto ref = ParseFunctionRef(function_name);
  if (!ref || !ref->qualifier.empty()) {
    return ValidationError(
        function_name, "functionName",
        "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?"
        "([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)");
  }
  return ref->name;
}

bool IsValidQualifier(std::string_view q) {
  if (q == kLatest) return true;
  return !q.empty() && q.size() <= 128 &&
         std::all_of(q.begin(), q.end(), [](char c) { return IsWordChar(c) || c == '-'; });
}

Status ValidateAliasName(const std::string& alias) {
  bool shape =
      !alias.empty() && alias.size() <= 128 &&
      std::all_of(alias.begin(), alias.end(), [](char c) { return IsWordChar(c) || c == '-'; });
  if (!shape || std::all_of(alias.begin(), alias.end(), IsDigit)) {
    return ValidationError(
        alias, "name",
        "Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)");
  }
  return Status::Ok();
}

}  // namespace thaw::lambda
