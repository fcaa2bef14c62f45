#include "invoker/spawner.h"

#include "sandbox/cgroup.h"

namespace thaw::invoker {

namespace {

class LauncherCgroup final : public SandboxCgroup {
 public:
  explicit LauncherCgroup(sandbox::Cgroup cgroup) : cgroup_(std::move(cgroup)) {}
  Status Freeze() override { return cgroup_.Freeze(); }
  Status Thaw() override { return cgroup_.Thaw(); }
  StatusOr<std::vector<pid_t>> Procs() const override { return cgroup_.Procs(); }
  StatusOr<int64_t> MemoryPeakBytes() const override { return cgroup_.MemoryPeakBytes(); }
  Status ResetMemoryPeak() override { return cgroup_.ResetMemoryPeak(); }
  StatusOr<int64_t> CpuUsageNanos() const override { return cgroup_.CpuUsageNanos(); }

 private:
  sandbox::Cgroup cgroup_;
};

}  // namespace

void LauncherSpawner::Spawn(sys::SpawnSpec spec, int output_fd, SpawnDone done) {
  launcher_.Spawn(std::move(spec), output_fd, std::move(done));
}

void LauncherSpawner::Kill(pid_t pgid, int signal) { launcher_.Kill(pgid, signal); }

StatusOr<std::unique_ptr<SandboxCgroup>> LauncherSpawner::OpenCgroup(const std::string& name) {
  if (!layout_ || name.empty()) return std::unique_ptr<SandboxCgroup>();
  THAW_ASSIGN_OR_RETURN(sandbox::Cgroup cgroup, sandbox::Cgroup::Open(*layout_, parent_, name));
  return std::unique_ptr<SandboxCgroup>(std::make_unique<LauncherCgroup>(std::move(cgroup)));
}

}  // namespace thaw::invoker
