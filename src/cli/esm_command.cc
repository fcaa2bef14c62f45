// `thaw esm`: the event source mappings on the server, and for stream mappings each shard's
// iterator age (Lambda's IteratorAge), records behind, batches, retries, bisections, OnFailure
// records and last result, read from GET /thaw/esm. Runs on the main thread.
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
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  return v.dump();
}

// "arn:...:function:name[:qualifier]" -> "name[:qualifier]"; a stream or queue ARN's last part.
std::string Short(const std::string& arn) {
  size_t at = arn.find(":function:");
  if (at != std::string::npos) return arn.substr(at + 10);
  size_t table = arn.find(":table/");
  if (table != std::string::npos) return arn.substr(table + 1);
  size_t colon = arn.rfind(':');
  return colon == std::string::npos ? arn : arn.substr(colon + 1);
}

void Run(CommandContext& ctx, bool as_json) {
  StatusOr<std::unique_ptr<http::Client>> client = Connect(ctx.endpoint);
  if (!client.ok()) return ReportError(ctx, "esm", client.status(), kExitUsage);
  StatusOr<json> stats = CallJson(**client, "GET", "/thaw/esm");
  if (!stats.ok()) return ReportError(ctx, "esm", stats.status());
  ctx.exit_code = kExitOk;
  if (as_json) {
    PrintLine(std::cout, DumpJson(*stats, 2));
    return;
  }
  const json mappings = stats->value("EventSourceMappings", json::array());
  if (mappings.empty()) {
    std::cerr << "no event source mappings; create one with `aws lambda "
                 "create-event-source-mapping`\n";
    return;
  }
  for (const json& m : mappings) {
    std::cout << Text(m, "UUID") << "  " << Short(Text(m, "FunctionArn")) << " <- "
              << Short(Text(m, "EventSourceArn")) << "  " << Text(m, "State") << "  "
              << Text(m, "LastProcessingResult") << "\n";
    const json shards = m.value("Shards", json());
    if (!shards.is_array() || shards.empty()) continue;
    std::vector<std::vector<std::string>> rows = {{"  SHARD", "AGE_MS", "BEHIND", "BATCHES",
                                                   "RECORDS", "FILTERED", "RETRIES", "BISECT",
                                                   "ONFAILURE", "STATE", "LAST"}};
    for (const json& s : shards) {
      std::string state = s.value("Finished", false)           ? "finished"
                          : s.value("WaitingForParent", false) ? "waiting"
                                                               : "reading";
      rows.push_back({"  " + Text(s, "ShardId"), Text(s, "IteratorAgeMs"), Text(s, "RecordsBehind"),
                      Text(s, "Batches"), Text(s, "Records"), Text(s, "Filtered"),
                      Text(s, "Retries"), Text(s, "Bisections"), Text(s, "OnFailure"), state,
                      s.value("LastResult", "").empty() ? "-" : Text(s, "LastResult")});
    }
    std::cout << FormatTable(rows);
  }
  std::cout << std::flush;
}

}  // namespace

void AddEsmCommand(CLI::App& app, CommandContext& ctx) {
  auto as_json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "esm", "Show the event source mappings and, per stream shard, iterator age and counters");
  cmd->add_flag("--json", *as_json, "print the server's JSON");
  cmd->add_option("--endpoint", ctx.endpoint, "thaw server endpoint (as before the subcommand)");
  cmd->footer(kExitCodesFooter);
  cmd->callback([&ctx, as_json] { Run(ctx, *as_json); });
}

}  // namespace thaw::cli
