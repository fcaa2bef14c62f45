#include "launcher/launcher.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <set>

#include "sandbox/filesystem.h"
#include "sandbox/seccomp.h"
#include "sandbox/shell.h"
#include "sys/child_exec.h"
#include "sys/fd_passing.h"
#include "sys/runtime_tree.h"

namespace thaw::launcher {

namespace {

// In a shell just cloned: keeps stdio and its three channels, moved to 3, 4 and 5, and closes the
// rest. The launcher's other descriptors (other sandboxes' cgroups and channels, its socket to
// the server) are no sandbox's business, and an open cgroup directory keeps a finished sandbox's
// memory cgroup from being freed.
void KeepOnlyShellFds(int* report, int* go, int* command) {
  const int above = std::max({*report, *go, *command, 5}) + 1;
  const int r = fcntl(*report, F_DUPFD, above);
  const int g = fcntl(*go, F_DUPFD, above);
  const int c = fcntl(*command, F_DUPFD, above);
  if (r < 0 || g < 0 || c < 0 || dup2(r, 3) < 0 || dup2(g, 4) < 0 || dup2(c, 5) < 0) _exit(1);
  if (sys::CloseFdsFrom(6) != 0) _exit(1);
  *report = 3;
  *go = 4;
  *command = 5;
}

using sandbox::Cgroup;
using sys::FixedMsg;
using sys::LauncherMsg;
using sys::SpawnStep;
using sys::UniqueFd;

constexpr int64_t kPidsMax = 1024;  // Lambda's processes+threads limit
constexpr uid_t kSandboxUid = 993;  // Lambda's sbx_user1051 has uid 993
constexpr gid_t kSandboxGid = 990;

void WarnLine(const std::string& text) { fprintf(stderr, "thaw-launcher: %s\n", text.c_str()); }

std::string ErrnoText(const char* call, int err) {
  return std::string(call) + ": " + strerror(err);
}

int64_t NowUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool LauncherAlive(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/comm", pid);
  FILE* f = fopen(path, "re");
  if (!f) return false;
  char comm[32] = {};
  bool alive = fgets(comm, sizeof comm, f) != nullptr && strncmp(comm, "thaw-launcher", 13) == 0;
  fclose(f);
  return alive;
}

// This binary's directory, with a trailing '/'.
std::string SelfDir() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "./";
  std::string self(buf, static_cast<size_t>(n));
  return self.substr(0, self.rfind('/') + 1);
}

// The fd a shell sent on its command socket, or -1.
int ReceiveFd(int socket) {
  char tag = 0;
  int fd = -1;
  if (sys::ReceiveWithFd(socket, &tag, 1, &fd) <= 0 && fd >= 0) {
    close(fd);
    fd = -1;
  }
  return fd;
}

// A shell's next report; a shell that ended without one is a kShell failure.
sandbox::ShellReport ReadReport(int fd) {
  sandbox::ShellReport report;
  ssize_t n;
  do {
    n = read(fd, &report, sizeof report);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof report)) {
    report = {};
    report.kind = sandbox::ShellReport::kFailed;
    report.value = EIO;
    report.step = SpawnStep::kShell;
    std::snprintf(report.text, sizeof report.text, "the sandbox shell ended without a report");
  }
  return report;
}

void WarnShellFailure(const sandbox::ShellReport& report) {
  WarnLine(std::string("sandbox failed at ") + sys::SpawnStepName(report.step) + " (" +
           strerror(report.value) + "): " + report.text);
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

// A plain spawn's steps as Lambda's user, without supplementary groups; the uid change clears
// every capability.
sys::ChildFailure DropToSandboxUser() {
  if (setgroups(0, nullptr) != 0) return {SpawnStep::kGroups, errno};
  if (setresgid(kSandboxGid, kSandboxGid, kSandboxGid) != 0) return {SpawnStep::kGid, errno};
  if (setresuid(kSandboxUid, kSandboxUid, kSandboxUid) != 0) return {SpawnStep::kUid, errno};
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    return {SpawnStep::kAmbientCaps, errno};
  }
  return {};
}

}  // namespace

Status PrepareProcess() {
  if (setsid() < 0) return ErrnoStatus("setsid", "", errno);
  if (prctl(PR_SET_NAME, "thaw-launcher") != 0) {
    // Only cosmetic here; the next launcher's stale-cgroup check looks for this name.
    WarnLine(ErrnoText("PR_SET_NAME", errno));
  }
  // Orphaned grandchildren (daemonizing functions) are reparented to us, so we can reap them.
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    WarnLine(std::string("not a subreaper (") + strerror(errno) +
             "): processes a function daemonizes are neither reaped nor killed by thaw");
  }
  // The server owns shutdown: SIGINT, SIGTERM and SIGHUP are held, SIGCHLD read from a signalfd.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) return ErrnoStatus("sigprocmask", "", errno);
  if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) return ErrnoStatus("signal", "SIGPIPE", errno);
  return Status::Ok();
}

