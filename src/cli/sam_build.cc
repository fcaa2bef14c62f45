#include "cli/sam_build.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "base/codec.h"
#include "cli/run_process.h"
#include "cli/stack_values.h"
#include "sys/read_file.h"
#include "sys/temp_dir.h"

namespace thaw::cli {

namespace {

namespace fs = std::filesystem;

// Changing how a build is made changes every key, so older zips are not reused.
constexpr char kBuilderVersion[] = "thaw-sam-build-1";

bool Skipped(const fs::path& relative, const std::vector<std::string>& skip) {
  return std::any_of(relative.begin(), relative.end(), [&](const fs::path& part) {
    return std::find(skip.begin(), skip.end(), part.string()) != skip.end();
  });
}

// Copies the regular files and directories under `from` (links followed) to `to`, leaving out
// the skipped directories.
Status CopyTree(const fs::path& from, const fs::path& to, const std::vector<std::string>& skip) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
    fs::path relative = fs::relative(it->path(), from, ec);
    if (ec) break;
    if (Skipped(relative, skip)) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_directory(ec)) {
      fs::create_directories(to / relative, ec);
    } else if (it->is_regular_file(ec)) {
      fs::copy_file(it->path(), to / relative, fs::copy_options::overwrite_existing, ec);
    }
    if (ec) return Status::IoError("cannot copy " + it->path().string() + ": " + ec.message());
  }
  if (ec) return Status::IoError("cannot list " + from.string() + ": " + ec.message());
  return Status::Ok();
}

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

StatusOr<std::string> RequireOnPath(const std::string& name, const std::string& hint) {
  const char* path = std::getenv("PATH");
  std::optional<std::string> found = FindOnPath(name, path ? path : "");
  if (!found) return Status::NotFound(name + " not found on PATH; " + hint);
  return *found;
}

Status Run(const std::vector<std::string>& argv, const std::string& cwd, const std::string& what) {
  THAW_ASSIGN_OR_RETURN(ProcessResult r, RunProcess(argv, MergeEnvironment({}), cwd));
  if (r.exit_code != 0) {
    return Status::FailedPrecondition(what + " failed (exit " + std::to_string(r.exit_code) +
                                      "):\n" + Trimmed(r.output));
  }
  return Status::Ok();
}

// A venv of the host's python3 kept beside the cache: Debian's python3 has no pip of its own
// (and refuses to install into the system's site-packages).
StatusOr<std::string> BuildPip(const std::string& cache_dir, const std::string& scratch) {
  std::string root = cache_dir.empty() ? scratch : cache_dir;
  std::string python = root + "/pip-venv/bin/python3";
  if (::access(python.c_str(), X_OK) == 0) return python;
  THAW_ASSIGN_OR_RETURN(std::string host, RequireOnPath("python3", "install python3-venv"));
  THAW_RETURN_IF_ERROR(
      Run({host, "-m", "venv", root + "/pip-venv"}, root, "python3 -m venv " + root + "/pip-venv"));
  return python;
}

Status InstallPython(const CodeBuild& build, const std::string& stage, const std::string& scratch) {
  if (!fs::exists(fs::path(stage) / "requirements.txt")) return Status::Ok();
  THAW_ASSIGN_OR_RETURN(std::string python, BuildPip(build.cache_dir, scratch));
  return Run({python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
              "--no-compile", "--target", stage, "-r", stage + "/requirements.txt"},
             stage, "pip install -r " + build.code_dir + "/requirements.txt");
}

