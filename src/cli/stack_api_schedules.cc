// StackApi's AWS::Events::Rule and AWS::Scheduler::Schedule: through thaw's EventBridge API
// (PutRule, PutTargets, RemoveTargets, DeleteRule) and Scheduler API (/schedules/NAME).
#include <set>
#include <string>

#include "cli/aws_errors.h"
#include "cli/json_fields.h"
#include "cli/lambda_calls.h"
#include "cli/stack_api.h"
#include "cli/stack_values.h"
#include "http/message.h"

namespace thaw::cli {

using nlohmann::json;

namespace {

Status NoClient(const char* service) {
  return Status::FailedPrecondition(std::string("no ") + service + " client");
}

json TargetIds(const json& targets) {
  json ids = json::array();
  if (!targets.is_array()) return ids;
  for (const json& t : targets) {
    if (t.is_object() && t.contains("Id")) ids.push_back(t["Id"]);
  }
  return ids;
}

}  // namespace

StatusOr<sam::Made> StackApi::PutRule(const json& props, const std::string& name,
                                      const json& previous_targets) {
  if (!events_) return NoClient("events");
  std::string rule = PropertyText(props, "Name", name);
  json body = {{"Name", rule}};
  for (const char* key :
       {"ScheduleExpression", "EventPattern", "State", "Description", "RoleArn"}) {
    if (!props.contains(key)) continue;
    // CloudFormation takes an EventPattern as an object; the API as text.
    body[key] = props[key].is_string() ? props[key] : json(props[key].dump());
  }
  THAW_ASSIGN_OR_RETURN(json made, Json(*events_, "AWSEvents.PutRule", body));
  json targets = props.value("Targets", json::array());
  std::set<std::string> keep;
  for (const json& id : TargetIds(targets)) {
    if (id.is_string()) keep.insert(id.get<std::string>());
  }
  json gone = json::array();
  for (const json& id : TargetIds(previous_targets)) {
    if (id.is_string() && !keep.contains(id.get<std::string>())) gone.push_back(id);
  }
  if (!gone.empty()) {
    THAW_RETURN_IF_ERROR(
        Json(*events_, "AWSEvents.RemoveTargets", {{"Rule", rule}, {"Ids", gone}}).status());
  }
  if (targets.is_array() && !targets.empty()) {
    THAW_RETURN_IF_ERROR(
        Json(*events_, "AWSEvents.PutTargets", {{"Rule", rule}, {"Targets", targets}}).status());
  }
  sam::Made m;
  m.physical_id = rule;
  m.attributes = {{"Arn", JsonString(made, "RuleArn")}};
  return m;
}

Status StackApi::DeleteRule(const sam::Made& current) {
  if (!events_) return NoClient("events");
  StatusOr<json> listed =
      Json(*events_, "AWSEvents.ListTargetsByRule", {{"Rule", current.physical_id}});
  if (!listed.ok()) {
    return listed.status().code() == StatusCode::kNotFound ? Status::Ok() : listed.status();
  }
  json ids = TargetIds(listed->value("Targets", json::array()));
  if (!ids.empty()) {
    THAW_RETURN_IF_ERROR(
        Json(*events_, "AWSEvents.RemoveTargets", {{"Rule", current.physical_id}, {"Ids", ids}})
            .status());
  }
  return Json(*events_, "AWSEvents.DeleteRule", {{"Name", current.physical_id}}).status();
}

StatusOr<sam::Made> StackApi::PutSchedule(const json& props, const std::string& name, bool create) {
  if (!scheduler_) return NoClient("scheduler");
  std::string schedule = PropertyText(props, "Name", name);
  json body = json::object();
  for (const char* key : {"ScheduleExpression", "ScheduleExpressionTimezone", "FlexibleTimeWindow",
                          "State", "Description", "GroupName", "Target", "StartDate", "EndDate"}) {
    if (props.contains(key)) body[key] = props[key];
  }
  THAW_ASSIGN_OR_RETURN(json made, CallJson(*scheduler_, create ? "POST" : "PUT",
                                            "/schedules/" + http::PercentEncode(schedule), &body));
  sam::Made m;
  m.physical_id = schedule;
  m.attributes = {{"Arn", JsonString(made, "ScheduleArn")}};
  return m;
}

Status StackApi::DeleteSchedule(const sam::Made& current) {
  if (!scheduler_) return NoClient("scheduler");
  StatusOr<http::Response> r =
      Send(*scheduler_, "DELETE", "/schedules/" + http::PercentEncode(current.physical_id));
  if (!r.ok()) return r.status();
  if (r->status == 404) return Status::Ok();
  return ResponseStatus(*r);
}

}  // namespace thaw::cli