Launcher::Launcher(LauncherOptions options)
    : options_(std::move(options)), buffer_(size_t{1} << 18) {}

StatusOr<std::unique_ptr<Launcher>> Launcher::Create(LauncherOptions options) {
  if (fcntl(options.control_fd, F_GETFD) < 0) {
    return ErrnoStatus("control socket", std::to_string(options.control_fd), errno);
  }
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &chld, nullptr) != 0) return ErrnoStatus("sigprocmask", "", errno);
  std::unique_ptr<Launcher> launcher(new Launcher(std::move(options)));
  launcher->signals_.Reset(signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!launcher->signals_.valid()) return ErrnoStatus("signalfd", "SIGCHLD", errno);
  launcher->SetUpSandboxing();
  launcher->SetUpPlainSpawns();
  // The pool fills in the loop, right after the hello: the server answers ~15 ms sooner.
  return launcher;
}

Launcher::~Launcher() { KillAll(); }

void Launcher::Send(LauncherMsg type, uint64_t id, int64_t a, int64_t b, uint32_t extra,
                    int64_t c) {
  FixedMsg m{static_cast<uint32_t>(type), extra, id, a, b, c};
  // A failed send means the server is gone; the loop sees that on its next receive.
  while (send(options_.control_fd, &m, sizeof m, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

// A reply carrying a file descriptor (the Runtime API socket of an isolated network namespace).
void Launcher::SendWithFd(LauncherMsg type, uint64_t id, int64_t a, int64_t b, int fd) {
  FixedMsg m{static_cast<uint32_t>(type), 0, id, a, b, 0};
  (void)sys::SendWithFd(options_.control_fd, &m, sizeof m, fd);
}

void Launcher::SendFailure(uint64_t id, SpawnStep step, int err, const std::string& text) {
  std::string wire = sys::EncodeSpawnFailure({id, step, err > 0 ? err : EIO, text});
  while (send(options_.control_fd, wire.data(), wire.size(), MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

void Launcher::Warn(const std::string& text) { WarnLine(text); }

void Launcher::Trace(const char* what, int64_t since_us) {
  if (options_.trace) {
    fprintf(stderr, "thaw-launcher: %s %lld us\n", what,
            static_cast<long long>(NowUs() - since_us));
  }
}

// The directories where thaw sits in each mounted hierarchy.
std::vector<std::string> Launcher::HierarchyBases() const {
  const auto& l = sandbox_.layout;
  std::vector<std::string> bases;
  for (const std::string& b :
       {l.v2, l.v1_memory, l.v1_cpu, l.v1_cpuacct, l.v1_pids, l.v1_freezer}) {
    if (!b.empty()) bases.push_back(b);
  }
  return bases;
}

// Cgroups of launchers that died without cleaning up ("thaw/i<pid>" whose pid is gone), in
// whichever hierarchies they were left.
void Launcher::RemoveStaleInstances() {
  std::set<std::string> stale;
  for (const std::string& base : HierarchyBases()) {
    DIR* dir = opendir((base + "/thaw").c_str());
    if (!dir) continue;
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] != 'i') continue;
      pid_t pid = atoi(e->d_name + 1);
      if (pid > 0 && pid != getpid() && !LauncherAlive(pid)) stale.emplace(e->d_name);
    }
    closedir(dir);
  }
  for (const std::string& name : stale) {
    auto removed = sandbox::RemoveStaleCgroups(sandbox_.layout, "thaw/" + name);
    if (!removed.ok()) Warn("stale cgroups: " + removed.status().ToString());
    for (std::string dir : HierarchyBases()) {
      dir.append("/thaw/").append(name);
      if (rmdir(dir.c_str()) != 0 && errno != ENOENT) Warn(ErrnoText("rmdir", errno) + " " + dir);
    }
  }
}

// Images of environments of an earlier run: no environment survives a restart.
void Launcher::RemoveStaleImages() {
  if (sandbox_.tmp_dir.empty()) return;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(sandbox_.tmp_dir, ec)) {
    std::error_code removed;
    std::filesystem::remove_all(entry.path(), removed);  // images, or plain /tmp directories
    if (removed) Warn("remove " + entry.path().string() + ": " + removed.message());
  }
}

void Launcher::SetUpSandboxing() {
  if (!options_.sandbox) return;
  if (geteuid() != 0) {
    Warn("not root: functions run without namespaces, cgroup limits or freezing");
    return;
  }
  if (options_.state_dir.empty()) {
    Warn("no --state-dir: functions run without namespaces, cgroup limits or freezing");
    return;
  }
  // Resolved once: every path a spawn request names is checked against it.
  char state[PATH_MAX];
  if (!realpath(options_.state_dir.c_str(), state)) {
    Warn("state dir " + options_.state_dir + ": " + strerror(errno) +
         "; functions run without namespaces, cgroup limits or freezing");
    return;
  }
  options_.state_dir = state;
  std::string base = options_.state_dir + "/sandbox";
  sandbox_.new_root = base + "/root";
  sandbox_.tmp_dir = base + "/tmp";
  if (std::string host = SelfDir() + "thaw-host"; access(host.c_str(), X_OK) == 0) {
    sandbox_.host_binary = host;
  }
  for (const std::string& d : {base, sandbox_.new_root, sandbox_.tmp_dir}) {
    if (mkdir(d.c_str(), 0700) != 0 && errno != EEXIST) {
      Warn("mkdir " + d + ": " + strerror(errno) +
           "; functions run without namespaces, cgroup limits or freezing");
      sandbox_.tmp_dir.clear();
      return;
    }
  }
  sandbox_.roots.code = options_.state_dir + "/code";
  sandbox_.roots.tmp_dir = sandbox_.tmp_dir;
  if (char runtimes[PATH_MAX]; realpath(sys::RuntimesRoot().c_str(), runtimes)) {
    sandbox_.roots.runtimes = runtimes;  // managed runtimes' trees (none installed: none served)
  }
  sandbox_.namespaces = true;
  sandbox_.features |= sys::kFeatureNamespaces | sys::kFeatureUnprivileged;
  auto seccomp = sandbox::BuildSeccompFilter();
  if (seccomp.ok()) {
    sandbox_.seccomp = std::move(*seccomp);
    sandbox_.features |= sys::kFeatureSeccomp;
  } else {
    Warn("seccomp unavailable: " + seccomp.status().ToString());
  }
  sandbox_.tmp_images =
      !sandbox::FindMke2fs().empty() && access("/dev/loop-control", R_OK | W_OK) == 0;
  RemoveStaleImages();
  if (sandbox_.tmp_images) {
    sandbox_.tmp_template = base + "/template-512.img";
    if (unlink(sandbox_.tmp_template.c_str()) != 0 && errno != ENOENT) {
      Warn(ErrnoText("unlink", errno) + " " + sandbox_.tmp_template);
    }
    Status made = sandbox::CreateTmpImage(sandbox_.tmp_template, sandbox_.pool_tmp_mb, kSandboxUid,
                                          kSandboxGid);
    if (!made.ok()) {
      Warn("no size-limited /tmp: " + made.ToString());
      sandbox_.tmp_images = false;
    }
  } else {
    Warn("no size-limited /tmp (mke2fs or /dev/loop-control missing): /tmp is a plain directory");
  }
  if (sandbox_.tmp_images) sandbox_.features |= sys::kFeatureTmpLimit;

  auto layout = sandbox::DetectCgroupLayout();
  if (!layout.ok()) {
    Warn("no cgroups: " + layout.status().ToString());
    return;
  }
  sandbox_.layout = std::move(*layout);
  RemoveStaleInstances();
  std::string name = "i" + std::to_string(getpid());
  auto instance = Cgroup::Create(sandbox_.layout, "thaw", name);
  if (!instance.ok()) {
    Warn("cannot create cgroups: " + instance.status().ToString());
    return;
  }
  sandbox_.instance = std::make_unique<Cgroup>(std::move(*instance));
  sandbox_.parent = "thaw/" + name;
  using sandbox::Feature;
  using sandbox::Provider;
  const auto& l = sandbox_.layout;
  if (l.ProviderOf(Feature::kMemory) != Provider::kNone) sandbox_.features |= sys::kFeatureMemory;
  if (l.ProviderOf(Feature::kCpu) != Provider::kNone) sandbox_.features |= sys::kFeatureCpu;
  if (l.ProviderOf(Feature::kPids) != Provider::kNone) sandbox_.features |= sys::kFeaturePids;
  Provider freezer = l.ProviderOf(Feature::kFreezer);
  if (freezer == Provider::kV2) sandbox_.features |= sys::kFeatureFreezeV2;
  if (freezer == Provider::kV1) sandbox_.features |= sys::kFeatureFreezeV1;
}

// As root without a sandbox: the state dir's code and thaw-host must be reachable by the
// unprivileged uid, or every function would fail to start; else functions run as root, said
// here.
void Launcher::SetUpPlainSpawns() {
  if (sandbox_.namespaces || geteuid() != 0) return;
  std::string state = options_.state_dir;
  if (char resolved[PATH_MAX]; !state.empty() && realpath(state.c_str(), resolved)) {
    state = resolved;
  }
  std::string code = state + "/code";
  bool reachable = !options_.state_dir.empty() && ReachableByOthers(state) &&
                   (access(code.c_str(), F_OK) != 0 || ReachableByOthers(code)) &&
                   ReachableByOthers(SelfDir());
  if (!reachable) {
    Warn("functions run as ROOT: uid " + std::to_string(kSandboxUid) + " cannot reach " +
         (state.empty() ? std::string("the state dir") : state) + " or " + SelfDir() +
         " (a directory on the way is not searchable by others)");
    return;
  }
  sandbox_.plain_unprivileged = true;
  sandbox_.features |= sys::kFeatureUnprivileged;
}

void Launcher::ExecChild(const sys::SpawnSpec& spec, int out_fd, int status_fd) {
  pid_t launcher = getppid();
  // A new session, so the function has no controlling terminal (no TIOCSTI into the operator's
  // shell); it is also a new process group, so the environment is signalled at once (kill(-pgid)).
  sys::ChildFailure failure;
  if (setsid() < 0) failure = {SpawnStep::kSession, errno};
  // Fds first, while /proc/self/fd is still ours to list.
  int fds = sys::SetUpChildFds(out_fd, status_fd);
  if (failure.err == 0 && fds != 0) failure = {SpawnStep::kFds, fds};
  if (failure.err == 0 && sandbox_.plain_unprivileged) failure = DropToSandboxUser();
  // After the uid change, which clears it; then make sure the launcher did not die meanwhile.
  if (failure.err == 0 && prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
    failure = {SpawnStep::kDeathSignal, errno};
  }
  if (getppid() != launcher) _exit(1);
  sys::ExecOrReport(spec, failure);
}

std::string Launcher::PooledTmpPath(uint64_t serial) const {
  return sandbox_.tmp_dir + "/s" + std::to_string(serial) + (sandbox_.tmp_images ? ".img" : ".d");
}

// Clones `n` shells. Cgroups are made first and the v1 moves done back to back: a lone move
// into a v1 cgroup waits for an RCU grace period (~6 ms), a batch pays it about once.
std::vector<Launcher::PooledShell> Launcher::CloneShells(size_t n, bool net) {
  std::vector<PooledShell> shells;
  for (size_t i = 0; i < n; ++i) {
    PooledShell shell;
    shell.serial = next_serial_++;
    std::string name = "s" + std::to_string(shell.serial);
    if (sandbox_.instance) {
      auto created = Cgroup::Create(sandbox_.layout, sandbox_.parent, name);
      if (!created.ok()) {
        Warn("sandbox cgroup: " + created.status().ToString());
        break;
      }
      shell.cgroup = std::make_unique<Cgroup>(std::move(*created));
    }
    shell.tmp = PooledTmpPath(shell.serial);
    if (sandbox_.tmp_images) {
      Status copied = sandbox::CopySparse(sandbox_.tmp_template, shell.tmp);
      if (!copied.ok()) {
        Warn("tmp image: " + copied.ToString());
        break;
      }
    } else if (mkdir(shell.tmp.c_str(), 0700) != 0 ||
               chown(shell.tmp.c_str(), kSandboxUid, kSandboxGid) != 0) {
      Warn(ErrnoText("tmp directory", errno) + " " + shell.tmp);
      break;
    }
    int report_pipe[2], go_pipe[2], command_pair[2];
    if (pipe2(report_pipe, O_CLOEXEC) != 0) {
      Warn(ErrnoText("pipe2", errno));
      break;
    }
    UniqueFd report_read(report_pipe[0]), report_write(report_pipe[1]);
    if (pipe2(go_pipe, O_CLOEXEC) != 0) {
      Warn(ErrnoText("pipe2", errno));
      break;
    }
    UniqueFd go_read(go_pipe[0]), go_write(go_pipe[1]);
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, command_pair) != 0) {
      Warn(ErrnoText("socketpair", errno));
      break;
    }
    UniqueFd command_ours(command_pair[0]), command_theirs(command_pair[1]);

    clone_args args{};
    args.flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS;
    // A network namespace costs 0.5-5 ms: only functions that ask for one get it, made on demand.
    if (net) args.flags |= CLONE_NEWNET;
    shell.net = net;
    args.exit_signal = SIGCHLD;
    bool into_cgroup = shell.cgroup && shell.cgroup->v2_dir_fd() >= 0;
    if (into_cgroup) {
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = static_cast<uint64_t>(shell.cgroup->v2_dir_fd());
    }
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) {
      report_read.Reset();
      go_write.Reset();
      command_ours.Reset();
      sandbox::ShellParams params;
      params.fs.new_root = sandbox_.new_root;
      params.fs.hidden = {options_.state_dir};
      params.fs.host_binary = sandbox_.host_binary;
      if (sandbox_.tmp_images) {
        params.fs.tmp_image = shell.tmp;
      } else {
        params.fs.tmp_dir = shell.tmp;
      }
      params.fs.tmp_mb = sandbox_.pool_tmp_mb;
      params.fs.uid = kSandboxUid;
      params.fs.gid = kSandboxGid;
      params.seccomp = sandbox_.seccomp.empty() ? nullptr : &sandbox_.seccomp;
      params.uid = kSandboxUid;
      params.gid = kSandboxGid;
      params.report_fd = report_write.Release();
      params.go_fd = go_read.Release();
      params.command_fd = command_theirs.Release();
      KeepOnlyShellFds(&params.report_fd, &params.go_fd, &params.command_fd);
      params.new_net = net;
      sandbox::RunShell(params);
    }
    if (pid < 0) {
      Warn(ErrnoText("clone3", errno));
      break;
    }
    shell.pid = static_cast<pid_t>(pid);
    // No setpgid here: the shell makes its own session (and group) with setsid (RunShell),
    // which fails once it leads a group.
    shell.reports = std::move(report_read);
    shell.command = std::move(command_ours);
    // The go pipe is kept open until the moves below are done.
    shell.go.Reset(go_write.Release());
    shells.push_back(std::move(shell));
  }
  for (auto& shell : shells) {
    if (!shell.cgroup) continue;
    bool in_v2 = shell.cgroup->v2_dir_fd() >= 0;
    Status moved = shell.cgroup->AddProcess(shell.pid, /*skip_v2=*/in_v2);
    if (!moved.ok()) Warn("cgroup move: " + moved.ToString());
  }
  for (auto& shell : shells) {
    char go = 1;
    // A shell that cannot read it has died; its exit is reaped and its spawn fails then.
    if (write(shell.go.get(), &go, 1) != 1) Warn(ErrnoText("go-ahead to a shell", errno));
    shell.go.Reset();
  }
  return shells;
}

