// Micro-benchmarks of the freezer on this host's real cgroups: what a freeze and a thaw cost the
// server's loop (one write each), and how long until the kernel reports the environment frozen
// or running again. Needs root and a writable cgroup hierarchy; otherwise each benchmark says
// why it skipped.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <benchmark/benchmark.h>

#include "sandbox/cgroup.h"

namespace thaw {
namespace {

// A cgroup holding one sleeping child, for the length of a benchmark.
struct Frozen {
  std::unique_ptr<sandbox::Cgroup> cgroup;
  sandbox::CgroupLayout layout;
  pid_t child = -1;
  std::string error;

  Frozen() {
    if (geteuid() != 0) {
      error = "needs root";
      return;
    }
    auto layout_or = sandbox::DetectCgroupLayout();
    if (!layout_or.ok()) {
      error = layout_or.status().ToString();
      return;
    }
    layout = *layout_or;
    auto cg = sandbox::Cgroup::Create(layout, "thaw-bench-" + std::to_string(getpid()), "f");
    if (!cg.ok()) {
      error = cg.status().ToString();
      return;
    }
    cgroup = std::make_unique<sandbox::Cgroup>(std::move(*cg));
    child = fork();
    if (child == 0) {
      for (;;) pause();
    }
    if (Status s = cgroup->AddProcess(child); !s.ok()) error = s.ToString();
  }
  ~Frozen() {
    if (cgroup) {
      (void)cgroup->Thaw();
      (void)cgroup->Kill();
    }
    if (child > 0) waitpid(child, nullptr, 0);
    if (cgroup) (void)cgroup->Remove();
    std::string parent = "/thaw-bench-" + std::to_string(getpid());
    for (const std::string& base : {layout.v2, layout.v1_memory, layout.v1_cpu, layout.v1_cpuacct,
                                    layout.v1_pids, layout.v1_freezer}) {
      if (!base.empty()) rmdir((base + parent).c_str());
    }
  }

  // The child's state letter: 'S' sleeping; frozen tasks also show 'S' on v2, so for the
  // kernel's own view read cgroup.events (v2) or freezer.state (v1).
  bool KernelSaysFrozen() const {
    std::string path = layout.v2.empty() ? ""
                                         : layout.v2 + "/thaw-bench-" + std::to_string(getpid()) +
                                               "/f/cgroup.events";
    if (!path.empty()) {
      std::ifstream in(path);
      std::string key;
      int value = 0;
      while (in >> key >> value) {
        if (key == "frozen") return value == 1;
      }
    }
    std::ifstream v1(layout.v1_freezer + "/thaw-bench-" + std::to_string(getpid()) +
                     "/f/freezer.state");
    std::string state;
    v1 >> state;
    return state == "FROZEN";
  }
};

void BM_FreezeThenThawWrites(benchmark::State& state) {
  Frozen f;
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  for (auto _ : state) {
    (void)f.cgroup->Freeze();
    (void)f.cgroup->Thaw();
  }
}
BENCHMARK(BM_FreezeThenThawWrites);

void BM_ThawWrite(benchmark::State& state) {
  Frozen f;
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  for (auto _ : state) {
    state.PauseTiming();
    (void)f.cgroup->Freeze();
    while (!f.KernelSaysFrozen()) {
    }
    state.ResumeTiming();
    (void)f.cgroup->Thaw();
  }
}
BENCHMARK(BM_ThawWrite);

// From the freeze write until the kernel reports every task frozen.
void BM_FreezeUntilFrozen(benchmark::State& state) {
  Frozen f;
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  for (auto _ : state) {
    (void)f.cgroup->Freeze();
    while (!f.KernelSaysFrozen()) {
    }
    state.PauseTiming();
    (void)f.cgroup->Thaw();
    while (f.KernelSaysFrozen()) {
    }
    state.ResumeTiming();
  }
}
BENCHMARK(BM_FreezeUntilFrozen);

}  // namespace
}  // namespace thaw
