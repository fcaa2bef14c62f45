#include "cli/stack_api.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "base/codec.h"
#include "cli/aws_errors.h"
#include "cli/deploy.h"
#include "cli/go_build.h"
#include "cli/json_fields.h"
#include "cli/lambda_calls.h"
#include "cli/sam_build.h"
#include "cli/stack_values.h"
#include "cli/stress_checks.h"
#include "lambda/managed_runtime.h"
#include "sam/parameters.h"
#include "sam/plan.h"

namespace thaw::cli {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr char kMappingsTarget[] = "/2015-03-31/event-source-mappings/";

}  // namespace

StatusOr<std::unique_ptr<StackApi>> StackApi::Connect(const std::string& endpoint,
                                                      std::string base_dir,
                                                      std::ostream* progress) {
  std::unique_ptr<StackApi> api(new StackApi(std::move(base_dir), progress));
  THAW_ASSIGN_OR_RETURN(api->lambda_, cli::Connect(endpoint, "lambda"));
  THAW_ASSIGN_OR_RETURN(api->sqs_, cli::Connect(endpoint, "sqs"));
  THAW_ASSIGN_OR_RETURN(api->sns_, cli::Connect(endpoint, "sns"));
  THAW_ASSIGN_OR_RETURN(api->dynamodb_, cli::Connect(endpoint, "dynamodb"));
  THAW_ASSIGN_OR_RETURN(api->kinesis_, cli::Connect(endpoint, "kinesis"));
  THAW_ASSIGN_OR_RETURN(api->events_, cli::Connect(endpoint, "events"));
  THAW_ASSIGN_OR_RETURN(api->scheduler_, cli::Connect(endpoint, "scheduler"));
  return api;
}

std::unique_ptr<StackApi> StackApi::WithClients(std::string base_dir, std::ostream* progress,
                                                std::unique_ptr<http::Client> lambda,
                                                std::unique_ptr<http::Client> sqs,
                                                std::unique_ptr<http::Client> sns,
                                                std::unique_ptr<http::Client> dynamodb,
                                                std::unique_ptr<http::Client> kinesis) {
  std::unique_ptr<StackApi> api(new StackApi(std::move(base_dir), progress));
  api->lambda_ = std::move(lambda);
  api->sqs_ = std::move(sqs);
  api->sns_ = std::move(sns);
  api->dynamodb_ = std::move(dynamodb);
  api->kinesis_ = std::move(kinesis);
  return api;
}

StatusOr<json> StackApi::Json(http::Client& client, const std::string& target_header,
                              const json& request) {
  http::Headers headers;
  headers.Set("X-Amz-Target", target_header);
  headers.Set("Content-Type", target_header.rfind("Kinesis", 0) == 0
                                  ? "application/x-amz-json-1.1"
                                  : "application/x-amz-json-1.0");
  THAW_ASSIGN_OR_RETURN(http::Response response,
                        Send(client, "POST", "/", DumpJson(request), headers));
  THAW_RETURN_IF_ERROR(ResponseStatus(response));
  if (response.body.empty()) return json::object();
  json body = json::parse(response.body, nullptr, false);
  if (body.is_discarded()) return Status::Internal(target_header + " answered non-JSON");
  return body;
}

StatusOr<std::string> StackApi::Sns(
    const std::string& action, const std::vector<std::pair<std::string, std::string>>& params) {
  std::string body = "Action=" + action + "&Version=2010-03-31";
  for (const auto& [key, value] : params) {
    body += "&" + http::PercentEncode(key) + "=" + http::PercentEncode(value);
  }
  http::Headers headers;
  headers.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  THAW_ASSIGN_OR_RETURN(http::Response response, Send(*sns_, "POST", "/", body, headers));
  if (response.status == 200) return std::move(response.body);
  return Status(ResponseStatus(response).code(), "SNS " + action + ": " +
                                                     XmlElementText(response.body, "Code") + ": " +
                                                     XmlElementText(response.body, "Message"));
}

