// LauncherClient: the server's side of thaw-launcher. Starts the launcher once, asks it to
// spawn and signal function processes, and reports their exits.
// Loop thread only (all callbacks run on the io_context it was created with).
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "base/status.h"
#include "sys/launcher_protocol.h"
#include "sys/unique_fd.h"

namespace boost::asio {
class io_context;
}

namespace thaw::invoker {

class LauncherClient {
 public:
  struct Spawned {
    pid_t pid = -1;                  // the process group (a sandbox's shell)
    std::string cgroup;              // the sandbox's cgroup name below the launcher's; "" without
    sys::UniqueFd runtime_listener;  // isolated network: the listening Runtime API socket
  };
  using SpawnDone = std::function<void(StatusOr<Spawned>)>;
  struct Exit {
    pid_t pid = -1;
    int wait_status = 0;
    int64_t max_memory_kib = 0;  // the sandbox cgroup's peak, else wait4's ru_maxrss
    int64_t oom_kills = 0;       // OOM kills in the sandbox's cgroup
  };
  using ExitHandler = std::function<void(const Exit& exit)>;

  struct Options {
    std::string path;       // the thaw-launcher binary
    std::string state_dir;  // sandboxes keep their files under STATE/sandbox; hidden from them
    bool sandbox = true;    // false: plain process groups, nothing isolated or limited
    int pool = 4;           // sandbox shells kept ready ahead of demand
  };

  // Starts the launcher with the control socket as fd 3 and waits for its hello, which says
  // what it can enforce (sys::LauncherFeature bits).
  static StatusOr<std::unique_ptr<LauncherClient>> Start(boost::asio::io_context& io,
                                                         const Options& options);
  uint32_t features() const { return features_; }
  pid_t launcher_pid() const { return launcher_pid_; }
  ~LauncherClient();
  LauncherClient(const LauncherClient&) = delete;
  LauncherClient& operator=(const LauncherClient&) = delete;

  // Forks and execs `spec` in a new process group with stdout and stderr on `output_fd`
  // (borrowed; the launcher gets its own copy). `done` gets the pid (and cgroup), or the
  // failure as SpawnFailureStatus makes it (invoker/spawn_error.h).
  void Spawn(sys::SpawnSpec spec, int output_fd, SpawnDone done);
  // kill(-pgid, signal), done by the launcher.
  void Kill(pid_t pgid, int signal);
  void set_exit_handler(ExitHandler handler) { exit_handler_ = std::move(handler); }
  // Processes replies that have already arrived, waiting up to `wait_ms` for the first one.
  // For the rare caller that must know a pid before the loop would deliver it.
  void Poll(int wait_ms);
  // Kills every process the launcher started and waits for it to exit. Idempotent.
  void Shutdown();

 private:
  class Impl;
  explicit LauncherClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  ExitHandler exit_handler_;
  uint32_t features_ = 0;
  pid_t launcher_pid_ = -1;
  friend class Impl;
};

// The launcher binary sits beside the running thaw binary.
std::string DefaultLauncherPath();
// thaw-host beside the running binary.
std::string DefaultHostPath();

}  // namespace thaw::invoker
