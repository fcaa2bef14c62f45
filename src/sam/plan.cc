#include "sam/plan.h"

#include <map>
#include <random>
#include <utility>

namespace thaw::sam {

namespace {

using nlohmann::json;
using Names = std::set<std::string>;

// The properties thaw acts on, per type. Others are refused by name so that nothing is
// silently ignored; "stored" ones are accepted and kept in the stack's state only.
const std::map<std::string, Names>& KnownProperties() {
  static const std::map<std::string, Names> kKnown = {
      {"AWS::Serverless::Function",
       {"CodeUri",
        "Handler",
        "Runtime",
        "MemorySize",
        "Timeout",
        "Environment",
        "Architectures",
        "Layers",
        "ReservedConcurrentExecutions",
        "AutoPublishAlias",
        "EphemeralStorage",
        "DeadLetterQueue",
        "EventInvokeConfig",
        "Policies",
        "Tags",
        "Events",
        "FunctionName",
        "Description",
        "Role",
        "Tracing",
        "PackageType"}},
      {"AWS::Serverless::Api",
       {"StageName", "Name", "Description", "Variables", "BinaryMediaTypes", "OpenApiVersion",
        "TracingEnabled", "EndpointConfiguration", "Cors", "Auth"}},
      {"AWS::Serverless::HttpApi",
       {"StageName", "Name", "Description", "StageVariables", "FailOnWarnings",
        "DisableExecuteApiEndpoint", "CorsConfiguration", "Auth"}},
      {"AWS::Serverless::LayerVersion",
       {"ContentUri", "LayerName", "CompatibleRuntimes", "CompatibleArchitectures", "Description",
        "LicenseInfo", "RetentionPolicy"}},
      {"AWS::Serverless::SimpleTable",
       {"PrimaryKey", "ProvisionedThroughput", "TableName", "Tags", "SSESpecification"}},
      {"AWS::SQS::Queue",
       {"QueueName", "DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod",
        "ReceiveMessageWaitTimeSeconds", "VisibilityTimeout", "RedrivePolicy", "RedriveAllowPolicy",
        "FifoQueue", "ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit",
        "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled", "Tags"}},
      {"AWS::SNS::Topic",
       {"TopicName", "DisplayName", "Subscription", "FifoTopic", "ContentBasedDeduplication",
        "KmsMasterKeyId", "Tags"}},
      {"AWS::SNS::Subscription",
       {"TopicArn", "Protocol", "Endpoint", "FilterPolicy", "FilterPolicyScope",
        "RawMessageDelivery", "RedrivePolicy", "Region"}},
      {"AWS::DynamoDB::Table",
       {"TableName", "AttributeDefinitions", "KeySchema", "BillingMode", "ProvisionedThroughput",
        "StreamSpecification", "GlobalSecondaryIndexes", "LocalSecondaryIndexes",
        "TimeToLiveSpecification", "SSESpecification", "Tags", "PointInTimeRecoverySpecification",
        "DeletionProtectionEnabled", "TableClass"}},
      {"AWS::Kinesis::Stream",
       {"Name", "ShardCount", "RetentionPeriodHours", "StreamModeDetails", "StreamEncryption",
        "Tags"}},
      {"AWS::Lambda::Permission",
       {"Action", "FunctionName", "Principal", "SourceArn", "SourceAccount", "EventSourceToken",
        "PrincipalOrgID"}},
      {"AWS::Lambda::EventSourceMapping",
       {"EventSourceArn", "FunctionName", "BatchSize", "Enabled", "StartingPosition",
        "StartingPositionTimestamp", "MaximumBatchingWindowInSeconds", "FilterCriteria",
        "FunctionResponseTypes", "BisectBatchOnFunctionError", "MaximumRetryAttempts",
        "MaximumRecordAgeInSeconds", "ParallelizationFactor", "DestinationConfig",
        "TumblingWindowInSeconds", "ScalingConfig"}},
      {"AWS::Events::Rule",
       {"Name", "Description", "ScheduleExpression", "EventPattern", "State", "Targets",
        "RoleArn"}},
      {"AWS::Scheduler::Schedule",
       {"Name", "Description", "ScheduleExpression", "ScheduleExpressionTimezone",
        "FlexibleTimeWindow", "State", "Target", "GroupName", "StartDate", "EndDate"}},
  };
  return kKnown;
}

// SAM event types and the properties each takes.
const std::map<std::string, Names>& KnownEvents() {
  static const Names kStream = {"Stream",
                                "StartingPosition",
                                "StartingPositionTimestamp",
                                "BatchSize",
                                "Enabled",
                                "MaximumBatchingWindowInSeconds",
                                "FilterCriteria",
                                "FunctionResponseTypes",
                                "BisectBatchOnFunctionError",
                                "MaximumRetryAttempts",
                                "MaximumRecordAgeInSeconds",
                                "ParallelizationFactor",
                                "DestinationConfig",
                                "TumblingWindowInSeconds"};
  static const std::map<std::string, Names> kEvents = {
      {"SQS",
       {"Queue", "BatchSize", "Enabled", "MaximumBatchingWindowInSeconds", "FilterCriteria",
        "FunctionResponseTypes", "ScalingConfig"}},
      {"Kinesis", kStream},
      {"DynamoDB", kStream},
      {"SNS", {"Topic", "FilterPolicy", "FilterPolicyScope", "Region", "RedrivePolicy"}},
      {"Schedule", {"Schedule", "Input", "Name", "Description", "Enabled", "State"}},
      {"ScheduleV2",
       {"ScheduleExpression", "ScheduleExpressionTimezone", "Input", "State", "Name",
        "FlexibleTimeWindow", "Description", "GroupName", "RoleArn", "StartDate", "EndDate"}},
      {"Api", {"Path", "Method", "RestApiId", "Auth"}},
      {"HttpApi", {"Path", "Method", "ApiId", "PayloadFormatVersion", "TimeoutInMillis", "Auth"}},
  };
  return kEvents;
}

Status CheckProperties(const std::string& where, const std::string& type, const json& props,
                       const Names& known) {
  for (const auto& [key, value] : props.items()) {
    if (!known.contains(key)) {
      return Status::InvalidArgument(where + "." + key + " is not supported by thaw for " + type);
    }
  }
  return Status::Ok();
}

json Ref(const std::string& id) { return json::object({{"Ref", id}}); }
json GetAtt(const std::string& id, const std::string& attr) {
  return json::object({{"Fn::GetAtt", json::array({id, attr})}});
}

// SAM's Tags map as the list CloudFormation's resources take.
json TagList(const json& tags) {
  if (!tags.is_object()) return tags;
  json out = json::array();
  for (const auto& [key, value] : tags.items()) {
    out.push_back(json::object({{"Key", key}, {"Value", value}}));
  }
  return out;
}

// Copies the listed keys that `from` has into `to`.
void CopyKeys(const json& from, json& to, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (from.contains(key)) to[key] = from[key];
  }
}

class Expander {
 public:
  Expander(std::vector<Step>& out, const Scope& scope) : out_(out), scope_(scope) {}

