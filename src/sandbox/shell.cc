#include "sandbox/shell.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>

#include <net/if.h>

#include "sandbox/extension_env.h"
#include "sandbox/seccomp.h"
#include "sys/child_exec.h"
#include "sys/fd_passing.h"
#include "sys/launcher_protocol.h"

namespace thaw::sandbox {

namespace {

void Report(int fd, ShellReport::Kind kind, int32_t value, const std::string& text = "",
            sys::SpawnStep step = sys::SpawnStep::kNone) {
  ShellReport r;
  r.kind = kind;
  r.value = value;
  r.step = step;
  std::memcpy(r.text, text.data(), std::min(text.size(), sizeof r.text - 1));
  while (write(fd, &r, sizeof r) < 0 && errno == EINTR) {
  }
}

// A failed step, reported before the shell gives up. `err` is the errno the step left (a
// Status does not keep it), or EIO when it left none.
[[noreturn]] void Fail(int fd, sys::SpawnStep step, int err, const std::string& text) {
  Report(fd, ShellReport::kFailed, err > 0 ? err : EIO, text, step);
  _exit(1);
}

void WriteFile(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = write(fd, text, strlen(text));
  (void)n;
  close(fd);
}

// The bootstrap's side of the fork: drop everything, then exec. The first failure is sent as
// a sys::ChildFailure (step and errno) on fd 3, which a successful exec closes.
[[noreturn]] void ExecBootstrap(const ShellParams& p, const sys::SpawnSpec& spec, int output_fd,
                                int exec_fd) {
  using sys::SpawnStep;
  sys::ChildFailure failure;
  auto failed = [&failure](SpawnStep step) {
    failure = {step, errno};
    return true;
  };
  // A stray fd would reach the function: refusing to exec is safer than running with it.
  if (int err = sys::SetUpChildFds(output_fd, exec_fd); err != 0) failure = {SpawnStep::kFds, err};
  WriteFile("/proc/self/oom_score_adj", "0");
  // Lambda's limits: 1,024 file descriptors (processes are capped by the pids cgroup).
  rlimit files{1024, 1024};
  bool stop = failure.err != 0;
  stop = stop || (setrlimit(RLIMIT_NOFILE, &files) != 0 && failed(SpawnStep::kRlimit));
  for (int cap = 0; cap <= CAP_LAST_CAP && !stop; ++cap) {
    stop = prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL &&
           failed(SpawnStep::kBoundingSet);
  }
  stop = stop || (setgroups(0, nullptr) != 0 && failed(SpawnStep::kGroups));
  stop = stop || (setresgid(p.gid, p.gid, p.gid) != 0 && failed(SpawnStep::kGid));
  // From uid 0 to another uid, the permitted and effective capability sets are cleared.
  stop = stop || (setresuid(p.uid, p.uid, p.uid) != 0 && failed(SpawnStep::kUid));
  stop = stop || (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 &&
                  failed(SpawnStep::kAmbientCaps));
  stop = stop || (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 && failed(SpawnStep::kNoNewPrivs));
  if (!stop && p.seccomp) {
    if (int err = InstallSeccompFilter(*p.seccomp); err != 0) failure = {SpawnStep::kSeccomp, err};
  }
  sys::ExecOrReport(spec, failure);
}

// Phase 2's input: one packet with the TmpMode, the encoded spawn spec and the output fd.
bool ReceiveAssignment(int fd, TmpMode& mode, sys::SpawnSpec& spec, int& output_fd) {
  static char buf[1 << 18];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  iovec iov{buf, sizeof buf};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  output_fd = -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      std::memcpy(&output_fd, CMSG_DATA(c), sizeof output_fd);
    }
  }
  uint32_t word = 0;
  if (n < static_cast<ssize_t>(sizeof word) || output_fd < 0) return false;
  std::memcpy(&word, buf, sizeof word);
  mode = static_cast<TmpMode>(word);
  auto decoded = sys::DecodeSpawn(buf + sizeof word, static_cast<size_t>(n) - sizeof word);
  if (!decoded) return false;
  spec = std::move(*decoded);
  return true;
}

// Set by SIGTERM: the server is shutting the environment down (runtime and extensions get the
// shutdown budget), so extensions that exit now are not crashes.
volatile sig_atomic_t g_stopping = 0;

void OnTerm(int) { g_stopping = 1; }

