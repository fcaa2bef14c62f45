// thaw-launcher: forks and execs function processes on the server's behalf, reaps them, and
// reports exits. Single-threaded: one poll loop over the control socket and a signalfd.
// If the server goes away (its end of the socket closes, even after kill -9), every process
// group the launcher started is SIGKILLed, so nothing outlives thaw.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "sys/launcher_protocol.h"

namespace {

using thaw::sys::FixedMsg;
using thaw::sys::LauncherMsg;

constexpr int kControlFd = 3;
std::set<pid_t> g_groups;  // process groups we started and that may still have members

void Send(LauncherMsg type, uint64_t id, int64_t a, int64_t b, uint32_t extra = 0) {
  FixedMsg m{static_cast<uint32_t>(type), extra, id, a, b};
  while (send(kControlFd, &m, sizeof m, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

[[noreturn]] void ExecChild(const thaw::sys::SpawnSpec& spec, int out_fd, int status_fd) {
  // New process group, so the whole environment can be signalled at once (kill(-pgid)).
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
  int devnull = open("/dev/null", O_RDONLY);
  dup2(devnull, 0);
  dup2(out_fd, 1);
  dup2(out_fd, 2);
  dup2(status_fd, 3);
  syscall(SYS_close_range, 4, ~0u, 0);
  fcntl(3, F_SETFD, FD_CLOEXEC);
  int err = 0;
  if (chdir(spec.cwd.c_str()) != 0) {
    err = errno;
  } else {
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

void HandleSpawn(const char* data, size_t len, int out_fd) {
  auto spec = thaw::sys::DecodeSpawn(data, len);
  if (!spec || out_fd < 0) {
    Send(LauncherMsg::kSpawnFailed, spec ? spec->id : 0, EINVAL, 0);
    if (out_fd >= 0) close(out_fd);
    return;
  }
  int status_pipe[2];
  if (pipe2(status_pipe, O_CLOEXEC) != 0) {
    Send(LauncherMsg::kSpawnFailed, spec->id, errno, 0);
    close(out_fd);
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(status_pipe[0]);
    ExecChild(*spec, out_fd, status_pipe[1]);
  }
  close(status_pipe[1]);
  close(out_fd);
  if (pid < 0) {
    Send(LauncherMsg::kSpawnFailed, spec->id, errno, 0);
    close(status_pipe[0]);
    return;
  }
  setpgid(pid, pid);  // also from the parent, so a kill right after this reply finds the group
  // The status pipe closes on a successful exec (CLOEXEC) or carries the errno of a failure.
  int err = 0;
  ssize_t n;
  do {
    n = read(status_pipe[0], &err, sizeof err);
  } while (n < 0 && errno == EINTR);
  close(status_pipe[0]);
  if (n == static_cast<ssize_t>(sizeof err)) {
    // The child exits at once; its exit is reaped but not reported, since it never ran.
    waitpid(pid, nullptr, 0);
    Send(LauncherMsg::kSpawnFailed, spec->id, err, 0);
    return;
  }
  g_groups.insert(pid);
  Send(LauncherMsg::kSpawned, spec->id, pid, 0);
}

void ReapChildren() {
  for (;;) {
    int status = 0;
    // wait4's rusage is the only memory figure left once a process is gone (a crash in init).
    rusage usage{};
    pid_t pid = wait4(-1, &status, WNOHANG, &usage);
    if (pid <= 0) return;
    Send(LauncherMsg::kExited, 0, pid, status, static_cast<uint32_t>(usage.ru_maxrss));
  }
}

// Children of ours that left their process group (setsid) are found through /proc.
void KillStrayChildren() {
  pid_t self = getpid();
  DIR* dir = opendir("/proc");
  if (!dir) return;
  while (dirent* e = readdir(dir)) {
    char path[300];
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    FILE* f = fopen(path, "re");
    if (!f) continue;
    char text[512];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char* close_paren = strrchr(text, ')');
    int ppid = 0;
    char state = 0;
    if (close_paren && sscanf(close_paren + 1, " %c %d", &state, &ppid) == 2 && ppid == self) {
      kill(atoi(e->d_name), SIGKILL);
    }
  }
  closedir(dir);
}

void KillAll() {
  for (pid_t pgid : g_groups) kill(-pgid, SIGKILL);
  g_groups.clear();
  for (int round = 0; round < 200; ++round) {
    pid_t r;
    while ((r = waitpid(-1, nullptr, WNOHANG)) > 0) {
    }
    if (r < 0 && errno == ECHILD) return;
    KillStrayChildren();
    usleep(10000);
  }
}

}  // namespace

int main() {
  // The server owns shutdown; a Ctrl-C aimed at the terminal's process group must not kill us
  // before we have killed our children.
  setpgid(0, 0);
  prctl(PR_SET_NAME, "thaw-launcher");
  // Orphaned grandchildren (daemonizing functions) are reparented to us, so we can reap them.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    perror("thaw-launcher: signalfd");
    return 1;
  }
  static char buf[1 << 18];
  for (;;) {
    pollfd fds[2] = {{kControlFd, POLLIN, 0}, {sfd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info;
      while (read(sfd, &info, sizeof info) > 0) {
      }
      ReapChildren();
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
      iovec iov{buf, sizeof buf};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      ssize_t n = recvmsg(kControlFd, &msg, MSG_CMSG_CLOEXEC);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // the server is gone
      int passed_fd = -1;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
          std::memcpy(&passed_fd, CMSG_DATA(c), sizeof passed_fd);
        }
      }
      uint32_t type = 0;
      if (static_cast<size_t>(n) >= sizeof type) std::memcpy(&type, buf, sizeof type);
      if (type == static_cast<uint32_t>(LauncherMsg::kSpawn)) {
        HandleSpawn(buf, static_cast<size_t>(n), passed_fd);
        continue;
      }
      if (passed_fd >= 0) close(passed_fd);
      if (static_cast<size_t>(n) < sizeof(FixedMsg)) continue;
      FixedMsg m;
      std::memcpy(&m, buf, sizeof m);
      if (m.type == static_cast<uint32_t>(LauncherMsg::kKill)) {
        if (m.id > 1) kill(-static_cast<pid_t>(m.id), static_cast<int>(m.a));
      } else if (m.type == static_cast<uint32_t>(LauncherMsg::kShutdown)) {
        break;
      }
    }
  }
  KillAll();
  return 0;
}
