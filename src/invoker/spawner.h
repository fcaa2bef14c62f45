// Spawner: what an Environment needs from the process side — start its process group, signal
// it, and reach the sandbox cgroup the launcher made for it — as an interface, so that
// environment_test.cc runs without root or processes. LauncherSpawner is the real one, over
// LauncherClient. Loop thread only (callbacks run on the loop).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "invoker/launcher_client.h"
#include "sys/launcher_protocol.h"

namespace thaw::sandbox {
struct CgroupLayout;
}

namespace thaw::invoker {

// The sandbox cgroup of one environment's process group, as the server reads and freezes it.
class SandboxCgroup {
 public:
  virtual ~SandboxCgroup() = default;
  virtual Status Freeze() = 0;
  virtual Status Thaw() = 0;
  virtual StatusOr<std::vector<pid_t>> Procs() const = 0;
  virtual StatusOr<int64_t> MemoryPeakBytes() const = 0;
  virtual Status ResetMemoryPeak() = 0;
  virtual StatusOr<int64_t> CpuUsageNanos() const = 0;
};

class Spawner {
 public:
  using Spawned = LauncherClient::Spawned;
  using SpawnDone = LauncherClient::SpawnDone;

  virtual ~Spawner() = default;
  // Starts `spec` in a new process group with stdout and stderr on `output_fd` (borrowed).
  // `done` runs on the loop, usually later; inside the call when the spawn fails at once
  // (the launcher is gone), so the caller must not touch its state after the call.
  virtual void Spawn(sys::SpawnSpec spec, int output_fd, SpawnDone done) = 0;
  // kill(-pgid, signal).
  virtual void Kill(pid_t pgid, int signal) = 0;
  // The cgroup a spawn reported (Spawned::cgroup). Null when cgroups are not in use.
  virtual StatusOr<std::unique_ptr<SandboxCgroup>> OpenCgroup(const std::string& name) = 0;
};

class LauncherSpawner final : public Spawner {
 public:
  // `layout` null: no cgroups. `parent` is the launcher's cgroup ("thaw/i<pid>").
  LauncherSpawner(LauncherClient& launcher, const sandbox::CgroupLayout* layout, std::string parent)
      : launcher_(launcher), layout_(layout), parent_(std::move(parent)) {}

  void Spawn(sys::SpawnSpec spec, int output_fd, SpawnDone done) override;
  void Kill(pid_t pgid, int signal) override;
  StatusOr<std::unique_ptr<SandboxCgroup>> OpenCgroup(const std::string& name) override;

 private:
  LauncherClient& launcher_;
  const sandbox::CgroupLayout* layout_;
  std::string parent_;
};

}  // namespace thaw::invoker
