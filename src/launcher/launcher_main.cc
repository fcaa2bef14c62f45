// thaw-launcher: forks and execs function processes on the server's behalf, reaps them, and
// reports exits. Single-threaded: one poll loop over the control socket and a signalfd.
// If the server goes away (its end of the socket closes, even after kill -9), every process
// group the launcher started is SIGKILLed and every cgroup it made is removed, so nothing
// outlives thaw. A launcher that was itself killed leaves cgroups behind; the next one removes
// them at start.
//
// Sandboxed spawns (as root): the process is cloned into new PID/mount/IPC/UTS namespaces and
// its own cgroup (memory, CPU, pids limits; freezer), runs sandbox::RunShell, and execs the
// function as an unprivileged user (see src/sandbox/shell.h). Otherwise it is a plain process
// (as root: run as uid 993 when that uid can reach the code), and the hello message tells the
// server which limits are not enforced. Every process it starts is in a session of its own, so
// none shares thaw serve's controlling terminal. Spawn requests are decoded strictly
// (sys/launcher_protocol.h) and a sandbox's host paths re-checked (launcher/spawn_paths.h).
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "launcher/spawn_paths.h"
#include "sandbox/cgroup.h"
#include "sandbox/filesystem.h"
#include "sandbox/seccomp.h"
#include "sandbox/shell.h"
#include "sys/child_exec.h"
#include "sys/fd_passing.h"
#include "sys/launcher_protocol.h"
#include "sys/unique_fd.h"

