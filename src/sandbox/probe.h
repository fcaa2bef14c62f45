// What thaw can enforce on this host (`thaw doctor`): privileges, namespaces, the cgroup layout
// and each limit's provider, the size-limited /tmp (loop devices, mkfs.ext4), seccomp,
// no_new_privs, the freeze mechanism and clone3/pidfd. Static checks only: it reads /proc, /sys
// and /dev and makes (then removes) one empty cgroup per hierarchy; it never forks.
// Thread-compatible; every call is synchronous and short.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "sandbox/cgroup.h"

namespace thaw::sandbox {

// kEnforced / kNotEnforced for isolation and limits thaw applies to functions; kAvailable /
// kMissing for mechanisms it relies on.
enum class ProbeStatus { kEnforced, kNotEnforced, kAvailable, kMissing };
const char* ProbeStatusName(ProbeStatus status);  // "enforced", "not enforced", ...

struct ProbeItem {
  std::string feature;  // "memory limit", "pid namespace", ...
  ProbeStatus status = ProbeStatus::kMissing;
  std::string detail;  // one line: where it comes from, or why not
  // Counts for "full isolation": when not ok, thaw runs degraded in this respect.
  bool isolation = false;

  bool ok() const { return status == ProbeStatus::kEnforced || status == ProbeStatus::kAvailable; }
};

struct SandboxProbe {
  std::vector<ProbeItem> items;
  CgroupLayout layout;  // empty when the layout could not be read

  // True when every isolation item is ok.
  bool FullIsolation() const;
  // The features of the isolation items that are not ok, in order.
  std::vector<std::string> Degraded() const;
  // The item named `feature`, or nullptr.
  const ProbeItem* Find(const std::string& feature) const;
};

// Where the probe looks. Defaults are the real host; tests point `root` at a fake tree holding
// proc/self/{status,cgroup,mountinfo,ns/*}, proc/sys/..., dev/loop-control and sys/fs/cgroup.
struct ProbeOptions {
  std::string root;            // prefix for /proc, /dev and the cgroup mounts
  std::string path_env;        // PATH for mkfs.ext4 (after /sbin:/usr/sbin); empty: getenv
  std::string kernel_release;  // "6.1.0-18-amd64"; empty: uname(2)
  // Whether to mkdir+rmdir a test cgroup in each hierarchy (the name gets the pid appended).
  bool try_cgroup_create = true;
};

// Runs every check. Items that cannot be determined are reported as not ok with the reason;
// an error Status only when /proc/self/status cannot be read at all.
StatusOr<SandboxProbe> ProbeHost(const ProbeOptions& options = {});

// The items as an aligned table: FEATURE, STATUS, DETAIL (header first, two spaces between
// columns, no trailing spaces, '\n' after every line).
std::string FormatProbe(const SandboxProbe& probe);

// The final verdict: "thaw would run with full isolation: ..." or "thaw would run in degraded
// mode; not enforced: memory limit, seccomp".
std::string FormatVerdict(const SandboxProbe& probe);

}  // namespace thaw::sandbox
