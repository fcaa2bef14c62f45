#include "launcher/spawn_paths.h"

#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

namespace thaw::launcher {

namespace {

StatusOr<std::string> RealPath(const std::string& path) {
  char buf[PATH_MAX];
  if (!realpath(path.c_str(), buf)) return ErrnoStatus("realpath", path, errno);
  return std::string(buf);
}

Status Refuse(std::string_view what, const std::string& path) {
  return Status::PermissionDenied(std::string(what) + " " + path +
                                  " is outside the directories the launcher serves");
}

}  // namespace

bool IsNormalAbsolute(std::string_view path) {
  if (path.size() < 2 || path.front() != '/') return false;
  size_t pos = 1;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(pos, end - pos);
    if (part.empty() || part == "." || part == "..") return false;
    pos = end + 1;
  }
  return path.find('\0') == std::string_view::npos;
}

StatusOr<std::string> ResolveBelow(const std::string& root, const std::string& path) {
  if (!IsNormalAbsolute(path)) return Refuse("path", path);
  THAW_ASSIGN_OR_RETURN(std::string resolved, RealPath(path));
  if (resolved.size() <= root.size() + 1 || resolved.compare(0, root.size(), root) != 0 ||
      resolved[root.size()] != '/') {
    return Refuse("path", path);
  }
  return resolved;
}

StatusOr<std::string> ResolveEntryIn(const std::string& dir, const std::string& path) {
  if (!IsNormalAbsolute(path)) return Refuse("path", path);
  size_t slash = path.rfind('/');
  std::string parent = slash == 0 ? "/" : path.substr(0, slash);
  std::string name = path.substr(slash + 1);
  THAW_ASSIGN_OR_RETURN(std::string resolved_parent, RealPath(parent));
  if (resolved_parent != dir) return Refuse("path", path);
  std::string resolved = resolved_parent + "/" + name;
  struct stat st {};
  if (lstat(resolved.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) return Refuse("symlink", path);
  return resolved;
}

bool IsSandboxPath(std::string_view path) {
  if (!IsNormalAbsolute(path)) return false;
  for (std::string_view root : {"/var/task", "/opt", "/var/runtime"}) {
    if (path == root || (path.starts_with(root) && path[root.size()] == '/')) return true;
  }
  return false;
}

bool ReachableByOthers(const std::string& path) {
  auto resolved = RealPath(path);
  if (!resolved.ok()) return false;
  std::string dir = *resolved;
  for (;;) {
    struct stat st {};
    if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || !(st.st_mode & S_IXOTH)) {
      return false;
    }
    if (dir == "/") return true;
    size_t slash = dir.rfind('/');
    dir = slash == 0 ? "/" : dir.substr(0, slash);
  }
}

Status CheckSandboxPaths(const SpawnRoots& roots, sys::SpawnSpec& spec) {
  sys::SandboxSpec& box = spec.sandbox;
  if (!IsSandboxPath(spec.path)) return Refuse("bootstrap", spec.path);
  if (!IsSandboxPath(spec.cwd)) return Refuse("working directory", spec.cwd);
  THAW_ASSIGN_OR_RETURN(box.code_dir, ResolveBelow(roots.code, box.code_dir));
  if (!box.opt_dir.empty()) {
    THAW_ASSIGN_OR_RETURN(box.opt_dir, ResolveBelow(roots.code, box.opt_dir));
  }
  THAW_ASSIGN_OR_RETURN(box.tmp_image, ResolveEntryIn(roots.tmp_dir, box.tmp_image));
  if (!box.runtime_dir.empty()) {
    if (roots.runtimes.empty()) return Refuse("runtime tree", box.runtime_dir);
    THAW_ASSIGN_OR_RETURN(box.runtime_dir, ResolveBelow(roots.runtimes, box.runtime_dir));
  }
  return Status::Ok();
}

}  // namespace thaw::launcher
