// TempDir: a private directory (mkdtemp, mode 0700) under $TMPDIR or /tmp, removed with
// everything in it on destruction. Thread-compatible.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace thaw::sys {

class TempDir {
 public:
  // Makes "<$TMPDIR or /tmp>/<prefix>XXXXXX".
  static StatusOr<TempDir> Create(std::string_view prefix);

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  void Remove();

  std::string path_;  // empty once moved from
};

}  // namespace thaw::sys