  Status Function(const Resource& r) {
    const json& p = r.properties;
    const std::string& id = r.logical_id;
    std::string where = "Resources." + id + ".Properties";
    if (p.value("PackageType", "Zip") != "Zip") {
      return Status::InvalidArgument(where + ".PackageType: only Zip functions are supported");
    }
    if (!p.contains("CodeUri")) {
      return Status::InvalidArgument(where + ".CodeUri is required (InlineCode is not supported)");
    }
    std::string method;
    if (r.metadata.contains("BuildMethod") && r.metadata["BuildMethod"].is_string()) {
      method = r.metadata["BuildMethod"].get<std::string>();
    } else if (p.contains("Runtime")) {
      // A Runtime from a parameter is known now; one from a resource is checked at the build.
      StatusOr<json> runtime = Evaluate(p["Runtime"], scope_);
      method = runtime.ok() && runtime->is_string() ? runtime->get<std::string>() : "provided";
    }
    if (!BuildKindOf(method)) {
      return Status::InvalidArgument(
          "Resources." + id +
          ": thaw deploy builds Go (BuildMethod go1.x or a provided.* Runtime), Python (python3.x) "
          "and Node.js (nodejs*.x) functions; " +
          (method.empty() ? std::string("no Runtime is given")
                          : method + " builds are not supported"));
    }
    Step f = Base(r, "AWS::Lambda::Function");
    f.properties = json::object();
    CopyKeys(p, f.properties,
             {"CodeUri", "Handler", "Runtime", "MemorySize", "Timeout", "Environment",
              "Architectures", "Layers", "ReservedConcurrentExecutions", "EphemeralStorage",
              "FunctionName", "Description", "Tracing"});
    if (p.contains("Tags")) f.properties["Tags"] = TagList(p["Tags"]);
    if (p.contains("DeadLetterQueue")) {
      const json& dlq = p["DeadLetterQueue"];
      if (!dlq.is_object() || !dlq.contains("TargetArn")) {
        return Status::InvalidArgument(where + ".DeadLetterQueue needs Type and TargetArn");
      }
      f.properties["DeadLetterConfig"] = json::object({{"TargetArn", dlq["TargetArn"]}});
    }
    if (p.contains("Role")) {
      f.properties["Role"] = p["Role"];
    } else {
      // SAM makes FunctionRole; thaw keeps it (and Policies) as state only.
      Step role = Base(r, "AWS::IAM::Role");
      role.logical_id = id + "Role";
      role.properties = json::object();
      CopyKeys(p, role.properties, {"Policies"});
      f.properties["Role"] = GetAtt(role.logical_id, "Arn");
      out_.push_back(std::move(role));
    }
    out_.push_back(f);

    // What events and invoke configs point at: the alias when AutoPublishAlias is set.
    json target = Ref(id);
    if (p.contains("AutoPublishAlias")) {
      if (!p["AutoPublishAlias"].is_string()) {
        return Status::InvalidArgument(where + ".AutoPublishAlias must be a name");
      }
      std::string alias = p["AutoPublishAlias"].get<std::string>();
      Step version = Base(r, "AWS::Lambda::Version");
      version.logical_id = id + "Version";
      // The code's hash makes a code change publish a new version (SAM hashes it into the id).
      version.properties =
          json::object({{"FunctionName", Ref(id)}, {"CodeSha256", GetAtt(id, "CodeSha256")}});
      Step a = Base(r, "AWS::Lambda::Alias");
      a.logical_id = id + "Alias" + alias;
      a.properties = json::object({{"Name", alias},
                                   {"FunctionName", Ref(id)},
                                   {"FunctionVersion", GetAtt(version.logical_id, "Version")}});
      target = Ref(a.logical_id);
      out_.push_back(std::move(version));
      out_.push_back(std::move(a));
    }
    if (p.contains("EventInvokeConfig")) {
      const json& c = p["EventInvokeConfig"];
      THAW_RETURN_IF_ERROR(CheckProperties(
          where + ".EventInvokeConfig", "EventInvokeConfig", c,
          {"MaximumEventAgeInSeconds", "MaximumRetryAttempts", "DestinationConfig"}));
      Step e = Base(r, "AWS::Lambda::EventInvokeConfig");
      e.logical_id = id + "EventInvokeConfig";
      e.properties =
          json::object({{"FunctionName", Ref(id)},
                        {"Qualifier", p.contains("AutoPublishAlias") ? p["AutoPublishAlias"]
                                                                     : json("$LATEST")}});
      CopyKeys(c, e.properties, {"MaximumEventAgeInSeconds", "MaximumRetryAttempts"});
      if (c.contains("DestinationConfig")) {
        json dest = json::object();
        for (const char* when : {"OnSuccess", "OnFailure"}) {
          if (!c["DestinationConfig"].contains(when)) continue;
          const json& d = c["DestinationConfig"][when];
          if (!d.is_object() || !d.contains("Destination")) {
            return Status::InvalidArgument(where + ".EventInvokeConfig.DestinationConfig." + when +
                                           " needs a Destination (SAM's generated queues and "
                                           "topics are not supported)");
          }
          dest[when] = json::object({{"Destination", d["Destination"]}});
        }
        e.properties["DestinationConfig"] = dest;
      }
      out_.push_back(std::move(e));
    }
    if (p.contains("Events")) {
      if (!p["Events"].is_object())
        return Status::InvalidArgument(where + ".Events must be a mapping");
      for (const auto& [name, event] : p["Events"].items()) {
        THAW_RETURN_IF_ERROR(Event(r, name, event, target));
      }
    }
    return Status::Ok();
  }

