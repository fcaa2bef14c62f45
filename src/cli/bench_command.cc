// `thaw bench`: not written yet.
#include "cli/command.h"

namespace thaw::cli {

void AddBenchCommand(CLI::App& app, CommandContext& ctx) {
  auto* cmd = app.add_subcommand("bench", "(not yet available)");
  cmd->callback([&ctx] { ctx.exit_code = kExitFailure; });
}

}  // namespace thaw::cli
