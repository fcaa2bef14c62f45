// The sandbox's file system view, built inside a fresh mount namespace by the shell process
// (see shell.h) before it execs the function:
//   /            the host's tree, read-only, nosuid and nodev (recursive bind)
//   /dev         a small tmpfs, not the host's: null, zero, full, random, urandom (the host's
//                nodes, bound), tty (a /dev/null), a writable /dev/shm tmpfs, and the fd,
//                stdin, stdout, stderr links into /proc/self/fd
//   <state dir>  hidden under an empty read-only tmpfs (thaw's own data is not visible at all)
//   /sys/fs/cgroup  only the sandbox's own cgroups (each hierarchy thaw limits it in, mounted
//                in the shell's cgroup namespace), not every sandbox's
//   /run         an empty tmpfs (no host sockets), except /etc/resolv.conf's target when it
//                lives there
//   /var/task    the function's code, read-only
//   /var/runtime a managed runtime's tree (sys/runtime_tree.h), read-only, when the function
//                has one; else thaw-host alone, for the mechanisms that run it
//   /opt         the function's layers merged (lambda/opt_tree.h), read-only; else empty
//   /tmp         the environment's own ext4 image on a loop device, EphemeralStorage in size:
//                disk, not memory, so a 128 MB function can fill a 512 MB /tmp, and ENOSPC
//                past it. Kept across resets of the environment (the image file outlives the
//                process). Without loop devices, a plain directory (no size limit).
//   /proc        a new procfs for the new PID namespace
// Every function here runs in that single-threaded child, between fork and exec. Not for use
// in the server.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace thaw::sandbox {

// A cgroup hierarchy to show at the same place inside, mounted from within the shell's cgroup
// namespace, so that its root is the sandbox's own cgroup.
struct CgroupMount {
  std::string point;  // e.g. /sys/fs/cgroup/memory
  std::string type;   // cgroup or cgroup2
  std::string options;
};

struct FsSpec {
  std::string new_root;             // an empty host directory used as the new root's mount point
  std::vector<std::string> hidden;  // host directories to hide (thaw's state directory)
  std::string code_dir;             // host directory shown read-only at /var/task
  std::string opt_dir;              // host directory shown read-only at /opt ("" = empty /opt)
  std::string runtime_dir;  // host directory shown read-only at /var/runtime ("" = thaw-host's)
  std::string tmp_image;    // ext4 image for /tmp, created when missing ("" = tmp_dir)
  int64_t tmp_mb = 512;
  std::string tmp_dir;      // fallback /tmp source when tmp_image is empty
  std::string host_binary;  // thaw-host, shown read-only at /var/runtime/thaw-host when set
  uid_t uid = 0;            // owner of /tmp's root
  gid_t gid = 0;
  // Shown under /sys/fs/cgroup (OwnCgroupMounts); nothing else of the host's cgroups is.
  std::vector<CgroupMount> cgroups;
};

// The hierarchies under /sys/fs/cgroup in which this process sits in a sandbox's own cgroup
// (".../thaw/i<launcher>/s<n>"). Read before unsharing the cgroup namespace.
std::vector<CgroupMount> OwnCgroupMounts();
// The same from the texts of /proc/self/cgroup and /proc/self/mountinfo.
std::vector<CgroupMount> ParseOwnCgroupMounts(const std::string& proc_cgroup,
                                              const std::string& mountinfo);

// Before the function is known: makes the mount namespace private and assembles the view
// above under spec.new_root, all read-only, except /var/task, /tmp and /proc.
Status BuildBaseFs(const FsSpec& spec);
// Once it is known: shows code_dir read-only at /var/task (opt_dir at /opt, runtime_dir at
// /var/runtime), mounts /proc, and
// pivots into the new root (the process's root and cwd are then the new root). /tmp is mounted
// separately. `timings`, when given, gets each step's cost.
Status FinishFs(const FsSpec& spec, std::string* timings = nullptr);
// Mounts /tmp under new_root from spec.tmp_image (created when missing) or spec.tmp_dir.
Status MountTmp(const FsSpec& spec);

// Creates an ext4 image of `mb` megabytes (sparse) owned by uid:gid at its root, with mke2fs.
Status CreateTmpImage(const std::string& path, int64_t mb, uid_t uid, gid_t gid);

// Attaches `image` to a free loop device (detached automatically at the last unmount) and
// mounts it at `target`.
Status MountImage(const std::string& image, const std::string& target);

// Copies an image, keeping holes (a fresh 512 MB image holds well under 1 MB of data).
Status CopySparse(const std::string& from, const std::string& to);

// mke2fs's path, or "" when e2fsprogs is missing.
std::string FindMke2fs();

}  // namespace thaw::sandbox