namespace {

using thaw::sys::FixedMsg;
using thaw::sys::LauncherMsg;

using thaw::Status;
using thaw::sandbox::Cgroup;
using thaw::sys::UniqueFd;

constexpr int kControlFd = 3;
constexpr int64_t kPidsMax = 1024;  // Lambda's processes+threads limit
constexpr uid_t kSandboxUid = 993;  // Lambda's sbx_user1051 has uid 993
constexpr gid_t kSandboxGid = 990;

struct Options {
  std::string state_dir;
  bool sandbox = true;
  size_t pool = 4;  // shells kept ready ahead of demand
};

// A sandbox the launcher made: its cgroup and the shell's report pipe.
struct Group {
  std::unique_ptr<Cgroup> cgroup;
  UniqueFd reports;
};

struct Sandboxing {
  bool namespaces = false;
  uint32_t features = 0;
  thaw::sandbox::CgroupLayout layout;
  std::string parent;  // our cgroup below each hierarchy's position: "thaw/i<pid>"
  std::unique_ptr<Cgroup> instance;
  std::vector<sock_filter> seccomp;
  std::string new_root;
  std::string host_binary;  // thaw-host beside this binary, for the non-native mechanisms
  std::string tmp_dir;      // images (or plain directories) for /tmp
  bool tmp_images = false;
  std::string tmp_template;          // a formatted image, copied for each pooled shell
  int64_t pool_tmp_mb = 512;         // Lambda's default EphemeralStorage
  thaw::launcher::SpawnRoots roots;  // where a spawn request's host paths may point
};

std::map<pid_t, Group> g_groups;  // process groups we started and that may still have members
// Cgroups of exited sandboxes, removed once the kernel lets go of them: a zombie keeps its
// cgroup busy until reaped, and we are the reaper, so we must not wait for it in rmdir.
std::vector<std::unique_ptr<Cgroup>> g_graveyard;

void SweepGraveyard() {
  std::vector<std::unique_ptr<Cgroup>> left;
  for (auto& cgroup : g_graveyard) {
    if (!cgroup->Remove(std::chrono::milliseconds(0)).ok()) left.push_back(std::move(cgroup));
  }
  g_graveyard = std::move(left);
}
Sandboxing g_sandbox;
Options g_options;

void Send(LauncherMsg type, uint64_t id, int64_t a, int64_t b, uint32_t extra = 0, int64_t c = 0) {
  FixedMsg m{static_cast<uint32_t>(type), extra, id, a, b, c};
  while (send(kControlFd, &m, sizeof m, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

// A reply carrying a file descriptor (the Runtime API socket of an isolated network namespace).
void SendWithFd(LauncherMsg type, uint64_t id, int64_t a, int64_t b, int fd) {
  FixedMsg m{static_cast<uint32_t>(type), 0, id, a, b, 0};
  (void)thaw::sys::SendWithFd(kControlFd, &m, sizeof m, fd);
}

// The fd a shell sent on its command socket, or -1.
int ReceiveFd(int socket) {
  char tag = 0;
  int fd = -1;
  if (thaw::sys::ReceiveWithFd(socket, &tag, 1, &fd) <= 0 && fd >= 0) {
    close(fd);
    fd = -1;
  }
  return fd;
}

void Warn(const std::string& text) { fprintf(stderr, "thaw-launcher: %s\n", text.c_str()); }

// THAW_LAUNCHER_TRACE=1: the cost of each step of a spawn and an exit, on stderr.
bool g_trace = getenv("THAW_LAUNCHER_TRACE") != nullptr;
int64_t NowUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
void Trace(const char* what, int64_t since_us) {
  if (g_trace)
    fprintf(stderr, "thaw-launcher: %s %lld us\n", what,
            static_cast<long long>(NowUs() - since_us));
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

// The directories where thaw sits in each mounted hierarchy.
std::vector<std::string> HierarchyBases() {
  const auto& l = g_sandbox.layout;
  std::vector<std::string> bases;
  for (const std::string& b :
       {l.v2, l.v1_memory, l.v1_cpu, l.v1_cpuacct, l.v1_pids, l.v1_freezer}) {
    if (!b.empty()) bases.push_back(b);
  }
  return bases;
}

// Cgroups of launchers that died without cleaning up ("thaw/i<pid>" whose pid is gone), in
// whichever hierarchies they were left.
void RemoveStaleInstances() {
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
    auto removed = thaw::sandbox::RemoveStaleCgroups(g_sandbox.layout, "thaw/" + name);
    if (!removed.ok()) Warn("stale cgroups: " + removed.status().ToString());
    for (std::string dir : HierarchyBases()) {
      dir.append("/thaw/").append(name);
      rmdir(dir.c_str());
    }
  }
}

// Images of environments of an earlier run: no environment survives a restart.
void RemoveStaleImages() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(g_sandbox.tmp_dir, ec)) {
    std::error_code ignored;
    std::filesystem::remove_all(entry.path(), ignored);  // images, or plain /tmp directories
  }
}

// This binary's directory, with a trailing '/'.
std::string SelfDir() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "./";
  std::string self(buf, static_cast<size_t>(n));
  return self.substr(0, self.rfind('/') + 1);
}

void SetUpSandboxing() {
  if (!g_options.sandbox) return;
  if (geteuid() != 0) {
    Warn("not root: functions run without namespaces, cgroup limits or freezing");
    return;
  }
  if (g_options.state_dir.empty()) {
    Warn("no --state-dir: functions run without namespaces, cgroup limits or freezing");
    return;
  }
  // Resolved once: every path a spawn request names is checked against it.
  char state[PATH_MAX];
  if (!realpath(g_options.state_dir.c_str(), state)) {
    Warn("state dir " + g_options.state_dir + ": " + strerror(errno) +
         "; functions run without namespaces, cgroup limits or freezing");
    return;
  }
  g_options.state_dir = state;
  std::string base = g_options.state_dir + "/sandbox";
  g_sandbox.new_root = base + "/root";
  g_sandbox.tmp_dir = base + "/tmp";
  if (std::string host = SelfDir() + "thaw-host"; access(host.c_str(), X_OK) == 0) {
    g_sandbox.host_binary = host;
  }
  for (const std::string& d : {base, g_sandbox.new_root, g_sandbox.tmp_dir}) {
    if (mkdir(d.c_str(), 0700) != 0 && errno != EEXIST) {
      Warn("mkdir " + d + ": " + strerror(errno));
      return;
    }
  }
  g_sandbox.roots.code = g_options.state_dir + "/code";
  g_sandbox.roots.tmp_dir = g_sandbox.tmp_dir;
  g_sandbox.namespaces = true;
  g_sandbox.features |= thaw::sys::kFeatureNamespaces | thaw::sys::kFeatureUnprivileged;
  auto seccomp = thaw::sandbox::BuildSeccompFilter();
  if (seccomp.ok()) {
    g_sandbox.seccomp = std::move(*seccomp);
    g_sandbox.features |= thaw::sys::kFeatureSeccomp;
  } else {
    Warn("seccomp unavailable: " + seccomp.status().ToString());
  }
  g_sandbox.tmp_images =
      !thaw::sandbox::FindMke2fs().empty() && access("/dev/loop-control", R_OK | W_OK) == 0;
  RemoveStaleImages();
  if (g_sandbox.tmp_images) {
    g_sandbox.tmp_template = base + "/template-512.img";
    unlink(g_sandbox.tmp_template.c_str());
    Status made = thaw::sandbox::CreateTmpImage(g_sandbox.tmp_template, g_sandbox.pool_tmp_mb,
                                                kSandboxUid, kSandboxGid);
    if (!made.ok()) {
      Warn("no size-limited /tmp: " + made.ToString());
      g_sandbox.tmp_images = false;
    }
  }
  if (g_sandbox.tmp_images) g_sandbox.features |= thaw::sys::kFeatureTmpLimit;

  auto layout = thaw::sandbox::DetectCgroupLayout();
  if (!layout.ok()) {
    Warn("no cgroups: " + layout.status().ToString());
    return;
  }
  g_sandbox.layout = std::move(*layout);
  RemoveStaleInstances();
  std::string name = "i" + std::to_string(getpid());
  auto instance = Cgroup::Create(g_sandbox.layout, "thaw", name);
  if (!instance.ok()) {
    Warn("cannot create cgroups: " + instance.status().ToString());
    return;
  }
  g_sandbox.instance = std::make_unique<Cgroup>(std::move(*instance));
  g_sandbox.parent = "thaw/" + name;
  using thaw::sandbox::Feature;
  using thaw::sandbox::Provider;
  const auto& l = g_sandbox.layout;
  if (l.ProviderOf(Feature::kMemory) != Provider::kNone)
    g_sandbox.features |= thaw::sys::kFeatureMemory;
  if (l.ProviderOf(Feature::kCpu) != Provider::kNone) g_sandbox.features |= thaw::sys::kFeatureCpu;
  if (l.ProviderOf(Feature::kPids) != Provider::kNone)
    g_sandbox.features |= thaw::sys::kFeaturePids;
  Provider freezer = l.ProviderOf(Feature::kFreezer);
  if (freezer == Provider::kV2) g_sandbox.features |= thaw::sys::kFeatureFreezeV2;
  if (freezer == Provider::kV1) g_sandbox.features |= thaw::sys::kFeatureFreezeV1;
}

// Spawns without a sandbox, as root: run as the sandbox's uid when it can reach the code
// (SetUpPlainSpawns), else as root, said at start.
bool g_plain_unprivileged = false;

// As root without a sandbox: the state dir's code and thaw-host must be reachable by the
// unprivileged uid, or every function would fail to start.
void SetUpPlainSpawns() {
  if (g_sandbox.namespaces || geteuid() != 0) return;
  std::string state = g_options.state_dir;
  if (char resolved[PATH_MAX]; !state.empty() && realpath(state.c_str(), resolved)) {
    state = resolved;
  }
  std::string code = state + "/code";
  bool reachable = !g_options.state_dir.empty() && thaw::launcher::ReachableByOthers(state) &&
                   (access(code.c_str(), F_OK) != 0 || thaw::launcher::ReachableByOthers(code)) &&
                   thaw::launcher::ReachableByOthers(SelfDir());
  if (!reachable) {
    Warn("functions run as ROOT: uid " + std::to_string(kSandboxUid) + " cannot reach " +
         (state.empty() ? std::string("the state dir") : state) + " or " + SelfDir() +
         " (a directory on the way is not searchable by others)");
    return;
  }
  g_plain_unprivileged = true;
  g_sandbox.features |= thaw::sys::kFeatureUnprivileged;
}

// Lambda's user, without supplementary groups; the uid change clears every capability.
int DropToSandboxUser() {
  if (setgroups(0, nullptr) != 0) return errno;
  if (setresgid(kSandboxGid, kSandboxGid, kSandboxGid) != 0) return errno;
  if (setresuid(kSandboxUid, kSandboxUid, kSandboxUid) != 0) return errno;
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) return errno;
  return 0;
}

