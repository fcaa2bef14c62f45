// The host probe behind `thaw doctor` (see probe.h).
#include "sandbox/probe.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include "sys/read_file.h"
#include "sys/unique_fd.h"

namespace thaw::sandbox {

namespace {

constexpr int kCapSysAdmin = 21;

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string Trim(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  return std::string(text);
}

// The value of "Key:\tvalue" in /proc/self/status.
std::optional<std::string> StatusField(std::string_view status, std::string_view key) {
  size_t start = 0;
  while (start < status.size()) {
    size_t end = status.find('\n', start);
    if (end == std::string_view::npos) end = status.size();
    std::string_view line = status.substr(start, end - start);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':') {
      return Trim(line.substr(key.size() + 1));
    }
    start = end + 1;
  }
  return std::nullopt;
}

// "6.18.44-fc-v657" -> {6, 18}.
std::pair<int, int> KernelVersion(std::string_view release) {
  int major = 0;
  int minor = 0;
  size_t i = 0;
  while (i < release.size() && release[i] >= '0' && release[i] <= '9') {
    major = major * 10 + (release[i++] - '0');
  }
  if (i < release.size() && release[i] == '.') ++i;
  while (i < release.size() && release[i] >= '0' && release[i] <= '9') {
    minor = minor * 10 + (release[i++] - '0');
  }
  return {major, minor};
}

bool AtLeast(std::pair<int, int> version, int major, int minor) {
  return version.first > major || (version.first == major && version.second >= minor);
}

// What one hierarchy offers to a new child cgroup, learnt by making one.
struct HierarchyCheck {
  bool created = false;
  std::string error;               // why mkdir failed
  std::vector<std::string> files;  // the files the kernel put in the child
  bool Has(std::string_view file) const {
    return std::find(files.begin(), files.end(), file) != files.end();
  }
};

// mkdir + rmdir of `position`/thaw-probe-PID, noting which files the kernel put there.
HierarchyCheck TryCreate(const std::string& position) {
  static const char* const kInteresting[] = {"cgroup.freeze",   "cgroup.kill",
                                             "memory.max",      "memory.peak",
                                             "memory.swap.max", "memory.memsw.limit_in_bytes"};
  HierarchyCheck check;
  const std::string dir = position + "/thaw-probe-" + std::to_string(::getpid());
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    check.error = ErrnoStatus("mkdir", dir, errno).message();
    return check;
  }
  check.created = true;
  for (const char* file : kInteresting) {
    if (Exists(dir + "/" + file)) check.files.emplace_back(file);
  }
  if (::rmdir(dir.c_str()) != 0) {
    check.created = false;
    check.error = ErrnoStatus("rmdir", dir, errno).message();
  }
  return check;
}