  Status Event(const Resource& r, const std::string& name, const json& event, const json& target) {
    std::string where = "Resources." + r.logical_id + ".Properties.Events." + name;
    if (!event.is_object() || !event.contains("Type") || !event["Type"].is_string()) {
      return Status::InvalidArgument(where + " needs a Type");
    }
    std::string type = event["Type"].get<std::string>();
    auto known = KnownEvents().find(type);
    if (known == KnownEvents().end()) {
      return Status::InvalidArgument(where + ": unknown event type " + type);
    }
    json props = event.value("Properties", json::object());
    THAW_RETURN_IF_ERROR(CheckProperties(where + ".Properties", type, props, known->second));
    std::string id = r.logical_id + name;
    if (type == "SNS") {
      if (!props.contains("Topic")) return Status::InvalidArgument(where + " needs a Topic");
      Step sub = Base(r, "AWS::SNS::Subscription");
      sub.logical_id = id;
      sub.properties = json::object(
          {{"Protocol", "lambda"},
           {"Endpoint", target == Ref(r.logical_id) ? GetAtt(r.logical_id, "Arn") : target},
           {"TopicArn", props["Topic"]}});
      CopyKeys(props, sub.properties,
               {"FilterPolicy", "FilterPolicyScope", "Region", "RedrivePolicy"});
      Step perm = Base(r, "AWS::Lambda::Permission");
      perm.logical_id = id + "Permission";
      perm.properties = json::object({{"Action", "lambda:InvokeFunction"},
                                      {"FunctionName", target},
                                      {"Principal", "sns.amazonaws.com"},
                                      {"SourceArn", props["Topic"]}});
      out_.push_back(std::move(perm));
      out_.push_back(std::move(sub));
      return Status::Ok();
    }
    if (type == "Schedule" || type == "ScheduleV2") return Schedule(r, id, type, props, target);
    if (type == "Api" || type == "HttpApi") return Route(r, id, type, props, target);
    const char* source = type == "SQS" ? "Queue" : "Stream";
    if (!props.contains(source)) {
      return Status::InvalidArgument(where + " needs a " + std::string(source));
    }
    if (type != "SQS" && !props.contains("StartingPosition")) {
      return Status::InvalidArgument(where + " needs a StartingPosition");
    }
    Step esm = Base(r, "AWS::Lambda::EventSourceMapping");
    esm.logical_id = id;
    esm.properties = props;
    esm.properties.erase(source);
    esm.properties["EventSourceArn"] = props[source];
    esm.properties["FunctionName"] = target;
    if (props.contains("DestinationConfig") && props["DestinationConfig"].is_object()) {
      // SAM's {OnFailure: {Type, Destination}}; the mapping takes the Destination alone.
      json& d = esm.properties["DestinationConfig"];
      if (d.contains("OnFailure") && d["OnFailure"].is_object()) d["OnFailure"].erase("Type");
    }
    out_.push_back(std::move(esm));
    return Status::Ok();
  }

