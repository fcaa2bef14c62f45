// The cgroup driver (see cgroup.h): layout detection from /proc/self, per-sandbox cgroups in the
// v1 and v2 hierarchies, limits, freezer, kill and accounting.
#include "sandbox/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "sys/read_file.h"

namespace thaw::sandbox {

namespace {

// Budget for rmdir retries while the kernel still counts exiting tasks, and for the kill loop
// without cgroup.kill.
constexpr auto kRemoveBudget = std::chrono::milliseconds(100);
constexpr auto kRetrySleep = std::chrono::milliseconds(2);

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// Whitespace-separated words.
std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t')) ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\n' && text[i] != '\t') ++i;
    if (i > start) words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

std::optional<int64_t> ParseInt(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// The value of a "key N" line in a flat-keyed file such as memory.events or cpu.stat:
//   oom 0
//   oom_kill 2
std::optional<int64_t> KeyedValue(std::string_view text, std::string_view key) {
  for (std::string_view line : Split(text, '\n')) {
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ' ') {
      return ParseInt(line.substr(key.size() + 1));
    }
  }
  return std::nullopt;
}

// "a/b/c" from {"a", "b", "c"}.
std::string JoinPath(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool IsDir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Reads a whole small file from offset 0 of an open descriptor.
StatusOr<std::string> PreadAll(int fd, const std::string& what) {
  std::string out;
  char buf[256];
  for (;;) {
    ssize_t n = ::pread(fd, buf, sizeof(buf), static_cast<off_t>(out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("pread", what, errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// One write(2) of the whole value: cgroupfs takes each write as one command. O_TRUNC is
// ignored by cgroupfs and keeps fake trees' plain files tidy.
Status WriteFile(const std::string& path, std::string_view value) {
  sys::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus("open", path, errno);
  ssize_t n;
  do {
    n = ::write(fd.get(), value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoStatus("write " + std::string(value) + " to", path, errno);
  if (static_cast<size_t>(n) != value.size()) {
    return Status::IoError("short write to " + path);
  }
  return Status::Ok();
}

StatusOr<int64_t> ReadInt(const std::string& path) {
  THAW_ASSIGN_OR_RETURN(std::string text, sys::ReadFile(path));
  std::optional<int64_t> value = ParseInt(text);
  if (!value) return Status::Internal("unexpected content in " + path + ": " + text);
  return *value;
}

StatusOr<int64_t> ReadKeyed(const std::string& path, std::string_view key) {
  THAW_ASSIGN_OR_RETURN(std::string text, sys::ReadFile(path));
  std::optional<int64_t> value = KeyedValue(text, key);
  if (!value) return Status::NotFound("no " + std::string(key) + " line in " + path);
  return *value;
}

// cgroup.procs: one pid per line.
StatusOr<std::vector<pid_t>> ReadPids(const std::string& path) {
  THAW_ASSIGN_OR_RETURN(std::string text, sys::ReadFile(path));
  std::vector<pid_t> pids;
  for (const std::string& word : Words(text)) {
    std::optional<int64_t> pid = ParseInt(word);
    if (!pid || *pid <= 0) {
      std::string message = "unexpected pid '";
      message += word;
      message += "' in ";
      message += path;
      return Status::Internal(std::move(message));
    }
    pids.push_back(static_cast<pid_t>(*pid));
  }
  return pids;
}

Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return Status::Ok();
  return ErrnoStatus("mkdir", path, errno);
}

// A relative cgroup path: non-empty, not absolute, no "." or ".." components.
bool IsSafeRelative(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.back() == '/') return false;
  for (std::string_view part : Split(path, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  return true;
}

// Removes a cgroup directory. rmdir answers EBUSY while the kernel still counts exiting tasks
// (or a child cgroup exists), so it is retried until the budget runs out. cgroupfs never
// answers ENOTEMPTY (its control files do not count); a plain directory of a fake tree does,
// so its files are unlinked and the rmdir retried. A missing directory is not an error.
Status RemoveDir(const std::string& path, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return Status::Ok();
    int err = errno;
    if (err == ENOTEMPTY) {
      std::error_code ec;
      bool removed_any = false;
      for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
        std::error_code type_ec;
        if (entry.is_regular_file(type_ec) && ::unlink(entry.path().c_str()) == 0) {
          removed_any = true;
        }
      }
      if (removed_any) continue;
    }
    if (err != EBUSY || std::chrono::steady_clock::now() >= deadline) {
      return ErrnoStatus("rmdir", path, err);
    }
    std::this_thread::sleep_for(kRetrySleep);
  }
}

// SIGKILLs every pid listed in `procs_files` until a re-read shows no pid that was not
// signalled yet (a task forked meanwhile is caught by the next round). A v1 freezer is thawed
// first (`freezer_state`, may be empty): v1-frozen tasks do not act on SIGKILL.
// Pids come from cgroupfs and are signalled at once; a pid recycled in between is the usual
// kill(2) race, narrowed to microseconds here.
Status KillListed(const std::vector<std::string>& procs_files, const std::string& freezer_state) {
  if (!freezer_state.empty() && Exists(freezer_state)) {
    THAW_RETURN_IF_ERROR(WriteFile(freezer_state, "THAWED"));
  }
  std::set<pid_t> signalled;
  auto deadline = std::chrono::steady_clock::now() + kRemoveBudget;
  for (;;) {
    bool found_new = false;
    for (const std::string& procs : procs_files) {
      StatusOr<std::vector<pid_t>> pids = ReadPids(procs);
      if (!pids.ok()) {
        if (pids.status().code() == StatusCode::kNotFound) continue;
        return pids.status();
      }
      for (pid_t pid : *pids) {
        if (!signalled.insert(pid).second) continue;
        found_new = true;
        if (::kill(pid, SIGKILL) != 0 && errno != ESRCH) {
          return ErrnoStatus("kill", std::to_string(pid), errno);
        }
      }
    }
    if (!found_new) return Status::Ok();
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::DeadlineExceeded("processes keep appearing in " + procs_files.front());
    }
  }
}

// One pwrite at offset 0 on a kept descriptor: a freeze or thaw is a single syscall. The
// values of each pair have equal lengths so a fake tree's plain file never keeps a stale tail.
// `dir` and `file` only name it in an error.
Status PwriteAtZero(int fd, std::string_view value, std::string_view dir, std::string_view file) {
  ssize_t n;
  do {
    n = ::pwrite(fd, value.data(), value.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0)
    return ErrnoStatus("write " + std::string(value) + " to", JoinPath({dir, file}), errno);
  return Status::Ok();
}

bool Contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Makes `dir` (= position/parent/name) and the parent levels above it. For v2, `controllers`
// are enabled in cgroup.subtree_control from `position` down: v2 hands a controller to a child
// only when every ancestor lists it. Our own position refuses with EBUSY while it holds
// processes (the "no internal processes" rule) unless it is the root. A missing
// subtree_control (a fake tree) is skipped.
Status MakeCgroupDir(const std::string& position, const std::string& parent, const std::string& dir,
                     const std::vector<std::string>& controllers) {
  std::string path = position;
  std::vector<std::string> levels = {position};
  for (std::string_view part : Split(parent, '/')) {
    path += "/";
    path += part;
    THAW_RETURN_IF_ERROR(MakeDir(path));
    levels.push_back(path);
  }
  for (const std::string& level : controllers.empty() ? std::vector<std::string>{} : levels) {
    const std::string file = level + "/cgroup.subtree_control";
    StatusOr<std::string> enabled = sys::ReadFile(file);
    if (!enabled.ok() && enabled.status().code() == StatusCode::kNotFound) continue;
    if (!enabled.ok()) return enabled.status();
    std::vector<std::string> words = Words(*enabled);
    for (const std::string& controller : controllers) {
      if (Contains(words, controller)) continue;
      Status status = WriteFile(file, "+" + controller);
      if (!status.ok()) {
        return Status::FailedPrecondition("cannot enable the " + controller +
                                          " controller for thaw's cgroups: " + status.message());
      }
    }
  }
  return MakeDir(dir);
}

// Octal escapes in mountinfo paths ("\040" for a space).
std::string UnescapeMountPath(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    auto octal = [&](size_t at) { return text[at] >= '0' && text[at] <= '7'; };
    if (text[i] == '\\' && i + 3 < text.size() && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      out.push_back(static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 +
                                      (text[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// `cgroup_path` (from /proc/self/cgroup) below a mount whose root is `mount_root`, as a suffix
// for the mount point ("" for the mount's root itself); nullopt when the mount does not show it.
std::optional<std::string> RelativeTo(const std::string& cgroup_path,
                                      const std::string& mount_root) {
  if (mount_root == "/") return cgroup_path == "/" ? "" : cgroup_path;
  if (cgroup_path == mount_root) return "";
  if (cgroup_path.size() > mount_root.size() &&
      cgroup_path.compare(0, mount_root.size(), mount_root) == 0 &&
      cgroup_path[mount_root.size()] == '/') {
    return cgroup_path.substr(mount_root.size());
  }
  return std::nullopt;
}

}  // namespace

const char* FeatureName(Feature feature) {
  switch (feature) {
    case Feature::kMemory:
      return "memory";
    case Feature::kCpu:
      return "cpu";
    case Feature::kPids:
      return "pids";
    case Feature::kFreezer:
      return "freezer";
    case Feature::kKill:
      return "kill";
    case Feature::kCpuAccounting:
      return "cpu accounting";
  }
  return "unknown";
}

// ---- CgroupLayout --------------------------------------------------------------------------

Provider CgroupLayout::ProviderOf(Feature feature) const {
  const bool has_v2 = !v2.empty();
  switch (feature) {
    case Feature::kMemory:
      if (has_v2 && Contains(v2_controllers, "memory")) return Provider::kV2;
      return v1_memory.empty() ? Provider::kNone : Provider::kV1;
    case Feature::kCpu:
      if (has_v2 && Contains(v2_controllers, "cpu")) return Provider::kV2;
      return v1_cpu.empty() ? Provider::kNone : Provider::kV1;
    case Feature::kPids:
      if (has_v2 && Contains(v2_controllers, "pids")) return Provider::kV2;
      return v1_pids.empty() ? Provider::kNone : Provider::kV1;
    case Feature::kFreezer:
      // cgroup.freeze is core v2 (no controller to enable), Linux 5.2+.
      if (has_v2) return Provider::kV2;
      return v1_freezer.empty() ? Provider::kNone : Provider::kV1;
    case Feature::kKill:
      // cgroup.kill is core v2 (5.14+; Cgroup::Kill falls back to cgroup.procs before). Any v1
      // hierarchy lists the pids to signal.
      if (has_v2) return Provider::kV2;
      if (!v1_memory.empty() || !v1_cpu.empty() || !v1_cpuacct.empty() || !v1_pids.empty() ||
          !v1_freezer.empty()) {
        return Provider::kV1;
      }
      return Provider::kNone;
    case Feature::kCpuAccounting:
      // cpu.stat usage_usec exists in every v2 cgroup, with or without the cpu controller.
      if (has_v2) return Provider::kV2;
      return v1_cpuacct.empty() ? Provider::kNone : Provider::kV1;
  }
  return Provider::kNone;
}

std::string CgroupLayout::Describe() const {
  std::vector<std::string> v1;
  if (!v1_memory.empty()) v1.emplace_back("memory");
  if (!v1_cpu.empty() && v1_cpu == v1_cpuacct) {
    v1.emplace_back("cpu,cpuacct");
  } else {
    if (!v1_cpu.empty()) v1.emplace_back("cpu");
    if (!v1_cpuacct.empty()) v1.emplace_back("cpuacct");
  }
  if (!v1_pids.empty()) v1.emplace_back("pids");
  if (!v1_freezer.empty()) v1.emplace_back("freezer");
  auto join = [](const std::vector<std::string>& words) {
    std::string out;
    for (const std::string& word : words) {
      if (!out.empty()) out += ' ';
      out += word;
    }
    return out;
  };
  if (v1.empty() && v2.empty()) return "none";
  if (v2.empty()) return "v1 (" + join(v1) + ")";
  std::string v2_text =
      v2_controllers.empty() ? "without controllers" : "controllers: " + join(v2_controllers);
  if (v1.empty()) return "v2 (" + v2_text + ")";
  return "hybrid (v1: " + join(v1) + "; v2 " + v2_text + ")";
}

StatusOr<CgroupLayout> ParseCgroupLayout(std::string_view proc_self_cgroup,
                                         std::string_view mountinfo, const std::string& root) {
  // /proc/self/cgroup, one hierarchy per line, "ID:CONTROLLERS:PATH":
  //   4:memory:/process_api/06ce324acfdd7dabfa40c28f09cd1ea9
  //   2:cpu,cpuacct:/
  //   0::/user.slice/user-0.slice/session-1.scope
  std::vector<std::pair<std::string, std::string>> v1_paths;  // controller -> path
  std::optional<std::string> v2_path;
  for (std::string_view line : Split(proc_self_cgroup, '\n')) {
    if (line.empty()) continue;
    size_t first = line.find(':');
    size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) {
      return Status::InvalidArgument("malformed /proc/self/cgroup line: " + std::string(line));
    }
    std::string_view id = line.substr(0, first);
    std::string_view controllers = line.substr(first + 1, second - first - 1);
    std::string path(line.substr(second + 1));
    if (id == "0" && controllers.empty()) {
      v2_path = path;
      continue;
    }
    for (std::string_view controller : Split(controllers, ',')) {
      v1_paths.emplace_back(std::string(controller), path);
    }
  }
  auto v1_path_of = [&](std::string_view controller) -> const std::string* {
    for (const auto& [name, path] : v1_paths) {
      if (name == controller) return &path;
    }
    return nullptr;
  };

  // /proc/self/mountinfo, "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - FSTYPE SOURCE
  // SUPEROPTIONS":
  //   35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
  //   41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
  CgroupLayout layout;
  struct Slot {
    const char* controller;
    std::string* dir;
  };
  Slot slots[] = {{"memory", &layout.v1_memory},
                  {"cpu", &layout.v1_cpu},
                  {"cpuacct", &layout.v1_cpuacct},
                  {"pids", &layout.v1_pids},
                  {"freezer", &layout.v1_freezer}};
  for (std::string_view line : Split(mountinfo, '\n')) {
    std::vector<std::string> fields = Words(line);
    auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 6 || dash == fields.end() || fields.end() - dash < 3) continue;
    const std::string& fstype = *(dash + 1);
    const std::string& super_options = *(dash + 3);
    std::string mount_root = UnescapeMountPath(fields[3]);
    std::string mount_point = UnescapeMountPath(fields[4]);
    if (mount_point == "/") mount_point.clear();
    if (fstype == "cgroup2") {
      if (!v2_path || !layout.v2.empty()) continue;
      std::optional<std::string> relative = RelativeTo(*v2_path, mount_root);
      if (relative) layout.v2 = root + mount_point + *relative;
      continue;
    }
    if (fstype != "cgroup") continue;
    for (std::string_view option : Split(super_options, ',')) {
      for (Slot& slot : slots) {
        if (option != slot.controller || !slot.dir->empty()) continue;
        const std::string* path = v1_path_of(slot.controller);
        if (path == nullptr) continue;
        std::optional<std::string> relative = RelativeTo(*path, mount_root);
        if (relative) *slot.dir = root + mount_point + *relative;
      }
    }
  }
  if (!layout.v2.empty()) {
    StatusOr<std::string> controllers = sys::ReadFile(layout.v2 + "/cgroup.controllers");
    if (controllers.ok()) layout.v2_controllers = Words(*controllers);
  }
  return layout;
}

StatusOr<CgroupLayout> DetectCgroupLayout() {
  THAW_ASSIGN_OR_RETURN(std::string cgroup, sys::ReadFile("/proc/self/cgroup"));
  THAW_ASSIGN_OR_RETURN(std::string mountinfo, sys::ReadFile("/proc/self/mountinfo"));
  return ParseCgroupLayout(cgroup, mountinfo);
}

CgroupLimits LimitsForMemory(int64_t memory_mb, int64_t pids_max) {
  // 1,769 MB buys one vCPU, linearly (Lambda's documented rule); the kernel refuses a quota
  // below 1 ms, which with a 20 ms period only a function under ~89 MB would need.
  constexpr int64_t kMbPerVcpu = 1769;
  constexpr int64_t kMinQuotaUs = 1000;
  CgroupLimits limits;
  limits.memory_bytes = memory_mb * 1024 * 1024;
  limits.cpu_period_us = kCpuPeriodUs;
  limits.cpu_quota_us = std::max(kMinQuotaUs, memory_mb * kCpuPeriodUs / kMbPerVcpu);
  limits.pids_max = pids_max;
  return limits;
}

// ---- Cgroup --------------------------------------------------------------------------------

Cgroup::Cgroup(Cgroup&& other) noexcept
    : name_(std::move(other.name_)),
      v1_memory_(std::move(other.v1_memory_)),
      v1_cpu_(std::move(other.v1_cpu_)),
      v1_cpuacct_(std::move(other.v1_cpuacct_)),
      v1_pids_(std::move(other.v1_pids_)),
      v1_freezer_(std::move(other.v1_freezer_)),
      v2_(std::move(other.v2_)),
      v2_controllers_(std::move(other.v2_controllers_)),
      freezer_(other.freezer_),
      v2_dir_(std::move(other.v2_dir_)),
      freeze_fd_(std::move(other.freeze_fd_)),
      peak_fd_(std::move(other.peak_fd_)),
      peak_writable_(other.peak_writable_),
      owning_(std::exchange(other.owning_, false)) {}

Cgroup& Cgroup::operator=(Cgroup&& other) noexcept {
  if (this == &other) return *this;
  if (owning_) (void)Remove();
  name_ = std::move(other.name_);
  v1_memory_ = std::move(other.v1_memory_);
  v1_cpu_ = std::move(other.v1_cpu_);
  v1_cpuacct_ = std::move(other.v1_cpuacct_);
  v1_pids_ = std::move(other.v1_pids_);
  v1_freezer_ = std::move(other.v1_freezer_);
  v2_ = std::move(other.v2_);
  v2_controllers_ = std::move(other.v2_controllers_);
  freezer_ = other.freezer_;
  v2_dir_ = std::move(other.v2_dir_);
  freeze_fd_ = std::move(other.freeze_fd_);
  peak_fd_ = std::move(other.peak_fd_);
  peak_writable_ = other.peak_writable_;
  owning_ = std::exchange(other.owning_, false);
  return *this;
}

Cgroup::~Cgroup() {
  if (owning_) (void)Remove();
}

StatusOr<Cgroup> Cgroup::Resolve(const CgroupLayout& layout, const std::string& parent,
                                 const std::string& name) {
  if (!IsSafeRelative(parent)) {
    return Status::InvalidArgument("cgroup parent must be a relative path: '" + parent + "'");
  }
  if (!IsSafeRelative(name) || name.find('/') != std::string::npos) {
    return Status::InvalidArgument("invalid cgroup name '" + name + "'");
  }
  const std::string suffix = "/" + parent + "/" + name;
  Cgroup cgroup;
  cgroup.name_ = name;
  auto place = [&](Feature feature, const std::string& position, std::string& dir) {
    if (layout.ProviderOf(feature) == Provider::kV1) dir = position + suffix;
  };
  place(Feature::kMemory, layout.v1_memory, cgroup.v1_memory_);
  place(Feature::kCpu, layout.v1_cpu, cgroup.v1_cpu_);
  place(Feature::kCpuAccounting, layout.v1_cpuacct, cgroup.v1_cpuacct_);
  place(Feature::kPids, layout.v1_pids, cgroup.v1_pids_);
  place(Feature::kFreezer, layout.v1_freezer, cgroup.v1_freezer_);
  if (!layout.v2.empty()) {
    cgroup.v2_ = layout.v2 + suffix;
    // The limit features' names are their v2 controllers' names.
    for (Feature feature : {Feature::kMemory, Feature::kCpu, Feature::kPids}) {
      if (layout.ProviderOf(feature) == Provider::kV2) {
        cgroup.v2_controllers_.emplace_back(FeatureName(feature));
      }
    }
  }
  if (cgroup.Dirs().empty()) {
    return Status::FailedPrecondition("no cgroup hierarchy is mounted (" + layout.Describe() + ")");
  }
  return cgroup;
}

StatusOr<Cgroup> Cgroup::Create(const CgroupLayout& layout, const std::string& parent,
                                const std::string& name) {
  THAW_ASSIGN_OR_RETURN(Cgroup cgroup, Resolve(layout, parent, name));
  // From here on a failure removes what was made.
  cgroup.owning_ = true;
  for (const std::string& dir : cgroup.Dirs()) {
    const std::string* position = nullptr;
    for (const std::string* candidate : {&layout.v1_memory, &layout.v1_cpu, &layout.v1_cpuacct,
                                         &layout.v1_pids, &layout.v1_freezer, &layout.v2}) {
      if (!candidate->empty() && JoinPath({*candidate, parent, name}) == dir) {
        position = candidate;
        break;
      }
    }
    if (position == nullptr) return Status::Internal("no hierarchy holds " + dir);
    const bool is_v2 = dir == cgroup.v2_;
    THAW_RETURN_IF_ERROR(MakeCgroupDir(
        *position, parent, dir, is_v2 ? cgroup.v2_controllers_ : std::vector<std::string>{}));
  }
  // cgroup.freeze came with Linux 5.2: an older hybrid host freezes through v1.
  if (!cgroup.v2_.empty() && cgroup.v1_freezer_.empty() && !layout.v1_freezer.empty() &&
      !Exists(cgroup.v2_ + "/cgroup.freeze")) {
    cgroup.v1_freezer_ = layout.v1_freezer + "/" + parent + "/" + name;
    THAW_RETURN_IF_ERROR(MakeCgroupDir(layout.v1_freezer, parent, cgroup.v1_freezer_, {}));
  }
  THAW_RETURN_IF_ERROR(cgroup.OpenFiles());
  return cgroup;
}

StatusOr<Cgroup> Cgroup::Open(const CgroupLayout& layout, const std::string& parent,
                              const std::string& name) {
  THAW_ASSIGN_OR_RETURN(Cgroup cgroup, Resolve(layout, parent, name));
  for (const std::string& dir : cgroup.Dirs()) {
    if (!IsDir(dir)) return Status::NotFound("no cgroup directory " + dir);
  }
  // As in Create: without cgroup.freeze (before Linux 5.2) the v1 freezer stands in.
  const std::string v1_freezer = layout.v1_freezer + "/" + parent + "/" + name;
  if (!cgroup.v2_.empty() && cgroup.v1_freezer_.empty() && !layout.v1_freezer.empty() &&
      !Exists(cgroup.v2_ + "/cgroup.freeze") && IsDir(v1_freezer)) {
    cgroup.v1_freezer_ = v1_freezer;
  }
  THAW_RETURN_IF_ERROR(cgroup.OpenFiles());
  return cgroup;
}

Status Cgroup::OpenFiles() {
  if (!v2_.empty()) {
    v2_dir_.Reset(::open(v2_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!v2_dir_.valid()) return ErrnoStatus("open", v2_, errno);
  }
  // The freeze file is written on every freeze and thaw, so it stays open.
  if (!v2_.empty() && Exists(v2_ + "/cgroup.freeze")) {
    freezer_ = Provider::kV2;
  } else if (!v1_freezer_.empty() && Exists(v1_freezer_ + "/freezer.state")) {
    freezer_ = Provider::kV1;
  } else {
    freezer_ = Provider::kNone;
  }
  if (freezer_ != Provider::kNone) {
    StatusOr<int> fd = FreezeFd();
    if (!fd.ok()) return fd.status();
  }
  // The peak file is kept open: v2's memory.peak resets per open file (6.12+). It is opened
  // for writing when the kernel allows it (before 6.12 memory.peak is read-only).
  const Provider memory = ProviderOf(Feature::kMemory);
  if (memory != Provider::kNone) {
    const std::string peak =
        memory == Provider::kV2 ? v2_ + "/memory.peak" : v1_memory_ + "/memory.max_usage_in_bytes";
    peak_fd_.Reset(::open(peak.c_str(), O_RDWR | O_CLOEXEC));
    peak_writable_ = peak_fd_.valid();
    if (!peak_fd_.valid()) peak_fd_.Reset(::open(peak.c_str(), O_RDONLY | O_CLOEXEC));
  }
  return Status::Ok();
}

Provider Cgroup::ProviderOf(Feature feature) const {
  const bool has_v2 = !v2_.empty();
  switch (feature) {
    case Feature::kMemory:
    case Feature::kCpu:
    case Feature::kPids: {
      if (has_v2 && Contains(v2_controllers_, FeatureName(feature))) return Provider::kV2;
      const std::string& v1 = feature == Feature::kMemory ? v1_memory_
                              : feature == Feature::kCpu  ? v1_cpu_
                                                          : v1_pids_;
      return v1.empty() ? Provider::kNone : Provider::kV1;
    }
    case Feature::kFreezer:
      return freezer_;
    case Feature::kKill:
      return has_v2 ? Provider::kV2 : Provider::kV1;
    case Feature::kCpuAccounting:
      if (has_v2) return Provider::kV2;
      return v1_cpuacct_.empty() ? Provider::kNone : Provider::kV1;
  }
  return Provider::kNone;
}

std::vector<std::string> Cgroup::Dirs() const {
  std::vector<std::string> dirs;
  for (const std::string* dir :
       {&v1_memory_, &v1_cpu_, &v1_cpuacct_, &v1_pids_, &v1_freezer_, &v2_}) {
    if (!dir->empty() && !Contains(dirs, *dir)) dirs.push_back(*dir);
  }
  return dirs;
}

Status Cgroup::SetLimits(const CgroupLimits& limits) {
  Status first;
  auto keep = [&first](Status status) {
    if (first.ok() && !status.ok()) first = std::move(status);
  };
  if (limits.memory_bytes > 0) keep(SetMemoryLimit(limits.memory_bytes));
  if (limits.cpu_quota_us > 0) {
    keep(SetCpuLimit(limits.cpu_quota_us,
                     limits.cpu_period_us > 0 ? limits.cpu_period_us : kCpuPeriodUs));
  }
  if (limits.pids_max > 0) {
    switch (ProviderOf(Feature::kPids)) {
      case Provider::kV2:
        keep(WriteFile(v2_ + "/pids.max", std::to_string(limits.pids_max)));
        break;
      case Provider::kV1:
        keep(WriteFile(v1_pids_ + "/pids.max", std::to_string(limits.pids_max)));
        break;
      case Provider::kNone:
        keep(Status::FailedPrecondition("no pids controller for cgroup " + name_));
        break;
    }
  }
  return first;
}

Status Cgroup::SetMemoryLimit(int64_t bytes) {
  const std::string value = std::to_string(bytes);
  switch (ProviderOf(Feature::kMemory)) {
    case Provider::kV2:
      THAW_RETURN_IF_ERROR(WriteFile(v2_ + "/memory.max", value));
      // memory.swap.max exists only with swap accounting (CONFIG_MEMCG_SWAP, swapaccount=1).
      if (Exists(v2_ + "/memory.swap.max")) {
        THAW_RETURN_IF_ERROR(WriteFile(v2_ + "/memory.swap.max", "0"));
      }
      return Status::Ok();
    case Provider::kV1: {
      // v1 insists memsw.limit_in_bytes >= limit_in_bytes at every step: raising writes the
      // memory limit first, lowering the memory+swap limit first. Try the raise order and
      // switch on EINVAL. Equal limits mean no swap.
      const std::string limit = v1_memory_ + "/memory.limit_in_bytes";
      const std::string memsw = v1_memory_ + "/memory.memsw.limit_in_bytes";
      const bool has_memsw = Exists(memsw);
      Status status = WriteFile(limit, value);
      if (!status.ok() && status.code() == StatusCode::kInvalidArgument && has_memsw) {
        THAW_RETURN_IF_ERROR(WriteFile(memsw, value));
        return WriteFile(limit, value);
      }
      THAW_RETURN_IF_ERROR(status);
      if (has_memsw) THAW_RETURN_IF_ERROR(WriteFile(memsw, value));
      return Status::Ok();
    }
    case Provider::kNone:
      break;
  }
  return Status::FailedPrecondition("no memory controller for cgroup " + name_);
}

Status Cgroup::SetCpuLimit(int64_t quota_us, int64_t period_us) {
  switch (ProviderOf(Feature::kCpu)) {
    case Provider::kV2:
      return WriteFile(v2_ + "/cpu.max",
                       std::to_string(quota_us) + " " + std::to_string(period_us));
    case Provider::kV1:
      // Period first: the default quota (-1, unlimited) accepts any period.
      THAW_RETURN_IF_ERROR(WriteFile(v1_cpu_ + "/cpu.cfs_period_us", std::to_string(period_us)));
      return WriteFile(v1_cpu_ + "/cpu.cfs_quota_us", std::to_string(quota_us));
    case Provider::kNone:
      break;
  }
  return Status::FailedPrecondition("no cpu controller for cgroup " + name_);
}

Status Cgroup::AddProcess(pid_t pid, bool skip_v2) {
  const std::string value = std::to_string(pid);
  for (const std::string& dir : Dirs()) {
    if (dir == v2_ && skip_v2) continue;
    THAW_RETURN_IF_ERROR(WriteFile(dir + "/cgroup.procs", value));
  }
  return Status::Ok();
}

StatusOr<int> Cgroup::FreezeFd() {
  if (freeze_fd_.valid()) return freeze_fd_.get();
  std::string path;
  if (freezer_ == Provider::kV2) path = v2_ + "/cgroup.freeze";
  if (freezer_ == Provider::kV1) path = v1_freezer_ + "/freezer.state";
  if (path.empty()) {
    return Status::FailedPrecondition("no freezer for cgroup " + name_ +
                                      " (neither v2 cgroup.freeze nor a v1 freezer)");
  }
  freeze_fd_.Reset(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!freeze_fd_.valid()) return ErrnoStatus("open", path, errno);
  return freeze_fd_.get();
}

Provider Cgroup::freezer() const { return freezer_; }

Status Cgroup::Freeze() {
  THAW_ASSIGN_OR_RETURN(int fd, FreezeFd());
  return freezer_ == Provider::kV2 ? PwriteAtZero(fd, "1", v2_, "cgroup.freeze")
                                   : PwriteAtZero(fd, "FROZEN", v1_freezer_, "freezer.state");
}

Status Cgroup::Thaw() {
  THAW_ASSIGN_OR_RETURN(int fd, FreezeFd());
  return freezer_ == Provider::kV2 ? PwriteAtZero(fd, "0", v2_, "cgroup.freeze")
                                   : PwriteAtZero(fd, "THAWED", v1_freezer_, "freezer.state");
}

Status Cgroup::Kill() {
  if (!v2_.empty()) {
    Status status = WriteFile(v2_ + "/cgroup.kill", "1");
    if (status.ok() || status.code() != StatusCode::kNotFound) return status;
    // Before Linux 5.14 there is no cgroup.kill.
  }
  std::vector<std::string> procs;
  for (const std::string& dir : Dirs()) procs.push_back(dir + "/cgroup.procs");
  return KillListed(procs, freezer_ == Provider::kV1 ? v1_freezer_ + "/freezer.state" : "");
}

StatusOr<std::vector<pid_t>> Cgroup::Procs() const {
  std::vector<std::string> dirs = Dirs();
  // Dirs() lists v2 last; it is the one every process is in (CLONE_INTO_CGROUP).
  const std::string& dir = v2_.empty() ? dirs.front() : v2_;
  return ReadPids(dir + "/cgroup.procs");
}

StatusOr<int64_t> Cgroup::MemoryPeakBytes() const {
  std::string path;
  switch (ProviderOf(Feature::kMemory)) {
    case Provider::kV2:
      path = v2_ + "/memory.peak";
      break;
    case Provider::kV1:
      path = v1_memory_ + "/memory.max_usage_in_bytes";
      break;
    case Provider::kNone:
      return Status::FailedPrecondition("no memory controller for cgroup " + name_);
  }
  if (!peak_fd_.valid()) return ReadInt(path);
  THAW_ASSIGN_OR_RETURN(std::string text, PreadAll(peak_fd_.get(), path));
  std::optional<int64_t> value = ParseInt(text);
  if (!value) return Status::Internal("unexpected content in " + path + ": " + text);
  return *value;
}

StatusOr<int64_t> Cgroup::MemoryCurrentBytes() const {
  switch (ProviderOf(Feature::kMemory)) {
    case Provider::kV2:
      return ReadInt(v2_ + "/memory.current");
    case Provider::kV1:
      return ReadInt(v1_memory_ + "/memory.usage_in_bytes");
    case Provider::kNone:
      break;
  }
  return Status::FailedPrecondition("no memory controller for cgroup " + name_);
}

Status Cgroup::ResetMemoryPeak() {
  switch (ProviderOf(Feature::kMemory)) {
    case Provider::kV2: {
      const std::string path = v2_ + "/memory.peak";
      if (!peak_fd_.valid()) {
        peak_fd_.Reset(::open(path.c_str(), O_RDWR | O_CLOEXEC));
        peak_writable_ = peak_fd_.valid();
      }
      if (!peak_writable_) {
        return Status::NotFound("this kernel cannot reset " + path + " (needs Linux 6.12+)");
      }
      // Any write resets the peak seen through this descriptor to the current usage.
      return PwriteAtZero(peak_fd_.get(), "reset", v2_, "memory.peak");
    }
    case Provider::kV1:
      // Writing 0 resets the cgroup-wide high-water mark.
      return WriteFile(v1_memory_ + "/memory.max_usage_in_bytes", "0");
    case Provider::kNone:
      break;
  }
  return Status::FailedPrecondition("no memory controller for cgroup " + name_);
}

StatusOr<int64_t> Cgroup::OomKills() const {
  switch (ProviderOf(Feature::kMemory)) {
    case Provider::kV2:
      // memory.events: "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n"
      return ReadKeyed(v2_ + "/memory.events", "oom_kill");
    case Provider::kV1:
      // memory.oom_control: "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n" (4.13+)
      return ReadKeyed(v1_memory_ + "/memory.oom_control", "oom_kill");
    case Provider::kNone:
      break;
  }
  return Status::FailedPrecondition("no memory controller for cgroup " + name_);
}

StatusOr<int64_t> Cgroup::CpuUsageNanos() const {
  switch (ProviderOf(Feature::kCpuAccounting)) {
    case Provider::kV2: {
      // cpu.stat: "usage_usec 38\nuser_usec 38\nsystem_usec 0\n..."
      THAW_ASSIGN_OR_RETURN(int64_t usec, ReadKeyed(v2_ + "/cpu.stat", "usage_usec"));
      return usec * 1000;
    }
    case Provider::kV1:
      // cpuacct.usage: nanoseconds, one number.
      return ReadInt(v1_cpuacct_ + "/cpuacct.usage");
    case Provider::kNone:
      break;
  }
  return Status::FailedPrecondition("no cpu accounting for cgroup " + name_);
}

Status Cgroup::Remove() {
  return Remove(std::chrono::duration_cast<std::chrono::milliseconds>(kRemoveBudget));
}

Status Cgroup::Remove(std::chrono::milliseconds budget) {
  owning_ = false;
  std::vector<std::string> dirs = Dirs();
  if (dirs.empty()) return Status::Ok();
  Status first;
  bool exists = false;
  for (const std::string& dir : dirs) exists = exists || IsDir(dir);
  if (exists) {
    Status killed = Kill();
    if (!killed.ok() && killed.code() != StatusCode::kNotFound) first = killed;
  }
  freeze_fd_.Reset();
  peak_fd_.Reset();
  v2_dir_.Reset();
  auto deadline = std::chrono::steady_clock::now() + budget;
  for (const std::string& dir : dirs) {
    Status status = RemoveDir(dir, deadline);
    if (first.ok() && !status.ok()) first = status;
  }
  return first;
}

StatusOr<int> RemoveStaleCgroups(const CgroupLayout& layout, const std::string& parent) {
  if (!IsSafeRelative(parent)) {
    return Status::InvalidArgument("cgroup parent must be a relative path: '" + parent + "'");
  }
  std::vector<std::string> positions;
  for (const std::string* position : {&layout.v1_memory, &layout.v1_cpu, &layout.v1_cpuacct,
                                      &layout.v1_pids, &layout.v1_freezer, &layout.v2}) {
    if (!position->empty() && !Contains(positions, *position)) positions.push_back(*position);
  }
  // Every cgroup below `parent`, as a path relative to it, deepest first.
  std::set<std::string, std::greater<>> relatives;
  std::vector<std::pair<std::string, std::string>> found;  // (base, relative)
  for (const std::string& position : positions) {
    const std::string base = JoinPath({position, parent});
    std::error_code ec;
    std::filesystem::recursive_directory_iterator it(base, ec);
    if (ec) continue;  // nothing there
    for (; it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      std::error_code type_ec;
      if (!it->is_directory(type_ec) || it->is_symlink(type_ec)) continue;
      std::string relative = it->path().lexically_relative(base).string();
      relatives.insert(relative);
      found.emplace_back(base, relative);
    }
  }
  if (found.empty()) return 0;
  // Kill first, everywhere, so nothing forks into a directory already passed.
  Status killed;
  if (!layout.v2.empty() && Exists(layout.v2 + "/" + parent + "/cgroup.kill")) {
    killed = WriteFile(layout.v2 + "/" + parent + "/cgroup.kill", "1");
  } else {
    std::vector<std::string> procs;
    procs.reserve(found.size());
    for (const auto& [base, relative] : found) {
      procs.push_back(JoinPath({base, relative, "cgroup.procs"}));
    }
    for (const auto& [base, relative] : found) {
      const std::string state = JoinPath({base, relative, "freezer.state"});
      if (Exists(state)) (void)WriteFile(state, "THAWED");
    }
    killed = KillListed(procs, "");
  }
  if (!killed.ok()) return killed;
  // Deepest first: "a/b" sorts before "a" in descending order, and a child's path always
  // extends its parent's.
  auto deadline = std::chrono::steady_clock::now() + kRemoveBudget;
  int removed = 0;
  for (const std::string& relative : relatives) {
    bool any = false;
    for (const std::string& position : positions) {
      const std::string dir = JoinPath({position, parent, relative});
      if (!IsDir(dir)) continue;
      THAW_RETURN_IF_ERROR(RemoveDir(dir, deadline));
      any = true;
    }
    if (any) ++removed;
  }
  return removed;
}

}  // namespace thaw::sandbox
