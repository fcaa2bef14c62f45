// `thaw functions`, `thaw get NAME` and `thaw delete NAME`: list, show and remove functions on
// the thaw server through the Lambda control-plane API. Runs on the main thread.
#include <iostream>
#include <memory>
#include <string>

#include "cli/aws_errors.h"
#include "cli/command.h"
#include "cli/json_fields.h"
#include "cli/lambda_calls.h"
#include "cli/tables.h"

namespace thaw::cli {

namespace {

struct FunctionFlags {
  std::string name;
  std::string qualifier;
};

Status WithListHint(const Status& status) {
  if (status.code() == StatusCode::kNotFound) {
    return Status(status.code(), status.message() + "; `thaw functions` lists what is deployed");
  }
  return status;
}

void RunList(CommandContext& ctx) {
  StatusOr<std::unique_ptr<http::Client>> client = Connect(ctx.endpoint);
  if (!client.ok()) return ReportError(ctx, "functions", client.status(), kExitUsage);
  StatusOr<std::vector<nlohmann::json>> functions = ListAllFunctions(**client);
  if (!functions.ok()) return ReportError(ctx, "functions", functions.status());
  if (functions->empty()) {
    std::cerr << "no functions yet; deploy one with `thaw deploy DIR`\n";
  } else {
    std::cout << FormatFunctionTable(*functions) << std::flush;
  }
  ctx.exit_code = kExitOk;
}

void RunGet(CommandContext& ctx, const FunctionFlags& flags) {
  StatusOr<std::unique_ptr<http::Client>> client = Connect(ctx.endpoint);
  if (!client.ok()) return ReportError(ctx, "get", client.status(), kExitUsage);
  StatusOr<nlohmann::json> config =
      CallJson(**client, "GET", FunctionTarget(flags.name, "/configuration", flags.qualifier));
  if (!config.ok()) return ReportError(ctx, "get", WithListHint(config.status()));
  PrintLine(std::cout, DumpJson(*config, 2));
  ctx.exit_code = kExitOk;
}

void RunDelete(CommandContext& ctx, const FunctionFlags& flags) {
  StatusOr<std::unique_ptr<http::Client>> client = Connect(ctx.endpoint);
  if (!client.ok()) return ReportError(ctx, "delete", client.status(), kExitUsage);
  StatusOr<http::Response> response =
      Send(**client, "DELETE", FunctionTarget(flags.name, "", flags.qualifier));
  if (!response.ok()) return ReportError(ctx, "delete", response.status());
  if (Status status = ResponseStatus(*response); !status.ok()) {
    return ReportError(ctx, "delete", WithListHint(status));
  }
  PrintLine(std::cout, "deleted " + flags.name +
                           (flags.qualifier.empty() ? "" : " (version " + flags.qualifier + ")"));
  ctx.exit_code = kExitOk;
}

}  // namespace

void AddFunctionsCommands(CLI::App& app, CommandContext& ctx) {
  CLI::App* list = app.add_subcommand("functions", "List the functions deployed on the server");
  list->footer(kExitCodesFooter);
  list->callback([&ctx] { RunList(ctx); });

  auto get_flags = std::make_shared<FunctionFlags>();
  CLI::App* get = app.add_subcommand("get", "Print a function's configuration as JSON");
  get->add_option("NAME", get_flags->name, "function name, name:qualifier or ARN")->required();
  get->add_option("--qualifier", get_flags->qualifier, "version or alias (default: $LATEST)");
  get->footer(kExitCodesFooter);
  get->callback([&ctx, get_flags] { RunGet(ctx, *get_flags); });

  auto delete_flags = std::make_shared<FunctionFlags>();
  CLI::App* del = app.add_subcommand(
      "delete", "Delete a function with all its versions and aliases, or only one version");
  del->add_option("NAME", delete_flags->name, "function name or ARN")->required();
  del->add_option("--qualifier", delete_flags->qualifier,
                  "delete only this version (not $LATEST or an alias)");
  del->footer(kExitCodesFooter);
  del->callback([&ctx, delete_flags] { RunDelete(ctx, *delete_flags); });
}

}  // namespace thaw::cli
