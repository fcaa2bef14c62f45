// The child's side of starting a function process, shared by thaw-launcher's plain spawns and
// the sandbox shell: fds in place, then exec (or report why not). Async-signal-safe enough for a
// forked child of a single-threaded parent; never for use in the multi-threaded server.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sys/launcher_protocol.h"

namespace thaw::sys {

// Default signal mask and SIGPIPE; stdin from /dev/null, stdout and stderr to `output_fd`,
// `status_fd` as fd 3 (close-on-exec); every other fd closed. 0, or the errno of the first step
// that failed (fd 3 is in place whenever that is possible, to report it).
int SetUpChildFds(int output_fd, int status_fd);

// Closes every fd >= first: close_range, else a walk of /proc/self/fd, else every number up to
// RLIMIT_NOFILE. 0 or an errno. The fallbacks are exposed for tests.
int CloseFdsFrom(int first);
int CloseFdsByListing(int first);
int CloseFdsByLimit(int first);

// Why a child did not exec: the step that failed and its errno. One record on fd 3.
struct ChildFailure {
  SpawnStep step = SpawnStep::kNone;
  int32_t err = 0;  // 0: nothing failed
};
static_assert(sizeof(ChildFailure) == 8, "one atomic pipe write");

// Reads the record a child wrote on its status pipe: nullopt when the pipe closed without
// one (the exec succeeded). A short record is reported as kFork/EIO.
std::optional<ChildFailure> ReadChildFailure(int fd);

// "execve /var/task/bootstrap", "chdir /var/task", "setresuid /var/task/bootstrap": the step
// and what it was for.
std::string ChildFailureText(const ChildFailure& failure, const SpawnSpec& spec);

// With no failure: chdir to spec.cwd and execve spec.path. Otherwise, or if that fails, writes
// the failure to fd 3 and exits 127 (a successful exec closes fd 3 instead).
[[noreturn]] void ExecOrReport(const SpawnSpec& spec, ChildFailure failure);

}  // namespace thaw::sys
