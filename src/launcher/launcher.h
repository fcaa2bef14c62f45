// Launcher: thaw-launcher's whole state and its loop. It forks and execs function processes on
// the server's behalf, reaps them, and reports exits, over one control socket (the wire is
// sys/launcher_protocol.h). launcher_main.cc only parses flags, prepares the process and runs
// one; tests drive one over a socketpair with Step.
//
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
// none shares thaw serve's controlling terminal. Spawn requests are decoded strictly and a
// sandbox's host paths re-checked (launcher/spawn_paths.h). A spawn that fails is answered
// with the step that failed, its errno and its text (sys::SpawnFailure).
//
// Threading: single-threaded. The thread that creates a Launcher must be the only one in the
// process that wants SIGCHLD (Create blocks it there and reads it from a signalfd), and every
// child of the process is the launcher's: it reaps with wait4(-1).
#pragma once

#include <linux/filter.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "launcher/spawn_paths.h"
#include "sandbox/cgroup.h"
#include "sys/launcher_protocol.h"
#include "sys/unique_fd.h"

namespace thaw::launcher {

struct LauncherOptions {
  std::string state_dir;  // sandboxes keep their files under STATE/sandbox
  bool sandbox = true;    // false: plain process groups, nothing isolated or limited
  size_t pool = 4;        // shells kept ready ahead of demand
  int control_fd = 3;     // SOCK_SEQPACKET to the server; borrowed
  bool trace = false;     // the cost of each step of a spawn and an exit, on stderr
};

// Process-wide settings made once, before a Launcher: a session of its own (so a Ctrl-C aimed at
// the terminal's group cannot kill it before it has killed its children, and nothing it starts
// can reach the terminal), its name, the child-subreaper bit, the signals the loop reads or the
// server owns blocked, and SIGPIPE ignored. What an expected deployment may refuse (the
// subreaper bit) is a warning on stderr; anything else an error.
Status PrepareProcess();

class Launcher {
 public:
  // Sets up sandboxing as far as this host allows (each missing piece a warning on stderr and a
  // missing bit in features()). Errors only when the loop cannot run. The pool fills in Run's
  // loop after the hello, when no request is waiting.
  static StatusOr<std::unique_ptr<Launcher>> Create(LauncherOptions options);
  // Kills every process group it started and removes every cgroup and image it made.
  ~Launcher();
  Launcher(const Launcher&) = delete;
  Launcher& operator=(const Launcher&) = delete;

  // What it enforces on this host (sys::LauncherFeature bits), sent in the hello.
  uint32_t features() const { return sandbox_.features; }

  // Says hello, then serves until the server closes its end or asks for a shutdown.
  void Run();
  void SendHello();
  // One round of the loop: waits up to `idle_timeout_ms` (-1: forever) when there is nothing to
  // do, then handles what arrived. False once the server is gone or asked to shut down.
  bool Step(int idle_timeout_ms);

 private:
  // A sandbox the launcher made: its cgroup and the shell's report pipe.
  struct Group {
    std::unique_ptr<sandbox::Cgroup> cgroup;
    sys::UniqueFd reports;
  };
  // A shell made ahead of demand (see sandbox/shell.h), pooled until a spawn takes it.
  struct PooledShell {
    pid_t pid = -1;
    uint64_t serial = 0;  // its cgroup is "s<serial>"
    std::unique_ptr<sandbox::Cgroup> cgroup;
    sys::UniqueFd reports;
    sys::UniqueFd command;
    sys::UniqueFd go;  // closed once the shell was sent its go-ahead
    std::string tmp;   // its fresh /tmp image (or directory without loop devices)
    bool net = false;  // in a network namespace of its own (never pooled)
  };
  struct Sandboxing {
    bool namespaces = false;
    uint32_t features = 0;
    sandbox::CgroupLayout layout;
    std::string parent;  // our cgroup below each hierarchy's position: "thaw/i<pid>"
    std::unique_ptr<sandbox::Cgroup> instance;
    std::vector<sock_filter> seccomp;
    std::string new_root;
    std::string host_binary;  // thaw-host beside this binary, for the non-native mechanisms
    std::string tmp_dir;      // images (or plain directories) for /tmp
    bool tmp_images = false;
    std::string tmp_template;   // a formatted image, copied for each pooled shell
    int64_t pool_tmp_mb = 512;  // Lambda's default EphemeralStorage
    SpawnRoots roots;           // where a spawn request's host paths may point
    // Without namespaces, as root: run functions as the sandbox's uid (it can reach the code).
    bool plain_unprivileged = false;
  };

  explicit Launcher(LauncherOptions options);

  void Send(sys::LauncherMsg type, uint64_t id, int64_t a, int64_t b, uint32_t extra = 0,
            int64_t c = 0);
  void SendWithFd(sys::LauncherMsg type, uint64_t id, int64_t a, int64_t b, int fd);
  void SendFailure(uint64_t id, sys::SpawnStep step, int err, const std::string& text);
  void Warn(const std::string& text);
  void Trace(const char* what, int64_t since_us);

  void SetUpSandboxing();
  void SetUpPlainSpawns();
  std::vector<std::string> HierarchyBases() const;
  void RemoveStaleInstances();
  void RemoveStaleImages();

  void HandleMessage(const char* data, size_t len, sys::UniqueFd passed);
  void HandleKill(const sys::FixedMsg& m);
  void HandleSpawn(const char* data, size_t len, sys::UniqueFd output);
  void SpawnPlain(const sys::SpawnSpec& spec, sys::UniqueFd output);
  void SpawnSandboxed(const sys::SpawnSpec& spec, sys::UniqueFd output);
  [[noreturn]] void ExecChild(const sys::SpawnSpec& spec, int out_fd, int status_fd);

  std::vector<PooledShell> CloneShells(size_t n, bool net = false);
  std::string PooledTmpPath(uint64_t serial) const;
  void RefillPool();
  void DiscardShell(PooledShell& shell);

  void ReapChildren();
  void ReportExit(pid_t pid, int status, const rusage& usage);
  void SweepGraveyard();
  void KillAll();

  LauncherOptions options_;
  Sandboxing sandbox_;
  sys::UniqueFd signals_;          // signalfd for SIGCHLD
  std::map<pid_t, Group> groups_;  // process groups we started that may still have members
  // Cgroups of exited sandboxes, removed once the kernel lets go of them: a zombie keeps its
  // cgroup busy until reaped, and we are the reaper, so we must not wait for it in rmdir.
  std::vector<std::unique_ptr<sandbox::Cgroup>> graveyard_;
  std::deque<PooledShell> pool_;
  uint64_t next_serial_ = 1;
  std::vector<char> buffer_;  // one control message
  bool killed_all_ = false;
};

}  // namespace thaw::launcher
