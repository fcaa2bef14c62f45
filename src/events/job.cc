#include "events/job.h"

#include <ctime>

namespace thaw::events {

using nlohmann::json;

namespace {

std::string IsoSeconds(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string RuleKey(const std::string& account, const std::string& name) {
  return account + "/rule/" + name;
}

std::string ScheduleKey(const std::string& account, const std::string& group,
                        const std::string& name) {
  return account + "/schedule/" + group + "/" + name;
}

std::string Job::Arn() const {
  if (kind == Kind::kRule) {
    return std::string("arn:aws:events:") + kRegion + ":" + account + ":rule/" + name;
  }
  return std::string("arn:aws:scheduler:") + kRegion + ":" + account + ":schedule/" + group + "/" +
         name;
}

std::string Job::Key() const {
  return kind == Kind::kRule ? RuleKey(account, name) : ScheduleKey(account, group, name);
}

json Job::ToJson() const {
  json targets_json = json::array();
  for (const Target& t : targets) {
    json tj = {{"Id", t.id}, {"Arn", t.arn}, {"InputPath", t.input_path}, {"RoleArn", t.role_arn}};
    if (t.input) tj["Input"] = *t.input;
    targets_json.push_back(std::move(tj));
  }
  json out = {{"Kind", kind == Kind::kRule ? "rule" : "schedule"},
              {"Account", account},
              {"Name", name},
              {"Group", group},
              {"Expression", expression},
              {"EventPattern", event_pattern},
              {"Timezone", timezone},
              {"State", state},
              {"Description", description},
              {"RoleArn", role_arn},
              {"FlexibleTimeWindow", flexible_window},
              {"ActionAfterCompletion", action_after_completion},
              {"Targets", std::move(targets_json)},
              {"TargetExtra", target_extra},
              {"Created", created_ms},
              {"Modified", modified_ms}};
  if (start_s) out["Start"] = *start_s;
  if (end_s) out["End"] = *end_s;
  return out;
}

StatusOr<Job> Job::FromJson(const json& j) {
  if (!j.is_object() || !j.contains("Name")) return Status::InvalidArgument("not a stored job");
  Job job;
  job.kind = Str(j, "Kind") == "schedule" ? Kind::kSchedule : Kind::kRule;
  job.account = Str(j, "Account");
  job.name = Str(j, "Name");
  job.group = Str(j, "Group");
  job.expression = Str(j, "Expression");
  job.event_pattern = Str(j, "EventPattern");
  job.timezone = Str(j, "Timezone");
  job.state = Str(j, "State");
  job.description = Str(j, "Description");
  job.role_arn = Str(j, "RoleArn");
  job.flexible_window = j.value("FlexibleTimeWindow", json());
  job.action_after_completion = Str(j, "ActionAfterCompletion");
  job.target_extra = j.value("TargetExtra", json());
  if (j.contains("Start") && j["Start"].is_number()) job.start_s = j["Start"].get<int64_t>();
  if (j.contains("End") && j["End"].is_number()) job.end_s = j["End"].get<int64_t>();
  job.created_ms = j.value("Created", int64_t{0});
  job.modified_ms = j.value("Modified", int64_t{0});
  if (auto it = j.find("Targets"); it != j.end() && it->is_array()) {
    for (const json& tj : *it) {
      Target t{Str(tj, "Id"), Str(tj, "Arn"), std::nullopt, Str(tj, "InputPath"),
               Str(tj, "RoleArn")};
      if (tj.contains("Input")) t.input = Str(tj, "Input");
      job.targets.push_back(std::move(t));
    }
  }
  return job;
}

json ScheduledEvent(const std::string& account, const std::string& rule_arn, int64_t time_ms,
                    const std::string& id) {
  return {{"version", "0"},
          {"id", id},
          {"detail-type", "Scheduled Event"},
          {"source", "aws.events"},
          {"account", account},
          {"time", IsoSeconds(time_ms)},
          {"region", kRegion},
          {"resources", json::array({rule_arn})},
          {"detail", json::object()}};
}

std::string TargetPayload(const Target& target, const json& event) {
  if (target.input) return *target.input;
  if (target.input_path.empty() || target.input_path == "$") return event.dump();
  if (!target.input_path.starts_with("$.")) return event.dump();
  const json* at = &event;
  std::string_view path = std::string_view(target.input_path).substr(2);
  while (!path.empty()) {
    size_t dot = path.find('.');
    std::string key(path.substr(0, dot));
    if (!at->is_object() || !at->contains(key)) return "null";
    at = &(*at)[key];
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  return at->dump();
}

}  // namespace thaw::events