void Launcher::RefillPool() {
  if (!sandbox_.namespaces || pool_.size() >= options_.pool) return;
  int64_t t0 = NowUs();
  for (auto& shell : CloneShells(options_.pool - pool_.size())) pool_.push_back(std::move(shell));
  Trace("refill", t0);
}

void Launcher::DiscardShell(PooledShell& shell) {
  if (shell.pid > 0) {
    kill(shell.pid, SIGKILL);
    waitpid(shell.pid, nullptr, 0);
  }
  if (shell.cgroup) (void)shell.cgroup->Remove();  // else swept with the instance at exit
  if (!shell.tmp.empty()) {
    std::error_code ignored;  // already gone when the environment adopted it
    std::filesystem::remove_all(shell.tmp, ignored);
  }
}

// A sandboxed spawn: take a pooled shell (or clone one now), set the function's limits on its
// cgroup, and hand it the spec; it execs the bootstrap and reports.
void Launcher::SpawnSandboxed(const sys::SpawnSpec& spec, UniqueFd output) {
  using sandbox::ShellReport;
  using sandbox::TmpMode;
  std::deque<PooledShell> own;
  if (spec.sandbox.isolated_network) {
    for (auto& shell : CloneShells(1, /*net=*/true)) own.push_back(std::move(shell));
  } else if (pool_.empty()) {
    // A burst beyond the pool: clone a batch, so the v1 moves are paid once for several.
    for (auto& shell : CloneShells(std::max<size_t>(1, options_.pool))) {
      pool_.push_back(std::move(shell));
    }
  }
  std::deque<PooledShell>& source = spec.sandbox.isolated_network ? own : pool_;
  if (source.empty()) {
    SendFailure(spec.id, SpawnStep::kShell, EAGAIN, "no sandbox shell could be made");
    return;
  }
  PooledShell shell = std::move(source.front());
  source.pop_front();
  int64_t t0 = NowUs();
  ShellReport ready = ReadReport(shell.reports.get());
  Trace("spawn: wait for a ready shell", t0);
  t0 = NowUs();
  if (ready.kind != ShellReport::kReady) {
    WarnShellFailure(ready);
    DiscardShell(shell);
    SendFailure(spec.id, ready.step, ready.value, ready.text);
    return;
  }
  UniqueFd runtime_listener;
  if (shell.net) {
    runtime_listener.Reset(ReceiveFd(shell.command.get()));
    if (!runtime_listener.valid()) {
      DiscardShell(shell);
      SendFailure(spec.id, SpawnStep::kNetwork, EIO, "no Runtime API socket from the shell");
      return;
    }
  }
  if (shell.cgroup) {
    Status limits =
        shell.cgroup->SetLimits(sandbox::LimitsForMemory(spec.sandbox.memory_mb, kPidsMax));
    if (!limits.ok()) Warn("limits: " + limits.ToString());
  }
  // /tmp: the environment keeps its own across resets; a first start adopts the pooled one.
  std::string env_tmp = spec.sandbox.tmp_image + (sandbox_.tmp_images ? "" : ".d");
  struct stat st {};
  TmpMode mode = TmpMode::kKeepPooled;
  if (stat(env_tmp.c_str(), &st) == 0) {
    mode = TmpMode::kMountExisting;
  } else {
    // A size other than the pool's needs a new image; otherwise the pooled one is adopted.
    bool adopt = !(sandbox_.tmp_images && spec.sandbox.tmp_mb != sandbox_.pool_tmp_mb) &&
                 rename(shell.tmp.c_str(), env_tmp.c_str()) == 0;
    if (!adopt) mode = TmpMode::kCreate;
  }
  if (mode != TmpMode::kKeepPooled) {
    if (sandbox_.tmp_images) {
      // Still mounted in the shell until it swaps it out.
      if (unlink(shell.tmp.c_str()) != 0) Warn(ErrnoText("unlink", errno) + " " + shell.tmp);
    } else {
      if (rmdir(shell.tmp.c_str()) != 0) Warn(ErrnoText("rmdir", errno) + " " + shell.tmp);
      if (mode == TmpMode::kCreate && (mkdir(env_tmp.c_str(), 0700) != 0 ||
                                       chown(env_tmp.c_str(), kSandboxUid, kSandboxGid) != 0)) {
        int err = errno;
        DiscardShell(shell);
        SendFailure(spec.id, SpawnStep::kTmp, err, "tmp directory " + env_tmp);
        return;
      }
    }
  }
  Trace("spawn: limits and /tmp", t0);
  t0 = NowUs();
  std::string packet(sizeof(uint32_t), '\0');
  auto word = static_cast<uint32_t>(mode);
  std::memcpy(packet.data(), &word, sizeof word);
  packet.append(sys::EncodeSpawn(spec));
  ShellReport started;
  if (sys::SendWithFd(shell.command.get(), packet.data(), packet.size(), output.get()) < 0) {
    started.kind = ShellReport::kFailed;
    started.value = errno;
    started.step = SpawnStep::kShell;
    std::snprintf(started.text, sizeof started.text, "hand-off to the sandbox shell");
  } else {
    output.Reset();
    started = ReadReport(shell.reports.get());
  }
  shell.command.Reset();
  Trace("spawn: hand-off until exec", t0);
  if (options_.trace) Warn(std::string("shell: ") + started.text);
  if (started.kind != ShellReport::kStarted) {
    WarnShellFailure(started);
    DiscardShell(shell);
    SendFailure(spec.id, started.step, started.value, started.text);
    return;
  }
  if (fcntl(shell.reports.get(), F_SETFL, O_NONBLOCK) != 0) {
    Warn(ErrnoText("fcntl O_NONBLOCK", errno));  // exits are then read as they come
  }
  groups_[shell.pid] = Group{std::move(shell.cgroup), std::move(shell.reports)};
  if (runtime_listener.valid()) {
    SendWithFd(LauncherMsg::kSpawned, spec.id, shell.pid, static_cast<int64_t>(shell.serial),
               runtime_listener.get());
    return;
  }
  Send(LauncherMsg::kSpawned, spec.id, shell.pid, static_cast<int64_t>(shell.serial));
}

