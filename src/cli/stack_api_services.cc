// StackApi's SQS, SNS, DynamoDB and Kinesis resources: create, and update in place where the
// service allows it. See stack_api.h.
#include <chrono>
#include <thread>
#include <utility>
#include <vector>

#include "cli/json_fields.h"
#include "cli/stack_api.h"
#include "cli/stack_values.h"
#include "cli/stress_checks.h"

namespace thaw::cli {

using nlohmann::json;

StatusOr<sam::Made> StackApi::CreateQueue(const json& props, const std::string& name) {
  bool fifo = props.value("FifoQueue", false) == true || props.value("FifoQueue", "") == "true";
  std::string queue = PropertyText(props, "QueueName", fifo ? name.substr(0, 75) + ".fifo" : name);
  json attributes = json::object();
  for (const auto& [key, value] : props.items()) {
    if (key == "QueueName" || key == "Tags") continue;
    attributes[key] = AttributeText(value);
  }
  json request = {{"QueueName", queue}, {"Attributes", attributes}};
  if (props.contains("Tags")) request["tags"] = TagMap(props["Tags"]);
  THAW_ASSIGN_OR_RETURN(json created, Json(*sqs_, "AmazonSQS.CreateQueue", request));
  std::string url = JsonString(created, "QueueUrl");
  THAW_ASSIGN_OR_RETURN(json got, Json(*sqs_, "AmazonSQS.GetQueueAttributes",
                                       {{"QueueUrl", url}, {"AttributeNames", {"QueueArn"}}}));
  sam::Made m;
  m.physical_id = url;
  m.attributes = {
      {"Arn", got["Attributes"].value("QueueArn", "")}, {"QueueName", queue}, {"QueueUrl", url}};
  return m;
}

StatusOr<sam::Made> StackApi::CreateTopic(const json& props, const std::string& name) {
  bool fifo = props.value("FifoTopic", false) == true || props.value("FifoTopic", "") == "true";
  std::string topic = PropertyText(props, "TopicName", fifo ? name.substr(0, 251) + ".fifo" : name);
  std::vector<std::pair<std::string, std::string>> params = {{"Name", topic}};
  int n = 0;
  for (const char* key : {"DisplayName", "FifoTopic", "ContentBasedDeduplication"}) {
    if (!props.contains(key)) continue;
    ++n;
    params.push_back({"Attributes.entry." + std::to_string(n) + ".key", key});
    params.push_back(
        {"Attributes.entry." + std::to_string(n) + ".value", AttributeText(props[key])});
  }
  THAW_ASSIGN_OR_RETURN(std::string xml, Sns("CreateTopic", params));
  std::string arn = XmlElementText(xml, "TopicArn");
  if (arn.empty()) return Status::Internal("CreateTopic answered without a TopicArn");
  if (props.contains("Subscription") && props["Subscription"].is_array()) {
    for (const json& s : props["Subscription"]) {
      THAW_RETURN_IF_ERROR(Sns("Subscribe", {{"TopicArn", arn},
                                             {"Protocol", JsonString(s, "Protocol")},
                                             {"Endpoint", JsonString(s, "Endpoint")}})
                               .status());
    }
  }
  sam::Made m;
  m.physical_id = arn;
  m.attributes = {{"TopicArn", arn}, {"TopicName", topic}};
  return m;
}

StatusOr<sam::Made> StackApi::Subscribe(const json& props) {
  std::vector<std::pair<std::string, std::string>> params = {
      {"TopicArn", PropertyText(props, "TopicArn", "")},
      {"Protocol", PropertyText(props, "Protocol", "")},
      {"Endpoint", PropertyText(props, "Endpoint", "")},
      {"ReturnSubscriptionArn", "true"}};
  int n = 0;
  for (const char* key :
       {"FilterPolicy", "FilterPolicyScope", "RawMessageDelivery", "RedrivePolicy"}) {
    if (!props.contains(key)) continue;
    ++n;
    params.push_back({"Attributes.entry." + std::to_string(n) + ".key", key});
    params.push_back(
        {"Attributes.entry." + std::to_string(n) + ".value", AttributeText(props[key])});
  }
  THAW_ASSIGN_OR_RETURN(std::string xml, Sns("Subscribe", params));
  sam::Made m;
  m.physical_id = XmlElementText(xml, "SubscriptionArn");
  if (m.physical_id.empty()) return Status::Internal("Subscribe answered without an ARN");
  return m;
}

StatusOr<sam::Made> StackApi::CreateTable(const json& props, const std::string& name) {
  json request = json::object();
  for (const char* key :
       {"AttributeDefinitions", "KeySchema", "BillingMode", "ProvisionedThroughput",
        "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "SSESpecification", "TableClass",
        "DeletionProtectionEnabled"}) {
    if (props.contains(key)) request[key] = props[key];
  }
  std::string table = PropertyText(props, "TableName", name);
  request["TableName"] = table;
  if (props.contains("StreamSpecification")) {
    // CloudFormation's {StreamViewType} is the API's {StreamEnabled, StreamViewType}.
    request["StreamSpecification"] = {
        {"StreamEnabled", true},
        {"StreamViewType",
         PropertyText(props["StreamSpecification"], "StreamViewType", "NEW_IMAGE")}};
  }
  if (props.contains("Tags")) request["Tags"] = props["Tags"];
  THAW_RETURN_IF_ERROR(Json(*dynamodb_, "DynamoDB_20120810.CreateTable", request).status());
  THAW_ASSIGN_OR_RETURN(json described, WaitForTable(table));
  if (props.contains("TimeToLiveSpecification")) {
    THAW_RETURN_IF_ERROR(
        Json(*dynamodb_, "DynamoDB_20120810.UpdateTimeToLive",
             {{"TableName", table}, {"TimeToLiveSpecification", props["TimeToLiveSpecification"]}})
            .status());
  }
  sam::Made m;
  m.physical_id = table;
  m.attributes = {{"Arn", described["Table"].value("TableArn", "")}};
  if (described["Table"].contains("LatestStreamArn")) {
    m.attributes["StreamArn"] = described["Table"]["LatestStreamArn"];
  }
  return m;
}

StatusOr<sam::Made> StackApi::CreateStream(const json& props, const std::string& name) {
  std::string stream = PropertyText(props, "Name", name);
  json request = {{"StreamName", stream}};
  if (props.contains("StreamModeDetails"))
    request["StreamModeDetails"] = props["StreamModeDetails"];
  if (props.contains("ShardCount")) {
    request["ShardCount"] = props["ShardCount"];
  } else if (!props.contains("StreamModeDetails")) {
    request["ShardCount"] = 1;
  }
  THAW_RETURN_IF_ERROR(Json(*kinesis_, "Kinesis_20131202.CreateStream", request).status());
  THAW_ASSIGN_OR_RETURN(json summary, WaitForStream(stream));
  sam::Made m;
  m.physical_id = stream;
  m.attributes = {{"Arn", summary["StreamDescriptionSummary"].value("StreamARN", "")}};
  return m;
}

StatusOr<json> StackApi::WaitForTable(const std::string& table) {
  for (int i = 0; i < max_polls; ++i) {
    THAW_ASSIGN_OR_RETURN(json described, Json(*dynamodb_, "DynamoDB_20120810.DescribeTable",
                                               {{"TableName", table}}));
    if (described["Table"].value("TableStatus", "") == "ACTIVE") return described;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_interval_ms));
  }
  return Status::DeadlineExceeded("table " + table + " did not become ACTIVE");
}