std::string StackApi::RuntimeNote(const std::string& runtime) {
  std::string family = lambda::ManagedFamily(runtime);
  if (family.empty() || lambda_ == nullptr) return "";
  if (!host_runtimes_) {
    StatusOr<json> answer = CallJson(*lambda_, "GET", "/thaw/environments");
    host_runtimes_ = answer.ok() && answer->contains("managedRuntimes")
                         ? (*answer)["managedRuntimes"]
                         : json::object();
  }
  lambda::ManagedRuntime host;
  host.family = family;
  if (host_runtimes_->contains(family)) {
    host.version = JsonString((*host_runtimes_)[family], "version");
  }
  return lambda::VersionNote(runtime, host);
}

Status StackApi::Prepare(const sam::Step& step, json& properties) {
  const bool function = step.type == "AWS::Lambda::Function";
  if (!function && step.type != "AWS::Lambda::LayerVersion") return Status::Ok();
  const char* uri_key = function ? "CodeUri" : "ContentUri";
  if (!properties.contains(uri_key) || !properties[uri_key].is_string()) {
    return Status::InvalidArgument("Resources." + step.logical_id + "." + uri_key +
                                   " must be a local directory (S3 locations are not supported)");
  }
  fs::path dir = (fs::path(base_dir_) / properties[uri_key].get<std::string>()).lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();  // "hello/" names the directory hello
  // The deploy prepares each function twice (its build first, before anything changes; then
  // with all its properties): the second time takes the first's zip.
  std::string inputs = dir.string();
  for (const char* key : {"Runtime", "Handler", "Architectures"}) {
    inputs += "\n" + (properties.contains(key) ? properties[key].dump() : std::string());
  }
  inputs += "\n" + step.metadata.dump();
  if (auto it = prepared_.find(step.logical_id); it != prepared_.end() && it->second == inputs) {
    properties["CodeSha256"] = Sha256Base64(zips_[step.logical_id]);
    return Status::Ok();
  }
  std::string zip;
  if (function) {
    std::string runtime = PropertyText(properties, "Runtime", "");
    std::string method = PropertyText(step.metadata, "BuildMethod", runtime);
    std::optional<sam::BuildKind> kind = sam::BuildKindOf(method);
    if (!kind) {
      return Status::InvalidArgument("Resources." + step.logical_id +
                                     ": thaw deploy builds Go, Python and Node.js "
                                     "functions; " +
                                     (method.empty() ? "no Runtime" : method) +
                                     " builds are not supported");
    }
    std::string arch = "x86_64";
    if (properties.contains("Architectures") && properties["Architectures"].is_array() &&
        !properties["Architectures"].empty()) {
      arch = AttributeText(properties["Architectures"][0]);
    }
    if (*kind == sam::BuildKind::kGo) {
      StatusOr<MechanismBuild> build =
          MechanismBuildFor(runtime == "go1.x" ? "go1.x" : "runtime-api");
      if (!build.ok()) return build.status();
      build->handler = PropertyText(properties, "Handler", "bootstrap");
      if (progress_ != nullptr)
        *progress_ << "building " << dir.string() << " for linux/" << arch << "\n";
      THAW_ASSIGN_OR_RETURN(zip, BuildGoZip(dir.string(), arch, *build));
    } else {
      CodeBuild build;
      build.name = step.logical_id;
      build.code_dir = dir.string();
      build.language =
          *kind == sam::BuildKind::kPython ? CodeLanguage::kPython : CodeLanguage::kNode;
      build.runtime = method;
      build.arch = arch;
      build.cache_dir = (fs::path(base_dir_) / ".thaw" / "build").string();
      THAW_ASSIGN_OR_RETURN(BuiltCode built, BuildCode(build));
      if (progress_ != nullptr) {
        *progress_ << (built.from_cache ? "unchanged " : "built ") << dir.string() << " (" << method
                   << ")\n";
        if (std::string note = RuntimeNote(runtime); !note.empty()) {
          *progress_ << step.logical_id << ": " << note << "\n";
        }
      }
      zip = std::move(built.zip);
    }
  } else {
    THAW_ASSIGN_OR_RETURN(zip, ZipDirectory(dir.string()));
  }
  // The hash sees the code through this (go build -trimpath gives equal bytes for equal code).
  properties["CodeSha256"] = Sha256Base64(zip);
  zips_[step.logical_id] = std::move(zip);
  prepared_[step.logical_id] = std::move(inputs);
  return Status::Ok();
}

