#include "lambda/opt_tree.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>

#include "base/codec.h"

namespace thaw::lambda {

namespace fs = std::filesystem;

namespace {

Status FsError(const char* what, const fs::path& path, const std::error_code& ec) {
  return ErrnoStatus(what, path.string(), ec.value());
}

// Puts `from` (a file or symlink, never followed) at `to`, replacing what is there.
Status PlaceLeaf(const fs::path& from, const fs::path& to, fs::file_type type) {
  std::error_code ec;
  if (fs::symlink_status(to, ec).type() != fs::file_type::not_found) {
    fs::remove_all(to, ec);
    if (ec) return FsError("remove", to, ec);
  }
  if (type == fs::file_type::symlink) {
    fs::path target = fs::read_symlink(from, ec);
    if (ec) return FsError("readlink", from, ec);
    fs::create_symlink(target, to, ec);
    if (ec) return FsError("symlink", to, ec);
    return Status::Ok();
  }
  if (::link(from.c_str(), to.c_str()) == 0) return Status::Ok();
  fs::copy_file(from, to, ec);
  if (ec) return FsError("copy", to, ec);
  fs::permissions(to, fs::status(from, ec).permissions(), ec);
  return Status::Ok();
}

Status MergeOne(const fs::path& source, const fs::path& target) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(source, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    fs::path rel = it->path().lexically_relative(source);
    fs::path to = target / rel;
    fs::file_type type = it->symlink_status(ec).type();
    if (ec) return FsError("lstat", it->path(), ec);
    if (type == fs::file_type::directory) {
      fs::file_type there = fs::symlink_status(to, ec).type();
      if (there != fs::file_type::directory) {
        if (there != fs::file_type::not_found) fs::remove_all(to, ec);
        fs::create_directory(to, ec);
        if (ec) return FsError("mkdir", to, ec);
        fs::permissions(to, fs::perms(0755), ec);
      }
      continue;
    }
    if (type != fs::file_type::regular && type != fs::file_type::symlink) continue;
    THAW_RETURN_IF_ERROR(PlaceLeaf(it->path(), to, type));
  }
  if (ec) return FsError("readdir", source, ec);
  return Status::Ok();
}

}  // namespace

Status MergeTrees(const std::vector<std::string>& sources, const std::string& target) {
  for (const std::string& source : sources) THAW_RETURN_IF_ERROR(MergeOne(source, target));
  return Status::Ok();
}

StatusOr<std::string> EnsureOptTree(const std::string& code_root, const std::string& key,
                                    const std::vector<std::string>& layer_dirs) {
  std::string final_dir = code_root + "/opt-" + Sha256Hex(key);
  std::error_code ec;
  if (fs::is_directory(final_dir, ec)) return final_dir;
  std::string tmp = code_root + "/.tmp-" + RandomHex(8);
  fs::create_directory(tmp, ec);
  if (ec) return FsError("mkdir", tmp, ec);
  fs::permissions(tmp, fs::perms(0755), ec);
  Status merged = MergeTrees(layer_dirs, tmp);
  if (merged.ok() && ::rename(tmp.c_str(), final_dir.c_str()) == 0) return final_dir;
  int err = errno;
  fs::remove_all(tmp, ec);
  if (!merged.ok()) return merged;
  // Someone built the same tree first: it is identical, keep it.
  if (err == EEXIST || err == ENOTEMPTY) return final_dir;
  return ErrnoStatus("rename", final_dir, err);
}

StatusOr<std::vector<std::string>> ListExtensions(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::path root = fs::path(dir) / "extensions";
  if (!fs::is_directory(root, ec)) return out;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    std::error_code st_ec;
    fs::file_status st = fs::status(e.path(), st_ec);  // follows symlinks, as exec would
    if (st_ec || st.type() != fs::file_type::regular) continue;
    constexpr auto kExec = fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec;
    if ((st.permissions() & kExec) == fs::perms::none) continue;
    out.push_back(e.path().filename().string());
  }
  if (ec) return FsError("readdir", root, ec);
  std::sort(out.begin(), out.end());
  if (out.size() > kMaxExtensions) {
    return Status::InvalidArgument("Too many extensions: " + std::to_string(out.size()) +
                                   " in /opt/extensions, at most " +
                                   std::to_string(kMaxExtensions) + " are allowed.");
  }
  return out;
}

}  // namespace thaw::lambda