void Launcher::HandleSpawn(const char* data, size_t len, UniqueFd output) {
  auto spec = sys::DecodeSpawn(data, len);
  if (!spec || !output.valid()) {
    SendFailure(sys::PeekSpawnId(data, len), SpawnStep::kRequest, EINVAL,
                spec ? "no output fd attached" : "malformed spawn request");
    return;
  }
  if (spec->sandbox.enabled && sandbox_.namespaces) {
    // The shell mounts these as root: only paths inside the state directory's trees, resolved.
    if (Status paths = CheckSandboxPaths(sandbox_.roots, *spec); !paths.ok()) {
      Warn("spawn refused: " + paths.ToString());
      SendFailure(spec->id, SpawnStep::kRequest, EPERM, "spawn refused: " + paths.message());
      return;
    }
    SpawnSandboxed(*spec, std::move(output));
    return;
  }
  SpawnPlain(*spec, std::move(output));
}

void Launcher::SpawnPlain(const sys::SpawnSpec& spec, UniqueFd output) {
  int status_pipe[2];
  if (pipe2(status_pipe, O_CLOEXEC) != 0) {
    SendFailure(spec.id, SpawnStep::kFork, errno, "pipe2");
    return;
  }
  UniqueFd status_read(status_pipe[0]), status_write(status_pipe[1]);
  pid_t pid = fork();
  if (pid == 0) {
    status_read.Reset();
    ExecChild(spec, output.get(), status_write.get());
  }
  int fork_err = errno;
  status_write.Reset();
  output.Reset();
  if (pid < 0) {
    SendFailure(spec.id, SpawnStep::kFork, fork_err, "fork");
    return;
  }
  // No setpgid from here: it could make the child a group leader before its setsid, which then
  // fails. The reply waits for the exec, and the child's setsid comes before that.
  // The status pipe closes on a successful exec (CLOEXEC) or carries the failed step.
  std::optional<sys::ChildFailure> failed = sys::ReadChildFailure(status_read.get());
  if (failed) {
    // The child exits at once; its exit is reaped but not reported, since it never ran.
    waitpid(pid, nullptr, 0);
    SendFailure(spec.id, failed->step, failed->err, sys::ChildFailureText(*failed, spec));
    return;
  }
  groups_[pid] = Group{};
  Send(LauncherMsg::kSpawned, spec.id, pid, 0);
}

