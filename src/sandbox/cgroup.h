// The cgroup driver: finds where thaw sits in the cgroup hierarchies (v1, v2, or the hybrid of
// both), builds thaw's own subtree under that position, and gives each sandbox a cgroup with
// its memory, CPU and pids limits, freezer, kill, and accounting (peak memory, OOM kills, CPU).
//
// A feature comes from v2 when the unified hierarchy offers it, else from the v1 hierarchy
// that carries it, else it is missing (and thaw says so; it never pretends). On this project's
// hybrid hosts v1 carries memory/cpu/pids/freezer while a controller-less v2 mount still gives
// cgroup.freeze, cgroup.kill and CLONE_INTO_CGROUP.
//
// All paths are resolved under a root prefix so tests can run against fake trees of plain
// files. Every call is a few synchronous syscalls on cgroupfs, so it may run on an event loop;
// the exceptions are Remove, RemoveStaleCgroups and Kill without cgroup.kill, which may wait up
// to about 100 ms for dying tasks. Not thread-safe: one owner thread per object.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "sys/unique_fd.h"

namespace thaw::sandbox {

enum class Feature { kMemory, kCpu, kPids, kFreezer, kKill, kCpuAccounting };
const char* FeatureName(Feature feature);

// Which hierarchy provides a feature.
enum class Provider { kNone, kV1, kV2 };

// Where this process sits in each mounted hierarchy, as absolute directories (root prefix
// included). Empty when that hierarchy is not mounted.
struct CgroupLayout {
  std::string v1_memory;
  std::string v1_cpu;      // cpu controller (cfs quota); may be the same dir as v1_cpuacct
  std::string v1_cpuacct;  // cpuacct.usage
  std::string v1_pids;
  std::string v1_freezer;
  std::string v2;                           // our cgroup in the unified hierarchy
  std::vector<std::string> v2_controllers;  // cgroup.controllers at `v2`

  Provider ProviderOf(Feature feature) const;
  // One line: "hybrid (v1: memory cpu cpuacct pids freezer; v2 without controllers)",
  // "hybrid (v1: memory cpu,cpuacct; v2 controllers: hugetlb)", "v2 (controllers: memory cpu
  // pids)", "v1 (memory cpu,cpuacct pids freezer)", "none". v1 hierarchies are those of
  // memory, cpu, cpuacct, pids and freezer only; co-mounted ones are joined with ','.
  std::string Describe() const;
};

// Parses /proc/self/cgroup and /proc/self/mountinfo text. `root` is prepended to mount points
// (empty for the real host). A controller mounted with several others (cpu,cpuacct) maps each
// of them to the same directory. A cgroup path is taken relative to its mount's root (the
// mountinfo 4th field); a hierarchy whose mounts do not show our cgroup stays empty. Reads
// `v2`/cgroup.controllers (under `root`) when v2 is mounted; a missing file means none.
StatusOr<CgroupLayout> ParseCgroupLayout(std::string_view proc_self_cgroup,
                                         std::string_view mountinfo, const std::string& root = "");
// The real host's layout (reads /proc/self/...).
StatusOr<CgroupLayout> DetectCgroupLayout();

// Per-sandbox limits. Zero means "do not set".
struct CgroupLimits {
  int64_t memory_bytes = 0;  // hard limit, swap disabled where the kernel lets us
  int64_t cpu_quota_us = 0;  // per period; may exceed the period (more than one CPU)
  int64_t cpu_period_us = 0;
  int64_t pids_max = 0;
};

// Lambda's CPU rule: 1,769 MB is one vCPU. The period is chosen so the smallest function still
// gets at least the kernel's 1 ms minimum quota; see docs/sandbox.md.
inline constexpr int64_t kCpuPeriodUs = 20'000;
CgroupLimits LimitsForMemory(int64_t memory_mb, int64_t pids_max);

// One cgroup (a directory in every hierarchy thaw uses). RAII: the destructor kills what is
// left inside and removes the directories.
class Cgroup {
 public:
  // Creates `name` under `parent` in each hierarchy of `layout` that provides a feature
  // (the v2 directory whenever v2 is mounted, for freeze/kill/CLONE_INTO_CGROUP). `parent` is
  // a relative path below each hierarchy's position ("thaw-1234"). AlreadyExists is not an
  // error: the directory is reused. On v2 the controllers thaw takes from v2 are enabled in
  // cgroup.subtree_control from our position down to `parent` (FailedPrecondition when the
  // kernel refuses, e.g. EBUSY because our own cgroup holds processes); a missing
  // subtree_control file (a fake tree) is skipped. When the new v2 directory has no
  // cgroup.freeze (before Linux 5.2) the v1 freezer directory is made too and freezes instead.
  // InvalidArgument for a name or parent that is empty, absolute or contains "..".
  // FailedPrecondition when no hierarchy is mounted.
  static StatusOr<Cgroup> Create(const CgroupLayout& layout, const std::string& parent,
                                 const std::string& name);
  // Attaches to existing directories without owning them (the destructor leaves them alone).
  // For the server, which reads and freezes the cgroups the launcher made. NotFound when one
  // of the directories Create would make is missing.
  static StatusOr<Cgroup> Open(const CgroupLayout& layout, const std::string& parent,
                               const std::string& name);

