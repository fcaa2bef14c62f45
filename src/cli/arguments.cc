#include "cli/arguments.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "sys/read_file.h"

namespace thaw::cli {

StatusOr<EnvVars> ParseEnvFlags(const std::vector<std::string>& flags) {
  EnvVars vars;
  for (const std::string& flag : flags) {
    size_t eq = flag.find('=');
    if (eq == std::string::npos) {
      return Status::InvalidArgument("--env '" + flag + "' is not KEY=VALUE");
    }
    std::string key = flag.substr(0, eq);
    // Lambda's rule for variable names: [a-zA-Z]([a-zA-Z0-9_])+
    auto Letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
    bool valid = key.size() >= 2 && Letter(key[0]);
    for (char c : key) valid = valid && (Letter(c) || (c >= '0' && c <= '9') || c == '_');
    if (!valid) {
      return Status::InvalidArgument("--env '" + flag +
                                     "': Lambda needs a key of 2 or more letters, digits and '_' "
                                     "that starts with a letter");
    }
    vars.emplace_back(std::move(key), flag.substr(eq + 1));
  }
  return vars;
}

bool IsValidFunctionName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

std::string DefaultFunctionName(const std::string& dir) {
  std::error_code ec;
  std::filesystem::path path = std::filesystem::absolute(dir, ec);
  if (ec) path = dir;
  path = path.lexically_normal();
  if (!path.has_filename()) path = path.parent_path();  // "a/b/" normalizes to "a/b/"
  return path.filename().string();
}

StatusOr<std::string> ReadFileOrStdin(const std::string& path) {
  if (path == "-") return sys::ReadFd(STDIN_FILENO, "standard input");
  return sys::ReadFile(path);
}

}  // namespace thaw::cli