  // SAM's Schedule: an AWS::Events::Rule <Function><Event> targeting the function (target id
  // <Function><Event>LambdaTarget) and the permission <Function><Event>Permission for it.
  // ScheduleV2: an AWS::Scheduler::Schedule <Function><Event> and, without a RoleArn, its role
  // <Function><Event>Role.
  Status Schedule(const Resource& r, const std::string& id, const std::string& type,
                  const json& props, const json& target) {
    const json function_arn = target == Ref(r.logical_id) ? GetAtt(r.logical_id, "Arn") : target;
    if (type == "Schedule") {
      if (!props.contains("Schedule")) {
        return Status::InvalidArgument("Resources." + r.logical_id + ".Properties.Events." +
                                       id.substr(r.logical_id.size()) + " needs a Schedule");
      }
      Step rule = Base(r, "AWS::Events::Rule");
      rule.logical_id = id;
      rule.properties = json::object({{"ScheduleExpression", props["Schedule"]}});
      if (props.contains("State")) {
        rule.properties["State"] = props["State"];
      } else if (props.contains("Enabled") && props["Enabled"].is_boolean()) {
        rule.properties["State"] = props["Enabled"].get<bool>() ? "ENABLED" : "DISABLED";
      }
      CopyKeys(props, rule.properties, {"Name", "Description"});
      json t = json::object({{"Arn", function_arn}, {"Id", id + "LambdaTarget"}});
      CopyKeys(props, t, {"Input"});
      rule.properties["Targets"] = json::array({t});
      Step perm = Base(r, "AWS::Lambda::Permission");
      perm.logical_id = id + "Permission";
      perm.properties = json::object({{"Action", "lambda:InvokeFunction"},
                                      {"FunctionName", target},
                                      {"Principal", "events.amazonaws.com"},
                                      {"SourceArn", GetAtt(id, "Arn")}});
      out_.push_back(std::move(rule));
      out_.push_back(std::move(perm));
      return Status::Ok();
    }
    if (!props.contains("ScheduleExpression")) {
      return Status::InvalidArgument("Resources." + r.logical_id + ".Properties.Events." +
                                     id.substr(r.logical_id.size()) +
                                     " needs a ScheduleExpression");
    }
    Step schedule = Base(r, "AWS::Scheduler::Schedule");
    schedule.logical_id = id;
    schedule.properties = json::object(
        {{"ScheduleExpression", props["ScheduleExpression"]},
         {"FlexibleTimeWindow", props.value("FlexibleTimeWindow", json{{"Mode", "OFF"}})}});
    CopyKeys(props, schedule.properties,
             {"ScheduleExpressionTimezone", "State", "Name", "Description", "GroupName",
              "StartDate", "EndDate"});
    json t = json::object({{"Arn", function_arn}});
    if (props.contains("RoleArn")) {
      t["RoleArn"] = props["RoleArn"];
    } else {
      Step role = Base(r, "AWS::IAM::Role");
      role.logical_id = id + "Role";
      role.properties = json::object();
      t["RoleArn"] = GetAtt(role.logical_id, "Arn");
      out_.push_back(std::move(role));
    }
    CopyKeys(props, t, {"Input"});
    schedule.properties["Target"] = std::move(t);
    out_.push_back(std::move(schedule));
    return Status::Ok();
  }

  Status SimpleTable(const Resource& r) {
    const json& p = r.properties;
    json key = p.value("PrimaryKey", json::object({{"Name", "id"}, {"Type", "String"}}));
    static const std::map<std::string, std::string> kTypes = {
        {"String", "S"}, {"Number", "N"}, {"Binary", "B"}};
    if (!key.is_object() || !key.contains("Name") || !key.contains("Type") ||
        !key["Type"].is_string() || !kTypes.contains(key["Type"].get<std::string>())) {
      return Status::InvalidArgument("Resources." + r.logical_id +
                                     ".Properties.PrimaryKey needs Name and Type (String, Number "
                                     "or Binary)");
    }
    Step t = Base(r, "AWS::DynamoDB::Table");
    t.properties = json::object(
        {{"AttributeDefinitions",
          json::array({{{"AttributeName", key["Name"]},
                        {"AttributeType", kTypes.at(key["Type"].get<std::string>())}}})},
         {"KeySchema", json::array({{{"AttributeName", key["Name"]}, {"KeyType", "HASH"}}})}});
    if (p.contains("ProvisionedThroughput")) {
      t.properties["BillingMode"] = "PROVISIONED";
      t.properties["ProvisionedThroughput"] = p["ProvisionedThroughput"];
    } else {
      t.properties["BillingMode"] = "PAY_PER_REQUEST";
    }
    CopyKeys(p, t.properties, {"TableName", "SSESpecification"});
    if (p.contains("Tags")) t.properties["Tags"] = TagList(p["Tags"]);
    out_.push_back(std::move(t));
    return Status::Ok();
  }