Status InstallNode(const CodeBuild& build, const std::string& stage) {
  if (!fs::exists(fs::path(stage) / "package.json")) return Status::Ok();
  THAW_ASSIGN_OR_RETURN(std::string npm, RequireOnPath("npm", "install npm"));
  // `npm ci` installs exactly the lock file; without one, `npm install` resolves package.json.
  bool locked = fs::exists(fs::path(stage) / "package-lock.json");
  std::vector<std::string> argv = {
      npm, locked ? "ci" : "install", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error"};
  return Run(argv, stage, std::string(locked ? "npm ci" : "npm install") + " in " + build.code_dir);
}

// Writes `data` to `path` through a temporary name, so a killed deploy leaves no half zip.
Status WriteAtomically(const fs::path& path, const std::string& data) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return Status::IoError("cannot create " + path.parent_path().string());
  fs::path temp = path.string() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.close();
    if (!out) return Status::IoError("cannot write " + temp.string());
  }
  fs::rename(temp, path, ec);
  if (ec) return Status::IoError("cannot rename " + temp.string() + ": " + ec.message());
  return Status::Ok();
}

// Keeps only `keep` in the function's cache slot.
void PruneSlot(const fs::path& slot, const fs::path& keep) {
  std::error_code ec;
  for (fs::directory_iterator it(slot, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path() != keep) fs::remove_all(it->path(), ec);
  }
}

}  // namespace

StatusOr<std::string> ContentKey(const std::string& dir, const std::vector<std::string>& skip,
                                 const std::string& extra) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::NotFound(dir + " is not a directory");
  std::vector<std::string> lines;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    fs::path relative = fs::relative(it->path(), dir, ec);
    if (ec) break;
    if (Skipped(relative, skip)) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file(ec)) continue;
    THAW_ASSIGN_OR_RETURN(std::string data, sys::ReadFile(it->path().string()));
    bool exec = (it->status(ec).permissions() & fs::perms::owner_exec) != fs::perms::none;
    lines.push_back(relative.generic_string() + '\0' + (exec ? "x" : "-") + '\0' + Sha256Hex(data));
  }
  if (ec) return Status::IoError("cannot list " + dir + ": " + ec.message());
  std::sort(lines.begin(), lines.end());
  std::string all = std::string(kBuilderVersion) + '\n' + extra + '\n';
  for (const std::string& line : lines) all += line + '\n';
  return Sha256Hex(all);
}

std::vector<std::string> SkippedDirs(CodeLanguage language) {
  std::vector<std::string> skip = {".thaw", ".aws-sam", ".git", "__pycache__"};
  if (language == CodeLanguage::kNode) skip.push_back("node_modules");
  return skip;
}

StatusOr<BuiltCode> BuildCode(const CodeBuild& build) {
  std::vector<std::string> skip = SkippedDirs(build.language);
  THAW_ASSIGN_OR_RETURN(std::string key,
                        ContentKey(build.code_dir, skip, build.runtime + " " + build.arch));
  fs::path slot = fs::path(build.cache_dir) / build.name;
  fs::path cached = slot / (key + ".zip");
  if (!build.cache_dir.empty()) {
    if (StatusOr<std::string> zip = sys::ReadFile(cached.string()); zip.ok()) {
      return BuiltCode{std::move(*zip), true};
    }
  }
  THAW_ASSIGN_OR_RETURN(sys::TempDir scratch, sys::TempDir::Create("thaw-build-"));
  std::string stage = scratch.path() + "/artifact";
  std::error_code ec;
  fs::create_directories(stage, ec);
  if (ec) return Status::IoError("cannot create " + stage);
  THAW_RETURN_IF_ERROR(CopyTree(build.code_dir, stage, skip));
  if (build.language == CodeLanguage::kPython) {
    THAW_RETURN_IF_ERROR(InstallPython(build, stage, scratch.path()));
  } else {
    THAW_RETURN_IF_ERROR(InstallNode(build, stage));
  }
  THAW_ASSIGN_OR_RETURN(std::string zip, ZipDirectory(stage));
  if (!build.cache_dir.empty()) {
    THAW_RETURN_IF_ERROR(WriteAtomically(cached, zip));
    PruneSlot(slot, cached);
  }
  return BuiltCode{std::move(zip), false};
}

}  // namespace thaw::cli
