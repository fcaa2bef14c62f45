// The seccomp filter every function process runs under: everything is allowed except the
// system calls that reach beyond the sandbox (mount, ptrace, bpf, kexec, modules, reboot, new
// namespaces, keyrings, clock changes, io_uring, ...), which fail with EPERM, as under Docker's
// default profile; personality only with the values Docker allows; ioctl TIOCSTI and TIOCLINUX
// (typing into a terminal) refused. clone3 fails with ENOSYS so runtimes fall back to clone,
// whose flags can be checked.
//
// BuildSeccompFilter compiles once (libseccomp, in the launcher at start); InstallSeccompFilter
// is one prctl in the forked child, after no_new_privs, just before exec.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "base/status.h"

namespace thaw::sandbox {

StatusOr<std::vector<sock_filter>> BuildSeccompFilter();

// Async-signal-safe; returns errno (0 on success). Requires no_new_privs or CAP_SYS_ADMIN.
int InstallSeccompFilter(const std::vector<sock_filter>& program);

// The personality values refused, as (mask, value) blocks over the argument's low 32 bits:
// every value but those Docker allows (0, 8, 0x20000, 0x20008, 0xffffffff). For tests.
std::vector<std::pair<uint64_t, uint64_t>> DeniedPersonalityBlocks();

}  // namespace thaw::sandbox
