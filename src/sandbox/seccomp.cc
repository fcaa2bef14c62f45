#include "sandbox/seccomp.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "sys/unique_fd.h"

namespace thaw::sandbox {

namespace {

// Denied with EPERM: Docker's default profile's denials (for a container without extra
// capabilities) plus io_uring. Grouped by what they would let a function reach; docs/sandbox.md
// says why each group goes. Names this architecture lacks (umount, stime, vm86, ...) are skipped.
constexpr const char* kDenied[] = {
    // file systems and the mount table
    "mount",
    "umount",
    "umount2",
    "pivot_root",
    "chroot",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "quotactl",
    "quotactl_fd",
    "swapon",
    "swapoff",
    "name_to_handle_at",
    "open_by_handle_at",
    "nfsservctl",
    "sysfs",
    "ustat",
    "uselib",
    // other processes and the kernel
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "bpf",
    "perf_event_open",
    "kexec_load",
    "kexec_file_load",
    "create_module",
    "init_module",
    "finit_module",
    "delete_module",
    "query_module",
    "get_kernel_syms",
    "reboot",
    "acct",
    "syslog",
    "lookup_dcookie",
    "_sysctl",
    "iopl",
    "ioperm",
    "vm86",
    "vm86old",
    "vhangup",
    "userfaultfd",
    // io_uring: a second system call interface that seccomp does not see into
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    // NUMA placement (Docker allows it only with CAP_SYS_NICE)
    "get_mempolicy",
    "set_mempolicy",
    "mbind",
    "move_pages",
    // namespaces
    "unshare",
    "setns",
    // keyrings
    "keyctl",
    "add_key",
    "request_key",
    // host-wide clocks and names
    "settimeofday",
    "stime",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "sethostname",
    "setdomainname",
};

constexpr uint64_t kNamespaceFlags[] = {CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,   CLONE_NEWUSER,
                                        CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP};

// ioctl requests on a terminal that write into it or reach the console: TIOCSTI pushes input
// into a terminal as if typed there; TIOCLINUX does console tricks (selection paste).
constexpr uint64_t kDeniedIoctls[] = {TIOCSTI, TIOCLINUX};

}  // namespace

std::vector<std::pair<uint64_t, uint64_t>> DeniedPersonalityBlocks() {
  // The kernel reads personality's argument as 32 bits; a block is (mask, value) over those.
  constexpr uint64_t kAllowed[] = {0, 8, 0x20000, 0x20008, 0xffffffff};
  std::vector<std::pair<uint64_t, uint64_t>> blocks;
  // Each gap between allowed values, split into aligned power-of-two blocks.
  uint64_t lo = 0;
  for (uint64_t allowed : kAllowed) {
    while (lo < allowed) {
      uint64_t size = lo == 0 ? uint64_t{1} << 32 : lo & (~lo + 1);  // lo's alignment
      while (lo + size > allowed) size >>= 1;
      blocks.emplace_back(~(size - 1) & 0xffffffff, lo);
      lo += size;
    }
    lo = allowed + 1;
  }
  return blocks;
}

namespace {

struct CtxDeleter {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};

Status Check(int rc, const char* what) {
  if (rc < 0) return ErrnoStatus("seccomp", what, -rc);
  return Status::Ok();
}

}  // namespace

StatusOr<std::vector<sock_filter>> BuildSeccompFilter() {
  std::unique_ptr<void, CtxDeleter> ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return Status::Internal("seccomp_init failed");
  // A binary tree over syscall numbers instead of a linear list: every syscall of the function
  // runs this program, and Go's runtime makes many per invocation.
  THAW_RETURN_IF_ERROR(
      Check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2), "binary tree"));
  for (const char* name : kDenied) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture or libseccomp
    THAW_RETURN_IF_ERROR(Check(seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), nr, 0), name));
  }
  // personality, except the values Docker allows (Linux, UNAME26, ADDR_NO_RANDOMIZE, query):
  // one rule per block of refused values, as libseccomp compares an argument once per rule.
  for (const auto& [mask, value] : DeniedPersonalityBlocks()) {
    THAW_RETURN_IF_ERROR(
        Check(seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), SCMP_SYS(personality), 1,
                               SCMP_A0(SCMP_CMP_MASKED_EQ, mask, value)),
              "personality"));
  }
  // The kernel reads ioctl's request as 32 bits: compare those only, so high bits set by the
  // caller do not slip past.
  for (uint64_t request : kDeniedIoctls) {
    THAW_RETURN_IF_ERROR(
        Check(seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                               SCMP_A1(SCMP_CMP_MASKED_EQ, uint64_t{0xffffffff}, request)),
              "ioctl"));
  }
  // clone with any namespace flag (one rule per flag: rules on one call are OR-ed); threads
  // and plain forks pass.
  for (uint64_t flag : kNamespaceFlags) {
    THAW_RETURN_IF_ERROR(Check(seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone),
                                                1, SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag)),
                               "clone"));
  }
  THAW_RETURN_IF_ERROR(
      Check(seccomp_rule_add(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0), "clone3"));
  // Export the BPF through a memfd, so the child only needs one prctl.
  sys::UniqueFd fd(memfd_create("thaw-seccomp", MFD_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus("memfd_create", "seccomp", errno);
  THAW_RETURN_IF_ERROR(Check(seccomp_export_bpf(ctx.get(), fd.get()), "export"));
  off_t size = lseek(fd.get(), 0, SEEK_END);
  if (size <= 0 || size % sizeof(sock_filter) != 0) return Status::Internal("bad seccomp program");
  std::vector<sock_filter> program(static_cast<size_t>(size) / sizeof(sock_filter));
  if (pread(fd.get(), program.data(), static_cast<size_t>(size), 0) != size) {
    return ErrnoStatus("pread", "seccomp program", errno);
  }
  return program;
}

int InstallSeccompFilter(const std::vector<sock_filter>& program) {
  sock_fprog prog{static_cast<unsigned short>(program.size()),
                  const_cast<sock_filter*>(program.data())};
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) return errno;
  return 0;
}

}  // namespace thaw::sandbox
