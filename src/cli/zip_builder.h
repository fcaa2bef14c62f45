// Building a deployment package: a deflated zip in memory with Unix modes and fixed entry
// times, so equal inputs give equal bytes. Stateless, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace thaw::cli {

struct ZipEntry {
  std::string name;  // path inside the archive, e.g. "bootstrap"
  std::string data;
  uint32_t unix_mode = 0644;  // permission bits, stored as Unix external attributes
};

// Builds a deflated zip in memory. Entry times are fixed, so equal inputs give equal bytes (and
// equal CodeSha256). IoError when libzip fails.
StatusOr<std::string> BuildZip(const std::vector<ZipEntry>& entries);

}  // namespace thaw::cli