Status StackApi::WaitForFunction(const std::string& name) {
  std::string target = FunctionTarget(name, "/configuration");
  for (int i = 0; i < max_polls; ++i) {
    THAW_ASSIGN_OR_RETURN(json config, CallJson(*lambda_, "GET", target));
    std::string state = JsonString(config, "State");
    std::string update = JsonString(config, "LastUpdateStatus");
    if (state == "Failed" || update == "Failed") {
      return Status::FailedPrecondition("function " + name +
                                        " failed: " + JsonString(config, "StateReason") +
                                        JsonString(config, "LastUpdateStatusReason"));
    }
    if (state != "Pending" && update != "InProgress") return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_interval_ms));
  }
  return Status::DeadlineExceeded("function " + name + " did not settle");
}

json StackApi::FunctionConfig(const json& props) const {
  json c = json::object();
  c["Runtime"] = PropertyText(props, "Runtime", "provided.al2023");
  c["Handler"] = PropertyText(props, "Handler", "bootstrap");
  c["Role"] = PropertyText(props, "Role", kLocalRole);
  for (const char* key : {"MemorySize", "Timeout", "Environment", "EphemeralStorage",
                          "DeadLetterConfig", "Description", "Layers"}) {
    if (props.contains(key)) c[key] = props[key];
  }
  return c;
}

StatusOr<sam::Made> StackApi::CreateFunction(const std::string& zip, const json& props,
                                             const std::string& name) {
  json body = FunctionConfig(props);
  body["FunctionName"] = name;
  body["PackageType"] = "Zip";
  body["Code"] = {{"ZipFile", Base64Encode(zip)}};
  if (props.contains("Architectures")) body["Architectures"] = props["Architectures"];
  if (props.contains("Tags")) body["Tags"] = TagMap(props["Tags"]);
  THAW_ASSIGN_OR_RETURN(json answer, CallJson(*lambda_, "POST", kFunctionsPath, &body));
  THAW_RETURN_IF_ERROR(WaitForFunction(name));
  if (props.contains("ReservedConcurrentExecutions")) {
    json c = {{"ReservedConcurrentExecutions", props["ReservedConcurrentExecutions"]}};
    THAW_RETURN_IF_ERROR(
        CallJson(*lambda_, "PUT",
                 "/2017-10-31/functions/" + http::PercentEncode(name) + "/concurrency", &c)
            .status());
  }
  sam::Made m;
  m.physical_id = name;
  m.attributes = {{"Arn", JsonString(answer, "FunctionArn")},
                  {"CodeSha256", JsonString(answer, "CodeSha256")}};
  return m;
}

StatusOr<sam::Made> StackApi::UpdateFunction(const std::string& zip, const json& props,
                                             const json& previous, const sam::Made& current) {
  const std::string& name = current.physical_id;
  THAW_RETURN_IF_ERROR(WaitForFunction(name));
  json code = {{"ZipFile", Base64Encode(zip)}};
  if (props.contains("Architectures")) code["Architectures"] = props["Architectures"];
  THAW_ASSIGN_OR_RETURN(json answer,
                        CallJson(*lambda_, "PUT", FunctionTarget(name, "/code"), &code));
  THAW_RETURN_IF_ERROR(WaitForFunction(name));
  json config = FunctionConfig(props);
  // What the template no longer sets goes back to AWS's defaults.
  if (!config.contains("Environment")) config["Environment"] = {{"Variables", json::object()}};
  if (!config.contains("Layers")) config["Layers"] = json::array();
  if (!config.contains("MemorySize")) config["MemorySize"] = 128;
  if (!config.contains("Timeout")) config["Timeout"] = 3;
  THAW_RETURN_IF_ERROR(
      CallJson(*lambda_, "PUT", FunctionTarget(name, "/configuration"), &config).status());
  THAW_RETURN_IF_ERROR(WaitForFunction(name));
  std::string concurrency = "/2017-10-31/functions/" + http::PercentEncode(name) + "/concurrency";
  if (props.contains("ReservedConcurrentExecutions")) {
    json c = {{"ReservedConcurrentExecutions", props["ReservedConcurrentExecutions"]}};
    THAW_RETURN_IF_ERROR(CallJson(*lambda_, "PUT", concurrency, &c).status());
  } else {
    THAW_ASSIGN_OR_RETURN(http::Response r, Send(*lambda_, "DELETE", concurrency));
    (void)r;  // none set is fine
  }
  if (Changed(props, previous, "Tags")) {
    // Untag what went, then tag what is (TagResource replaces values of kept keys).
    std::string tags =
        "/2017-03-31/tags/" + http::PercentEncode(JsonString(current.attributes, "Arn"));
    json now = TagMap(props.value("Tags", json::array()));
    std::string gone;
    json before = TagMap(previous.value("Tags", json::array()));
    for (const auto& [key, value] : before.items()) {
      if (!now.contains(key))
        gone += (gone.empty() ? "?" : "&") + ("tagKeys=" + http::PercentEncode(key));
    }
    if (!gone.empty()) THAW_RETURN_IF_ERROR(CallJson(*lambda_, "DELETE", tags + gone).status());
    if (!now.empty()) {
      json body = {{"Tags", now}};
      THAW_RETURN_IF_ERROR(CallJson(*lambda_, "POST", tags, &body).status());
    }
  }
  sam::Made m = current;
  m.attributes["CodeSha256"] = JsonString(answer, "CodeSha256");
  return m;
}

