#include "events/scheduler_api.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/codec.h"
#include "http/aws_error.h"

namespace thaw::events {

using nlohmann::json;

namespace {

constexpr std::string_view kPrefix = "/schedules";
constexpr char kStatsPath[] = "/thaw/schedules";
constexpr uint64_t kBodyLimit = 1 << 20;

enum class Op { kCreate, kGet, kUpdate, kDelete, kList, kUnknown };

struct Route {
  Op op = Op::kUnknown;
  std::string name;
};

std::optional<Route> Match(std::string_view method, std::string_view path) {
  if (!path.starts_with(kPrefix)) return std::nullopt;
  std::string_view rest = path.substr(kPrefix.size());
  Route r;
  if (rest.empty() || rest == "/") {
    if (method == "GET") r.op = Op::kList;
    return r;
  }
  if (rest[0] != '/') return std::nullopt;
  rest.remove_prefix(1);
  if (rest.find('/') != std::string_view::npos) return std::nullopt;
  r.name = std::string(rest);
  if (method == "POST") r.op = Op::kCreate;
  if (method == "GET") r.op = Op::kGet;
  if (method == "PUT") r.op = Op::kUpdate;
  if (method == "DELETE") r.op = Op::kDelete;
  return r;
}

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kCreate:
      return "CreateSchedule";
    case Op::kGet:
      return "GetSchedule";
    case Op::kUpdate:
      return "UpdateSchedule";
    case Op::kDelete:
      return "DeleteSchedule";
    case Op::kList:
      return "ListSchedules";
    case Op::kUnknown:
      break;
  }
  return "UnknownOperation";
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

http::Response Invalid(std::string_view message) {
  return http::RestJsonError(400, "ValidationException", message);
}

http::Response NoSchedule(const std::string& name) {
  return http::RestJsonError(404, "ResourceNotFoundException",
                             "Schedule " + name + " does not exist.");
}

double Seconds(int64_t ms) { return static_cast<double>(ms) / 1000.0; }

json TargetView(const Target& t) {
  json j = {{"Arn", t.arn}, {"RoleArn", t.role_arn}};
  if (t.input) j["Input"] = *t.input;
  return j;
}

json ScheduleView(const Job& job) {
  json j = {{"Arn", job.Arn()},
            {"Name", job.name},
            {"GroupName", job.group},
            {"ScheduleExpression", job.expression},
            {"ScheduleExpressionTimezone", job.timezone.empty() ? "UTC" : job.timezone},
            {"State", job.state},
            {"FlexibleTimeWindow", job.flexible_window},
            {"CreationDate", Seconds(job.created_ms)},
            {"LastModificationDate", Seconds(job.modified_ms)},
            {"ActionAfterCompletion",
             job.action_after_completion.empty() ? "NONE" : job.action_after_completion}};
  if (!job.description.empty()) j["Description"] = job.description;
  if (job.start_s) j["StartDate"] = *job.start_s;
  if (job.end_s) j["EndDate"] = *job.end_s;
  if (!job.targets.empty()) {
    json target = TargetView(job.targets.front());
    if (job.target_extra.is_object()) target.update(job.target_extra);
    // Scheduler's default retry policy: a day, 185 attempts.
    if (!target.contains("RetryPolicy")) {
      target["RetryPolicy"] = {{"MaximumEventAgeInSeconds", 86400}, {"MaximumRetryAttempts", 185}};
    }
    j["Target"] = std::move(target);
  }
  return j;
}

// The request's schedule, checked as Scheduler checks it; `job` keeps its identity fields.
std::optional<http::Response> ReadSchedule(const json& in, Job& job) {
  job.expression = Str(in, "ScheduleExpression");
  if (job.expression.empty()) return Invalid("ScheduleExpression is required.");
  job.timezone = Str(in, "ScheduleExpressionTimezone");
  if (job.timezone == "UTC") job.timezone.clear();
  job.description = Str(in, "Description");
  std::string state = Str(in, "State");
  job.state = state.empty() ? "ENABLED" : state;
  if (job.state != "ENABLED" && job.state != "DISABLED") return Invalid("Invalid State " + state);
  auto window = in.find("FlexibleTimeWindow");
  if (window == in.end() || !window->is_object()) {
    return Invalid("FlexibleTimeWindow is required.");
  }
  std::string mode = Str(*window, "Mode");
  if (mode != "OFF" && mode != "FLEXIBLE") return Invalid("Invalid FlexibleTimeWindow Mode.");
  if (mode == "FLEXIBLE" && !window->contains("MaximumWindowInMinutes")) {
    return Invalid("MaximumWindowInMinutes is required when Mode is FLEXIBLE.");
  }
  job.flexible_window = *window;
  // REST-JSON timestamps: Unix seconds (fractions dropped).
  for (auto [key, field] : {std::pair{"StartDate", &job.start_s}, {"EndDate", &job.end_s}}) {
    auto it = in.find(key);
    if (it == in.end()) continue;
    if (!it->is_number()) return Invalid(std::string(key) + " must be a timestamp.");
    *field = static_cast<int64_t>(it->get<double>());
  }
  if (job.start_s && job.end_s && *job.end_s <= *job.start_s) {
    return Invalid("The EndDate must be after the StartDate.");
  }
  job.action_after_completion = Str(in, "ActionAfterCompletion");
  auto target = in.find("Target");
  if (target == in.end() || !target->is_object() || Str(*target, "Arn").empty() ||
      Str(*target, "RoleArn").empty()) {
    return Invalid("Target with Arn and RoleArn is required.");
  }
  Target t{"", Str(*target, "Arn"), std::nullopt, "", Str(*target, "RoleArn")};
  if (target->contains("Input")) t.input = Str(*target, "Input");
  job.targets = {std::move(t)};
  job.target_extra = json::object();
  for (const char* key : {"RetryPolicy", "DeadLetterConfig"}) {
    if (target->contains(key)) job.target_extra[key] = (*target)[key];
  }
  return std::nullopt;
}

}  // namespace

