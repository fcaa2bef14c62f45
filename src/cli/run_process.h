// Running a program with posix_spawn (no shell, no PATH search) and collecting its output, and
// the environment it gets. Blocks until the program exits; thread-compatible (reads `environ`).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace thaw::cli {

struct ProcessResult {
  int exit_code = 0;   // the exit status, or 128 + signal number when killed
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv[0] (an absolute path; no shell, no PATH search) in cwd with exactly `env`
// ("K=V" strings) and waits for it. An error Status only when it could not be started.
StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                   const std::vector<std::string>& env, const std::string& cwd);

// The first executable regular file `name` in the directories of path_env (a PATH value), as an
// absolute path; nullopt when there is none.
std::optional<std::string> FindOnPath(std::string_view name, std::string_view path_env);

// The current environment with each "K=V" in `overrides` replacing any K already set.
std::vector<std::string> MergeEnvironment(const std::vector<std::string>& overrides);

}  // namespace thaw::cli
