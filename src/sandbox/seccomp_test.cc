#include "sandbox/seccomp.h"

#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <thread>

#include <gtest/gtest.h>

namespace thaw::sandbox {
namespace {

// Runs `probe` in a forked child under the filter; returns the child's exit code (the probe's
// errno, or 0 when the call succeeded; 100+ for a setup failure).
template <typename Probe>
int ErrnoUnderFilter(const std::vector<sock_filter>& program, Probe probe) {
  pid_t pid = fork();
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(101);
    if (InstallSeccompFilter(program) != 0) _exit(102);
    errno = 0;
    long rc = probe();
    _exit(rc == -1 ? errno : 0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

TEST(SeccompTest, DeniesWhatReachesBeyondTheSandbox) {
  auto program = BuildSeccompFilter();
  ASSERT_TRUE(program.ok()) << program.status().ToString();
  ASSERT_FALSE(program->empty());
  EXPECT_EQ(ErrnoUnderFilter(*program, [] { return static_cast<long>(unshare(CLONE_NEWNS)); }),
            EPERM);
  EXPECT_EQ(ErrnoUnderFilter(*program,
                             [] { return static_cast<long>(mount("none", "/", "tmpfs", 0, "")); }),
            EPERM);
  EXPECT_EQ(
      ErrnoUnderFilter(*program, [] { return ptrace(PTRACE_ATTACH, getppid(), nullptr, nullptr); }),
      EPERM);
  EXPECT_EQ(ErrnoUnderFilter(*program, [] { return syscall(SYS_clone3, nullptr, 0); }), ENOSYS);
  // clone with a namespace flag is refused; a plain fork still works.
  EXPECT_EQ(
      ErrnoUnderFilter(
          *program,
          [] { return syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, nullptr, nullptr, nullptr, 0); }),
      EPERM);
  EXPECT_EQ(ErrnoUnderFilter(*program,
                             [] {
                               pid_t child = fork();
                               if (child == 0) _exit(0);
                               if (child < 0) return -1L;
                               waitpid(child, nullptr, 0);
                               return 0L;
                             }),
            0);
  EXPECT_EQ(ErrnoUnderFilter(*program, [] { return static_cast<long>(getpid() > 0 ? 0 : -1); }), 0);
}

// Every call here is refused by the filter with EPERM; run unfiltered, each would fail
// otherwise or succeed (harmlessly: bad fds and addresses, in a forked child).
TEST(SeccompTest, DeniesDockersListAndIoUring) {
  auto program = BuildSeccompFilter();
  ASSERT_TRUE(program.ok()) << program.status().ToString();
  struct Probe {
    const char* what;
    long (*call)();
  };
  const Probe probes[] = {
      {"io_uring_setup", [] { return syscall(SYS_io_uring_setup, 1, nullptr); }},
      {"io_uring_enter", [] { return syscall(SYS_io_uring_enter, -1, 0, 0, 0, nullptr, 0); }},
      {"io_uring_register", [] { return syscall(SYS_io_uring_register, -1, 0, nullptr, 0); }},
      {"bpf", [] { return syscall(SYS_bpf, 0, nullptr, 0); }},
      {"perf_event_open", [] { return syscall(SYS_perf_event_open, nullptr, 0, -1, -1, 0); }},
      {"userfaultfd", [] { return syscall(SYS_userfaultfd, 0); }},
      {"keyctl", [] { return syscall(SYS_keyctl, -1, 0, 0, 0, 0); }},
      {"add_key", [] { return syscall(SYS_add_key, nullptr, nullptr, nullptr, 0, 0); }},
      {"request_key", [] { return syscall(SYS_request_key, nullptr, nullptr, nullptr, 0); }},
      {"open_by_handle_at", [] { return syscall(SYS_open_by_handle_at, -1, nullptr, 0); }},
      {"name_to_handle_at",
       [] { return syscall(SYS_name_to_handle_at, -1, nullptr, nullptr, nullptr, 0); }},
      {"kexec_load", [] { return syscall(SYS_kexec_load, 0, 0, nullptr, 0); }},
      {"kexec_file_load", [] { return syscall(SYS_kexec_file_load, -1, -1, 0, nullptr, 0); }},
      {"fsopen", [] { return syscall(SYS_fsopen, nullptr, 0); }},
      {"open_tree", [] { return syscall(SYS_open_tree, -1, nullptr, 0); }},
      {"setns", [] { return syscall(SYS_setns, -1, 0); }},
      {"get_mempolicy", [] { return syscall(SYS_get_mempolicy, nullptr, nullptr, 0, nullptr, 0); }},
      {"set_mempolicy", [] { return syscall(SYS_set_mempolicy, 0, nullptr, 0); }},
      {"mbind", [] { return syscall(SYS_mbind, nullptr, 0, 0, nullptr, 0, 0); }},
      {"move_pages", [] { return syscall(SYS_move_pages, 0, 0, nullptr, nullptr, nullptr, 0); }},
      {"sysfs", [] { return syscall(SYS_sysfs, 99, 0, 0); }},
      {"ustat", [] { return syscall(SYS_ustat, 0, nullptr); }},
      {"uselib", [] { return syscall(SYS_uselib, nullptr); }},
      {"_sysctl", [] { return syscall(SYS__sysctl, nullptr); }},
      {"process_vm_readv",
       [] { return syscall(SYS_process_vm_readv, 1, nullptr, 0, nullptr, 0, 0); }},
      {"personality(READ_IMPLIES_EXEC)", [] { return syscall(SYS_personality, 0x0400000); }},
      {"personality(1)", [] { return syscall(SYS_personality, 1); }},
      {"personality(0xfffffffe)", [] { return syscall(SYS_personality, 0xfffffffe); }},
      {"personality(high bits + READ_IMPLIES_EXEC)",
       [] { return syscall(SYS_personality, 0x100400000); }},
  };
  for (const Probe& probe : probes) {
    EXPECT_EQ(ErrnoUnderFilter(*program, probe.call), EPERM) << probe.what;
  }
}

TEST(SeccompTest, PersonalityKeepsDockersHarmlessValues) {
  auto program = BuildSeccompFilter();
  ASSERT_TRUE(program.ok()) << program.status().ToString();
  for (unsigned long value : {0x0ul, 0x8ul, 0x20000ul, 0x20008ul, 0xfffffffful}) {
    EXPECT_EQ(ErrnoUnderFilter(*program, [value] { return syscall(SYS_personality, value); }), 0)
        << std::hex << value;
  }
  // The blocks cover exactly the complement of those five values.
  uint64_t covered = 0;
  for (const auto& [mask, value] : DeniedPersonalityBlocks()) covered += (~mask & 0xffffffff) + 1;
  EXPECT_EQ(covered, (uint64_t{1} << 32) - 5);
}

TEST(SeccompTest, DeniesTypingIntoATerminal) {
  auto program = BuildSeccompFilter();
  ASSERT_TRUE(program.ok()) << program.status().ToString();
  // A pipe, not a terminal: unfiltered these fail with ENOTTY, and nothing reaches a real tty.
  auto tiocsti = [] {
    int fds[2];
    if (pipe(fds) != 0) return -2L;
    char c = 'x';
    return static_cast<long>(ioctl(fds[0], TIOCSTI, &c));
  };
  EXPECT_EQ(ErrnoUnderFilter(*program, tiocsti), EPERM);
  // High bits the kernel ignores do not get past the filter.
  auto tiocsti_high = [] {
    int fds[2];
    if (pipe(fds) != 0) return -2L;
    char c = 'x';
    return syscall(SYS_ioctl, fds[0], (uint64_t{1} << 32) | TIOCSTI, &c);
  };
  EXPECT_EQ(ErrnoUnderFilter(*program, tiocsti_high), EPERM);
  auto tioclinux = [] {
    int fds[2];
    if (pipe(fds) != 0) return -2L;
    char c = 2;
    return static_cast<long>(ioctl(fds[0], TIOCLINUX, &c));
  };
  EXPECT_EQ(ErrnoUnderFilter(*program, tioclinux), EPERM);
  // Other ioctls pass: FIONREAD on the pipe works.
  auto fionread = [] {
    int fds[2];
    if (pipe(fds) != 0) return -2L;
    int n = 0;
    return static_cast<long>(ioctl(fds[0], FIONREAD, &n));
  };
  EXPECT_EQ(ErrnoUnderFilter(*program, fionread), 0);
}

// Threads (clone with CLONE_THREAD and friends, after clone3's ENOSYS) still start.
TEST(SeccompTest, ThreadsStillStart) {
  auto program = BuildSeccompFilter();
  ASSERT_TRUE(program.ok()) << program.status().ToString();
  EXPECT_EQ(ErrnoUnderFilter(*program,
                             [] {
                               std::thread t([] {});
                               t.join();
                               return 0L;
                             }),
            0);
}

}  // namespace
}  // namespace thaw::sandbox
