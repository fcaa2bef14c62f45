// The seccomp filter every function process runs under: everything is allowed except the
// system calls that reach beyond the sandbox (mount, ptrace, bpf, kexec, modules, reboot, new
// namespaces, keyrings, clock changes, ...), which fail with EPERM, as under Docker's default
// profile. clone3 fails with ENOSYS so runtimes fall back to clone, whose flags can be checked.
//
// BuildSeccompFilter compiles once (libseccomp, in the launcher at start); InstallSeccompFilter
// is one prctl in the forked child, after no_new_privs, just before exec.
#pragma once

#include <linux/filter.h>

#include <vector>

#include "base/status.h"

namespace thaw::sandbox {

StatusOr<std::vector<sock_filter>> BuildSeccompFilter();

// Async-signal-safe; returns errno (0 on success). Requires no_new_privs or CAP_SYS_ADMIN.
int InstallSeccompFilter(const std::vector<sock_filter>& program);

}  // namespace thaw::sandbox