// Reports an exit. For a sandbox the shell has sent the bootstrap's own wait status, and the
// cgroup knows the peak memory and whether the OOM killer struck; then the cgroup goes.
void Launcher::ReportExit(pid_t pid, int status, const rusage& usage) {
  for (auto it = pool_.begin(); it != pool_.end(); ++it) {
    if (it->pid != pid) continue;
    Warn("a pooled shell died during setup");
    it->pid = -1;
    DiscardShell(*it);
    pool_.erase(it);
    return;
  }
  int64_t peak_kib = usage.ru_maxrss;
  int64_t oom_kills = 0;
  auto it = groups_.find(pid);
  if (it != groups_.end()) {
    Group& group = it->second;
    sandbox::ShellReport report;
    while (group.reports.valid() &&
           read(group.reports.get(), &report, sizeof report) == sizeof report) {
      if (report.kind == sandbox::ShellReport::kExited) status = report.value;
    }
    if (group.cgroup) {
      auto peak = group.cgroup->MemoryPeakBytes();
      if (peak.ok()) peak_kib = *peak / 1024;
      auto ooms = group.cgroup->OomKills();
      if (ooms.ok()) oom_kills = *ooms;
      (void)group.cgroup->Kill();  // stragglers; the graveyard retries the removal
      graveyard_.push_back(std::move(group.cgroup));
    }
    groups_.erase(it);
  }
  Send(LauncherMsg::kExited, 0, pid, status, static_cast<uint32_t>(peak_kib), oom_kills);
}