Status StackApi::WaitForMapping(const std::string& uuid) {
  for (int i = 0; i < max_polls; ++i) {
    THAW_ASSIGN_OR_RETURN(json m,
                          CallJson(*lambda_, "GET", kMappingsTarget + http::PercentEncode(uuid)));
    std::string state = JsonString(m, "State");
    if (state != "Creating" && state != "Updating" && state != "Enabling" && state != "Disabling") {
      return Status::Ok();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_interval_ms));
  }
  return Status::DeadlineExceeded("event source mapping " + uuid + " did not settle");
}

StatusOr<std::optional<sam::Made>> StackApi::UpdateMapping(const json& props, const json& previous,
                                                           const sam::Made& current) {
  // Where it reads from and where it starts are fixed, and a removed setting has no value to
  // send back: those need a new mapping (which, on a stream, starts over).
  for (const char* key : {"EventSourceArn", "StartingPosition", "StartingPositionTimestamp"}) {
    if (Changed(props, previous, key)) return std::optional<sam::Made>();
  }
  for (const auto& [key, value] : previous.items()) {
    if (!props.contains(key)) return std::optional<sam::Made>();
  }
  json body = props;
  for (const char* key : {"EventSourceArn", "StartingPosition", "StartingPositionTimestamp"}) {
    body.erase(key);
  }
  THAW_RETURN_IF_ERROR(
      CallJson(*lambda_, "PUT", kMappingsTarget + http::PercentEncode(current.physical_id), &body)
          .status());
  THAW_RETURN_IF_ERROR(WaitForMapping(current.physical_id));
  return std::optional<sam::Made>(current);
}