[[noreturn]] void ExecChild(const thaw::sys::SpawnSpec& spec, int out_fd, int status_fd) {
  pid_t launcher = getppid();
  // A new session, so the function has no controlling terminal (no TIOCSTI into the operator's
  // shell); it is also a new process group, so the environment is signalled at once (kill(-pgid)).
  int err = setsid() < 0 ? errno : 0;
  // Fds first, while /proc/self/fd is still ours to list.
  int fds = thaw::sys::SetUpChildFds(out_fd, status_fd);
  if (err == 0) err = fds;
  if (err == 0 && g_plain_unprivileged) err = DropToSandboxUser();
  // After the uid change, which clears it; then make sure the launcher did not die meanwhile.
  if (err == 0 && prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) err = errno;
  if (getppid() != launcher) _exit(1);
  thaw::sys::ExecOrReport(spec, err);
}

// A shell made ahead of demand (see sandbox/shell.h), pooled until a spawn takes it.
struct PooledShell {
  pid_t pid = -1;
  uint64_t serial = 0;  // its cgroup is "s<serial>"
  std::unique_ptr<Cgroup> cgroup;
  UniqueFd reports;
  UniqueFd command;
  UniqueFd go;       // closed once the shell was sent its go-ahead
  std::string tmp;   // its fresh /tmp image (or directory without loop devices)
  bool net = false;  // in a network namespace of its own (never pooled)
};