void Launcher::ReapChildren() {
  for (;;) {
    int status = 0;
    // wait4's rusage is the only memory figure left once an unsandboxed process is gone.
    rusage usage{};
    pid_t pid = wait4(-1, &status, WNOHANG, &usage);
    if (pid <= 0) return;
    ReportExit(pid, status, usage);
  }
}

void Launcher::SweepGraveyard() {
  std::vector<std::unique_ptr<Cgroup>> left;
  for (auto& cgroup : graveyard_) {
    if (!cgroup->Remove(std::chrono::milliseconds(0)).ok()) left.push_back(std::move(cgroup));
  }
  graveyard_ = std::move(left);
}

void Launcher::HandleKill(const FixedMsg& m) {
  // Only a real process group and a real signal: kill(-1) or a pgid cut short by the cast would
  // reach processes that are not ours.
  if (m.id <= 1 || m.id > static_cast<uint64_t>(INT32_MAX) || m.a < 1 || m.a > SIGRTMAX) {
    Warn("ignored a kill of group " + std::to_string(m.id) + " with signal " + std::to_string(m.a));
    return;
  }
  auto pgid = static_cast<pid_t>(m.id);
  if (kill(-pgid, static_cast<int>(m.a)) != 0 && errno != ESRCH) {
    Warn(ErrnoText("kill", errno) + " group " + std::to_string(pgid));
  }
  auto it = groups_.find(pgid);
  if (m.a == SIGKILL && it != groups_.end() && it->second.cgroup) {
    // Dying takes CPU too: a function that spent its quota would exit (and its shell reap it)
    // only in the next CFS period, up to 20 ms later. Lift the quota first.
    sandbox::CgroupLimits unthrottled;
    unthrottled.cpu_period_us = sandbox::kCpuPeriodUs;
    unthrottled.cpu_quota_us = 64 * sandbox::kCpuPeriodUs;
    Cgroup& cgroup = *it->second.cgroup;
    if (Status s = cgroup.SetLimits(unthrottled); !s.ok()) Warn("unthrottle: " + s.ToString());
    if (Status s = cgroup.Kill(); !s.ok()) Warn("cgroup kill: " + s.ToString());
    // A v1-frozen task dies only once thawed; without a freezer there is nothing to thaw.
    if (Status s = cgroup.Thaw(); !s.ok() && s.code() != StatusCode::kFailedPrecondition) {
      Warn("thaw: " + s.ToString());
    }
  }
}

