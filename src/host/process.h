// Process helpers shared by thaw-host's mechanisms: start the function's process, pick a free
// loopback port, and end thaw-host the way a child ended. Single-threaded.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/status.h"
#include "sys/unique_fd.h"

namespace thaw::host {

// fork+exec path with argv {path} and the current environment plus extra ("K=V"); stdin, stdout
// and stderr are inherited unless fds (in, out, err; -1 = inherit) say otherwise.
StatusOr<pid_t> StartProcess(const std::string& path, const std::vector<std::string>& extra_env,
                             int in_fd = -1, int out_fd = -1, int err_fd = -1);

// A port on 127.0.0.1 that nothing listens on right now.
StatusOr<int> PickFreePort();

// A port on 127.0.0.1 held by a bound, non-listening socket with SO_REUSEADDR: another process's
// bind to port 0 cannot pick it while `fd` is open, yet a child that listens on it with
// SO_REUSEADDR set (as Go's net.Listen does) can. Closes PickFreePort's pick-then-bind race
// between two processes on one network namespace.
struct PortReservation {
  sys::UniqueFd fd;
  int port = 0;
};
StatusOr<PortReservation> ReservePort();

// Checks that path is an executable regular file; the message says what to fix.
Status CheckExecutable(const std::string& path, const std::string& what);

// "exit status N" / "signal: killed", Go's wording (as Lambda's Runtime.ExitError uses it).
std::string DescribeWaitStatus(int wait_status);

// Ends thaw-host with the same exit status or signal as wait_status. Never returns.
[[noreturn]] void ExitLike(int wait_status);

// A wait status that reports exit(code).
inline int ExitedWith(int code) { return (code & 0xff) << 8; }

}  // namespace thaw::host
