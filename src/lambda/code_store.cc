#include "lambda/code_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <cerrno>
#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "base/codec.h"
#include "base/log.h"

namespace thaw::lambda {

namespace fs = std::filesystem;

namespace {

constexpr char kUnzipError[] =
    "Could not unzip uploaded file. Please check your file, then try to upload again.";
constexpr char kTempPrefix[] = ".tmp-";
constexpr size_t kMaxSymlinkTarget = 4096;

Status TooBig(int64_t max_unzipped) {
  return Status::InvalidArgument("Unzipped size must be smaller than " +
                                 std::to_string(max_unzipped) + " bytes");
}

Status UnzipError(const std::string& detail = "") {
  return Status::InvalidArgument(detail.empty() ? kUnzipError
                                                : std::string(kUnzipError) + " (" + detail + ")");
}

// Owns a file descriptor. (sys/ has no UniqueFd yet; this stays private to the file.)
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now so the caller sees the error (close can report a failed write-back).
  Status Close(const std::string& path) {
    int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) return ErrnoStatus("close", path, errno);
    return Status::Ok();
  }

 private:
  int fd_;
};

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

// Writes `data` to `path` via a temporary file, fsync and rename, so `path` is whole or absent.
Status WriteFileAtomically(const std::string& path, std::string_view data) {
  TempPath tmp(fs::path(path).parent_path() / (std::string(kTempPrefix) + RandomHex(8)));
  Fd fd(::open(tmp.path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) return ErrnoStatus("open", tmp.path(), errno);
  THAW_RETURN_IF_ERROR(WriteAll(fd.get(), data, tmp.path()));
  if (::fsync(fd.get()) != 0) return ErrnoStatus("fsync", tmp.path(), errno);
  THAW_RETURN_IF_ERROR(fd.Close(tmp.path()));
  if (::rename(tmp.path().c_str(), path.c_str()) != 0) return ErrnoStatus("rename", path, errno);
  tmp.Release();
  return Status::Ok();
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

Status MakeDirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return PathError("mkdir", dir.string(), ec.value());
  return Status::Ok();
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

}  // namespace

CodeStore::CodeStore(const std::string& state_dir, int64_t max_unzipped)
    : code_root_((fs::path(state_dir) / "code").string()), max_unzipped_(max_unzipped) {}

std::string CodeStore::ZipPath(const std::string& sha256_hex) const {
  return code_root_ + "/" + sha256_hex + ".zip";
}

std::string CodeStore::CodeDir(const std::string& sha256_hex) const {
  return code_root_ + "/" + sha256_hex;
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
  bool have_dir = fs::is_directory(out.code_dir, ec);
  if (have_zip && have_dir) return out;  // same bytes, validated when first stored
  if (!have_dir) THAW_RETURN_IF_ERROR(Extract(zip, out.sha256_hex));
  if (!have_zip) THAW_RETURN_IF_ERROR(WriteFileAtomically(ZipPath(out.sha256_hex), zip));
  return out;
}

StatusOr<std::string> CodeStore::EnsureExtracted(const std::string& sha256_hex) {
  std::string dir = CodeDir(sha256_hex);
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return dir;
  THAW_ASSIGN_OR_RETURN(std::string zip, ReadZip(sha256_hex));
  THAW_LOG(kWarn, "lambda") << "code directory " << dir << " missing; extracting it again";
  THAW_RETURN_IF_ERROR(Extract(zip, sha256_hex));
  return dir;
}

StatusOr<std::string> CodeStore::ReadZip(const std::string& sha256_hex) const {
  std::string path = ZipPath(sha256_hex);
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus("open", path, errno);
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
  THAW_ASSIGN_OR_RETURN(ZipPtr archive, OpenZip(zip));
  THAW_ASSIGN_OR_RETURN(std::vector<Entry> entries, Plan(archive.get(), max_unzipped_));
  TempPath tmp(code_root_ + "/" + kTempPrefix + RandomHex(8));
  fs::path root = tmp.path();
  THAW_RETURN_IF_ERROR(MakeDirs(root));
  int64_t left = max_unzipped_;
  // Directories and files first, symlinks last: no write ever goes through a link the archive
  // planted (the classic "a -> /etc" then "a/passwd" escape).
  for (const Entry& e : entries) {
    fs::path target = root / e.path;
    if (e.kind == Kind::kDirectory) {
      THAW_RETURN_IF_ERROR(MakeDirs(target));
    } else if (e.kind == Kind::kFile) {
      THAW_RETURN_IF_ERROR(MakeDirs(target.parent_path()));
      std::string out = target.string();
      Fd fd(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
      if (fd.get() < 0) return PathError("open", out, errno);
      THAW_RETURN_IF_ERROR(CopyEntry(archive.get(), e, fd.get(), out, max_unzipped_, &left));
      // fchmod, not open's mode argument, so the umask cannot strip bootstrap's x bits.
      if (::fchmod(fd.get(), e.mode) != 0) return ErrnoStatus("fchmod", out, errno);
      THAW_RETURN_IF_ERROR(fd.Close(out));
    }
  }
  std::error_code ec;
  fs::permissions(root, fs::perms(0755), ec);
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec)) fs::permissions(it->path(), fs::perms(0755), ec);
  }
  if (ec) return ErrnoStatus("chmod", root.string(), ec.value());
  for (const Entry& e : entries) {
    if (e.kind != Kind::kSymlink) continue;
    THAW_ASSIGN_OR_RETURN(std::string link_target, ReadEntry(archive.get(), e));
    if (link_target.empty() || link_target.find('\0') != std::string::npos) {
      return UnzipError("bad symlink '" + e.path + "'");
    }
    fs::path link = root / e.path;
    THAW_RETURN_IF_ERROR(MakeDirs(link.parent_path()));
    if (::symlink(link_target.c_str(), link.c_str()) != 0) {
      return PathError("symlink", link.string(), errno);
    }
  }
  std::string final_dir = CodeDir(sha256_hex);
  if (::rename(root.c_str(), final_dir.c_str()) != 0) {
    // Someone stored the same bytes first: theirs is identical, keep it.
    if (errno == EEXIST || errno == ENOTEMPTY) return Status::Ok();
    return ErrnoStatus("rename", final_dir, errno);
  }
  tmp.Release();
  return Status::Ok();
}

}  // namespace thaw::lambda
