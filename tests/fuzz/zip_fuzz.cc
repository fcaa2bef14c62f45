// Fuzzes deployment-package extraction (CodeStore::Put: validate, store, unzip), which runs on
// any zip a caller uploads. Each input gets a fresh state directory two levels below a private
// temporary directory; after the Put, nothing may exist next to it (no entry escaped the code
// directory), and the state directory is removed so the disk does not fill.
#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "lambda/code_store.h"

namespace fs = std::filesystem;

namespace {

// Extracted trees are read-only; make them writable again so a non-root run can remove them.
void RemoveTree(const fs::path& root) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) {
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
  }
  fs::permissions(root, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(root, ec);
}

// Only `expected` may be in `dir`.
void CheckOnly(const fs::path& dir, const std::string& expected) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename() != expected) {
      std::fprintf(stderr, "zip_fuzz: %s was created outside the state directory\n",
                   entry.path().c_str());
      std::abort();
    }
  }
}

// Made once per process and removed at exit (never freed: the exit handler still needs it).
const fs::path& Base() {
  static const fs::path* base = [] {
    char tmpl[] = "/tmp/thaw-zip-fuzz-XXXXXX";
    if (!mkdtemp(tmpl)) std::abort();
    fs::create_directory(fs::path(tmpl) / "s");
    auto* path = new fs::path(tmpl);
    std::atexit([] { RemoveTree(Base()); });
    return path;
  }();
  return *base;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path state = Base() / "s" / "state";
  {
    // A small unzipped limit keeps zip bombs quick; the limit check itself is what is fuzzed.
    thaw::lambda::CodeStore store(state.string(), int64_t{8} << 20);
    if (!store.Init().ok()) std::abort();
    (void)store.Put(std::string_view(reinterpret_cast<const char*>(data), size));
  }
  CheckOnly(Base(), "s");
  CheckOnly(Base() / "s", "state");
  RemoveTree(state);
  return 0;
}