std::deque<PooledShell> g_pool;
uint64_t g_next_serial = 1;

std::string PooledTmpPath(uint64_t serial) {
  return g_sandbox.tmp_dir + "/s" + std::to_string(serial) + (g_sandbox.tmp_images ? ".img" : ".d");
}

// Clones `n` shells. Cgroups are made first and the v1 moves done back to back: a lone move
// into a v1 cgroup waits for an RCU grace period (~6 ms), a batch pays it about once.
std::vector<PooledShell> CloneShells(size_t n, bool net = false) {
  std::vector<PooledShell> shells;
  for (size_t i = 0; i < n; ++i) {
    PooledShell shell;
    shell.serial = g_next_serial++;
    std::string name = "s" + std::to_string(shell.serial);
    if (g_sandbox.instance) {
      auto created = Cgroup::Create(g_sandbox.layout, g_sandbox.parent, name);
      if (!created.ok()) {
        Warn("cgroup " + name + ": " + created.status().ToString());
        break;
      }
      shell.cgroup = std::make_unique<Cgroup>(std::move(*created));
    }
    shell.tmp = PooledTmpPath(shell.serial);
    if (g_sandbox.tmp_images) {
      Status copied = thaw::sandbox::CopySparse(g_sandbox.tmp_template, shell.tmp);
      if (!copied.ok()) {
        Warn("tmp image: " + copied.ToString());
        break;
      }
    } else {
      mkdir(shell.tmp.c_str(), 0700);
      chown(shell.tmp.c_str(), kSandboxUid, kSandboxGid);
    }
    int report_pipe[2], go_pipe[2], command_pair[2];
    if (pipe2(report_pipe, O_CLOEXEC) != 0) break;
    UniqueFd report_read(report_pipe[0]), report_write(report_pipe[1]);
    if (pipe2(go_pipe, O_CLOEXEC) != 0) break;
    UniqueFd go_read(go_pipe[0]), go_write(go_pipe[1]);
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, command_pair) != 0) break;
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
      thaw::sandbox::ShellParams params;
      params.fs.new_root = g_sandbox.new_root;
      params.fs.hidden = {g_options.state_dir};
      params.fs.host_binary = g_sandbox.host_binary;
      if (g_sandbox.tmp_images) {
        params.fs.tmp_image = shell.tmp;
      } else {
        params.fs.tmp_dir = shell.tmp;
      }
      params.fs.tmp_mb = g_sandbox.pool_tmp_mb;
      params.fs.uid = kSandboxUid;
      params.fs.gid = kSandboxGid;
      params.seccomp = g_sandbox.seccomp.empty() ? nullptr : &g_sandbox.seccomp;
      params.uid = kSandboxUid;
      params.gid = kSandboxGid;
      params.report_fd = report_write.Release();
      params.go_fd = go_read.Release();
      params.command_fd = command_theirs.Release();
      params.new_net = net;
      thaw::sandbox::RunShell(params);
    }
    if (pid < 0) {
      Warn(std::string("clone3: ") + strerror(errno));
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
    ssize_t w = write(shell.go.get(), &go, 1);
    (void)w;
    shell.go.Reset();
  }
  return shells;
}

