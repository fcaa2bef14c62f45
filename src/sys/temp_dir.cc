#include "sys/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <utility>

namespace thaw::sys {

StatusOr<TempDir> TempDir::Create(std::string_view prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/";
  pattern += prefix;
  pattern += "XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) return ErrnoStatus("mkdtemp", pattern, errno);
  return TempDir(std::move(pattern));
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

TempDir::~TempDir() { Remove(); }

void TempDir::Remove() {
  if (path_.empty()) return;
  // remove_all does not follow symlinks, so a link inside cannot make it delete elsewhere.
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  path_.clear();
}

}  // namespace thaw::sys
