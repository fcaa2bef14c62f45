#include "lambda/code_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "base/codec.h"
#include "base/log.h"
#include "sys/unique_fd.h"

namespace thaw::lambda {

namespace fs = std::filesystem;
using sys::UniqueFd;

namespace {

constexpr char kUnzipError[] =
    "Could not unzip uploaded file. Please check your file, then try to upload again.";
constexpr char kTempPrefix[] = ".tmp-";
constexpr char kOptPrefix[] = "opt-";
constexpr size_t kMaxSymlinkTarget = 4096;

Status TooBig(int64_t max_unzipped) {
  return Status::InvalidArgument("Unzipped size must be smaller than " +
                                 std::to_string(max_unzipped) + " bytes");
}

Status UnzipError(const std::string& detail = "") {
  return Status::InvalidArgument(detail.empty() ? kUnzipError
                                                : std::string(kUnzipError) + " (" + detail + ")");
}

// Closes now so the caller sees the error (close can report a failed write-back).
Status CloseFd(UniqueFd& fd, const std::string& path) {
  if (::close(fd.Release()) != 0) return ErrnoStatus("close", path, errno);
  return Status::Ok();
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// fsync of a directory, so the names in it (a rename, new entries) survive a crash.
Status SyncDir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus("open", dir, errno);
  if (::fsync(fd.get()) != 0) return ErrnoStatus("fsync", dir, errno);
  return Status::Ok();
}

// Removes a temporary file or tree on scope exit unless Release()d.
class TempPath {
 public:
  explicit TempPath(std::string path) : path_(std::move(path)) {}
  TempPath(const TempPath&) = delete;
  TempPath& operator=(const TempPath&) = delete;
  ~TempPath() {
    if (path_.empty()) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  void Release() { path_.clear(); }

 private:
  std::string path_;
};

// Writes `data` to `path` via a temporary file, fsync, rename and an fsync of the directory,
// so `path` is whole or absent, also after a crash.
Status WriteFileAtomically(const std::string& path, std::string_view data) {
  std::string dir = fs::path(path).parent_path().string();
  TempPath tmp(dir + "/" + kTempPrefix + RandomHex(8));
  UniqueFd fd(::open(tmp.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!fd.valid()) return ErrnoStatus("open", tmp.path(), errno);
  THAW_RETURN_IF_ERROR(WriteAll(fd.get(), data, tmp.path()));
  if (::fsync(fd.get()) != 0) return ErrnoStatus("fsync", tmp.path(), errno);
  THAW_RETURN_IF_ERROR(CloseFd(fd, tmp.path()));
  if (::rename(tmp.path().c_str(), path.c_str()) != 0) return ErrnoStatus("rename", path, errno);
  tmp.Release();
  return SyncDir(dir);
}

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
using ZipPtr = std::unique_ptr<zip_t, ZipCloser>;
struct ZipFileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};
using ZipFilePtr = std::unique_ptr<zip_file_t, ZipFileCloser>;

// Opens a zip held in memory; `data` must outlive the result.
StatusOr<ZipPtr> OpenZip(std::string_view data) {
  // libzip reads an empty buffer as a new, empty archive; an upload of nothing is no zip.
  if (data.empty()) return UnzipError();
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(data.data(), data.size(), 0, &error);
  if (!source) {
    zip_error_fini(&error);
    return Status::Internal("zip_source_buffer_create failed");
  }
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
  if (!archive) {
    std::string why = zip_error_strerror(&error);
    zip_source_free(source);
    zip_error_fini(&error);
    return UnzipError(why);
  }
  zip_error_fini(&error);
  return ZipPtr(archive);
}

enum class Kind { kFile, kDirectory, kSymlink };

struct Entry {
  zip_uint64_t index = 0;
  std::string path;  // relative, normalised
  Kind kind = Kind::kFile;
  mode_t mode = 0644;
  zip_uint64_t size = 0;
};

// "a/./b/" -> "a/b"; nullopt for absolute names or any ".." component, "" for "./".
std::optional<std::string> SafeRelativePath(std::string_view name) {
  if (name.empty() || name[0] == '/') return std::nullopt;
  std::string out;
  while (!name.empty()) {
    size_t slash = name.find('/');
    std::string_view part = name.substr(0, slash);
    if (part == "..") return std::nullopt;
    if (!part.empty() && part != ".") {
      if (!out.empty()) out.push_back('/');
      out.append(part);
    }
    if (slash == std::string_view::npos) break;
    name.remove_prefix(slash + 1);
  }
  return out;
}

// Refuses entries whose path goes through a symlink entry ("a -> /etc", then "a/x"), and a
// symlink sharing its path with any other entry: either would make the tree depend on the order
// of creation, and the first writes through the link. Symlinks themselves, to anywhere, stay
// allowed as leaves (an absolute target is a dangling link inside /var/task, as on Lambda).
Status CheckSymlinks(const std::vector<Entry>& entries) {
  std::map<std::string, int> links;  // path -> how many symlink entries have it
  for (const Entry& e : entries) {
    if (e.kind == Kind::kSymlink) ++links[e.path];
  }
  if (links.empty()) return Status::Ok();
  for (const Entry& e : entries) {
    for (size_t slash = e.path.find('/'); slash != std::string::npos;
         slash = e.path.find('/', slash + 1)) {
      if (links.count(e.path.substr(0, slash)) > 0) {
        return UnzipError("entry '" + e.path + "' is beneath symlink '" + e.path.substr(0, slash) +
                          "'");
      }
    }
    auto link = links.find(e.path);
    if (link != links.end() && (e.kind != Kind::kSymlink || link->second > 1)) {
      return UnzipError("conflicting entry '" + e.path + "'");
    }
  }
  return Status::Ok();
}

// Lists the entries to extract and checks names and the unzipped size before anything is
// written. The sizes are the ones the zip declares; Extract also counts the real bytes.
StatusOr<std::vector<Entry>> Plan(zip_t* archive, int64_t max_unzipped) {
  zip_int64_t count = zip_get_num_entries(archive, 0);
  if (count < 0) return UnzipError();
  std::vector<Entry> entries;
  uint64_t total = 0;
  for (zip_uint64_t i = 0; i < static_cast<zip_uint64_t>(count); ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(archive, i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME)) {
      return UnzipError();
    }
    std::string_view name = st.name;
    auto path = SafeRelativePath(name);
    if (!path) return UnzipError("unsafe entry name '" + std::string(name) + "'");
    if (path->empty()) continue;
    Entry e;
    e.index = i;
    e.path = *path;
    e.size = (st.valid & ZIP_STAT_SIZE) ? st.size : 0;
    zip_uint8_t opsys = 0;
    zip_uint32_t attributes = 0;
    mode_t unix_mode = 0;
    if (zip_file_get_external_attributes(archive, i, 0, &opsys, &attributes) == 0 &&
        opsys == ZIP_OPSYS_UNIX) {
      unix_mode = static_cast<mode_t>(attributes >> 16);
    }
    mode_t type = unix_mode & S_IFMT;
    if (name.back() == '/' || type == S_IFDIR) {
      e.kind = Kind::kDirectory;
      e.mode = 0755;
    } else if (type == S_IFLNK) {
      e.kind = Kind::kSymlink;
      if (e.size > kMaxSymlinkTarget) return UnzipError("symlink target too long");
    } else if (type == 0 || type == S_IFREG) {
      e.kind = Kind::kFile;
      // Keep the permission bits (bootstrap's x bit), never setuid/setgid/sticky.
      mode_t perm = unix_mode & 0777;
      e.mode = perm != 0 ? perm : 0644;
    } else {
      continue;  // devices, FIFOs and sockets have no place in a deployment package
    }
    if (e.kind != Kind::kDirectory) total += e.size;
    if (total > static_cast<uint64_t>(max_unzipped)) return TooBig(max_unzipped);
    entries.push_back(std::move(e));
  }
  THAW_RETURN_IF_ERROR(CheckSymlinks(entries));
  return entries;
}

// Filesystem failures caused by the archive's own layout ("a" a file and "a/b" an entry too)
// make the zip invalid; anything else (ENOSPC, EACCES) is our disk's problem.
Status PathError(const char* call, const std::string& path, int err) {
  if (err == ENOTDIR || err == EEXIST || err == EISDIR || err == ELOOP) {
    return UnzipError("conflicting entry '" + path + "'");
  }
  return ErrnoStatus(call, path, err);
}

// Opens the directory `rel` (relative, normalised; "" for the root itself) beneath `root_fd`,
// one component at a time with O_NOFOLLOW, creating missing ones when `create`: no symlink,
// planted by the archive or not, is ever followed, so nothing lands outside the tree.
StatusOr<UniqueFd> OpenDirBeneath(int root_fd, std::string_view rel, bool create) {
  UniqueFd dir(::openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return ErrnoStatus("open", ".", errno);
  std::string_view rest = rel;
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string part(rest.substr(0, slash));
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (create && ::mkdirat(dir.get(), part.c_str(), 0700) != 0 && errno != EEXIST) {
      return PathError("mkdir", std::string(rel), errno);
    }
    int next = ::openat(dir.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return PathError("open", std::string(rel), errno);
    dir.Reset(next);
  }
  return dir;
}

// (parent directory, last component) of a normalised relative path.
std::pair<std::string, std::string> SplitPath(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {"", path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

// Streams one entry into `out`, counting the real bytes against what is left of the limit
// (a zip can lie about its sizes).
Status CopyEntry(zip_t* archive, const Entry& e, int fd, const std::string& out, int64_t limit,
                 int64_t* left) {
  ZipFilePtr file(zip_fopen_index(archive, e.index, 0));
  if (!file) return UnzipError(zip_strerror(archive));
  std::vector<char> buffer(1 << 16);
  for (;;) {
    zip_int64_t n = zip_fread(file.get(), buffer.data(), buffer.size());
    if (n < 0) return UnzipError(zip_file_strerror(file.get()));
    if (n == 0) break;
    *left -= n;
    if (*left < 0) return TooBig(limit);
    THAW_RETURN_IF_ERROR(
        WriteAll(fd, std::string_view(buffer.data(), static_cast<size_t>(n)), out));
  }
  return Status::Ok();
}

StatusOr<std::string> ReadEntry(zip_t* archive, const Entry& e) {
  ZipFilePtr file(zip_fopen_index(archive, e.index, 0));
  if (!file) return UnzipError(zip_strerror(archive));
  std::string data(static_cast<size_t>(e.size), '\0');
  zip_int64_t n = zip_fread(file.get(), data.data(), data.size());
  if (n < 0) return UnzipError(zip_file_strerror(file.get()));
  data.resize(static_cast<size_t>(n));
  return data;
}

// Extracts the planned `entries` beneath the directory `root_fd`. Every path is resolved
// component by component without following symlinks, and symlinks are created last. With
// `durable`, the whole tree is on disk before this returns: one syncfs at the end rather than an
// fsync per entry, which forced a journal commit per file (a 62-file zip took 2.4x as long).
Status ExtractTree(zip_t* archive, const std::vector<Entry>& entries, int root_fd, int64_t limit,
                   bool durable) {
  int64_t left = limit;
  std::set<std::string> dirs = {""};
  auto note_parents = [&dirs](const std::string& path) {
    for (size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      dirs.insert(path.substr(0, slash));
    }
  };
  for (const Entry& e : entries) {
    note_parents(e.path);
    if (e.kind == Kind::kDirectory) {
      dirs.insert(e.path);
      THAW_RETURN_IF_ERROR(OpenDirBeneath(root_fd, e.path, true).status());
    } else if (e.kind == Kind::kFile) {
      auto [parent, leaf] = SplitPath(e.path);
      THAW_ASSIGN_OR_RETURN(UniqueFd dir, OpenDirBeneath(root_fd, parent, true));
      UniqueFd fd(::openat(dir.get(), leaf.c_str(),
                           O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (!fd.valid()) return PathError("open", e.path, errno);
      THAW_RETURN_IF_ERROR(CopyEntry(archive, e, fd.get(), e.path, limit, &left));
      // fchmod, not open's mode argument, so the umask cannot strip bootstrap's x bits.
      if (::fchmod(fd.get(), e.mode) != 0) return ErrnoStatus("fchmod", e.path, errno);
      THAW_RETURN_IF_ERROR(CloseFd(fd, e.path));
    }
  }
  for (const Entry& e : entries) {
    if (e.kind != Kind::kSymlink) continue;
    THAW_ASSIGN_OR_RETURN(std::string link_target, ReadEntry(archive, e));
    if (link_target.empty() || link_target.find('\0') != std::string::npos) {
      return UnzipError("bad symlink '" + e.path + "'");
    }
    auto [parent, leaf] = SplitPath(e.path);
    THAW_ASSIGN_OR_RETURN(UniqueFd dir, OpenDirBeneath(root_fd, parent, true));
    if (::symlinkat(link_target.c_str(), dir.get(), leaf.c_str()) != 0) {
      return PathError("symlink", e.path, errno);
    }
  }
  // Directories last, for their final mode.
  for (const std::string& d : dirs) {
    THAW_ASSIGN_OR_RETURN(UniqueFd dir, OpenDirBeneath(root_fd, d, false));
    if (::fchmod(dir.get(), 0755) != 0) return ErrnoStatus("fchmod", d, errno);
  }
  if (durable && ::syncfs(root_fd) != 0) return ErrnoStatus("syncfs", "code tree", errno);
  return Status::Ok();
}

// Extracts `zip` into the new directory `tmp`, removed unless the caller Release()s it.
Status ExtractToTemp(std::string_view zip, int64_t max_unzipped, bool durable, TempPath* tmp) {
  THAW_ASSIGN_OR_RETURN(ZipPtr archive, OpenZip(zip));
  THAW_ASSIGN_OR_RETURN(std::vector<Entry> entries, Plan(archive.get(), max_unzipped));
  if (::mkdir(tmp->path().c_str(), 0700) != 0) return ErrnoStatus("mkdir", tmp->path(), errno);
  UniqueFd root(::open(tmp->path().c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!root.valid()) return ErrnoStatus("open", tmp->path(), errno);
  return ExtractTree(archive.get(), entries, root.get(), max_unzipped, durable);
}

bool IsHex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

CodeStore::CodeStore(const std::string& state_dir, int64_t max_unzipped)
    : code_root_((fs::path(state_dir) / "code").string()), max_unzipped_(max_unzipped) {}

std::string CodeStore::ZipPath(const std::string& sha256_hex) const {
  return code_root_ + "/" + sha256_hex + ".zip";
}

std::string CodeStore::CodeDir(const std::string& sha256_hex) const {
  return code_root_ + "/" + sha256_hex;
}

std::string CodeStore::DonePath(const std::string& sha256_hex) const {
  return code_root_ + "/" + sha256_hex + ".ok";
}

bool CodeStore::IsComplete(const std::string& sha256_hex) const {
  std::error_code ec;
  return fs::is_directory(CodeDir(sha256_hex), ec) && fs::exists(DonePath(sha256_hex), ec);
}

Status CodeStore::Init() {
  std::error_code ec;
  fs::create_directories(code_root_, ec);
  if (ec) return ErrnoStatus("mkdir", code_root_, ec.value());
  for (const auto& item : fs::directory_iterator(code_root_, ec)) {
    if (item.path().filename().string().starts_with(kTempPrefix)) {
      std::error_code rm;
      fs::remove_all(item.path(), rm);
      THAW_LOG(kInfo, "lambda") << "removed leftover " << item.path().string();
    }
  }
  if (ec) return ErrnoStatus("readdir", code_root_, ec.value());
  return Status::Ok();
}

StatusOr<StoredCode> CodeStore::Put(std::string_view zip) {
  StoredCode out;
  out.sha256 = Sha256Base64(zip);
  out.sha256_hex = Sha256Hex(zip);
  out.size = static_cast<int64_t>(zip.size());
  out.code_dir = CodeDir(out.sha256_hex);
  std::error_code ec;
  bool have_zip = fs::exists(ZipPath(out.sha256_hex), ec);
  bool have_tree = IsComplete(out.sha256_hex);
  if (have_zip && have_tree) return out;  // same bytes, validated when first stored
  if (!have_tree) THAW_RETURN_IF_ERROR(Extract(zip, out.sha256_hex));
  if (!have_zip) THAW_RETURN_IF_ERROR(WriteFileAtomically(ZipPath(out.sha256_hex), zip));
  return out;
}

Status CodeStore::Check(std::string_view zip) {
  TempPath tmp(code_root_ + "/" + kTempPrefix + RandomHex(8));
  return ExtractToTemp(zip, max_unzipped_, false, &tmp);
}

StatusOr<std::string> CodeStore::EnsureExtracted(const std::string& sha256_hex) {
  std::string dir = CodeDir(sha256_hex);
  if (IsComplete(sha256_hex)) return dir;
  THAW_ASSIGN_OR_RETURN(std::string zip, ReadZip(sha256_hex));
  THAW_LOG(kWarn, "lambda") << "code directory " << dir << " missing or incomplete; extracting it"
                            << " again";
  THAW_RETURN_IF_ERROR(Extract(zip, sha256_hex));
  return dir;
}

StatusOr<std::string> CodeStore::ReadZip(const std::string& sha256_hex) const {
  std::string path = ZipPath(sha256_hex);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus("open", path, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("fstat", path, errno);
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::read(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("read", path, errno);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  data.resize(done);
  return data;
}

Status CodeStore::Extract(std::string_view zip, const std::string& sha256_hex) {
  TempPath tmp(code_root_ + "/" + kTempPrefix + RandomHex(8));
  THAW_RETURN_IF_ERROR(ExtractToTemp(zip, max_unzipped_, true, &tmp));
  std::string final_dir = CodeDir(sha256_hex);
  std::error_code ec;
  if (fs::symlink_status(final_dir, ec).type() != fs::file_type::not_found) {
    // An incomplete tree (no marker): move it aside and drop it.
    TempPath old(code_root_ + "/" + kTempPrefix + RandomHex(8));
    if (::rename(final_dir.c_str(), old.path().c_str()) != 0) {
      return ErrnoStatus("rename", final_dir, errno);
    }
  }
  if (::rename(tmp.path().c_str(), final_dir.c_str()) != 0) {
    return ErrnoStatus("rename", final_dir, errno);
  }
  tmp.Release();
  THAW_RETURN_IF_ERROR(SyncDir(code_root_));
  // The marker last: a tree without it is extracted again.
  return WriteFileAtomically(DonePath(sha256_hex), "");
}

StatusOr<int> CodeStore::RemoveAllBut(const std::set<std::string>& keep) {
  // Markers first, so a crash half-way leaves trees that count as missing, never a marked tree
  // with files gone.
  std::vector<fs::path> markers;
  std::vector<fs::path> others;
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(code_root_, ec)) {
    std::string name = item.path().filename().string();
    std::string key = name;
    bool marker = false;
    if (name.ends_with(".zip")) {
      key = name.substr(0, name.size() - 4);
    } else if (name.ends_with(".ok")) {
      key = name.substr(0, name.size() - 3);
      marker = true;
    }
    bool known = IsHex64(key) || (key.starts_with(kOptPrefix) &&
                                  IsHex64(std::string_view(key).substr(4)) && key == name);
    if (!known || keep.count(key) > 0) continue;
    (marker ? markers : others).push_back(item.path());
  }
  if (ec) return ErrnoStatus("readdir", code_root_, ec.value());
  int removed = 0;
  for (const auto* list : {&markers, &others}) {
    for (const fs::path& path : *list) {
      std::error_code rm;
      fs::remove_all(path, rm);
      if (rm) return ErrnoStatus("remove", path.string(), rm.value());
      ++removed;
    }
  }
  if (removed > 0) THAW_RETURN_IF_ERROR(SyncDir(code_root_));
  return removed;
}

}  // namespace thaw::lambda