  Status LayerVersion(const Resource& r) {
    if (!r.properties.contains("ContentUri")) {
      return Status::InvalidArgument("Resources." + r.logical_id +
                                     ".Properties.ContentUri is required");
    }
    Step l = Base(r, "AWS::Lambda::LayerVersion");
    l.properties = r.properties;
    out_.push_back(std::move(l));
    return Status::Ok();
  }

  void Plain(const Resource& r) { out_.push_back(Base(r, r.type)); }

 private:
 public:
  // The template's AWS::Serverless::Api and HttpApi resources, by logical id.
  void SetApis(std::map<std::string, const Resource*> apis, json api_globals,
               json http_api_globals) {
    apis_ = std::move(apis);
    api_globals_ = std::move(api_globals);
    http_api_globals_ = std::move(http_api_globals);
  }

  // SAM's Api and HttpApi events: a Thaw::ApiRoute <Function><Event> the server keeps and
  // serves on --api-listen, with its API's stage, stage variables and binary media types.
  // Without RestApiId/ApiId, SAM's implicit ServerlessRestApi (stage Prod) or ServerlessHttpApi
  // ($default), made once as a Thaw::Api step.
  Status Route(const Resource& r, const std::string& id, const std::string& type, const json& props,
               const json& target) {
    std::string where =
        "Resources." + r.logical_id + ".Properties.Events." + id.substr(r.logical_id.size());
    const bool rest = type == "Api";
    const char* api_key = rest ? "RestApiId" : "ApiId";
    Step route = Base(r, "Thaw::ApiRoute");
    route.logical_id = id;
    json& p = route.properties;
    p = json::object({{"Kind", rest ? "REST" : "HTTP"}, {"FunctionName", target}});
    if (rest && (!props.contains("Path") || !props.contains("Method"))) {
      return Status::InvalidArgument(where + " needs a Path and a Method");
    }
    p["Path"] = props.value("Path", json("$default"));
    p["Method"] = props.value("Method", json("ANY"));
    if (props.contains("PayloadFormatVersion")) {
      p["PayloadFormatVersion"] = props["PayloadFormatVersion"];
    }
    std::string api_id;
    const json* api_props = nullptr;  // the API's properties, or the Globals of an implicit one
    if (!props.contains(api_key)) {
      api_id = rest ? "ServerlessRestApi" : "ServerlessHttpApi";
      p["ApiId"] = Ref(api_id);
      api_props = rest ? &api_globals_ : &http_api_globals_;
      if (!implicit_.contains(api_id)) {
        implicit_.insert(api_id);
        Step api = Base(r, "Thaw::Api");
        api.logical_id = api_id;
        api.properties = json::object({{"Kind", rest ? "REST" : "HTTP"}});
        api.needs.clear();
        out_.push_back(std::move(api));
      }
    } else {
      const json& ref = props[api_key];
      p["ApiId"] = ref;
      if (ref.is_object() && ref.contains("Ref") && ref["Ref"].is_string()) {
        api_id = ref["Ref"].get<std::string>();
      }
      auto api = apis_.find(api_id);
      if (api == apis_.end() ||
          api->second->type != (rest ? "AWS::Serverless::Api" : "AWS::Serverless::HttpApi")) {
        return Status::InvalidArgument(
            where + "." + api_key + " must be a Ref to an " +
            (rest ? "AWS::Serverless::Api" : "AWS::Serverless::HttpApi") + " of the template");
      }
      api_props = &api->second->properties;
    }
    const json& a = *api_props;
    p["Stage"] = a.value("StageName", json(rest ? "Prod" : "$default"));
    if (a.contains(rest ? "Variables" : "StageVariables")) {
      p["StageVariables"] = a[rest ? "Variables" : "StageVariables"];
    }
    if (rest && a.contains("BinaryMediaTypes")) p["BinaryMediaTypes"] = a["BinaryMediaTypes"];
    THAW_ASSIGN_OR_RETURN(p["Authorizer"], rest ? RestAuthorizer(a, props, api_id, where)
                                                : HttpAuthorizer(a, props, api_id, where));
    if (p["Authorizer"].is_null()) p.erase("Authorizer");
    if (a.contains(rest ? "Cors" : "CorsConfiguration")) {
      std::string at =
          "Resources." + api_id + ".Properties." + (rest ? "Cors" : "CorsConfiguration");
      THAW_ASSIGN_OR_RETURN(p["Cors"],
                            rest ? RestCors(a["Cors"], at) : HttpCors(a["CorsConfiguration"], at));
    }
    out_.push_back(std::move(route));
    return Status::Ok();
  }

