#include "cli/stack_deploy.h"

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/aws_errors.h"
#include "cli/json_fields.h"
#include "cli/stack_api.h"
#include "cli/tables.h"
#include "sam/parameters.h"
#include "sam/plan.h"
#include "sam/stack.h"
#include "sam/template.h"

namespace thaw::cli {

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr char kCommand[] = "deploy";

std::string DefaultStackName(const std::string& template_path) {
  std::error_code ec;
  fs::path dir = fs::absolute(template_path, ec).parent_path();
  std::string name = dir.filename().string();
  return name.empty() ? "thaw-stack" : name;
}

StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

StatusOr<sam::StackState> LoadState(const std::string& path, const std::string& stack) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    sam::StackState fresh;
    fresh.stack_name = stack;
    return fresh;
  }
  THAW_ASSIGN_OR_RETURN(std::string text, ReadText(path));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument(path + " is not JSON");
  THAW_ASSIGN_OR_RETURN(sam::StackState state, sam::StackState::FromJson(j));
  state.stack_name = stack;
  return state;
}

Status SaveState(const std::string& path, const sam::StackState& state) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) return Status::IoError("cannot create " + fs::path(path).parent_path().string());
  return WriteJsonFile(path, state.ToJson());
}

}  // namespace

std::string StackStatePath(const std::string& template_path, const std::string& stack_name) {
  return (fs::path(template_path).parent_path() / ".thaw" / (stack_name + ".json")).string();
}

void RunStackDeploy(CommandContext& ctx, const StackDeployFlags& flags) {
  std::string stack =
      flags.stack_name.empty() ? DefaultStackName(flags.template_path) : flags.stack_name;
  StatusOr<std::string> text = ReadText(flags.template_path);
  if (!text.ok()) return ReportError(ctx, kCommand, text.status(), kExitUsage);
  StatusOr<sam::Template> t = sam::ParseTemplate(*text);
  if (!t.ok()) return ReportError(ctx, kCommand, t.status(), kExitUsage);
  sam::StackInputs inputs;
  inputs.stack_name = stack;
  StatusOr<std::map<std::string, std::string>> overrides =
      sam::ParseParameterOverrides(flags.parameter_overrides);
  if (!overrides.ok()) return ReportError(ctx, kCommand, overrides.status(), kExitUsage);
  inputs.parameter_overrides = *overrides;
  StatusOr<sam::Scope> scope = sam::MakeScope(*t, inputs);
  if (!scope.ok()) return ReportError(ctx, kCommand, scope.status(), kExitUsage);
  // The whole plan is checked before anything changes.
  StatusOr<sam::Plan> plan = sam::MakePlan(*t, *scope);
  if (!plan.ok()) return ReportError(ctx, kCommand, plan.status(), kExitUsage);

  std::string state_path = StackStatePath(flags.template_path, stack);
  StatusOr<sam::StackState> state = LoadState(state_path, stack);
  if (!state.ok()) return ReportError(ctx, kCommand, state.status(), kExitUsage);
  std::error_code ec;
  std::string base_dir = fs::absolute(flags.template_path, ec).parent_path().string();
  StatusOr<std::unique_ptr<StackApi>> api = StackApi::Connect(ctx.endpoint, base_dir, &std::cerr);
  if (!api.ok()) return ReportError(ctx, kCommand, api.status(), kExitUsage);

  if (flags.delete_stack) {
    Status s = sam::DeleteStack(**api, *state, &std::cerr);
    Status saved = SaveState(state_path, *state);
    if (!s.ok()) return ReportError(ctx, kCommand, s);
    if (!saved.ok()) return ReportError(ctx, kCommand, saved);
    PrintLine(std::cout, "deleted stack " + stack);
    ctx.exit_code = kExitOk;
    return;
  }
  StatusOr<sam::DeploySummary> summary =
      sam::DeployStack(*plan, *t, *scope, **api, *state, &std::cerr);
  // Saved either way: it names what exists.
  Status saved = SaveState(state_path, *state);
  if (!summary.ok()) return ReportError(ctx, kCommand, summary.status());
  if (!saved.ok()) return ReportError(ctx, kCommand, saved);
  PrintLine(std::cout, "stack " + stack + ": " + std::to_string(summary->created) + " created, " +
                           std::to_string(summary->updated) + " updated, " +
                           std::to_string(summary->replaced) + " replaced, " +
                           std::to_string(summary->deleted) + " deleted, " +
                           std::to_string(summary->unchanged) + " unchanged");
  if (!state->outputs.empty()) {
    std::vector<std::vector<std::string>> rows = {{"OUTPUT", "VALUE"}};
    for (const auto& [name, value] : state->outputs.items()) {
      rows.push_back({name, value.is_string() ? value.get<std::string>() : value.dump()});
    }
    std::cout << FormatTable(rows);
  }
  ctx.exit_code = kExitOk;
}

}  // namespace thaw::cli
