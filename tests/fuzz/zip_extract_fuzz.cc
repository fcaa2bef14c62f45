// libFuzzer entry point for CodeStore's zip extraction (lambda/code_store.cc): any input is
// stored with CodeStore::Put into a fixed scratch state dir, and afterwards nothing may exist
// outside the code tree. The seeds in tests/fuzz/corpus/zip_extract/ aim symlinks at
// /tmp/thaw-zip-fuzz/outside, which must stay empty. Not built by CMake; build by hand, e.g.:
//   clang++-14 -std=c++20 -O1 -g -fsanitize=fuzzer,address -Isrc tests/fuzz/zip_extract_fuzz.cc \
//     src/lambda/code_store.cc src/base/{codec,status,log,clock}.cc -lzip -lcrypto -o zip_fuzz
//   ./zip_fuzz tests/fuzz/corpus/zip_extract
#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "lambda/code_store.h"

namespace {

namespace fs = std::filesystem;

constexpr char kBase[] = "/tmp/thaw-zip-fuzz";

void Fail(const std::string& why) {
  std::fprintf(stderr, "zip_extract_fuzz: %s\n", why.c_str());
  std::abort();
}

// Everything under `dir`, never following symlinks, must stay under it.
void CheckTree(const fs::path& dir) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    fs::file_type type = it->symlink_status(ec).type();
    if (type != fs::file_type::regular && type != fs::file_type::directory &&
        type != fs::file_type::symlink) {
      Fail("unexpected file type at " + it->path().string());
    }
    if (type == fs::file_type::regular) {
      struct stat st;
      if (::lstat(it->path().c_str(), &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID)) != 0) {
        Fail("setuid/setgid file " + it->path().string());
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool ready = [] {
    std::error_code ec;
    fs::remove_all(kBase, ec);
    fs::create_directories(std::string(kBase) + "/state", ec);
    fs::create_directories(std::string(kBase) + "/outside", ec);
    return !ec;
  }();
  if (!ready) Fail("cannot prepare " + std::string(kBase));
  // A small limit keeps zip bombs cheap; the limit itself is part of what is tested.
  thaw::lambda::CodeStore store(std::string(kBase) + "/state", 1 << 20);
  if (!store.Init().ok()) Fail("Init failed");
  std::string_view zip(reinterpret_cast<const char*>(data), size);
  auto stored = store.Put(zip);
  if (stored.ok()) CheckTree(stored->code_dir);
  (void)store.Check(zip);
  std::error_code ec;
  if (!fs::is_empty(std::string(kBase) + "/outside", ec) || ec) Fail("wrote outside the tree");
  for (const auto& item : fs::directory_iterator(kBase, ec)) {
    std::string name = item.path().filename().string();
    if (name != "state" && name != "outside") Fail("wrote " + item.path().string());
  }
  // Anything left in the code root besides stored objects is a leaked temporary.
  for (const auto& item : fs::directory_iterator(store.root(), ec)) {
    if (item.path().filename().string().starts_with(".tmp-")) Fail("leaked temporary");
  }
  fs::remove_all(store.root(), ec);
  return 0;
}
