// CodeStore: content-addressed storage for uploaded deployment packages. A zip is validated,
// kept as STATE_DIR/code/<sha256hex>.zip and extracted once into STATE_DIR/code/<sha256hex>/,
// which is then read-only for everyone: function versions with the same code share it.
// A tree counts only once STATE_DIR/code/<sha256hex>.ok exists: that marker is written (and
// fsynced) after every file and directory of the tree and the rename, so a tree a crash cut
// short is extracted again from the kept zip.
// Thread-compatible: the control thread owns it (zip work must never run on the loop).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "base/status.h"

namespace thaw::lambda {

// Lambda's limit on a deployment package's unzipped size (each layer is checked alone).
inline constexpr int64_t kMaxUnzippedBytes = 262144000;

struct StoredCode {
  std::string sha256;      // base64 SHA-256 of the zip: CodeSha256
  std::string sha256_hex;  // names the zip and the directory on disk
  int64_t size = 0;        // zip size in bytes: CodeSize
  std::string code_dir;    // absolute path of the extracted tree
};

class CodeStore {
 public:
  // `state_dir` is thaw's state directory; code lives under its "code" subdirectory.
  explicit CodeStore(const std::string& state_dir, int64_t max_unzipped = kMaxUnzippedBytes);
  CodeStore(const CodeStore&) = delete;
  CodeStore& operator=(const CodeStore&) = delete;

  // Creates STATE_DIR/code and removes the temporary files an interrupted Put left behind.
  Status Init();

  // Validates `zip` and stores it; reuses the directory when this zip was stored before.
  // InvalidArgument with AWS's message for a corrupt zip, an unsafe entry name (absolute or
  // with ".."), an entry beneath a symlink entry, or an unzipped size over the limit; IoError
  // when the disk fails us.
  StatusOr<StoredCode> Put(std::string_view zip);

  // Validates `zip` as Put does (it is extracted into a temporary directory that is then
  // removed) but stores nothing: DryRun.
  Status Check(std::string_view zip);

  // Re-extracts the tree of a stored zip if it is missing or incomplete (no marker).
  // NotFound when the zip itself is gone.
  StatusOr<std::string> EnsureExtracted(const std::string& sha256_hex);

  // The stored zip's bytes, for GetFunction's Code.Location download.
  StatusOr<std::string> ReadZip(const std::string& sha256_hex) const;

  // Removes every stored zip, tree and merged /opt tree whose name is not in `keep`: code and
  // layers by their hex hash, /opt trees by their directory name ("opt-<hex>"). Names it does
  // not recognise are left alone. Returns how many objects went.
  StatusOr<int> RemoveAllBut(const std::set<std::string>& keep);

  std::string ZipPath(const std::string& sha256_hex) const;
  std::string CodeDir(const std::string& sha256_hex) const;
  std::string DonePath(const std::string& sha256_hex) const;
  const std::string& root() const { return code_root_; }

 private:
  // Extracts `zip` into a temporary directory, fsyncs it, renames it to CodeDir(sha256_hex)
  // (replacing an incomplete tree) and writes the marker.
  Status Extract(std::string_view zip, const std::string& sha256_hex);
  bool IsComplete(const std::string& sha256_hex) const;

  std::string code_root_;
  int64_t max_unzipped_;
};

}  // namespace thaw::lambda
