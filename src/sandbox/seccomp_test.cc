#include "sandbox/seccomp.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

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

}  // namespace
}  // namespace thaw::sandbox
