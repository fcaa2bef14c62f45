#include "sys/child_exec.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace thaw::sys {

void SetUpChildFds(int output_fd, int status_fd) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
  int devnull = open("/dev/null", O_RDONLY);
  dup2(devnull, 0);
  dup2(output_fd, 1);
  dup2(output_fd, 2);
  dup2(status_fd, 3);
  syscall(SYS_close_range, 4, ~0u, 0);
  fcntl(3, F_SETFD, FD_CLOEXEC);
}

void ExecOrReport(const SpawnSpec& spec, int err) {
  if (err == 0 && chdir(spec.cwd.c_str()) != 0) err = errno;
  if (err == 0) {
    std::vector<char*> argv, envp;
    for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    execve(spec.path.c_str(), argv.data(), envp.data());
    err = errno;
  }
  ssize_t n = write(3, &err, sizeof err);
  (void)n;
  _exit(127);
}

}  // namespace thaw::sys