StatusOr<json> StackApi::WaitForStream(const std::string& stream) {
  for (int i = 0; i < max_polls; ++i) {
    THAW_ASSIGN_OR_RETURN(json summary, Json(*kinesis_, "Kinesis_20131202.DescribeStreamSummary",
                                             {{"StreamName", stream}}));
    if (summary["StreamDescriptionSummary"].value("StreamStatus", "") == "ACTIVE") return summary;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_interval_ms));
  }
  return Status::DeadlineExceeded("stream " + stream + " did not become ACTIVE");
}

StatusOr<std::optional<sam::Made>> StackApi::UpdateTable(const json& props, const json& previous,
                                                         const sam::Made& current) {
  if (!DifferOnlyIn(props, previous,
                    {"BillingMode", "ProvisionedThroughput", "StreamSpecification",
                     "TimeToLiveSpecification"})) {
    return std::optional<sam::Made>();
  }
  const std::string& table = current.physical_id;
  if (Changed(props, previous, "BillingMode") ||
      Changed(props, previous, "ProvisionedThroughput")) {
    json request = {{"TableName", table},
                    {"BillingMode", PropertyText(props, "BillingMode", "PROVISIONED")}};
    if (props.contains("ProvisionedThroughput")) {
      request["ProvisionedThroughput"] = props["ProvisionedThroughput"];
    }
    THAW_RETURN_IF_ERROR(Json(*dynamodb_, "DynamoDB_20120810.UpdateTable", request).status());
    THAW_RETURN_IF_ERROR(WaitForTable(table).status());
  }
  if (Changed(props, previous, "StreamSpecification")) {
    // A new view type is a new stream: the old one is turned off first, as AWS requires.
    if (previous.contains("StreamSpecification")) {
      THAW_RETURN_IF_ERROR(
          Json(*dynamodb_, "DynamoDB_20120810.UpdateTable",
               {{"TableName", table}, {"StreamSpecification", {{"StreamEnabled", false}}}})
              .status());
      THAW_RETURN_IF_ERROR(WaitForTable(table).status());
    }
    if (props.contains("StreamSpecification")) {
      json spec = {{"StreamEnabled", true},
                   {"StreamViewType",
                    PropertyText(props["StreamSpecification"], "StreamViewType", "NEW_IMAGE")}};
      THAW_RETURN_IF_ERROR(Json(*dynamodb_, "DynamoDB_20120810.UpdateTable",
                                {{"TableName", table}, {"StreamSpecification", spec}})
                               .status());
    }
  }
  if (Changed(props, previous, "TimeToLiveSpecification")) {
    json ttl = props.value("TimeToLiveSpecification", json::object());
    if (!props.contains("TimeToLiveSpecification")) {
      ttl = previous["TimeToLiveSpecification"];
      ttl["Enabled"] = false;
    }
    THAW_RETURN_IF_ERROR(Json(*dynamodb_, "DynamoDB_20120810.UpdateTimeToLive",
                              {{"TableName", table}, {"TimeToLiveSpecification", ttl}})
                             .status());
  }
  THAW_ASSIGN_OR_RETURN(json described, WaitForTable(table));
  sam::Made m = current;
  m.attributes.erase("StreamArn");
  if (described["Table"].contains("LatestStreamArn") && props.contains("StreamSpecification")) {
    m.attributes["StreamArn"] = described["Table"]["LatestStreamArn"];
  }
  return std::optional<sam::Made>(std::move(m));
}

