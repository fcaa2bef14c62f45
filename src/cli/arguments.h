// Checking the CLI's arguments as Lambda would: --env pairs, function names, a default name from
// a directory, and a file or standard input. Stateless, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace thaw::cli {

using EnvVars = std::vector<std::pair<std::string, std::string>>;

// "K=V" flags in order; V may contain '=' and be empty. InvalidArgument for a missing '=' or a
// key Lambda would refuse (its pattern is [a-zA-Z]([a-zA-Z0-9_])+).
StatusOr<EnvVars> ParseEnvFlags(const std::vector<std::string>& flags);

// Lambda's rule for a bare function name: 1-64 of [A-Za-z0-9_-].
bool IsValidFunctionName(std::string_view name);

// The base name of dir made absolute and normal ("." -> the current directory's name).
std::string DefaultFunctionName(const std::string& dir);

// Reads a whole file, or standard input for "-".
StatusOr<std::string> ReadFileOrStdin(const std::string& path);

}  // namespace thaw::cli