  // The authorizer an Api or HttpApi event names: the event's Auth.Authorizer, else the API's
  // Auth.DefaultAuthorizer. Null `body` for none (NONE, or no authorizer).
  struct NamedAuthorizer {
    json name;
    json body;         // the entry of Auth.Authorizers
    std::string here;  // where it is, for errors
  };
  static StatusOr<NamedAuthorizer> FindAuthorizer(const json& api, const json& event,
                                                  const std::string& api_id,
                                                  const std::string& where) {
    std::string at = "Resources." + api_id + ".Properties.Auth";
    json auth = api.value("Auth", json::object());
    if (!auth.is_object()) return Status::InvalidArgument(at + " must be a mapping");
    for (const auto& [key, value] : auth.items()) {
      if (key != "Authorizers" && key != "DefaultAuthorizer") {
        return Status::InvalidArgument(at + "." + key + " is not supported by thaw");
      }
    }
    NamedAuthorizer out;
    out.name = auth.value("DefaultAuthorizer", json(nullptr));
    if (event.contains("Auth")) {
      const json& e = event["Auth"];
      if (!e.is_object() || e.size() != 1 || !e.contains("Authorizer")) {
        return Status::InvalidArgument(where + ".Properties.Auth: thaw supports Authorizer only");
      }
      out.name = e["Authorizer"];
    }
    if (out.name.is_null() || out.name == "NONE") return out;
    if (!out.name.is_string()) {
      return Status::InvalidArgument(where + ": Authorizer must be a name");
    }
    const std::string name = out.name.get<std::string>();
    json all = auth.value("Authorizers", json::object());
    if (!all.is_object() || !all.contains(name)) {
      return Status::InvalidArgument(where + ": authorizer " + name + " is not in " + at +
                                     ".Authorizers");
    }
    out.body = all[name];
    out.here = at + ".Authorizers." + name;
    if (out.body.is_null()) out.body = json::object();  // present but empty: not "none"
    return out;
  }

  // The Lambda authorizer of an Api event (FindAuthorizer); null for none.
  static StatusOr<json> RestAuthorizer(const json& api, const json& event,
                                       const std::string& api_id, const std::string& where) {
    THAW_ASSIGN_OR_RETURN(NamedAuthorizer found, FindAuthorizer(api, event, api_id, where));
    if (found.body.is_null()) return json(nullptr);
    const json& name = found.name;
    const json& a = found.body;
    const std::string& here = found.here;
    if (!a.is_object() || !a.contains("FunctionArn")) {
      return Status::InvalidArgument(here + " needs a FunctionArn (only Lambda authorizers)");
    }
    for (const auto& [key, value] : a.items()) {
      if (key != "FunctionArn" && key != "FunctionPayloadType" && key != "Identity") {
        return Status::InvalidArgument(here + "." + key + " is not supported by thaw");
      }
    }
    json out = {{"Name", name},
                {"FunctionArn", a["FunctionArn"]},
                {"Type", a.value("FunctionPayloadType", json("TOKEN"))}};
    json identity = a.value("Identity", json::object());
    if (!identity.is_object()) return Status::InvalidArgument(here + ".Identity");
    json headers = identity.value("Headers", json::array());
    if (identity.contains("Header")) headers = json::array({identity["Header"]});
    out["Headers"] = headers;
    out["QueryStrings"] = identity.value("QueryStrings", json::array());
    if (identity.contains("ReauthorizeEvery")) out["Ttl"] = identity["ReauthorizeEvery"];
    return out;
  }

  // The Lambda authorizer of an HttpApi event (FindAuthorizer); null for none. JWT authorizers
  // (JwtConfiguration) are refused: thaw does not check tokens yet.
  static StatusOr<json> HttpAuthorizer(const json& api, const json& event,
                                       const std::string& api_id, const std::string& where) {
    THAW_ASSIGN_OR_RETURN(NamedAuthorizer found, FindAuthorizer(api, event, api_id, where));
    if (found.body.is_null()) return json(nullptr);
    const json& name = found.name;
    const json& a = found.body;
    const std::string& here = found.here;
    if (a.is_object() && a.contains("JwtConfiguration")) {
      return Status::InvalidArgument(here + ": JWT authorizers are not supported by thaw yet");
    }
    if (!a.is_object() || !a.contains("FunctionArn")) {
      return Status::InvalidArgument(here + " needs a FunctionArn (only Lambda authorizers)");
    }
    for (const auto& [key, value] : a.items()) {
      if (key != "FunctionArn" && key != "AuthorizerPayloadFormatVersion" &&
          key != "EnableSimpleResponses" && key != "Identity" &&
          key != "EnableFunctionDefaultPermissions" && key != "FunctionInvokeRole") {
        return Status::InvalidArgument(here + "." + key + " is not supported by thaw");
      }
    }
    json version = a.value("AuthorizerPayloadFormatVersion", json(nullptr));
    if (version.is_number()) version = version.get<double>() == 1.0 ? "1.0" : "2.0";
    if (version != "1.0" && version != "2.0") {
      return Status::InvalidArgument(here + ".AuthorizerPayloadFormatVersion must be 1.0 or 2.0");
    }
    json simple = a.value("EnableSimpleResponses", json(false));
    if (!simple.is_boolean()) return Status::InvalidArgument(here + ".EnableSimpleResponses");
    if (simple.get<bool>() && version != "2.0") {
      return Status::InvalidArgument(here + ".EnableSimpleResponses needs payload format 2.0");
    }
    json out = {{"Name", name},
                {"FunctionArn", a["FunctionArn"]},
                {"Type", "REQUEST"},
                {"PayloadFormatVersion", version},
                {"SimpleResponses", simple},
                {"Ttl", 0}};
    json identity = a.value("Identity", json::object());
    if (!identity.is_object()) return Status::InvalidArgument(here + ".Identity");
    for (const auto& [key, value] : identity.items()) {
      if (key != "Headers" && key != "QueryStrings" && key != "ReauthorizeEvery") {
        return Status::InvalidArgument(here + ".Identity." + key + " is not supported by thaw");
      }
    }
    out["Headers"] = identity.value("Headers", json::array());
    out["QueryStrings"] = identity.value("QueryStrings", json::array());
    if (identity.contains("ReauthorizeEvery")) out["Ttl"] = identity["ReauthorizeEvery"];
    return out;
  }

