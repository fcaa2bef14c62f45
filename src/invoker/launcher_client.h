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
  using SpawnDone = std::function<void(StatusOr<pid_t>)>;
  // `max_rss_kib` is the exited process's peak RSS (wait4's ru_maxrss).
  using ExitHandler = std::function<void(pid_t pid, int wait_status, int64_t max_rss_kib)>;

  // Starts `launcher_path` with the control socket as fd 3.
  static StatusOr<std::unique_ptr<LauncherClient>> Start(boost::asio::io_context& io,
                                                         const std::string& launcher_path);
  ~LauncherClient();
  LauncherClient(const LauncherClient&) = delete;
  LauncherClient& operator=(const LauncherClient&) = delete;

  // Forks and execs `spec` in a new process group with stdout and stderr on `output_fd`
  // (borrowed; the launcher gets its own copy). `done` gets the pid, or the exec's errno as
  // an ErrnoStatus (NotFound for ENOENT).
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
  friend class Impl;
};

// The launcher binary sits beside the running thaw binary.
std::string DefaultLauncherPath();

}  // namespace thaw::invoker