std::optional<uint64_t> SchedulerApi::BodyLimit(const http::Request& head) const {
  if (head.path == kStatsPath && head.method == "GET") return kBodyLimit;
  if (!Match(head.method, head.path)) return std::nullopt;
  return kBodyLimit;
}

std::optional<auth::Operation> SchedulerApi::Describe(const http::Request& request) const {
  if (request.path == kStatsPath && request.method == "GET") {
    return auth::Operation{auth::Operation::Plane::kThaw, "thaw:GetSchedules", "*", ""};
  }
  auto route = Match(request.method, request.path);
  if (!route) return std::nullopt;
  auth::Operation op;
  op.plane = auth::Operation::Plane::kControl;
  op.action = "scheduler:" + std::string(OpName(route->op));
  if (route->name.empty()) {
    op.resource = "*";
  } else {
    op.resource = std::string("arn:aws:scheduler:") + kRegion + ":" +
                  (request.account.empty() ? "000000000000" : request.account) +
                  ":schedule/default/" + route->name;
  }
  return op;
}

bool SchedulerApi::Handle(http::Request& request, http::ResponseWriter& writer) {
  if (request.path == kStatsPath && request.method == "GET") {
    writer.Send(http::Response::Json(200, schedules_.Stats().dump()));
    return true;
  }
  auto route = Match(request.method, request.path);
  if (!route) return false;
  auto w = std::make_shared<http::ResponseWriter>(std::move(writer));
  std::function<void(http::Response)> reply = [w, id = NewUuid()](http::Response r) {
    r.headers.Set("x-amzn-RequestId", id);
    w->Send(std::move(r));
  };
  if (request.oversized) {
    reply(http::RestJsonError(413, "ValidationException", "Request entity too large"));
    return true;
  }
  const std::string account = request.account.empty() ? "000000000000" : request.account;
  json in = request.body.empty() ? json::object() : json::parse(request.body, nullptr, false);
  if (!in.is_object()) {
    reply(Invalid("The request body is not a JSON object."));
    return true;
  }
  std::string group = request.QueryParam(route->op == Op::kList ? "ScheduleGroup" : "groupName")
                          .value_or(Str(in, "GroupName"));
  if (group.empty()) group = "default";
  if (group != "default") {
    reply(http::RestJsonError(404, "ResourceNotFoundException",
                              "Schedule group " + group + " does not exist."));
    return true;
  }
  auto committed = [reply](json body) {
    return [reply, body = std::move(body)](Status s) {
      if (!s.ok()) {
        return reply(http::RestJsonError(500, "InternalServerException", s.message(), "Service"));
      }
      reply(http::Response::Json(200, body.dump()));
    };
  };
  const std::string key = ScheduleKey(account, group, route->name);
  switch (route->op) {
    case Op::kCreate:
    case Op::kUpdate: {
      const Job* old = schedules_.Find(key);
      if (route->op == Op::kCreate && old) {
        reply(http::RestJsonError(409, "ConflictException",
                                  "Schedule " + route->name + " already exists."));
        return true;
      }
      if (route->op == Op::kUpdate && !old) {
        reply(NoSchedule(route->name));
        return true;
      }
      Job job;
      job.kind = Job::Kind::kSchedule;
      job.account = account;
      job.group = group;
      job.name = route->name;
      if (auto bad = ReadSchedule(in, job)) {
        reply(std::move(*bad));
        return true;
      }
      job.modified_ms = schedules_.NowMs();
      job.created_ms = old ? old->created_ms : job.modified_ms;
      json body = {{"ScheduleArn", job.Arn()}};
      Status s = schedules_.Put(std::move(job), committed(std::move(body)));
      if (!s.ok()) reply(Invalid(s.message()));
      return true;
    }
    case Op::kGet: {
      const Job* job = schedules_.Find(key);
      reply(job ? http::Response::Json(200, ScheduleView(*job).dump()) : NoSchedule(route->name));
      return true;
    }
    case Op::kDelete:
      if (!schedules_.Remove(key, committed(json::object()))) reply(NoSchedule(route->name));
      return true;
    case Op::kList: {
      std::string prefix = request.QueryParam("NamePrefix").value_or("");
      std::string state = request.QueryParam("State").value_or("");
      // Pages by name: NextToken is the first name of the next page.
      std::string token = request.QueryParam("NextToken").value_or("");
      int64_t limit = 100;
      if (auto max = request.QueryParam("MaxResults")) {
        limit = std::clamp<int64_t>(std::atoll(max->c_str()), 1, 100);
      }
      json items = json::array();
      std::string next;
      for (const Job* job : schedules_.List(account, Job::Kind::kSchedule)) {
        if (!job->name.starts_with(prefix) || (!state.empty() && job->state != state)) continue;
        if (job->name < token) continue;
        if (static_cast<int64_t>(items.size()) == limit) {
          next = job->name;
          break;
        }
        json item = {{"Arn", job->Arn()},
                     {"Name", job->name},
                     {"GroupName", job->group},
                     {"State", job->state},
                     {"CreationDate", Seconds(job->created_ms)},
                     {"LastModificationDate", Seconds(job->modified_ms)}};
        if (!job->targets.empty()) item["Target"] = {{"Arn", job->targets.front().arn}};
        items.push_back(std::move(item));
      }
      json out = {{"Schedules", std::move(items)}};
      if (!next.empty()) out["NextToken"] = next;
      reply(http::Response::Json(200, out.dump()));
      return true;
    }
    case Op::kUnknown:
      break;
  }
  reply(http::RestJsonError(405, "UnknownOperationException",
                            "Unknown operation: " + request.method + " " + request.path));
  return true;
}

}  // namespace thaw::events