// Starts every external extension (/opt/extensions/NAME, in the spec's order, which is
// alphabetical) as the function's user, with the function's environment minus the runtime-only
// variables, its output into the function's log, each in a process group of its own so that
// the SIGTERM meant for the runtime does not reach it (it gets the SHUTDOWN event instead).
// Returns their pids; an extension whose exec failed exits 127 and is reaped as a crash.
std::vector<pid_t> StartExtensions(const ShellParams& p, const sys::SpawnSpec& spec,
                                   int output_fd) {
  std::vector<pid_t> pids;
  for (const std::string& name : spec.sandbox.extensions) {
    sys::SpawnSpec ext;
    ext.path = "/opt/extensions/" + name;
    ext.cwd = "/opt";
    ext.argv = {ext.path};
    ext.env = ExtensionEnv(spec.env);
    int exec_pipe[2];
    if (pipe2(exec_pipe, O_CLOEXEC) != 0) {
      pids.push_back(-1);
      continue;
    }
    pid_t pid = fork();
    if (pid == 0) {
      close(exec_pipe[0]);
      close(p.report_fd);
      setpgid(0, 0);
      ExecBootstrap(p, ext, output_fd, exec_pipe[1]);
    }
    close(exec_pipe[1]);
    // Wait for the exec (or its failure), so extensions start before the runtime, in order.
    (void)sys::ReadChildFailure(exec_pipe[0]);
    close(exec_pipe[0]);
    pids.push_back(pid);
  }
  return pids;
}

bool SendFd(int socket, int fd) {
  char tag = 'L';
  return sys::SendWithFd(socket, &tag, 1, fd) == 1;
}

}  // namespace

StatusOr<int> ListenInNewNetns(uint16_t port) {
  // A new namespace's loopback starts down.
  int ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (ctl < 0) return ErrnoStatus("socket", "lo", errno);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  int rc = ioctl(ctl, SIOCGIFFLAGS, &ifr);
  if (rc == 0) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    rc = ioctl(ctl, SIOCSIFFLAGS, &ifr);
  }
  int err = errno;
  close(ctl);
  if (rc != 0) return ErrnoStatus("SIOCSIFFLAGS", "lo", err);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus("socket", "127.0.0.1", errno);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 128) != 0) {
    err = errno;
    close(fd);
    return ErrnoStatus("bind", "127.0.0.1:" + std::to_string(port), err);
  }
  return fd;
}

