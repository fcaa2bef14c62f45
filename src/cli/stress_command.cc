// `thaw stress`: not written yet.
#include "cli/command.h"

namespace thaw::cli {

void AddStressCommand(CLI::App& app, CommandContext& ctx) {
  auto* cmd = app.add_subcommand("stress", "(not yet available)");
  cmd->callback([&ctx] { ctx.exit_code = kExitFailure; });
}

}  // namespace thaw::cli