StatusOr<sam::Made> StackApi::Create(const sam::Step& step, const json& properties,
                                     const std::string& name) {
  const std::string& type = step.type;
  if (type == "AWS::IAM::Role") {
    // thaw has no IAM: the role is a name its functions carry.
    sam::Made m;
    m.physical_id = name;
    m.attributes = {{"Arn", "arn:aws:iam::" + std::string(sam::kAccountId) + ":role/" + name},
                    {"RoleId", name}};
    return m;
  }
  if (type == "AWS::Lambda::Function") {
    return CreateFunction(zips_[step.logical_id], properties,
                          PropertyText(properties, "FunctionName", name));
  }
  if (type == "Thaw::Api") {
    // An API Gateway id: ten lower-case letters and digits (from the name's random suffix).
    std::string id;
    for (auto c = name.rbegin(); c != name.rend() && id.size() < 10; ++c) {
      if (std::isalnum(static_cast<unsigned char>(*c))) {
        id.insert(id.begin(), static_cast<char>(std::tolower(static_cast<unsigned char>(*c))));
      }
    }
    sam::Made m;
    m.physical_id = id;
    m.attributes = {{"ApiId", id}, {"RootResourceId", id}};
    return m;
  }
  if (type == "Thaw::ApiRoute") return PutApiRoute(properties, name);
  if (type == "AWS::SQS::Queue") return CreateQueue(properties, name);
  if (type == "AWS::SNS::Topic") return CreateTopic(properties, name);
  if (type == "AWS::SNS::Subscription") return Subscribe(properties);
  if (type == "AWS::DynamoDB::Table") return CreateTable(properties, name);
  if (type == "AWS::Kinesis::Stream") return CreateStream(properties, name);
  if (type == "AWS::Events::Rule") return PutRule(properties, name, json::array());
  if (type == "AWS::Scheduler::Schedule") return PutSchedule(properties, name, true);
  if (type == "AWS::Lambda::Version") {
    auto [function, qualifier] = FunctionAndQualifier(PropertyText(properties, "FunctionName", ""));
    json body = json::object();
    THAW_ASSIGN_OR_RETURN(json v,
                          CallJson(*lambda_, "POST", FunctionTarget(function, "/versions"), &body));
    sam::Made m;
    m.physical_id = JsonString(v, "FunctionArn");
    m.attributes = {{"Version", JsonString(v, "Version")}, {"FunctionName", function}};
    return m;
  }
  if (type == "AWS::Lambda::Alias") {
    auto [function, qualifier] = FunctionAndQualifier(PropertyText(properties, "FunctionName", ""));
    json body = {{"Name", PropertyText(properties, "Name", "")},
                 {"FunctionVersion", PropertyText(properties, "FunctionVersion", "$LATEST")}};
    THAW_ASSIGN_OR_RETURN(json a,
                          CallJson(*lambda_, "POST", FunctionTarget(function, "/aliases"), &body));
    sam::Made m;
    m.physical_id = JsonString(a, "AliasArn");
    m.attributes = {{"FunctionName", function}, {"Name", body["Name"]}};
    return m;
  }
  if (type == "AWS::Lambda::EventInvokeConfig") {
    auto [function, qualifier] = FunctionAndQualifier(PropertyText(properties, "FunctionName", ""));
    std::string q = PropertyText(properties, "Qualifier", "$LATEST");
    json body = json::object();
    for (const char* key :
         {"MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig"}) {
      if (properties.contains(key)) body[key] = properties[key];
    }
    std::string target = "/2019-09-25/functions/" + http::PercentEncode(function) +
                         "/event-invoke-config?Qualifier=" + http::PercentEncode(q);
    THAW_RETURN_IF_ERROR(CallJson(*lambda_, "PUT", target, &body).status());
    sam::Made m;
    m.physical_id = function + "|" + q;
    m.attributes = {{"FunctionName", function}, {"Qualifier", q}};
    return m;
  }
  if (type == "AWS::Lambda::EventSourceMapping") {
    THAW_ASSIGN_OR_RETURN(json e, CallJson(*lambda_, "POST", kMappingsTarget, &properties));
    sam::Made m;
    m.physical_id = JsonString(e, "UUID");
    THAW_RETURN_IF_ERROR(WaitForMapping(m.physical_id));
    m.attributes = {{"EventSourceMappingArn", JsonString(e, "EventSourceMappingArn")}};
    return m;
  }
  if (type == "AWS::Lambda::Permission") {
    auto [function, qualifier] = FunctionAndQualifier(PropertyText(properties, "FunctionName", ""));
    json body = {{"StatementId", name}};
    for (const char* key : {"Action", "Principal", "SourceArn", "SourceAccount", "EventSourceToken",
                            "PrincipalOrgID"}) {
      if (properties.contains(key)) body[key] = properties[key];
    }
    THAW_RETURN_IF_ERROR(
        CallJson(*lambda_, "POST", FunctionTarget(function, "/policy", qualifier), &body).status());
    sam::Made m;
    m.physical_id = name;
    m.attributes = {{"FunctionName", function}, {"Qualifier", qualifier}};
    return m;
  }
  if (type == "AWS::Lambda::LayerVersion") {
    std::string layer = PropertyText(properties, "LayerName", name);
    json body = {{"Content", {{"ZipFile", Base64Encode(zips_[step.logical_id])}}}};
    for (const char* key :
         {"CompatibleRuntimes", "CompatibleArchitectures", "Description", "LicenseInfo"}) {
      if (properties.contains(key)) body[key] = properties[key];
    }
    THAW_ASSIGN_OR_RETURN(
        json l, CallJson(*lambda_, "POST",
                         "/2018-10-31/layers/" + http::PercentEncode(layer) + "/versions", &body));
    sam::Made m;
    m.physical_id = JsonString(l, "LayerVersionArn");
    m.attributes = {{"LayerName", layer}, {"Version", JsonInt(l, "Version")}};
    return m;
  }
  return Status::InvalidArgument("thaw cannot create " + type);
}