  Cgroup(Cgroup&&) noexcept;
  Cgroup& operator=(Cgroup&&) noexcept;
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;
  ~Cgroup();

  // Writes the non-zero limits: v2 memory.max (+ memory.swap.max 0 when present), cpu.max
  // "quota period", pids.max; or v1 memory.limit_in_bytes (+ memory.memsw.limit_in_bytes when
  // present), cpu.cfs_period_us and cpu.cfs_quota_us, pids.max. A CPU quota without a period
  // uses kCpuPeriodUs. FailedPrecondition for a limit no hierarchy of this cgroup provides
  // (the others are still written); the first error is returned.
  Status SetLimits(const CgroupLimits& limits);
  // Moves `pid` into every v1 directory, and into v2 unless `skip_v2` (it was cloned there
  // with CLONE_INTO_CGROUP).
  Status AddProcess(pid_t pid, bool skip_v2 = false);
  // An O_DIRECTORY fd of the v2 directory for clone3's CLONE_INTO_CGROUP; -1 without v2.
  int v2_dir_fd() const { return v2_dir_.get(); }

  // Freeze and thaw: v2 cgroup.freeze, else v1 freezer.state; FailedPrecondition without
  // either. Both return at once; the kernel completes the freeze asynchronously.
  Status Freeze();
  Status Thaw();
  Provider freezer() const;

  // Kills every process inside: v2 cgroup.kill, else SIGKILL to each pid in cgroup.procs
  // (v1-frozen tasks are thawed so they can die) until a re-read finds no pid it has not
  // signalled yet. Returns once every task was sent SIGKILL; exiting ones may linger briefly.
  Status Kill();
  // Host pids of the processes inside (v2 cgroup.procs, else a v1 hierarchy's).
  StatusOr<std::vector<pid_t>> Procs() const;

  // Memory accounting. Peak: v1 memory.max_usage_in_bytes (reset by writing 0), v2
  // memory.peak (reset per open file by writing to it, Linux 6.12+). ResetMemoryPeak starts a
  // new window; NotFound when the kernel cannot reset it.
  StatusOr<int64_t> MemoryPeakBytes() const;
  StatusOr<int64_t> MemoryCurrentBytes() const;
  Status ResetMemoryPeak();
  // OOM kills so far: v2 memory.events oom_kill, v1 memory.oom_control oom_kill.
  StatusOr<int64_t> OomKills() const;
  // CPU time used by everything inside so far: v2 cpu.stat usage_usec, v1 cpuacct.usage.
  StatusOr<int64_t> CpuUsageNanos() const;

  // Kills what is left and removes the directories (retrying briefly while the kernel still
  // counts exiting tasks). Called by the destructor when owning; afterwards the object owns
  // nothing. Explicitly calling it on an Open'ed cgroup removes the directories too.
  Status Remove();
  // The same with a bound on the wait for exiting tasks; zero tries once (EBUSY while a task
  // is still a zombie: the caller may be the one that has to reap it).
  Status Remove(std::chrono::milliseconds budget);

  const std::string& name() const { return name_; }

 private:
  Cgroup() = default;
  // Fills the directories of `name` under `parent` for the hierarchies `layout` uses.
  static StatusOr<Cgroup> Resolve(const CgroupLayout& layout, const std::string& parent,
                                  const std::string& name);
  // Opens v2_dir_, freeze_fd_ and peak_fd_ for the files that exist.
  Status OpenFiles();
  // Which hierarchy of this cgroup provides `feature` (kNone when not among its directories).
  Provider ProviderOf(Feature feature) const;
  // Every distinct directory of this cgroup (v1 ones first, then v2).
  std::vector<std::string> Dirs() const;
  Status SetMemoryLimit(int64_t bytes);
  Status SetCpuLimit(int64_t quota_us, int64_t period_us);
  // The open freeze file, reopened when it was missing at Create (fake trees).
  StatusOr<int> FreezeFd();

  std::string name_;
  std::string v1_memory_, v1_cpu_, v1_cpuacct_, v1_pids_, v1_freezer_, v2_;
  std::vector<std::string> v2_controllers_;
  Provider freezer_ = Provider::kNone;
  sys::UniqueFd v2_dir_;
  sys::UniqueFd freeze_fd_;     // cgroup.freeze or freezer.state, opened once: freeze is hot
  sys::UniqueFd peak_fd_;       // memory.peak / max_usage_in_bytes, kept for v2's per-fd reset
  bool peak_writable_ = false;  // peak_fd_ was opened for writing (v2 reset needs 6.12+)
  bool owning_ = false;
};

// Removes every cgroup left under `parent` by an earlier thaw that died without cleaning up:
// kills the processes inside, then removes the directories (deepest first) in every hierarchy
// of `layout`; `parent` itself stays. Returns how many cgroups (relative paths) were removed.
// InvalidArgument for an empty, absolute or ".." parent (it would reach other cgroups).
StatusOr<int> RemoveStaleCgroups(const CgroupLayout& layout, const std::string& parent);

}  // namespace thaw::sandbox