void RefillPool() {
  if (!g_sandbox.namespaces || g_pool.size() >= g_options.pool) return;
  int64_t t0 = NowUs();
  for (auto& shell : CloneShells(g_options.pool - g_pool.size()))
    g_pool.push_back(std::move(shell));
  Trace("refill", t0);
}

void DiscardShell(PooledShell& shell) {
  if (shell.pid > 0) {
    kill(shell.pid, SIGKILL);
    waitpid(shell.pid, nullptr, 0);
  }
  if (shell.cgroup) (void)shell.cgroup->Remove();
  unlink(shell.tmp.c_str());
}

thaw::sandbox::ShellReport ReadReport(int fd) {
  thaw::sandbox::ShellReport report;
  ssize_t n;
  do {
    n = read(fd, &report, sizeof report);
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof report)) {
    report = {};
    report.kind = thaw::sandbox::ShellReport::kFailed;
    report.value = EIO;
  }
  return report;
}

// A sandboxed spawn: take a pooled shell (or clone one now), set the function's limits on its
// cgroup, and hand it the spec; it execs the bootstrap and reports.
void SpawnSandboxed(const thaw::sys::SpawnSpec& spec, const char* wire, size_t wire_len,
                    int out_fd) {
  using thaw::sandbox::ShellReport;
  using thaw::sandbox::TmpMode;
  UniqueFd output(out_fd);
  std::deque<PooledShell> own;
  if (spec.sandbox.isolated_network) {
    for (auto& shell : CloneShells(1, /*net=*/true)) own.push_back(std::move(shell));
  } else if (g_pool.empty()) {
    // A burst beyond the pool: clone a batch, so the v1 moves are paid once for several.
    for (auto& shell : CloneShells(std::max<size_t>(1, g_options.pool))) {
      g_pool.push_back(std::move(shell));
    }
  }
  std::deque<PooledShell>& source = spec.sandbox.isolated_network ? own : g_pool;
  if (source.empty()) {
    Send(LauncherMsg::kSpawnFailed, spec.id, EAGAIN, 0);
    return;
  }
  PooledShell shell = std::move(source.front());
  source.pop_front();
  int64_t t0 = NowUs();
  ShellReport ready = ReadReport(shell.reports.get());
  Trace("spawn: wait for a ready shell", t0);
  t0 = NowUs();
  if (ready.kind != ShellReport::kReady) {
    if (ready.text[0]) Warn(std::string("sandbox setup failed: ") + ready.text);
    DiscardShell(shell);
    Send(LauncherMsg::kSpawnFailed, spec.id, ready.value ? ready.value : EIO, 0);
    return;
  }
  UniqueFd runtime_listener;
  if (shell.net) {
    runtime_listener.Reset(ReceiveFd(shell.command.get()));
    if (!runtime_listener.valid()) {
      DiscardShell(shell);
      Send(LauncherMsg::kSpawnFailed, spec.id, EIO, 0);
      return;
    }
  }
  if (shell.cgroup) {
    Status limits =
        shell.cgroup->SetLimits(thaw::sandbox::LimitsForMemory(spec.sandbox.memory_mb, kPidsMax));
    if (!limits.ok()) Warn("limits: " + limits.ToString());
  }
  // /tmp: the environment keeps its own across resets; a first start adopts the pooled one.
  std::string env_tmp = spec.sandbox.tmp_image + (g_sandbox.tmp_images ? "" : ".d");
  struct stat st {};
  TmpMode mode = TmpMode::kKeepPooled;
  if (stat(env_tmp.c_str(), &st) == 0) {
    mode = TmpMode::kMountExisting;
  } else {
    // A size other than the pool's needs a new image; otherwise the pooled one is adopted.
    bool adopt = !(g_sandbox.tmp_images && spec.sandbox.tmp_mb != g_sandbox.pool_tmp_mb) &&
                 rename(shell.tmp.c_str(), env_tmp.c_str()) == 0;
    if (!adopt) mode = TmpMode::kCreate;
  }
  if (mode != TmpMode::kKeepPooled) {
    if (g_sandbox.tmp_images) {
      unlink(shell.tmp.c_str());  // still mounted in the shell until it swaps it out
    } else {
      rmdir(shell.tmp.c_str());
      mkdir(env_tmp.c_str(), 0700);
      chown(env_tmp.c_str(), kSandboxUid, kSandboxGid);
    }
  }
  Trace("spawn: limits and /tmp", t0);
  t0 = NowUs();
  std::string packet(sizeof(uint32_t), '\0');
  auto word = static_cast<uint32_t>(mode);
  std::memcpy(packet.data(), &word, sizeof word);
  packet.append(wire, wire_len);
  ShellReport started;
  if (thaw::sys::SendWithFd(shell.command.get(), packet.data(), packet.size(), output.get()) < 0) {
    started.kind = ShellReport::kFailed;
    started.value = errno;
  } else {
    output.Reset();
    started = ReadReport(shell.reports.get());
  }
  shell.command.Reset();
  Trace("spawn: hand-off until exec", t0);
  if (g_trace) Warn(std::string("shell: ") + started.text);
  if (started.kind != ShellReport::kStarted) {
    if (started.text[0]) Warn(std::string("sandbox start failed: ") + started.text);
    DiscardShell(shell);
    Send(LauncherMsg::kSpawnFailed, spec.id, started.value ? started.value : EIO, 0);
    return;
  }
  fcntl(shell.reports.get(), F_SETFL, O_NONBLOCK);
  g_groups[shell.pid] = Group{std::move(shell.cgroup), std::move(shell.reports)};
  if (runtime_listener.valid()) {
    SendWithFd(LauncherMsg::kSpawned, spec.id, shell.pid, static_cast<int64_t>(shell.serial),
               runtime_listener.get());
    return;
  }
  Send(LauncherMsg::kSpawned, spec.id, shell.pid, static_cast<int64_t>(shell.serial));
}