StatusOr<std::optional<sam::Made>> StackApi::Update(const sam::Step& step, const json& properties,
                                                    const json& previous,
                                                    const sam::Made& current) {
  const std::string& type = step.type;
  if (type == "Thaw::Api") return std::optional<sam::Made>(current);
  if (type == "Thaw::ApiRoute") {
    THAW_ASSIGN_OR_RETURN(sam::Made m, PutApiRoute(properties, current.physical_id));
    return std::optional<sam::Made>(std::move(m));
  }
  if (type == "AWS::Lambda::Function" &&
      PropertyText(properties, "FunctionName", current.physical_id) == current.physical_id) {
    THAW_ASSIGN_OR_RETURN(sam::Made m,
                          UpdateFunction(zips_[step.logical_id], properties, previous, current));
    return std::optional<sam::Made>(std::move(m));
  }
  if (type == "AWS::Lambda::Version") {
    // Versions stay, as SAM retains them; a new one is published.
    THAW_ASSIGN_OR_RETURN(sam::Made m, Create(step, properties, current.physical_id));
    return std::optional<sam::Made>(std::move(m));
  }
  if (type == "AWS::Lambda::Alias") {
    std::string function = JsonString(current.attributes, "FunctionName");
    json body = {{"FunctionVersion", PropertyText(properties, "FunctionVersion", "$LATEST")}};
    THAW_RETURN_IF_ERROR(
        CallJson(*lambda_, "PUT",
                 FunctionTarget(function, "/aliases/" + http::PercentEncode(JsonString(
                                                            current.attributes, "Name"))),
                 &body)
            .status());
    return std::optional<sam::Made>(current);
  }
  if (type == "AWS::DynamoDB::Table") return UpdateTable(properties, previous, current);
  if (type == "AWS::Kinesis::Stream") return UpdateStream(properties, previous, current);
  if ((type == "AWS::Events::Rule" || type == "AWS::Scheduler::Schedule") &&
      PropertyText(properties, "Name", current.physical_id) == current.physical_id) {
    THAW_ASSIGN_OR_RETURN(sam::Made m, type == "AWS::Events::Rule"
                                           ? PutRule(properties, current.physical_id,
                                                     previous.value("Targets", json::array()))
                                           : PutSchedule(properties, current.physical_id, false));
    return std::optional<sam::Made>(std::move(m));
  }
  if (type == "AWS::Lambda::EventSourceMapping")
    return UpdateMapping(properties, previous, current);
  if (type == "AWS::SQS::Queue") {
    std::string queue = JsonString(current.attributes, "QueueName");
    if (PropertyText(properties, "QueueName", queue) != queue ||
        Changed(properties, previous, "FifoQueue")) {
      return std::optional<sam::Made>();
    }
    for (const auto& [key, value] : previous.items()) {
      // A removed attribute has no "back to the default" call.
      if (!properties.contains(key)) return std::optional<sam::Made>();
    }
    json attributes = json::object();
    for (const auto& [key, value] : properties.items()) {
      if (key != "QueueName" && key != "Tags") attributes[key] = AttributeText(value);
    }
    THAW_RETURN_IF_ERROR(Json(*sqs_, "AmazonSQS.SetQueueAttributes",
                              {{"QueueUrl", current.physical_id}, {"Attributes", attributes}})
                             .status());
    return std::optional<sam::Made>(current);
  }
  // Everything else is replaced: deleted, then made anew.
  return std::optional<sam::Made>();
}