  // An HttpApi's CorsConfiguration (true, or AWS's Cors object) as a route's Cors.
  static StatusOr<json> HttpCors(const json& c, const std::string& at) {
    if (c.is_boolean()) {
      if (!c.get<bool>()) return json(nullptr);
      return json{{"AllowOrigins", {"*"}}, {"AllowMethods", {"*"}}, {"AllowHeaders", {"*"}}};
    }
    if (!c.is_object()) return Status::InvalidArgument(at + " must be true or a mapping");
    json out = json::object();
    for (const auto& [key, value] : c.items()) {
      if (key == "AllowCredentials" || key == "MaxAge") {
        out[key] = value;
        continue;
      }
      if (key != "AllowOrigins" && key != "AllowMethods" && key != "AllowHeaders" &&
          key != "ExposeHeaders") {
        return Status::InvalidArgument(at + "." + key + " is not supported by thaw");
      }
      out[key] = value;
    }
    return out;
  }

  // An Api's Cors: "'origin'" or {AllowOrigin, AllowMethods, AllowHeaders, MaxAge (quoted, as
  // SAM takes them), AllowCredentials} as a route's Cors.
  static StatusOr<json> RestCors(const json& c, const std::string& at) {
    auto list = [&](const json& v, const std::string& key) -> StatusOr<json> {
      if (!v.is_string()) return Status::InvalidArgument(at + key + " must be a quoted string");
      std::string text = v.get<std::string>();
      if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') {
        text = text.substr(1, text.size() - 2);
      }
      json out = json::array();
      size_t start = 0;
      while (start <= text.size()) {
        size_t comma = text.find(',', start);
        std::string item =
            text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        while (!item.empty() && item.front() == ' ') item.erase(0, 1);
        while (!item.empty() && item.back() == ' ') item.pop_back();
        if (!item.empty()) out.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      return out;
    };
    json out = {{"AllowMethods", {"*"}}};
    if (c.is_string()) {
      THAW_ASSIGN_OR_RETURN(out["AllowOrigins"], list(c, ""));
      return out;
    }
    if (!c.is_object()) return Status::InvalidArgument(at + " must be a string or a mapping");
    for (const auto& [key, value] : c.items()) {
      if (key == "AllowOrigin") {
        THAW_ASSIGN_OR_RETURN(out["AllowOrigins"], list(value, ".AllowOrigin"));
      } else if (key == "AllowMethods" || key == "AllowHeaders") {
        THAW_ASSIGN_OR_RETURN(out[key], list(value, "." + key));
      } else if (key == "MaxAge") {
        THAW_ASSIGN_OR_RETURN(json age, list(value, ".MaxAge"));
        if (age.size() == 1) out["MaxAge"] = std::atoll(age[0].get<std::string>().c_str());
      } else if (key == "AllowCredentials") {
        out[key] = value;
      } else {
        return Status::InvalidArgument(at + "." + key + " is not supported by thaw");
      }
    }
    return out;
  }

  // An AWS::Serverless::Api or HttpApi: a Thaw::Api step, which Ref names.
  void Api(const Resource& r) {
    Step api = Base(r, "Thaw::Api");
    api.properties = json::object({{"Kind", r.type == "AWS::Serverless::Api" ? "REST" : "HTTP"}});
    out_.push_back(std::move(api));
  }

 private:
  static Step Base(const Resource& r, const std::string& type) {
    Step s;
    s.logical_id = r.logical_id;
    s.type = type;
    s.properties = r.properties;
    s.metadata = r.metadata;
    s.from = r.logical_id;
    for (const std::string& dep : r.depends_on) s.needs.insert(dep);
    return s;
  }

  std::vector<Step>& out_;
  const Scope& scope_;
  std::map<std::string, const Resource*> apis_;
  json api_globals_ = json::object();  // for the implicit APIs
  json http_api_globals_ = json::object();
  std::set<std::string> implicit_;  // the implicit APIs made
};

}  // namespace

const Step* Plan::Find(const std::string& logical_id) const {
  for (const Step& s : steps) {
    if (s.logical_id == logical_id) return &s;
  }
  return nullptr;
}

