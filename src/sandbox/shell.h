// The shell: the first process of a sandbox. thaw-launcher clones it into new PID, mount, IPC
// and UTS namespaces and into the sandbox's cgroups; it is PID 1 there. Its life:
//   1. pooled: waits for the launcher's go-ahead (sent once its cgroups are in place), builds
//      the function-independent part of the file system view (filesystem.h), mounts a fresh
//      /tmp image, and reports kReady. Shells are made ahead of demand, in batches.
//   2. assigned: receives a function's spawn spec and output fd on its command socket, shows
//      the code at /var/task (and the environment's own /tmp, when it has one), pivots into
//      the new root, and forks the bootstrap as an unprivileged user with no capabilities,
//      no_new_privs and the seccomp filter. Reports kStarted (or kFailed with the failed step).
//   3. init: reaps orphans; when the bootstrap exits, reports its wait status (kExited) and
//      exits, which kills whatever else is left in the namespace. An extension's exit does the
//      same, reported as sys::EncodeExtensionExit. After SIGTERM (the environment's shutdown)
//      it waits for the bootstrap and every extension before it leaves.
// The shell is a session leader without a controlling terminal (setsid), so neither it nor the
// function can reach the operator's terminal.
// Runs only in the forked child of the single-threaded launcher.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "sandbox/filesystem.h"
#include "sys/launcher_protocol.h"

namespace thaw::sandbox {

// The shell's reports, one atomic pipe write each. A kFailed report names the step that failed
// (sys::SpawnStep), its errno and what failed, which the launcher passes on to the server.
struct ShellReport {
  enum Kind : uint32_t { kReady = 1, kStarted = 2, kFailed = 3, kExited = 4 };
  uint32_t kind = 0;
  int32_t value = 0;  // kFailed: errno; kExited: the bootstrap's wait status
  sys::SpawnStep step = sys::SpawnStep::kNone;  // kFailed
  char text[244] = {};
};
static_assert(sizeof(ShellReport) == 256, "one atomic pipe write");

// What to do with /tmp at assignment (the first word of the command packet).
enum class TmpMode : uint32_t {
  kKeepPooled = 0,     // the pooled image becomes the environment's (the launcher renamed it)
  kMountExisting = 1,  // the environment already has an image (a reset): mount that one
  kCreate = 2,         // a new image of the spec's size (EphemeralStorage other than the pool's)
};

struct ShellParams {
  FsSpec fs;  // new_root, hidden, tmp_image (the pooled image), tmp_mb, uid, gid
  const std::vector<sock_filter>* seccomp = nullptr;  // null: no filter
  uid_t uid = 0;
  gid_t gid = 0;
  int report_fd = -1;   // ShellReports to the launcher
  int go_fd = -1;       // one byte from the launcher: cgroups are ready
  int command_fd = -1;  // SOCK_SEQPACKET: TmpMode + sys::EncodeSpawn, output fd as SCM_RIGHTS
  // Cloned into a new network namespace: bring loopback up, listen on 127.0.0.1:9001 and send
  // that socket to the launcher on command_fd (SCM_RIGHTS) before reporting kReady.
  bool new_net = false;
};

// In a new network namespace: loopback up, and a listening TCP socket on 127.0.0.1:port.
StatusOr<int> ListenInNewNetns(uint16_t port);

[[noreturn]] void RunShell(const ShellParams& params);

}  // namespace thaw::sandbox
