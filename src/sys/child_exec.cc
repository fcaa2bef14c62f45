#include "sys/child_exec.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <vector>

namespace thaw::sys {

namespace {

// getdents64's record (glibc's readdir allocates, which a forked child should not).
struct LinuxDirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[1];
};

// One pass over /proc/self/fd closing every fd >= first. How many it closed, or -errno.
int CloseListedOnce(int first) {
  int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return -errno;
  alignas(LinuxDirent64) char buf[4096];
  int closed = 0;
  for (;;) {
    long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
    if (n < 0) {
      int err = errno;
      close(dir);
      return -err;
    }
    if (n == 0) break;
    for (long off = 0; off < n;) {
      const auto* d = reinterpret_cast<const LinuxDirent64*>(buf + off);
      off += d->d_reclen;
      int fd = 0;
      const char* p = d->d_name;
      if (*p < '0' || *p > '9') continue;  // "." and ".."
      for (; *p >= '0' && *p <= '9'; ++p) fd = fd * 10 + (*p - '0');
      if (fd >= first && fd != dir && close(fd) == 0) ++closed;
    }
  }
  close(dir);
  return closed;
}

}  // namespace

int CloseFdsByListing(int first) {
  // Closing while listing may make the kernel's listing skip an entry: repeat until a pass
  // finds nothing left.
  for (int pass = 0; pass < 8; ++pass) {
    int closed = CloseListedOnce(first);
    if (closed < 0) return -closed;
    if (closed == 0) return 0;
  }
  return EBUSY;
}

int CloseFdsByLimit(int first) {
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0) return errno;
  // No fd can be at or above the kernel's nr_open (1 << 20 by default).
  rlim_t end = files.rlim_cur == RLIM_INFINITY || files.rlim_cur > (rlim_t{1} << 20)
                   ? (rlim_t{1} << 20)
                   : files.rlim_cur;
  for (rlim_t fd = static_cast<rlim_t>(first); fd < end; ++fd) close(static_cast<int>(fd));
  return 0;
}

int CloseFdsFrom(int first) {
  // close_range is missing before Linux 5.9 and refused by some container seccomp profiles.
  if (syscall(SYS_close_range, static_cast<unsigned>(first), ~0u, 0) == 0) return 0;
  if (CloseFdsByListing(first) == 0) return 0;
  return CloseFdsByLimit(first);
}

int SetUpChildFds(int output_fd, int status_fd) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
  int err = 0;
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull < 0 || dup2(devnull, 0) < 0) err = errno;
  if (err == 0 && (dup2(output_fd, 1) < 0 || dup2(output_fd, 2) < 0)) err = errno;
  // status_fd is the caller's only channel for err: get it to 3 whatever happened above.
  if (status_fd != 3 && dup2(status_fd, 3) < 0 && err == 0) err = errno;
  int closed = CloseFdsFrom(4);
  if (err == 0) err = closed;
  fcntl(3, F_SETFD, FD_CLOEXEC);
  return err;
}

std::optional<ChildFailure> ReadChildFailure(int fd) {
  ChildFailure failure;
  ssize_t n;
  do {
    n = read(fd, &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n == 0) return std::nullopt;
  if (n != static_cast<ssize_t>(sizeof failure) || failure.err <= 0) {
    return ChildFailure{SpawnStep::kFork, EIO};
  }
  return failure;
}

std::string ChildFailureText(const ChildFailure& failure, const SpawnSpec& spec) {
  return std::string(SpawnStepName(failure.step)) + " " +
         (failure.step == SpawnStep::kWorkingDir ? spec.cwd : spec.path);
}

void ExecOrReport(const SpawnSpec& spec, ChildFailure failure) {
  if (failure.err == 0 && chdir(spec.cwd.c_str()) != 0) {
    failure = {SpawnStep::kWorkingDir, errno};
  }
  if (failure.err == 0) {
    std::vector<char*> argv, envp;
    for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    execve(spec.path.c_str(), argv.data(), envp.data());
    failure = {SpawnStep::kExec, errno};
  }
  ssize_t n = write(3, &failure, sizeof failure);
  (void)n;
  _exit(127);
}

}  // namespace thaw::sys