StatusOr<Plan> MakePlan(const Template& t, const Scope& scope) {
  std::vector<Step> steps;
  Expander expand(steps, scope);
  std::map<std::string, const Resource*> apis;
  for (const Resource& r : t.resources) {
    if (r.type == "AWS::Serverless::Api" || r.type == "AWS::Serverless::HttpApi") {
      apis[r.logical_id] = &r;
    }
  }
  for (const auto& [section, globals] :
       {std::pair{"Api", &t.api_globals}, std::pair{"HttpApi", &t.http_api_globals}}) {
    auto known = KnownProperties().find(std::string("AWS::Serverless::") + section);
    for (const auto& [key, value] : globals->items()) {
      if (known == KnownProperties().end() || !known->second.contains(key)) {
        return Status::InvalidArgument(std::string("Globals.") + section + "." + key +
                                       " is not supported by thaw");
      }
    }
  }
  expand.SetApis(std::move(apis), t.api_globals, t.http_api_globals);
  for (const Resource& r : t.resources) {
    auto known = KnownProperties().find(r.type);
    if (known == KnownProperties().end()) {
      return Status::InvalidArgument("Resources." + r.logical_id + ": type " + r.type +
                                     " is not supported by thaw");
    }
    THAW_RETURN_IF_ERROR(CheckProperties("Resources." + r.logical_id + ".Properties", r.type,
                                         r.properties, known->second));
    if (!r.condition.empty()) {
      auto c = scope.conditions.find(r.condition);
      if (c == scope.conditions.end() || !c->second) continue;
    }
    if (r.type == "AWS::Serverless::Function") {
      THAW_RETURN_IF_ERROR(expand.Function(r));
    } else if (r.type == "AWS::Serverless::SimpleTable") {
      THAW_RETURN_IF_ERROR(expand.SimpleTable(r));
    } else if (r.type == "AWS::Serverless::LayerVersion") {
      THAW_RETURN_IF_ERROR(expand.LayerVersion(r));
    } else if (r.type == "AWS::Serverless::Api" || r.type == "AWS::Serverless::HttpApi") {
      expand.Api(r);
    } else {
      expand.Plain(r);
    }
  }

  // Dependencies: references to steps (SAM's generated ids included); DependsOn on a SAM
  // resource means its main step, which keeps its logical id.
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (!index.emplace(steps[i].logical_id, i).second) {
      return Status::InvalidArgument("logical id " + steps[i].logical_id +
                                     " is used twice (SAM generates it for " + steps[i].from + ")");
    }
  }
  auto is_step = [&index](const std::string& name) { return index.contains(name); };
  for (Step& s : steps) {
    CollectReferences(s.properties, is_step, s.needs);
    s.needs.erase(s.logical_id);
    for (const std::string& dep : s.needs) {
      if (!index.contains(dep)) {
        // DependsOn a resource whose Condition is false: CloudFormation refuses it.
        return Status::InvalidArgument("Resources." + s.from + " depends on " + dep +
                                       ", which its Condition leaves out");
      }
    }
  }

  // Kahn's algorithm, taking ready steps in template order.
  Plan plan;
  std::vector<bool> done(steps.size(), false);
  while (plan.steps.size() < steps.size()) {
    bool progressed = false;
    for (size_t i = 0; i < steps.size(); ++i) {
      if (done[i]) continue;
      bool ready = true;
      for (const std::string& dep : steps[i].needs) ready = ready && done[index[dep]];
      if (!ready) continue;
      done[i] = true;
      plan.steps.push_back(steps[i]);
      progressed = true;
    }
    if (!progressed) {
      std::string circle;
      for (size_t i = 0; i < steps.size(); ++i) {
        if (!done[i]) circle += (circle.empty() ? "" : ", ") + steps[i].logical_id;
      }
      return Status::InvalidArgument("resources depend on each other in a circle: " + circle);
    }
  }
  return plan;
}

std::optional<BuildKind> BuildKindOf(const std::string& build_method) {
  const std::string& m = build_method;
  if (m == "go1.x" || m == "provided" || m == "provided.al2" || m == "provided.al2023") {
    return BuildKind::kGo;
  }
  if (m.starts_with("python3.")) return BuildKind::kPython;
  if (m.starts_with("nodejs") && m.ends_with(".x")) return BuildKind::kNode;
  return std::nullopt;
}

std::string PhysicalName(const std::string& stack, const std::string& logical_id,
                         const std::string& suffix, size_t max_len) {
  std::string s = stack;
  std::string l = logical_id;
  size_t fixed = suffix.size() + 2;
  // Shorten the longer of the two first, as CloudFormation's names show.
  while (s.size() + l.size() + fixed > max_len && (!s.empty() || !l.empty())) {
    if (l.size() >= s.size()) {
      l.pop_back();
    } else {
      s.pop_back();
    }
  }
  return s + "-" + l + "-" + suffix;
}

std::string RandomSuffix() {
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::mt19937 gen(rd());
  std::uniform_int_distribution<size_t> pick(0, sizeof(kChars) - 2);
  std::string out;
  for (int i = 0; i < 12; ++i) out += kChars[pick(gen)];
  return out;
}

}  // namespace thaw::sam
