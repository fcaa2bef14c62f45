// `thaw doctor`: not written yet.
#include "cli/command.h"

namespace thaw::cli {

void AddDoctorCommand(CLI::App& app, CommandContext& ctx) {
  auto* cmd = app.add_subcommand("doctor", "(not yet available)");
  cmd->callback([&ctx] { ctx.exit_code = kExitFailure; });
}

}  // namespace thaw::cli