// Searches /sbin, /usr/sbin (under `root`) and then each PATH entry for an executable.
std::optional<std::string> FindExecutable(const std::string& name, const std::string& root,
                                          const std::string& path_env) {
  std::vector<std::string> dirs = {root + "/sbin", root + "/usr/sbin"};
  size_t start = 0;
  while (start <= path_env.size()) {
    size_t end = path_env.find(':', start);
    if (end == std::string::npos) end = path_env.size();
    if (end > start) dirs.push_back(path_env.substr(start, end - start));
    start = end + 1;
  }
  for (const std::string& dir : dirs) {
    std::string candidate = dir;
    candidate += '/';
    candidate += name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

class Prober {
 public:
  explicit Prober(const ProbeOptions& options) : options_(options) {}

  StatusOr<SandboxProbe> Run() {
    const std::string& root = options_.root;
    THAW_ASSIGN_OR_RETURN(std::string status, sys::ReadFile(root + "/proc/self/status"));
    Privileges(status);
    kernel_ = KernelVersion(KernelRelease());
    Namespaces();
    Cgroups();
    const CgroupLayout& l = probe_.layout;
    Limit("memory limit", Feature::kMemory, l.v1_memory, "memory.limit_in_bytes");
    Limit("cpu limit", Feature::kCpu, l.v1_cpu, "cpu.cfs_quota_us");
    Limit("pids limit", Feature::kPids, l.v1_pids, "pids.max");
    Freezer();
    Accounting();
    TmpSizeLimit();
    Seccomp();
    Add("no_new_privs", ProbeStatus::kEnforced, "prctl(PR_SET_NO_NEW_PRIVS) needs no privilege",
        true);
    Add("clone3/pidfd", AtLeast(kernel_, 5, 7) ? ProbeStatus::kAvailable : ProbeStatus::kMissing,
        AtLeast(kernel_, 5, 7)
            ? "clone3 with CLONE_INTO_CGROUP and pidfds (Linux " + release_ + ")"
            : "Linux " + release_ + " is older than 5.7: fork, then move into the cgroup",
        false);
    return std::move(probe_);
  }

 private:
  void Add(std::string feature, ProbeStatus status, std::string detail, bool isolation) {
    probe_.items.push_back({std::move(feature), status, std::move(detail), isolation});
  }

  std::string KernelRelease() {
    release_ = options_.kernel_release;
    if (release_.empty()) {
      struct utsname uts {};
      if (::uname(&uts) == 0) release_ = uts.release;
    }
    return release_;
  }

  // /proc/self/status: "Uid:\t0\t0\t0\t0" (real, effective, ...), "CapEff:\t000001fffeffffff".
  void Privileges(const std::string& status) {
    std::optional<std::string> uids = StatusField(status, "Uid");
    std::optional<std::string> cap_eff = StatusField(status, "CapEff");
    euid_ = -1;
    if (uids) {
      std::string_view rest = *uids;
      size_t tab = rest.find_first_of(" \t");
      if (tab != std::string_view::npos) {
        euid_ = std::atoi(Trim(rest.substr(tab)).c_str());
      }
    }
    uint64_t caps = cap_eff ? std::strtoull(cap_eff->c_str(), nullptr, 16) : 0;
    admin_ = ((caps >> kCapSysAdmin) & 1) != 0;
    std::string who = euid_ == 0 ? "root" : "uid " + std::to_string(euid_);
    if (admin_) {
      Add("privileges", ProbeStatus::kAvailable, who + " with CAP_SYS_ADMIN", false);
    } else {
      Add("privileges", ProbeStatus::kMissing,
          who + " without CAP_SYS_ADMIN: namespaces and mounts need root", false);
    }
  }

  // unshare(2) of each type needs CAP_SYS_ADMIN, the kernel's support (/proc/self/ns/X) and a
  // non-zero /proc/sys/user/max_X_namespaces (0 disables that type).
  void Namespaces() {
    struct Kind {
      const char* feature;
      const char* ns;
      const char* sysctl;
    };
    static constexpr Kind kKinds[] = {{"pid namespace", "pid", "max_pid_namespaces"},
                                      {"mount namespace", "mnt", "max_mnt_namespaces"},
                                      {"ipc namespace", "ipc", "max_ipc_namespaces"},
                                      {"uts namespace", "uts", "max_uts_namespaces"},
                                      {"net namespace", "net", "max_net_namespaces"}};
    for (const Kind& kind : kKinds) {
      const std::string ns = options_.root + "/proc/self/ns/" + kind.ns;
      const std::string sysctl = options_.root + "/proc/sys/user/" + kind.sysctl;
      struct stat st {};
      if (::lstat(ns.c_str(), &st) != 0) {
        Add(kind.feature, ProbeStatus::kNotEnforced,
            "the kernel has no " + std::string(kind.ns) + " namespaces (" + ns + " missing)", true);
        continue;
      }
      std::string limit_text;
      if (StatusOr<std::string> limit = sys::ReadFile(sysctl); limit.ok()) {
        limit_text = Trim(*limit);
        if (limit_text == "0") {
          Add(kind.feature, ProbeStatus::kNotEnforced, sysctl + " is 0", true);
          continue;
        }
      }
      if (!admin_) {
        Add(kind.feature, ProbeStatus::kNotEnforced, "unshare needs CAP_SYS_ADMIN (run as root)",
            true);
        continue;
      }
      std::string detail = "unshare permitted";
      if (!limit_text.empty()) detail += " (" + std::string(kind.sysctl) + " " + limit_text + ")";
      Add(kind.feature, ProbeStatus::kEnforced, detail, true);
    }
  }

  void Cgroups() {
    const std::string& root = options_.root;
    StatusOr<std::string> cgroup = sys::ReadFile(root + "/proc/self/cgroup");
    StatusOr<std::string> mountinfo = sys::ReadFile(root + "/proc/self/mountinfo");
    StatusOr<CgroupLayout> layout =
        cgroup.ok() && mountinfo.ok()
            ? ParseCgroupLayout(*cgroup, *mountinfo, root)
            : StatusOr<CgroupLayout>(cgroup.ok() ? mountinfo.status() : cgroup.status());
    if (layout.ok()) probe_.layout = *layout;
    const CgroupLayout& l = probe_.layout;
    if (!layout.ok()) {
      Add("cgroups", ProbeStatus::kMissing, layout.status().message(), false);
    } else if (l.Describe() == "none") {
      Add("cgroups", ProbeStatus::kMissing, "no cgroup hierarchy is mounted", false);
    } else {
      Add("cgroups", ProbeStatus::kAvailable, l.Describe(), false);
    }

    // The hierarchies Cgroup::Create would use, each tried once. Create needs all of them,
    // so one failure leaves every cgroup feature unenforced.
    std::vector<std::pair<std::string, std::string>> positions;  // (label, dir)
    auto use = [&](const std::string& label, const std::string& dir) {
      if (dir.empty()) return;
      for (auto& [existing_label, existing_dir] : positions) {
        if (existing_dir == dir) {
          existing_label += "," + label;
          return;
        }
      }
      positions.emplace_back(label, dir);
    };
    if (l.ProviderOf(Feature::kMemory) == Provider::kV1) use("memory", l.v1_memory);
    if (l.ProviderOf(Feature::kCpu) == Provider::kV1) use("cpu", l.v1_cpu);
    if (l.ProviderOf(Feature::kCpuAccounting) == Provider::kV1) use("cpuacct", l.v1_cpuacct);
    if (l.ProviderOf(Feature::kPids) == Provider::kV1) use("pids", l.v1_pids);
    if (l.ProviderOf(Feature::kFreezer) == Provider::kV1) use("freezer", l.v1_freezer);
    use("v2", l.v2);
    if (options_.try_cgroup_create) {
      for (size_t i = 0; i < positions.size(); ++i) {
        const auto [label, dir] = positions[i];
        HierarchyCheck check = TryCreate(dir);
        if (!check.created) failures_.push_back(label + ": " + check.error);
        // Before Linux 5.2 v2 has no cgroup.freeze; Cgroup::Create then adds the v1 freezer.
        if (dir == l.v2 && check.created && !check.Has("cgroup.freeze"))
          use("freezer", l.v1_freezer);
        checks_[dir] = std::move(check);
      }
    }
    if (positions.empty()) return;
    if (!options_.try_cgroup_create) {
      Add("cgroup create", ProbeStatus::kAvailable, "not tried", false);
    } else if (failures_.empty()) {
      Add("cgroup create", ProbeStatus::kAvailable,
          "mkdir+rmdir of a child cgroup works in " + std::to_string(positions.size()) +
              (positions.size() == 1 ? " hierarchy" : " hierarchies"),
          false);
    } else {
      std::string detail = failures_.front();
      if (failures_.size() > 1) {
        detail += " (and " + std::to_string(failures_.size() - 1) + " more hierarchies)";
      }
      Add("cgroup create", ProbeStatus::kMissing, detail, false);
    }
  }

  // The check of the hierarchy at `dir`; nullptr when not tried or not made.
  const HierarchyCheck* CheckOf(const std::string& dir) const {
    auto it = checks_.find(dir);
    return it == checks_.end() || !it->second.created ? nullptr : &it->second;
  }

  // "" when thaw can make its cgroups (or did not try), else why not.
  std::string CgroupError() const {
    return failures_.empty() ? "" : "thaw cannot create cgroups (see cgroup create)";
  }

  void Limit(const std::string& feature, Feature which, const std::string& v1_dir,
             const std::string& v1_file) {
    const CgroupLayout& l = probe_.layout;
    const std::string controller = which == Feature::kMemory ? "memory"
                                   : which == Feature::kCpu  ? "cpu"
                                                             : "pids";
    const Provider provider = l.ProviderOf(which);
    if (provider == Provider::kNone) {
      Add(feature, ProbeStatus::kNotEnforced,
          "no " + controller + " controller in v1 or v2 (cgroups: " + l.Describe() + ")", true);
      return;
    }
    if (std::string error = CgroupError(); !error.empty()) {
      Add(feature, ProbeStatus::kNotEnforced, error, true);
      return;
    }
    if (provider == Provider::kV1) {
      std::string detail = "v1 " + v1_file + " under " + v1_dir;
      if (which == Feature::kMemory) {
        const HierarchyCheck* check = CheckOf(v1_dir);
        bool memsw = check != nullptr ? check->Has("memory.memsw.limit_in_bytes")
                                      : Exists(v1_dir + "/memory.memsw.limit_in_bytes");
        detail += memsw ? " (swap included)" : " (no swap accounting: swap not limited)";
      }
      Add(feature, ProbeStatus::kEnforced, detail, true);
      return;
    }
    // v2 passes a controller to thaw's cgroups only through our cgroup's subtree_control,
    // which the kernel refuses to change while our cgroup holds processes (unless it is the
    // root, which has no cgroup.events).
    StatusOr<std::string> enabled = sys::ReadFile(l.v2 + "/cgroup.subtree_control");
    StatusOr<std::string> procs = sys::ReadFile(l.v2 + "/cgroup.procs");
    bool listed = enabled.ok() &&
                  (" " + Trim(*enabled) + " ").find(" " + controller + " ") != std::string::npos;
    if (!listed && procs.ok() && !Trim(*procs).empty() && Exists(l.v2 + "/cgroup.events")) {
      Add(feature, ProbeStatus::kNotEnforced,
          controller + " is not in " + l.v2 +
              "/cgroup.subtree_control and thaw's cgroup holds processes; run thaw in a "
              "delegated cgroup (systemd-run --scope -p Delegate=yes)",
          true);
      return;
    }
    std::string file = which == Feature::kMemory ? "memory.max"
                       : which == Feature::kCpu  ? "cpu.max"
                                                 : "pids.max";
    Add(feature, ProbeStatus::kEnforced, "v2 " + file + " under " + l.v2, true);
  }

  void Freezer() {
    const CgroupLayout& l = probe_.layout;
    const std::string error = CgroupError();
    // v2 cgroup.freeze: Linux 5.2+; seen in the probe cgroup when one was made.
    bool v2_freeze = false;
    bool v2_kill = false;
    if (!l.v2.empty() && error.empty()) {
      const HierarchyCheck* check = CheckOf(l.v2);
      v2_freeze = check != nullptr ? check->Has("cgroup.freeze") : AtLeast(kernel_, 5, 2);
      v2_kill = check != nullptr ? check->Has("cgroup.kill") : AtLeast(kernel_, 5, 14);
    }
    if (v2_freeze) {
      Add("freeze", ProbeStatus::kAvailable, "v2 cgroup.freeze under " + l.v2, true);
    } else if (!l.v1_freezer.empty() && error.empty()) {
      Add("freeze", ProbeStatus::kAvailable, "v1 freezer.state under " + l.v1_freezer, true);
    } else {
      Add("freeze", ProbeStatus::kMissing,
          (error.empty() ? std::string("no cgroup freezer") : error) +
              ": SIGSTOP/SIGCONT instead, visible to the function",
          true);
    }

    if (v2_kill) {
      Add("cgroup kill", ProbeStatus::kAvailable, "v2 cgroup.kill", false);
    } else if (l.ProviderOf(Feature::kKill) != Provider::kNone && error.empty()) {
      Add("cgroup kill", ProbeStatus::kAvailable,
          "SIGKILL to each pid in cgroup.procs (cgroup.kill needs Linux 5.14)", false);
    } else {
      Add("cgroup kill", ProbeStatus::kMissing,
          (error.empty() ? std::string("no cgroups") : error) + ": process-group kill only", false);
    }
  }

  void Accounting() {
    const CgroupLayout& l = probe_.layout;
    const std::string error = CgroupError();
    Provider cpu = error.empty() ? l.ProviderOf(Feature::kCpuAccounting) : Provider::kNone;
    switch (cpu) {
      case Provider::kV2:
        Add("cpu accounting", ProbeStatus::kAvailable, "v2 cpu.stat usage_usec", false);
        break;
      case Provider::kV1:
        Add("cpu accounting", ProbeStatus::kAvailable, "v1 cpuacct.usage", false);
        break;
      case Provider::kNone:
        Add("cpu accounting", ProbeStatus::kMissing, "per-process /proc times instead", false);
        break;
    }
    Provider memory = error.empty() ? l.ProviderOf(Feature::kMemory) : Provider::kNone;
    switch (memory) {
      case Provider::kV1:
        Add("memory peak", ProbeStatus::kAvailable,
            "v1 memory.max_usage_in_bytes, reset per invocation", false);
        break;
      case Provider::kV2: {
        const HierarchyCheck* check = CheckOf(l.v2);
        // The probe cgroup lacks memory.* when our subtree_control does not list memory yet.
        bool has_peak = check != nullptr && check->Has("memory.max") ? check->Has("memory.peak")
                                                                     : AtLeast(kernel_, 5, 19);
        if (!has_peak) {
          Add("memory peak", ProbeStatus::kMissing,
              "no v2 memory.peak (Linux 5.19+): the runtime's VmHWM instead", false);
        } else if (AtLeast(kernel_, 6, 12)) {
          Add("memory peak", ProbeStatus::kAvailable, "v2 memory.peak, reset per invocation",
              false);
        } else {
          Add("memory peak", ProbeStatus::kAvailable,
              "v2 memory.peak, not resettable before Linux 6.12: the environment's peak", false);
        }
        break;
      }
      case Provider::kNone:
        Add("memory peak", ProbeStatus::kMissing, "no memory cgroup: the runtime's VmHWM instead",
            false);
        break;
    }
  }

  // The size-limited /tmp is an ext4 image on a loop device, mounted in the sandbox.
  void TmpSizeLimit() {
    const std::string control = options_.root + "/dev/loop-control";
    sys::UniqueFd fd(::open(control.c_str(), O_RDWR | O_CLOEXEC));
    std::string loop_error;
    if (fd.valid()) {
      Add("loop devices", ProbeStatus::kAvailable, control + " opens read-write", false);
    } else {
      loop_error = ErrnoStatus("open", control, errno).message();
      Add("loop devices", ProbeStatus::kMissing, loop_error, false);
    }
    std::string path_env = options_.path_env;
    if (path_env.empty()) {
      const char* env = std::getenv("PATH");
      path_env = env != nullptr ? env : "";
    }
    std::optional<std::string> mkfs = FindExecutable("mkfs.ext4", options_.root, path_env);
    if (mkfs) {
      Add("mkfs.ext4", ProbeStatus::kAvailable, *mkfs, false);
    } else {
      Add("mkfs.ext4", ProbeStatus::kMissing,
          "not found in /sbin, /usr/sbin or PATH (install e2fsprogs)", false);
    }
    if (!loop_error.empty()) {
      Add("/tmp size limit", ProbeStatus::kNotEnforced, "no loop devices: /tmp is a plain dir",
          true);
    } else if (!mkfs) {
      Add("/tmp size limit", ProbeStatus::kNotEnforced, "no mkfs.ext4: /tmp is a plain dir", true);
    } else if (!admin_) {
      Add("/tmp size limit", ProbeStatus::kNotEnforced, "mounting needs CAP_SYS_ADMIN", true);
    } else {
      Add("/tmp size limit", ProbeStatus::kEnforced,
          "ext4 image of the function's ephemeral storage size on a loop device", true);
    }
  }

  // Filters need SECCOMP_RET_KILL_PROCESS (4.14) and SECCOMP_RET_ERRNO.
  void Seccomp() {
    const std::string path = options_.root + "/proc/sys/kernel/seccomp/actions_avail";
    StatusOr<std::string> actions = sys::ReadFile(path);
    if (!actions.ok()) {
      Add("seccomp", ProbeStatus::kNotEnforced,
          "no seccomp filter support (" + actions.status().message() + ")", true);
      return;
    }
    std::string words = " " + Trim(*actions) + " ";
    std::vector<std::string> missing;
    for (const char* action : {"kill_process", "errno"}) {
      if (words.find(" " + std::string(action) + " ") == std::string::npos) {
        missing.emplace_back(action);
      }
    }
    if (!missing.empty()) {
      Add("seccomp", ProbeStatus::kNotEnforced,
          "the kernel lacks seccomp actions: " + Join(missing, " "), true);
      return;
    }
    Add("seccomp", ProbeStatus::kEnforced, "filter with kill_process and errno actions", true);
  }

  static std::string Join(const std::vector<std::string>& parts, const std::string& separator) {
    std::string out;
    for (const std::string& part : parts) {
      if (!out.empty()) out += separator;
      out += part;
    }
    return out;
  }

  const ProbeOptions& options_;
  SandboxProbe probe_;
  std::string release_;
  std::pair<int, int> kernel_;
  int euid_ = -1;
  bool admin_ = false;
  std::map<std::string, HierarchyCheck> checks_;  // by hierarchy position
  std::vector<std::string> failures_;             // "memory: mkdir ...: Permission denied"
};

}  // namespace

const char* ProbeStatusName(ProbeStatus status) {
  switch (status) {
    case ProbeStatus::kEnforced:
      return "enforced";
    case ProbeStatus::kNotEnforced:
      return "not enforced";
    case ProbeStatus::kAvailable:
      return "available";
    case ProbeStatus::kMissing:
      return "missing";
  }
  return "unknown";
}

bool SandboxProbe::FullIsolation() const { return Degraded().empty(); }

std::vector<std::string> SandboxProbe::Degraded() const {
  std::vector<std::string> degraded;
  for (const ProbeItem& item : items) {
    if (item.isolation && !item.ok()) degraded.push_back(item.feature);
  }
  return degraded;
}

const ProbeItem* SandboxProbe::Find(const std::string& feature) const {
  for (const ProbeItem& item : items) {
    if (item.feature == feature) return &item;
  }
  return nullptr;
}

StatusOr<SandboxProbe> ProbeHost(const ProbeOptions& options) { return Prober(options).Run(); }

std::string FormatProbe(const SandboxProbe& probe) {
  std::vector<std::array<std::string, 3>> rows;
  rows.push_back({"FEATURE", "STATUS", "DETAIL"});
  for (const ProbeItem& item : probe.items) {
    rows.push_back({item.feature, ProbeStatusName(item.status), item.detail});
  }
  size_t widths[2] = {0, 0};
  for (const auto& row : rows) {
    widths[0] = std::max(widths[0], row[0].size());
    widths[1] = std::max(widths[1], row[1].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line = row[0] + std::string(widths[0] - row[0].size() + 2, ' ') + row[1];
    if (!row[2].empty()) line += std::string(widths[1] - row[1].size() + 2, ' ') + row[2];
    out += line + "\n";
  }
  return out;
}

std::string FormatVerdict(const SandboxProbe& probe) {
  std::vector<std::string> degraded = probe.Degraded();
  if (degraded.empty()) {
    return "thaw would run with full isolation: every namespace, limit and filter above applies";
  }
  std::string list;
  for (const std::string& feature : degraded) {
    if (!list.empty()) list += ", ";
    list += feature;
  }
  return "thaw would run in degraded mode; not enforced: " + list;
}

}  // namespace thaw::sandbox
