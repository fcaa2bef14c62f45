// `thaw deploy DIR`: builds a Go main package into a provided.al2023 zip and creates or updates
// the function on the thaw server. `thaw deploy -t template.yaml` (or `thaw deploy` in a
// directory with template.yaml) deploys a SAM template instead (stack_deploy.h). Runs on the
// main thread.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/arguments.h"
#include "cli/aws_errors.h"
#include "cli/command.h"
#include "cli/deploy.h"
#include "cli/go_build.h"
#include "cli/lambda_calls.h"
#include "cli/stack_deploy.h"
#include "cli/tables.h"

namespace thaw::cli {

namespace {

constexpr char kCommand[] = "deploy";

struct DeployFlags {
  std::string dir;
  std::string name;
  int64_t memory_mb = 0;
  int64_t timeout_s = 0;
  std::vector<std::string> env;
  std::string arch;
  std::string runtime = kDefaultRuntime;
  bool publish = false;
  std::string mechanism;
  CLI::Option* memory_option = nullptr;
  CLI::Option* timeout_option = nullptr;
  CLI::Option* env_option = nullptr;
  CLI::Option* arch_option = nullptr;
  CLI::Option* runtime_option = nullptr;
  StackDeployFlags stack;
};

void RunDeploy(CommandContext& ctx, DeployFlags& flags) {
  if (flags.dir.empty() && flags.stack.template_path.empty() &&
      std::filesystem::exists("template.yaml")) {
    flags.stack.template_path = "template.yaml";
  }
  if (!flags.stack.template_path.empty()) return RunStackDeploy(ctx, flags.stack);
  if (flags.dir.empty()) {
    return ReportError(ctx, kCommand,
                       Status::InvalidArgument("give DIR, or -t TEMPLATE (no template.yaml here)"),
                       kExitUsage);
  }
  DeploySpec spec;
  spec.name = flags.name.empty() ? DefaultFunctionName(flags.dir) : flags.name;
  if (!IsValidFunctionName(spec.name)) {
    std::string why = flags.name.empty() ? " (taken from the directory name); pass --name" : "";
    ReportError(ctx, kCommand,
                Status::InvalidArgument("'" + spec.name +
                                        "' is not a valid function name: use 1-64 letters, digits, "
                                        "'-' or '_'" +
                                        why),
                kExitUsage);
    return;
  }
  if (flags.memory_option->count() > 0) spec.memory_mb = flags.memory_mb;
  if (flags.timeout_option->count() > 0) spec.timeout_s = flags.timeout_s;
  if (flags.arch_option->count() > 0) spec.architecture = flags.arch;
  if (flags.env_option->count() > 0) {
    StatusOr<EnvVars> env = ParseEnvFlags(flags.env);
    if (!env.ok()) return ReportError(ctx, kCommand, env.status(), kExitUsage);
    spec.environment = std::move(env).value();
  }
  spec.runtime = flags.runtime;
  spec.runtime_given = flags.runtime_option->count() > 0;
  MechanismBuild build;
  build.runtime = spec.runtime;
  build.handler = "bootstrap";
  if (!flags.mechanism.empty()) {
    StatusOr<MechanismBuild> b = MechanismBuildFor(flags.mechanism);
    if (!b.ok()) return ReportError(ctx, kCommand, b.status(), kExitUsage);
    build = *b;
    if (spec.runtime_given && spec.runtime != build.runtime &&
        (spec.runtime == "go1.x" || build.runtime == "go1.x")) {
      return ReportError(ctx, kCommand,
                         Status::InvalidArgument("--mechanism " + flags.mechanism +
                                                 " and --runtime " + spec.runtime + " disagree"),
                         kExitUsage);
    }
    if (!spec.runtime_given) spec.runtime = build.runtime;
    spec.mechanism = flags.mechanism;
    spec.handler = build.handler;
  }
  spec.publish = flags.publish;

  StatusOr<std::unique_ptr<http::Client>> client = Connect(ctx.endpoint);
  if (!client.ok()) return ReportError(ctx, kCommand, client.status(), kExitUsage);
  // Ask the server first: it fails fast when thaw is not running, and an existing function
  // tells us which architecture to build for.
  StatusOr<std::optional<nlohmann::json>> existing = FindFunction(**client, spec.name);
  if (!existing.ok()) return ReportError(ctx, kCommand, existing.status());

  std::string arch = ResolveArchitecture(spec.architecture, *existing);
  std::cerr << "building " << flags.dir << " for linux/" << arch << "\n";
  StatusOr<std::string> zip = BuildGoZip(flags.dir, arch, build);
  if (!zip.ok()) return ReportError(ctx, kCommand, zip.status());
  spec.zip = std::move(zip).value();

  StatusOr<DeployResult> result = DeployFunction(**client, spec, *existing, &std::cerr);
  if (!result.ok()) return ReportError(ctx, kCommand, result.status());
  PrintLine(std::cout, FormatDeploySummary(spec.name, *result));
  ctx.exit_code = kExitOk;
}

}  // namespace

void AddDeployCommand(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<DeployFlags>();
  CLI::App* cmd = app.add_subcommand(
      "deploy",
      "Build a Go main package and create or update the function (provided.al2023), or deploy a "
      "SAM template as a stack (-t template.yaml; docs/sam.md)");
  cmd->add_option("DIR", flags->dir, "directory of the Go main package")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("-t,--template-file", flags->stack.template_path,
                  "a SAM template to deploy as a stack (default when neither DIR nor -t is "
                  "given: ./template.yaml)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--stack-name", flags->stack.stack_name,
                  "the stack's name (default: the template directory's name)");
  cmd->add_option("--parameter-overrides", flags->stack.parameter_overrides,
                  "template parameters as Key=Value words");
  cmd->add_flag("--delete-stack", flags->stack.delete_stack,
                "delete every resource of the template's stack");
  cmd->add_option("--name", flags->name, "function name (default: the directory's base name)");
  flags->memory_option = cmd->add_option("--memory", flags->memory_mb, "memory in MB (128-10240)")
                             ->check(CLI::Range(int64_t{128}, int64_t{10240}));
  flags->timeout_option =
      cmd->add_option("--timeout", flags->timeout_s, "timeout in seconds (1-900)")
          ->check(CLI::Range(int64_t{1}, int64_t{900}));
  flags->env_option =
      cmd->add_option("--env", flags->env,
                      "environment variable KEY=VALUE; repeat for more. Replaces the function's "
                      "whole environment")
          ->allow_extra_args(false);
  flags->arch_option =
      cmd->add_option("--arch", flags->arch,
                      "instruction set: x86_64 or arm64 (default: the function's current one, "
                      "else x86_64)")
          ->check(CLI::IsMember({"x86_64", "arm64"}));
  flags->runtime_option = cmd->add_option("--runtime", flags->runtime, "Lambda runtime identifier")
                              ->capture_default_str();
  cmd->add_flag("--publish", flags->publish, "publish a numbered version after deploying");
  cmd->add_option("--mechanism", flags->mechanism,
                  "how thaw hands events to the code: runtime-api (default), go1.x, spawn, "
                  "http-sidecar or shim (docs/mechanisms.md)");
  cmd->footer(kExitCodesFooter);
  cmd->callback([&ctx, flags] { RunDeploy(ctx, *flags); });
}

}  // namespace thaw::cli
