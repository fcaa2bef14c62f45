// The `thaw` command line: each subcommand registers itself on the CLI11 app and reports its
// exit code through CommandContext. Runs on the main thread.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace thaw::cli {

// Exit codes shared by every subcommand.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,      // the operation failed (the server said no, the function erred, ...)
  kExitUsage = 2,        // bad flags or arguments
  kExitUnavailable = 3,  // the server could not be reached
};

struct CommandContext {
  std::string endpoint = "http://127.0.0.1:9001";
  int exit_code = kExitOk;
};

void AddServeCommand(CLI::App& app, CommandContext& ctx);
void AddDeployCommand(CLI::App& app, CommandContext& ctx);
void AddInvokeCommand(CLI::App& app, CommandContext& ctx);
void AddFunctionsCommands(CLI::App& app, CommandContext& ctx);  // list, get, delete
void AddLogsCommand(CLI::App& app, CommandContext& ctx);
void AddDoctorCommand(CLI::App& app, CommandContext& ctx);
void AddStressCommand(CLI::App& app, CommandContext& ctx);
void AddBenchCommand(CLI::App& app, CommandContext& ctx);
void AddTuneCommand(CLI::App& app, CommandContext& ctx);
void AddCompareCommand(CLI::App& app, CommandContext& ctx);
void AddReportCommand(CLI::App& app, CommandContext& ctx);
void AddInvocationsCommand(CLI::App& app, CommandContext& ctx);
void AddTraceCommand(CLI::App& app, CommandContext& ctx);
void AddLatencyCommand(CLI::App& app, CommandContext& ctx);
void AddEsmCommand(CLI::App& app, CommandContext& ctx);        // event source mappings
void AddSchedulesCommand(CLI::App& app, CommandContext& ctx);  // EventBridge schedules

}  // namespace thaw::cli
