#include "sys/child_exec.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <string>

#include <gtest/gtest.h>

#include "sys/unique_fd.h"

namespace thaw::sys {
namespace {

enum class Broken { kNone, kCloseRange };

// Makes close_range fail with ENOSYS, as on Linux before 5.9 or under a container's seccomp
// profile that predates it.
bool Break(Broken what) {
  if (what == Broken::kNone) return true;
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_close_range, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

// Forks a child that holds stray inheritable fds (low and high numbers), runs SetUpChildFds
// (and then `also`, if given), and writes to fd 3 the result and every fd from 4 up that is
// still open. Returns what it wrote.
std::string StrayFdsAfterSetUp(Broken broken, int (*also)(int) = nullptr) {
  int status[2], output[2];
  EXPECT_EQ(pipe2(status, O_CLOEXEC), 0);
  EXPECT_EQ(pipe2(output, O_CLOEXEC), 0);
  UniqueFd status_read(status[0]), output_read(output[0]);
  pid_t pid = fork();
  if (pid == 0) {
    status_read.Reset();
    output_read.Reset();
    int stray = open("/dev/null", O_RDONLY);
    dup2(stray, 200);
    dup2(stray, 1000);
    int err = Break(broken) ? SetUpChildFds(output[1], status[1]) : -1;
    if (also) {
      int extra = open("/dev/null", O_RDONLY);
      dup2(extra, 300);
      if (err == 0) err = also(4);
    }
    std::string report = "err=" + std::to_string(err) + " open:";
    for (int fd = 4; fd < 4096; ++fd) {
      if (fcntl(fd, F_GETFD) >= 0) report += " " + std::to_string(fd);
    }
    ssize_t w = write(3, report.data(), report.size());
    _exit(w < 0 ? 1 : 0);
  }
  close(status[1]);
  close(output[1]);
  std::string got;
  char buf[512];
  ssize_t n;
  while ((n = read(status_read.get(), buf, sizeof buf)) > 0) got.append(buf, n);
  int wait_status = 0;
  waitpid(pid, &wait_status, 0);
  EXPECT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) << wait_status;
  return got;
}

TEST(ChildExecTest, ChildKeepsNoStrayFd) {
  EXPECT_EQ(StrayFdsAfterSetUp(Broken::kNone), "err=0 open:");
}

// Without close_range the fds are closed by walking /proc/self/fd.
TEST(ChildExecTest, ChildKeepsNoStrayFdWithoutCloseRange) {
  EXPECT_EQ(StrayFdsAfterSetUp(Broken::kCloseRange), "err=0 open:");
}

// The last resort, for no /proc either: every number below RLIMIT_NOFILE.
TEST(ChildExecTest, CloseFdsByLimitClosesEverything) {
  EXPECT_EQ(StrayFdsAfterSetUp(Broken::kNone, CloseFdsByLimit), "err=0 open:");
}

// A child that cannot exec says which step failed and why.
ChildFailure FailureOf(const SpawnSpec& spec) {
  int status[2];
  EXPECT_EQ(pipe2(status, O_CLOEXEC), 0);
  UniqueFd status_read(status[0]);
  pid_t pid = fork();
  if (pid == 0) {
    status_read.Reset();
    int devnull = open("/dev/null", O_WRONLY);
    ExecOrReport(spec, ChildFailure{SpawnStep::kNone, SetUpChildFds(devnull, status[1])});
  }
  close(status[1]);
  std::optional<ChildFailure> failure = ReadChildFailure(status_read.get());
  waitpid(pid, nullptr, 0);
  return failure.value_or(ChildFailure{});
}

TEST(ChildExecTest, FailuresKeepTheirStep) {
  SpawnSpec spec;
  spec.path = "/nonexistent/bootstrap";
  spec.cwd = "/";
  spec.argv = {spec.path};
  ChildFailure f = FailureOf(spec);
  EXPECT_EQ(f.step, SpawnStep::kExec);
  EXPECT_EQ(f.err, ENOENT);
  spec.path = "/bin/true";
  spec.cwd = "/nonexistent";
  f = FailureOf(spec);
  EXPECT_EQ(f.step, SpawnStep::kWorkingDir);
  EXPECT_EQ(f.err, ENOENT);
  // A step that failed before the exec is passed through as it was.
  int status[2];
  ASSERT_EQ(pipe2(status, O_CLOEXEC), 0);
  UniqueFd status_read(status[0]);
  pid_t pid = fork();
  if (pid == 0) {
    status_read.Reset();
    dup2(status[1], 3);
    ExecOrReport(spec, ChildFailure{SpawnStep::kUid, EPERM});
  }
  close(status[1]);
  auto early = ReadChildFailure(status_read.get());
  waitpid(pid, nullptr, 0);
  ASSERT_TRUE(early.has_value());
  EXPECT_EQ(early->step, SpawnStep::kUid);
  EXPECT_EQ(early->err, EPERM);
}

// A successful exec closes the pipe without a record.
TEST(ChildExecTest, ExecClosesTheStatusPipe) {
  SpawnSpec spec;
  spec.path = "/bin/true";
  spec.cwd = "/";
  spec.argv = {"true"};
  int status[2];
  ASSERT_EQ(pipe2(status, O_CLOEXEC), 0);
  UniqueFd status_read(status[0]);
  pid_t pid = fork();
  if (pid == 0) {
    status_read.Reset();
    int devnull = open("/dev/null", O_WRONLY);
    ExecOrReport(spec, ChildFailure{SpawnStep::kNone, SetUpChildFds(devnull, status[1])});
  }
  close(status[1]);
  EXPECT_FALSE(ReadChildFailure(status_read.get()).has_value());
  int wait_status = 0;
  waitpid(pid, &wait_status, 0);
  EXPECT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) << wait_status;
}

}  // namespace
}  // namespace thaw::sys