void Launcher::HandleMessage(const char* data, size_t len, UniqueFd passed) {
  uint32_t type = 0;
  if (len >= sizeof type) std::memcpy(&type, data, sizeof type);
  if (type == static_cast<uint32_t>(LauncherMsg::kSpawn)) {
    HandleSpawn(data, len, std::move(passed));
    return;
  }
  if (len != sizeof(FixedMsg)) {
    Warn("ignored a malformed message of " + std::to_string(len) + " bytes");
    return;
  }
  FixedMsg m;
  std::memcpy(&m, data, sizeof m);
  if (m.type == static_cast<uint32_t>(LauncherMsg::kKill)) {
    HandleKill(m);
  } else if (m.type != static_cast<uint32_t>(LauncherMsg::kShutdown)) {
    Warn("ignored a message of type " + std::to_string(m.type));
  }
}

void Launcher::SendHello() { Send(LauncherMsg::kHello, 0, getpid(), 0, sandbox_.features); }

bool Launcher::Step(int idle_timeout_ms) {
  pollfd fds[2] = {{options_.control_fd, POLLIN, 0}, {signals_.get(), POLLIN, 0}};
  // Refill the pool only when nothing else is waiting: a burst is served first.
  bool refill = sandbox_.namespaces && pool_.size() < options_.pool;
  int timeout = refill ? 0 : graveyard_.empty() ? idle_timeout_ms : 10;
  if (idle_timeout_ms >= 0) timeout = std::min(timeout, idle_timeout_ms);
  int ready = poll(fds, 2, timeout);
  if (ready < 0) {
    if (errno == EINTR) return true;
    Warn(ErrnoText("poll", errno));
    return false;
  }
  if (ready == 0) {
    SweepGraveyard();
    RefillPool();
    return true;
  }
  if (fds[1].revents & POLLIN) {
    signalfd_siginfo info;
    while (read(signals_.get(), &info, sizeof info) > 0) {
    }
    ReapChildren();
    SweepGraveyard();
  }
  if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
    int passed_fd = -1;
    ssize_t n = sys::ReceiveWithFd(options_.control_fd, buffer_.data(), buffer_.size(), &passed_fd);
    UniqueFd passed(passed_fd);
    if (n <= 0) return false;  // the server is gone
    auto len = static_cast<size_t>(n);
    if (len == sizeof(FixedMsg)) {
      uint32_t type = 0;
      std::memcpy(&type, buffer_.data(), sizeof type);
      if (type == static_cast<uint32_t>(LauncherMsg::kShutdown)) return false;
    }
    HandleMessage(buffer_.data(), len, std::move(passed));
  }
  return true;
}

