// Test-only helpers for lambda_test: a temporary directory and zips built with libzip.
// Header-only so the library glob does not pick it up. Thread-compatible.
#pragma once

#include <stdlib.h>
#include <zip.h>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace thaw::lambda::testing {

// A fresh directory under the test temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "thaw_lambda_XXXXXX";
    char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct ZipEntry {
  std::string name;
  std::string data;   // file content, or the target of a symlink
  uint32_t mode = 0;  // full st_mode (S_IFREG | 0755); 0 writes DOS attributes instead
};

// Every entry's mtime. libzip would stamp the current time (DOS time, 2 s steps), so two zips
// of the same entries built across a step would differ in bytes and in CodeSha256.
inline constexpr time_t kZipEntryTime = 1'577'836'800;  // 2020-01-01T00:00:00Z

// Builds a zip in memory, the same bytes for the same entries. Names are stored verbatim
// (libzip does not sanitise them), which is what the path-traversal tests need.
inline std::string MakeZip(const std::vector<ZipEntry>& entries) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  zip_source_keep(buffer);
  zip_t* archive = zip_open_from_source(buffer, ZIP_TRUNCATE, &error);
  for (const ZipEntry& e : entries) {
    zip_int64_t index;
    if (!e.name.empty() && e.name.back() == '/') {
      index = zip_dir_add(archive, e.name.c_str(), ZIP_FL_ENC_RAW);
    } else {
      zip_source_t* data = zip_source_buffer(archive, e.data.data(), e.data.size(), 0);
      index = zip_file_add(archive, e.name.c_str(), data, ZIP_FL_ENC_RAW | ZIP_FL_OVERWRITE);
    }
    EXPECT_GE(index, 0) << e.name;
    // libzip gives new entries Unix mode 0666 unless told otherwise.
    zip_file_set_external_attributes(archive, static_cast<zip_uint64_t>(index), 0,
                                     e.mode != 0 ? ZIP_OPSYS_UNIX : ZIP_OPSYS_DOS, e.mode << 16);
    EXPECT_EQ(zip_file_set_mtime(archive, static_cast<zip_uint64_t>(index), kZipEntryTime, 0), 0);
  }
  EXPECT_EQ(zip_close(archive), 0);
  std::string out;
  zip_source_open(buffer);
  char chunk[4096];
  for (;;) {
    zip_int64_t n = zip_source_read(buffer, chunk, sizeof chunk);
    if (n <= 0) break;
    out.append(chunk, static_cast<size_t>(n));
  }
  zip_source_close(buffer);
  zip_source_free(buffer);
  zip_error_fini(&error);
  return out;
}

// The smallest useful deployment package: an executable bootstrap.
inline std::string BootstrapZip(const std::string& script = "#!/bin/sh\necho hi\n") {
  return MakeZip({{"bootstrap", script, 0100755}});
}

}  // namespace thaw::lambda::testing
