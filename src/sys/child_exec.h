// The child's side of starting a function process, shared by thaw-launcher's plain spawns and
// the sandbox shell: fds in place, then exec (or report why not). Async-signal-safe enough for a
// forked child of a single-threaded parent; never for use in the multi-threaded server.
#pragma once

#include "sys/launcher_protocol.h"

namespace thaw::sys {

// Default signal mask and SIGPIPE; stdin from /dev/null, stdout and stderr to `output_fd`,
// `status_fd` as fd 3 (close-on-exec); every other fd closed.
void SetUpChildFds(int output_fd, int status_fd);

// With err == 0: chdir to spec.cwd and execve spec.path. Otherwise, or if that fails, writes
// the errno to fd 3 and exits 127 (a successful exec closes fd 3 instead).
[[noreturn]] void ExecOrReport(const SpawnSpec& spec, int err);

}  // namespace thaw::sys