Status StackApi::Delete(const std::string& type, const sam::Made& current) {
  auto ok_or_gone = [](StatusOr<http::Response> r) -> Status {
    if (!r.ok()) return r.status();
    if (r->status == 404) return Status::Ok();
    return ResponseStatus(*r);
  };
  const std::string& id = current.physical_id;
  if (type == "AWS::IAM::Role" || type == "Thaw::Api") return Status::Ok();
  if (type == "Thaw::ApiRoute") {
    return ok_or_gone(
        Send(*lambda_, "DELETE", std::string("/thaw/api-routes/") + http::PercentEncode(id)));
  }
  if (type == "AWS::Events::Rule") return DeleteRule(current);
  if (type == "AWS::Scheduler::Schedule") return DeleteSchedule(current);
  if (type == "AWS::Lambda::Function")
    return ok_or_gone(Send(*lambda_, "DELETE", FunctionTarget(id)));
  if (type == "AWS::Lambda::Version") {
    return ok_or_gone(Send(*lambda_, "DELETE",
                           FunctionTarget(JsonString(current.attributes, "FunctionName"), "",
                                          JsonString(current.attributes, "Version"))));
  }
  if (type == "AWS::Lambda::Alias") {
    return ok_or_gone(Send(
        *lambda_, "DELETE",
        FunctionTarget(JsonString(current.attributes, "FunctionName"),
                       "/aliases/" + http::PercentEncode(JsonString(current.attributes, "Name")))));
  }
  if (type == "AWS::Lambda::EventInvokeConfig") {
    return ok_or_gone(Send(*lambda_, "DELETE",
                           "/2019-09-25/functions/" +
                               http::PercentEncode(JsonString(current.attributes, "FunctionName")) +
                               "/event-invoke-config?Qualifier=" +
                               http::PercentEncode(JsonString(current.attributes, "Qualifier"))));
  }
  if (type == "AWS::Lambda::EventSourceMapping") {
    Status settled = WaitForMapping(id);
    if (!settled.ok() && settled.code() != StatusCode::kNotFound) return settled;
    return ok_or_gone(Send(*lambda_, "DELETE", kMappingsTarget + http::PercentEncode(id)));
  }
  if (type == "AWS::Lambda::Permission") {
    return ok_or_gone(Send(*lambda_, "DELETE",
                           FunctionTarget(JsonString(current.attributes, "FunctionName"),
                                          "/policy/" + http::PercentEncode(id),
                                          JsonString(current.attributes, "Qualifier"))));
  }
  if (type == "AWS::Lambda::LayerVersion") {
    return ok_or_gone(Send(
        *lambda_, "DELETE",
        "/2018-10-31/layers/" + http::PercentEncode(JsonString(current.attributes, "LayerName")) +
            "/versions/" + std::to_string(JsonInt(current.attributes, "Version"))));
  }
  if (type == "AWS::SQS::Queue") {
    StatusOr<json> r = Json(*sqs_, "AmazonSQS.DeleteQueue", {{"QueueUrl", id}});
    return r.ok() || r.status().code() == StatusCode::kNotFound ? Status::Ok() : r.status();
  }
  if (type == "AWS::SNS::Topic") return Sns("DeleteTopic", {{"TopicArn", id}}).status();
  if (type == "AWS::SNS::Subscription")
    return Sns("Unsubscribe", {{"SubscriptionArn", id}}).status();
  if (type == "AWS::DynamoDB::Table") {
    StatusOr<json> r = Json(*dynamodb_, "DynamoDB_20120810.DeleteTable", {{"TableName", id}});
    return r.ok() || r.status().code() == StatusCode::kNotFound ? Status::Ok() : r.status();
  }
  if (type == "AWS::Kinesis::Stream") {
    StatusOr<json> r = Json(*kinesis_, "Kinesis_20131202.DeleteStream",
                            {{"StreamName", id}, {"EnforceConsumerDeletion", true}});
    return r.ok() || r.status().code() == StatusCode::kNotFound ? Status::Ok() : r.status();
  }
  return Status::InvalidArgument("thaw cannot delete " + type);
}

StatusOr<sam::Made> StackApi::PutApiRoute(const json& props, const std::string& name) {
  json body = props;
  THAW_ASSIGN_OR_RETURN(
      json made, CallJson(*lambda_, "PUT", "/thaw/api-routes/" + http::PercentEncode(name), &body));
  if (progress_ != nullptr) {
    std::string path = JsonString(props, "Path");
    std::string stage = JsonString(props, "Stage");
    std::string method = JsonString(props, "Method");
    for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (!made.contains("Listener") || !made["Listener"].is_string()) {
      *progress_ << "route " << method << " " << path
                 << ": served only when the server runs with --api-listen HOST:PORT\n";
    } else if (path != "$default") {
      std::string prefix = stage.empty() || stage == "$default" ? "" : "/" + stage;
      *progress_ << "route " << method << " " << made["Listener"].get<std::string>() << prefix
                 << path << "\n";
    }
  }
  sam::Made m;
  m.physical_id = name;
  return m;
}

}  // namespace thaw::cli
