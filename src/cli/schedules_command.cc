// `thaw schedules`: the server's EventBridge rules and Scheduler schedules, each with its
// expression, zone, state, targets, runs so far and next run, read from GET /thaw/schedules.
// Runs on the main thread.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/aws_errors.h"
#include "cli/command.h"
#include "cli/json_fields.h"
#include "cli/lambda_calls.h"
#include "cli/tables.h"

namespace thaw::cli {

namespace {

using nlohmann::json;

std::string Text(const json& j, const char* key) {
  if (!j.contains(key)) return "-";
  const json& v = j[key];
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// A target's short name: a function's name, else the ARN's last part.
std::string Short(const std::string& arn) {
  size_t at = arn.find(":function:");
  if (at != std::string::npos) return arn.substr(at + 10);
  size_t colon = arn.rfind(':');
  return colon == std::string::npos ? arn : arn.substr(colon + 1);
}

void Run(CommandContext& ctx, bool as_json) {
  StatusOr<std::unique_ptr<http::Client>> client = Connect(ctx.endpoint);
  if (!client.ok()) return ReportError(ctx, "schedules", client.status(), kExitUsage);
  StatusOr<json> stats = CallJson(**client, "GET", "/thaw/schedules");
  if (!stats.ok()) return ReportError(ctx, "schedules", stats.status());
  ctx.exit_code = kExitOk;
  if (as_json) {
    PrintLine(std::cout, DumpJson(*stats, 2));
    return;
  }
  const json jobs = stats->value("Schedules", json::array());
  if (jobs.empty()) {
    std::cerr << "no schedules; create one with `aws events put-rule --schedule-expression` or "
                 "`aws scheduler create-schedule`\n";
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"KIND", "NAME", "EXPRESSION", "ZONE", "STATE", "TARGETS", "FIRED", "NEXT_RUN"}};
  for (const json& j : jobs) {
    std::string targets;
    for (const json& t : j.value("Targets", json::array())) {
      if (!targets.empty()) targets += ",";
      targets += t.is_string() ? Short(t.get<std::string>()) : t.dump();
    }
    rows.push_back({Text(j, "Kind"), Text(j, "Name"), Text(j, "Expression"), Text(j, "Timezone"),
                    Text(j, "State"), targets.empty() ? "-" : targets, Text(j, "Fired"),
                    Text(j, "NextRun")});
  }
  std::cout << FormatTable(rows) << std::flush;
}

}  // namespace

void AddSchedulesCommand(CLI::App& app, CommandContext& ctx) {
  auto as_json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "schedules", "Show the EventBridge rules and Scheduler schedules and their next runs");
  cmd->add_flag("--json", *as_json, "print the server's JSON");
  cmd->add_option("--endpoint", ctx.endpoint, "thaw server endpoint (as before the subcommand)");
  cmd->footer(kExitCodesFooter);
  cmd->callback([&ctx, as_json] { Run(ctx, *as_json); });
}

}  // namespace thaw::cli