void Launcher::Run() {
  SendHello();
  while (Step(-1)) {
  }
  KillAll();
}

void Launcher::KillAll() {
  if (killed_all_) return;
  killed_all_ = true;
  for (auto& shell : pool_) kill(shell.pid, SIGKILL);
  for (auto& [pgid, group] : groups_) {
    kill(-pgid, SIGKILL);
    if (group.cgroup) (void)group.cgroup->Kill();  // best effort: the loop below waits
  }
  for (int round = 0; round < 200; ++round) {
    pid_t r;
    while ((r = waitpid(-1, nullptr, WNOHANG)) > 0) {
    }
    if (r < 0 && errno == ECHILD) break;
    KillStrayChildren();
    usleep(10000);
  }
  for (auto& [pgid, group] : groups_) {
    if (group.cgroup) (void)group.cgroup->Remove();
  }
  groups_.clear();
  for (auto& cgroup : graveyard_) (void)cgroup->Remove();
  graveyard_.clear();
  for (auto& shell : pool_) {
    shell.pid = -1;
    DiscardShell(shell);
  }
  pool_.clear();
  if (sandbox_.instance) {
    if (Status s = sandbox_.instance->Remove(); !s.ok()) Warn("cgroups: " + s.ToString());
  }
  sandbox_.instance.reset();
  // The shared parent goes too once no other thaw uses it (rmdir fails while one does).
  for (const std::string& base : HierarchyBases()) rmdir((base + "/thaw").c_str());
  RemoveStaleImages();
}

}  // namespace thaw::launcher