StatusOr<std::optional<sam::Made>> StackApi::UpdateStream(const json& props, const json& previous,
                                                          const sam::Made& current) {
  if (!DifferOnlyIn(props, previous, {"ShardCount", "RetentionPeriodHours"}) ||
      !props.contains("ShardCount")) {
    return std::optional<sam::Made>();
  }
  const std::string& stream = current.physical_id;
  if (Changed(props, previous, "ShardCount")) {
    THAW_RETURN_IF_ERROR(Json(*kinesis_, "Kinesis_20131202.UpdateShardCount",
                              {{"StreamName", stream},
                               {"TargetShardCount", props["ShardCount"]},
                               {"ScalingType", "UNIFORM_SCALING"}})
                             .status());
    THAW_RETURN_IF_ERROR(WaitForStream(stream).status());
  }
  if (Changed(props, previous, "RetentionPeriodHours")) {
    int64_t hours = JsonInt(props, "RetentionPeriodHours", 24);
    int64_t before = JsonInt(previous, "RetentionPeriodHours", 24);
    THAW_RETURN_IF_ERROR(Json(*kinesis_,
                              hours > before ? "Kinesis_20131202.IncreaseStreamRetentionPeriod"
                                             : "Kinesis_20131202.DecreaseStreamRetentionPeriod",
                              {{"StreamName", stream}, {"RetentionPeriodHours", hours}})
                             .status());
    THAW_RETURN_IF_ERROR(WaitForStream(stream).status());
  }
  return std::optional<sam::Made>(current);
}

}  // namespace thaw::cli