void RunShell(const ShellParams& p) {
  // A session of our own, without a controlling terminal: the function cannot reach the
  // terminal thaw was started from (TIOCSTI, /dev/tty), and the session id is this shell's
  // pid, which the launcher uses as the sandbox's process group.
  if (setsid() < 0) Fail(p.report_fd, sys::SpawnStep::kSession, errno, "setsid");
  // Without it a shell would outlive a launcher killed with SIGKILL, with nobody to reap it.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
    Fail(p.report_fd, sys::SpawnStep::kDeathSignal, errno, "PR_SET_PDEATHSIG");
  }
  (void)prctl(PR_SET_NAME, "thaw-shell");  // only a name in ps
  char go = 0;
  ssize_t got;
  do {
    got = read(p.go_fd, &go, 1);
  } while (got < 0 && errno == EINTR);
  if (got != 1) _exit(1);  // the launcher gave up on us
  close(p.go_fd);
  // The OOM killer must pick the function, not the init that reports its death.
  WriteFile("/proc/self/oom_score_adj", "-1000");
  // Our cgroups are in place: a cgroup namespace rooted at them, so /sys/fs/cgroup inside shows
  // this sandbox's cgroups only. Without one, /sys/fs/cgroup is left empty.
  FsSpec base = p.fs;
  base.cgroups = OwnCgroupMounts();
  if (unshare(CLONE_NEWCGROUP) != 0) base.cgroups.clear();
  errno = 0;
  if (Status s = BuildBaseFs(base); !s.ok()) {
    Fail(p.report_fd, sys::SpawnStep::kRootFs, errno, s.message());
  }
  errno = 0;
  if (Status s = MountTmp(p.fs); !s.ok()) {
    Fail(p.report_fd, sys::SpawnStep::kTmp, errno, s.message());
  }
  if (p.new_net) {
    errno = 0;
    StatusOr<int> listener = ListenInNewNetns(sys::kIsolatedRuntimeApiPort);
    if (!listener.ok() || !SendFd(p.command_fd, *listener)) {
      Fail(p.report_fd, sys::SpawnStep::kNetwork, errno,
           listener.ok() ? "cannot send the Runtime API socket" : listener.status().message());
    }
    close(*listener);  // the server holds it now; the function must not inherit it
  }
  Report(p.report_fd, ShellReport::kReady, 0);

  TmpMode mode = TmpMode::kKeepPooled;
  sys::SpawnSpec spec;
  int output_fd = -1;
  if (!ReceiveAssignment(p.command_fd, mode, spec, output_fd)) _exit(1);
  close(p.command_fd);
  FsSpec fs = p.fs;
  fs.code_dir = spec.sandbox.code_dir;
  fs.opt_dir = spec.sandbox.opt_dir;
  fs.runtime_dir = spec.sandbox.runtime_dir;
  if (mode != TmpMode::kKeepPooled) {
    // The pooled image (already unlinked by the launcher) goes; the environment's comes.
    if (umount2((fs.new_root + "/tmp").c_str(), MNT_DETACH) != 0) {
      Fail(p.report_fd, sys::SpawnStep::kTmp, errno, "umount2 the pooled /tmp");
    }
    fs.tmp_image = spec.sandbox.tmp_image;
    fs.tmp_mb = spec.sandbox.tmp_mb;
    errno = 0;
    if (Status s = MountTmp(fs); !s.ok()) {
      Fail(p.report_fd, sys::SpawnStep::kTmp, errno, s.message());
    }
  }
  std::string timings;
  errno = 0;
  if (Status s = FinishFs(fs, &timings); !s.ok()) {
    Fail(p.report_fd, sys::SpawnStep::kTask, errno, s.message());
  }
  static const char kHost[] = "localhost";
  (void)sethostname(kHost, sizeof kHost - 1);  // only cosmetic: the host's name shows instead

  struct sigaction term {};
  term.sa_handler = OnTerm;  // no SA_RESTART: waitpid below returns EINTR
  sigaction(SIGTERM, &term, nullptr);
  std::vector<pid_t> extensions = StartExtensions(p, spec, output_fd);

  int exec_pipe[2];
  if (pipe2(exec_pipe, O_CLOEXEC) != 0) Fail(p.report_fd, sys::SpawnStep::kFork, errno, "pipe2");
  timespec fork_start;
  clock_gettime(CLOCK_MONOTONIC, &fork_start);
  pid_t child = fork();
  if (child < 0) Fail(p.report_fd, sys::SpawnStep::kFork, errno, "fork");
  if (child == 0) {
    close(exec_pipe[0]);
    close(p.report_fd);
    ExecBootstrap(p, spec, output_fd, exec_pipe[1]);
  }
  close(exec_pipe[1]);
  close(output_fd);
  std::optional<sys::ChildFailure> failed = sys::ReadChildFailure(exec_pipe[0]);
  close(exec_pipe[0]);
  timespec exec_done;
  clock_gettime(CLOCK_MONOTONIC, &exec_done);
  timings += "fork+exec=" +
             std::to_string((exec_done.tv_sec - fork_start.tv_sec) * 1000000 +
                            (exec_done.tv_nsec - fork_start.tv_nsec) / 1000) +
             "us";
  if (failed) {
    Fail(p.report_fd, failed->step, failed->err, sys::ChildFailureText(*failed, spec));
  }
  Report(p.report_fd, ShellReport::kStarted, child, timings);
  // PID 1: reap everything; report the bootstrap's end and leave, taking the namespace with us.
  // An extension that exits ends the sandbox too (Lambda's Extension.Crash), unless the
  // environment is shutting down: then the shell waits for the runtime and every extension.
  size_t live_extensions = 0;
  for (pid_t e : extensions) live_extensions += e > 0 ? 1 : 0;
  bool bootstrap_done = false;
  int bootstrap_status = 0;
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      Report(p.report_fd, ShellReport::kExited, bootstrap_status);
      _exit(0);
    }
    if (pid == child) {
      bootstrap_done = true;
      bootstrap_status = status;
      if (!g_stopping || live_extensions == 0) {
        Report(p.report_fd, ShellReport::kExited, status);
        _exit(0);
      }
      continue;
    }
    auto it = std::find(extensions.begin(), extensions.end(), pid);
    if (it == extensions.end()) continue;
    *it = -1;
    --live_extensions;
    if (!g_stopping) {
      auto index = static_cast<size_t>(it - extensions.begin());
      Report(p.report_fd, ShellReport::kExited,
             static_cast<int32_t>(sys::EncodeExtensionExit(index, status)));
      _exit(0);
    }
    if (bootstrap_done && live_extensions == 0) {
      Report(p.report_fd, ShellReport::kExited, bootstrap_status);
      _exit(0);
    }
  }
}

}  // namespace thaw::sandbox
