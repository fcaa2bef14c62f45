// The launcher's second look at the paths of a sandboxed spawn request: the server names the
// host directories to mount into a sandbox, and the launcher, which mounts them as root, only
// accepts ones inside the state directory's own trees. Paths are resolved (realpath: no `..`,
// no symlinks left), and the resolved paths are what the sandbox gets. Pure apart from reading
// the file system; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "sys/launcher_protocol.h"

namespace thaw::launcher {

// True if `path` is absolute and has no empty, "." or ".." component.
bool IsNormalAbsolute(std::string_view path);

// `path` resolved, if it exists and lies strictly below `root` (already resolved).
StatusOr<std::string> ResolveBelow(const std::string& root, const std::string& path);

// For an entry that may not exist yet: its directory must resolve to exactly `dir` (already
// resolved), its name must be a plain component, and an existing entry must not be a symlink.
StatusOr<std::string> ResolveEntryIn(const std::string& dir, const std::string& path);

// A path inside the sandbox (the bootstrap, the working directory): normal, absolute, and at
// or under /var/task, /opt or /var/runtime.
bool IsSandboxPath(std::string_view path);

struct SpawnRoots {
  std::string code;      // resolved STATE/code: code_dir and opt_dir lie below it
  std::string tmp_dir;   // resolved STATE/sandbox/tmp: the home of every tmp image
  std::string runtimes;  // resolved sys::RuntimesRoot(): runtime_dir lies below it ("" = none)
};

// True if a user other than the owner can reach `path` (resolved): every directory on the way,
// `path` included, is searchable by others. Without it an unprivileged function cannot see
// its code.
bool ReachableByOthers(const std::string& path);

// Checks a sandboxed request's paths and replaces the host ones with their resolved form.
Status CheckSandboxPaths(const SpawnRoots& roots, sys::SpawnSpec& spec);

}  // namespace thaw::launcher