void HandleSpawn(const char* data, size_t len, int out_fd) {
  auto spec = thaw::sys::DecodeSpawn(data, len);
  if (!spec || out_fd < 0) {
    Send(LauncherMsg::kSpawnFailed, thaw::sys::PeekSpawnId(data, len), EINVAL, 0);
    if (out_fd >= 0) close(out_fd);
    return;
  }
  if (spec->sandbox.enabled && g_sandbox.namespaces) {
    // The shell mounts these as root: only paths inside the state directory's trees, resolved.
    if (Status paths = thaw::launcher::CheckSandboxPaths(g_sandbox.roots, *spec); !paths.ok()) {
      Warn("spawn refused: " + paths.ToString());
      Send(LauncherMsg::kSpawnFailed, spec->id, EPERM, 0);
      close(out_fd);
      return;
    }
    std::string wire = thaw::sys::EncodeSpawn(*spec);
    SpawnSandboxed(*spec, wire.data(), wire.size(), out_fd);
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
  // No setpgid from here: it could make the child a group leader before its setsid, which then
  // fails. The reply waits for the exec, and the child's setsid comes before that.
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
  g_groups[pid] = Group{};
  Send(LauncherMsg::kSpawned, spec->id, pid, 0);
}

// Reports an exit. For a sandbox the shell has sent the bootstrap's own wait status, and the
// cgroup knows the peak memory and whether the OOM killer struck; then the cgroup goes.
void ReportExit(pid_t pid, int status, const rusage& usage) {
  for (auto it = g_pool.begin(); it != g_pool.end(); ++it) {
    if (it->pid != pid) continue;
    Warn("a pooled shell died during setup");
    it->pid = -1;
    DiscardShell(*it);
    g_pool.erase(it);
    return;
  }
  int64_t peak_kib = usage.ru_maxrss;
  int64_t oom_kills = 0;
  auto it = g_groups.find(pid);
  if (it != g_groups.end()) {
    Group& group = it->second;
    thaw::sandbox::ShellReport report;
    while (group.reports.valid() &&
           read(group.reports.get(), &report, sizeof report) == sizeof report) {
      if (report.kind == thaw::sandbox::ShellReport::kExited) status = report.value;
    }
    if (group.cgroup) {
      auto peak = group.cgroup->MemoryPeakBytes();
      if (peak.ok()) peak_kib = *peak / 1024;
      auto ooms = group.cgroup->OomKills();
      if (ooms.ok()) oom_kills = *ooms;
      (void)group.cgroup->Kill();
      g_graveyard.push_back(std::move(group.cgroup));
    }
    g_groups.erase(it);
  }
  Send(LauncherMsg::kExited, 0, pid, status, static_cast<uint32_t>(peak_kib), oom_kills);
}

void ReapChildren() {
  for (;;) {
    int status = 0;
    // wait4's rusage is the only memory figure left once an unsandboxed process is gone.
    rusage usage{};
    pid_t pid = wait4(-1, &status, WNOHANG, &usage);
    if (pid <= 0) return;
    ReportExit(pid, status, usage);
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
  for (auto& shell : g_pool) kill(shell.pid, SIGKILL);
  for (auto& [pgid, group] : g_groups) {
    kill(-pgid, SIGKILL);
    if (group.cgroup) (void)group.cgroup->Kill();
  }
  for (int round = 0; round < 200; ++round) {
    pid_t r;
    while ((r = waitpid(-1, nullptr, WNOHANG)) > 0) {
    }
    if (r < 0 && errno == ECHILD) break;
    KillStrayChildren();
    usleep(10000);
  }
  for (auto& [pgid, group] : g_groups) {
    if (group.cgroup) (void)group.cgroup->Remove();
  }
  g_groups.clear();
  for (auto& cgroup : g_graveyard) (void)cgroup->Remove();
  g_graveyard.clear();
  for (auto& shell : g_pool) {
    shell.pid = -1;
    DiscardShell(shell);
  }
  g_pool.clear();
  if (g_sandbox.instance) (void)g_sandbox.instance->Remove();
  g_sandbox.instance.reset();
  // The shared parent goes too once no other thaw uses it (rmdir fails while one does).
  for (const std::string& base : HierarchyBases()) rmdir((base + "/thaw").c_str());
  RemoveStaleImages();
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--state-dir" && i + 1 < argc) {
      g_options.state_dir = argv[++i];
    } else if (arg == "--no-sandbox") {
      g_options.sandbox = false;
    } else if (arg == "--pool" && i + 1 < argc) {
      g_options.pool = static_cast<size_t>(atol(argv[++i]));
    }
  }
  // The server owns shutdown; a Ctrl-C aimed at the terminal's process group must not kill us
  // before we have killed our children. A session of our own also leaves the terminal behind:
  // nothing we start can reach it.
  if (setsid() < 0) {
    perror("thaw-launcher: setsid");
    return 1;
  }
  prctl(PR_SET_NAME, "thaw-launcher");
  // Orphaned grandchildren (daemonizing functions) are reparented to us, so we can reap them.
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    Warn(std::string("not a subreaper (") + strerror(errno) +
         "): processes a function daemonizes are neither reaped nor killed by thaw");
  }
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGHUP);
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) {
    perror("thaw-launcher: sigprocmask");
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    perror("thaw-launcher: signalfd");
    return 1;
  }
  SetUpSandboxing();
  SetUpPlainSpawns();
  RefillPool();
  Send(LauncherMsg::kHello, 0, getpid(), 0, g_sandbox.features);
  static char buf[1 << 18];
  for (;;) {
    pollfd fds[2] = {{kControlFd, POLLIN, 0}, {sfd, POLLIN, 0}};
    // Refill the pool only when nothing else is waiting: a burst is served first.
    bool refill = g_sandbox.namespaces && g_pool.size() < g_options.pool;
    int ready = poll(fds, 2, refill ? 0 : g_graveyard.empty() ? -1 : 10);
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (ready == 0) {
      SweepGraveyard();
      RefillPool();
      continue;
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info;
      while (read(sfd, &info, sizeof info) > 0) {
      }
      ReapChildren();
      SweepGraveyard();
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      int passed_fd = -1;
      ssize_t n = thaw::sys::ReceiveWithFd(kControlFd, buf, sizeof buf, &passed_fd);
      if (n <= 0) {
        if (passed_fd >= 0) close(passed_fd);
        break;  // the server is gone
      }
      uint32_t type = 0;
      if (static_cast<size_t>(n) >= sizeof type) std::memcpy(&type, buf, sizeof type);
      if (type == static_cast<uint32_t>(LauncherMsg::kSpawn)) {
        HandleSpawn(buf, static_cast<size_t>(n), passed_fd);
        continue;
      }
      if (passed_fd >= 0) close(passed_fd);
      if (static_cast<size_t>(n) != sizeof(FixedMsg)) {
        Warn("ignored a malformed message of " + std::to_string(n) + " bytes");
        continue;
      }
      FixedMsg m;
      std::memcpy(&m, buf, sizeof m);
      if (m.type == static_cast<uint32_t>(LauncherMsg::kKill)) {
        // Only a real process group and a real signal: kill(-1) or a pgid cut short by the
        // cast would reach processes that are not ours.
        if (m.id <= 1 || m.id > static_cast<uint64_t>(INT32_MAX) || m.a < 1 || m.a > SIGRTMAX) {
          Warn("ignored a kill of group " + std::to_string(m.id) + " with signal " +
               std::to_string(m.a));
          continue;
        }
        auto pgid = static_cast<pid_t>(m.id);
        kill(-pgid, static_cast<int>(m.a));
        auto it = g_groups.find(pgid);
        if (m.a == SIGKILL && it != g_groups.end() && it->second.cgroup) {
          // Dying takes CPU too: a function that spent its quota would exit (and its shell
          // reap it) only in the next CFS period, up to 20 ms later. Lift the quota first.
          thaw::sandbox::CgroupLimits unthrottled;
          unthrottled.cpu_period_us = thaw::sandbox::kCpuPeriodUs;
          unthrottled.cpu_quota_us = 64 * thaw::sandbox::kCpuPeriodUs;
          (void)it->second.cgroup->SetLimits(unthrottled);
          (void)it->second.cgroup->Kill();
          (void)it->second.cgroup->Thaw();  // a v1-frozen task dies only once thawed
        }
      } else if (m.type == static_cast<uint32_t>(LauncherMsg::kShutdown)) {
        break;
      }
    }
  }
  KillAll();
  return 0;
}
