#include "events/events_api.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "http/aws_error.h"

namespace thaw::events {

using nlohmann::json;

namespace {

constexpr std::string_view kPrefix = "AWSEvents.";
constexpr uint64_t kBodyLimit = 1 << 20;

std::optional<std::string> OperationOf(const http::Request& request) {
  auto target = request.headers.Get("X-Amz-Target");
  if (!target || !target->starts_with(kPrefix)) return std::nullopt;
  return std::string(target->substr(kPrefix.size()));
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

http::Response Error(std::string_view type, std::string_view message) {
  return http::JsonRpcError(400, type, message);
}

http::Response Ok(const json& body) {
  http::Response r = http::Response::Json(200, body.dump());
  r.headers.Set("Content-Type", "application/x-amz-json-1.1");
  return r;
}

http::Response NoRule(const std::string& name) {
  return Error("ResourceNotFoundException",
               "Rule " + name + " does not exist on EventBus default.");
}

json RuleView(const Job& job) {
  json r = {
      {"Name", job.name}, {"Arn", job.Arn()}, {"State", job.state}, {"EventBusName", "default"}};
  if (!job.expression.empty()) r["ScheduleExpression"] = job.expression;
  if (!job.event_pattern.empty()) r["EventPattern"] = job.event_pattern;
  if (!job.description.empty()) r["Description"] = job.description;
  if (!job.role_arn.empty()) r["RoleArn"] = job.role_arn;
  return r;
}

json TargetView(const Target& t) {
  json j = {{"Id", t.id}, {"Arn", t.arn}};
  if (t.input) j["Input"] = *t.input;
  if (!t.input_path.empty()) j["InputPath"] = t.input_path;
  if (!t.role_arn.empty()) j["RoleArn"] = t.role_arn;
  return j;
}

}  // namespace

std::optional<uint64_t> EventsApi::BodyLimit(const http::Request& head) const {
  if (!OperationOf(head)) return std::nullopt;
  return kBodyLimit;
}

std::optional<auth::Operation> EventsApi::Describe(const http::Request& request) const {
  auto op = OperationOf(request);
  if (!op) return std::nullopt;
  auth::Operation out;
  out.plane = auth::Operation::Plane::kControl;
  out.action = "events:" + *op;
  std::string resource;
  auto input = json::parse(request.body, nullptr, false);
  std::string name = input.is_object() ? Str(input, "Name") : "";
  if (name.empty() && input.is_object()) name = Str(input, "Rule");
  if (!name.empty()) {
    resource = std::string("arn:aws:events:") + kRegion + ":" +
               (request.account.empty() ? "000000000000" : request.account) + ":rule/" + name;
  }
  if (resource.empty()) resource.push_back('*');
  out.resource = std::move(resource);
  return out;
}

bool EventsApi::Handle(http::Request& request, http::ResponseWriter& writer) {
  auto op = OperationOf(request);
  if (!op) return false;
  auto w = std::make_shared<http::ResponseWriter>(std::move(writer));
  std::function<void(http::Response)> reply = [w, id = NewUuid()](http::Response r) {
    r.headers.Set("x-amzn-RequestId", id);
    w->Send(std::move(r));
  };
  if (request.oversized) {
    reply(http::JsonRpcError(413, "RequestEntityTooLarge", "Request entity too large"));
    return true;
  }
  json in = request.body.empty() ? json::object() : json::parse(request.body, nullptr, false);
  if (!in.is_object()) {
    reply(Error("SerializationException", "Start of structure or map found where not expected."));
    return true;
  }
  const std::string account = request.account.empty() ? "000000000000" : request.account;
  auto committed = [reply](json body) {
    return [reply, body = std::move(body)](Status s) {
      if (!s.ok()) return reply(http::JsonRpcError(500, "InternalException", s.message()));
      reply(Ok(body));
    };
  };
  const std::string name = Str(in, "Name");
  const std::string rule = Str(in, "Rule");
  if (*op == "PutRule") {
    if (name.empty()) return reply(Error("ValidationException", "Rule name is required.")), true;
    Job job;
    if (const Job* old = schedules_.Find(RuleKey(account, name))) job = *old;
    job.kind = Job::Kind::kRule;
    job.account = account;
    job.name = name;
    job.expression = Str(in, "ScheduleExpression");
    job.event_pattern = Str(in, "EventPattern");
    job.description = Str(in, "Description");
    job.role_arn = Str(in, "RoleArn");
    std::string state = Str(in, "State");
    job.state = state.empty() ? "ENABLED" : state;
    if (job.state != "ENABLED" && job.state != "DISABLED" &&
        job.state != "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS") {
      return reply(Error("ValidationException", "Invalid State: " + state)), true;
    }
    if (job.expression.empty() && job.event_pattern.empty()) {
      return reply(Error("ValidationException",
                         "Parameter(s) ScheduleExpression or EventPattern must be specified.")),
             true;
    }
    int64_t now = schedules_.NowMs();
    if (job.created_ms == 0) job.created_ms = now;
    job.modified_ms = now;
    json body = {{"RuleArn", job.Arn()}};
    Status s = schedules_.Put(std::move(job), committed(std::move(body)));
    if (!s.ok()) reply(Error("ValidationException", s.message()));
    return true;
  }
  if (*op == "DescribeRule") {
    const Job* job = schedules_.Find(RuleKey(account, name));
    if (!job) return reply(NoRule(name)), true;
    json view = RuleView(*job);
    view["CreatedBy"] = account;
    return reply(Ok(view)), true;
  }
  if (*op == "ListRules") {
    // Pages by name: NextToken is the first name of the next page.
    std::string prefix = Str(in, "NamePrefix");
    std::string token = Str(in, "NextToken");
    int64_t limit = in.value("Limit", int64_t{100});
    if (limit < 1 || limit > 100) limit = 100;
    json out = {{"Rules", json::array()}};
    for (const Job* job : schedules_.List(account, Job::Kind::kRule)) {
      if (!job->name.starts_with(prefix) || job->name < token) continue;
      if (static_cast<int64_t>(out["Rules"].size()) == limit) {
        out["NextToken"] = job->name;
        break;
      }
      out["Rules"].push_back(RuleView(*job));
    }
    return reply(Ok(out)), true;
  }
  if (*op == "DeleteRule") {
    const Job* job = schedules_.Find(RuleKey(account, name));
    if (!job) return reply(Ok(json::object())), true;
    if (!job->targets.empty()) {
      return reply(Error("ValidationException", "Rule can't be deleted since it has targets.")),
             true;
    }
    schedules_.Remove(RuleKey(account, name), committed(json::object()));
    return true;
  }
  if (*op == "EnableRule" || *op == "DisableRule") {
    const Job* old = schedules_.Find(RuleKey(account, name));
    if (!old) return reply(NoRule(name)), true;
    Job job = *old;
    job.state = *op == "EnableRule" ? "ENABLED" : "DISABLED";
    job.modified_ms = schedules_.NowMs();
    Status s = schedules_.Put(std::move(job), committed(json::object()));
    if (!s.ok()) reply(Error("ValidationException", s.message()));
    return true;
  }
  if (*op == "PutTargets" || *op == "RemoveTargets") {
    const Job* old = schedules_.Find(RuleKey(account, rule));
    if (!old) return reply(NoRule(rule)), true;
    Job job = *old;
    if (*op == "PutTargets") {
      auto targets = in.find("Targets");
      if (targets == in.end() || !targets->is_array() || targets->empty()) {
        return reply(Error("ValidationException", "Targets is required.")), true;
      }
      for (const json& tj : *targets) {
        Target t{Str(tj, "Id"), Str(tj, "Arn"), std::nullopt, Str(tj, "InputPath"),
                 Str(tj, "RoleArn")};
        if (tj.contains("Input")) t.input = Str(tj, "Input");
        if (t.id.empty() || t.arn.empty()) {
          return reply(Error("ValidationException", "A target needs an Id and an Arn.")), true;
        }
        auto same = std::find_if(job.targets.begin(), job.targets.end(),
                                 [&](const Target& x) { return x.id == t.id; });
        if (same != job.targets.end()) {
          *same = std::move(t);
        } else {
          job.targets.push_back(std::move(t));
        }
      }
      if (job.targets.size() > 5) {
        return reply(Error("LimitExceededException",
                           "The requested resource exceeds the maximum number allowed.")),
               true;
      }
    } else {
      auto ids = in.find("Ids");
      if (ids != in.end() && ids->is_array()) {
        for (const json& id : *ids) {
          if (!id.is_string()) continue;
          std::erase_if(job.targets,
                        [&](const Target& x) { return x.id == id.get<std::string>(); });
        }
      }
    }
    Status s = schedules_.Put(
        std::move(job), committed({{"FailedEntryCount", 0}, {"FailedEntries", json::array()}}));
    if (!s.ok()) reply(Error("ValidationException", s.message()));
    return true;
  }
  if (*op == "ListTargetsByRule") {
    const Job* job = schedules_.Find(RuleKey(account, rule));
    if (!job) return reply(NoRule(rule)), true;
    json targets = json::array();
    for (const Target& t : job->targets) targets.push_back(TargetView(t));
    return reply(Ok({{"Targets", std::move(targets)}})), true;
  }
  reply(Error("UnknownOperationException", ""));
  return true;
}

}  // namespace thaw::events
