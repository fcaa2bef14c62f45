// The `thaw` binary: parses the command line and runs one subcommand.
#include <CLI/CLI.hpp>

#include "cli/command.h"

int main(int argc, char** argv) {
  CLI::App app{"thaw: run and profile AWS Lambda functions locally, the way Lambda runs them"};
  app.require_subcommand(1);
  thaw::cli::CommandContext ctx;
  app.add_option("--endpoint", ctx.endpoint, "thaw server endpoint for client commands")
      ->envname("THAW_ENDPOINT")
      ->capture_default_str();
  thaw::cli::AddServeCommand(app, ctx);
  thaw::cli::AddDeployCommand(app, ctx);
  thaw::cli::AddInvokeCommand(app, ctx);
  thaw::cli::AddFunctionsCommands(app, ctx);
  thaw::cli::AddLogsCommand(app, ctx);
  thaw::cli::AddDoctorCommand(app, ctx);
  thaw::cli::AddStressCommand(app, ctx);
  thaw::cli::AddBenchCommand(app, ctx);
  thaw::cli::AddTuneCommand(app, ctx);
  thaw::cli::AddCompareCommand(app, ctx);
  thaw::cli::AddReportCommand(app, ctx);
  thaw::cli::AddInvocationsCommand(app, ctx);
  thaw::cli::AddTraceCommand(app, ctx);
  thaw::cli::AddLatencyCommand(app, ctx);
  thaw::cli::AddEsmCommand(app, ctx);
  thaw::cli::AddSchedulesCommand(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : thaw::cli::kExitUsage;
  }
  return ctx.exit_code;
}
