#include "lambda/code_store.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "base/codec.h"
#include "lambda/test_helpers.h"

namespace thaw::lambda {
namespace {

namespace fs = std::filesystem;
using testing::MakeZip;
using testing::TempDir;

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class CodeStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(store_.Init().ok()); }
  TempDir dir_;
  CodeStore store_{dir_.path()};
};

TEST_F(CodeStoreTest, ExtractsAndKeepsModes) {
  std::string zip = MakeZip({
      {"bootstrap", "#!/bin/sh\n", 0100755},
      {"lib/", "", 040700},
      {"lib/data.txt", "data", 0100600},
      {"plain.txt", "no unix attributes", 0},
      {"./weird/./name.txt", "x", 0104755},  // setuid must be dropped
  });
  auto stored = store_.Put(zip);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->sha256, Sha256Base64(zip));
  EXPECT_EQ(stored->sha256_hex, Sha256Hex(zip));
  EXPECT_EQ(stored->size, static_cast<int64_t>(zip.size()));
  EXPECT_EQ(stored->code_dir, dir_.path() + "/code/" + stored->sha256_hex);
  const std::string& root = stored->code_dir;
  EXPECT_EQ(ReadFile(root + "/bootstrap"), "#!/bin/sh\n");
  EXPECT_EQ(ModeOf(root + "/bootstrap") & 07777, 0755u);
  EXPECT_EQ(ModeOf(root + "/lib/data.txt") & 07777, 0600u);
  EXPECT_EQ(ModeOf(root + "/plain.txt") & 07777, 0644u);
  EXPECT_EQ(ModeOf(root + "/weird/name.txt") & 07777, 0755u);
  EXPECT_TRUE(S_ISDIR(ModeOf(root + "/lib")));
  EXPECT_EQ(ModeOf(root + "/lib") & 07777, 0755u);
  EXPECT_EQ(ModeOf(root) & 07777, 0755u);
  EXPECT_EQ(ReadFile(store_.ZipPath(stored->sha256_hex)), zip);
  auto read = store_.ReadZip(stored->sha256_hex);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, zip);
}

TEST_F(CodeStoreTest, SameZipReusesDirectory) {
  std::string zip = testing::BootstrapZip();
  auto first = store_.Put(zip);
  ASSERT_TRUE(first.ok());
  auto second = store_.Put(zip);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->code_dir, second->code_dir);
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_.path() + "/code")) ++entries;
  EXPECT_EQ(entries, 2);  // <hex>/ and <hex>.zip, no temporaries
}

TEST_F(CodeStoreTest, AcceptsZipWithoutBootstrap) {
  auto stored = store_.Put(MakeZip({{"index.py", "def handler(e, c): pass\n", 0100644}}));
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_TRUE(fs::exists(stored->code_dir + "/index.py"));
}

TEST_F(CodeStoreTest, RefusesCorruptZip) {
  for (const std::string& bad : {std::string("definitely not a zip"), std::string()}) {
    auto stored = store_.Put(bad);
    ASSERT_FALSE(stored.ok());
    EXPECT_EQ(stored.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(stored.status().message().starts_with(
        "Could not unzip uploaded file. Please check your file, then try to upload again."))
        << stored.status().message();
  }
  std::string truncated = testing::BootstrapZip();
  truncated.resize(truncated.size() / 2);
  EXPECT_FALSE(store_.Put(truncated).ok());
}

TEST_F(CodeStoreTest, RefusesPathTraversal) {
  for (const char* name : {"../evil", "a/../../evil", "/etc/evil", "a/.."}) {
    auto stored = store_.Put(MakeZip({{"bootstrap", "x", 0100755}, {name, "pwned", 0100644}}));
    ASSERT_FALSE(stored.ok()) << name;
    EXPECT_EQ(stored.status().code(), StatusCode::kInvalidArgument) << name;
  }
  EXPECT_FALSE(fs::exists(dir_.path() + "/evil"));
  EXPECT_FALSE(fs::exists(dir_.path() + "/code/evil"));
  // Nothing half-extracted is left behind.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_.path() + "/code")) ++entries;
  EXPECT_EQ(entries, 0);
}

TEST_F(CodeStoreTest, SymlinksAreCreatedLastAndCannotRedirectWrites) {
  auto ok =
      store_.Put(MakeZip({{"bootstrap", "#!/bin/sh\n", 0100755}, {"run", "bootstrap", 0120777}}));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(S_ISLNK(ModeOf(ok->code_dir + "/run")));
  EXPECT_EQ(fs::read_symlink(ok->code_dir + "/run").string(), "bootstrap");

  TempDir outside;
  auto escape = store_.Put(MakeZip({{"a", outside.path(), 0120777}, {"a/x", "pwned", 0100644}}));
  ASSERT_FALSE(escape.ok());
  EXPECT_EQ(escape.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(outside.path() + "/x"));
}

TEST_F(CodeStoreTest, EnforcesUnzippedSizeLimit) {
  CodeStore small(dir_.path(), 1000);
  auto stored = small.Put(MakeZip({{"bootstrap", std::string(1500, 'a'), 0100755}}));
  ASSERT_FALSE(stored.ok());
  EXPECT_EQ(stored.status().message(), "Unzipped size must be smaller than 1000 bytes");
  auto fits = small.Put(MakeZip({{"bootstrap", std::string(900, 'a'), 0100755}}));
  EXPECT_TRUE(fits.ok());
  EXPECT_EQ(std::string("Unzipped size must be smaller than ") + std::to_string(kMaxUnzippedBytes) +
                " bytes",
            "Unzipped size must be smaller than 262144000 bytes");
}

TEST_F(CodeStoreTest, InitRemovesLeftoversAndEnsureExtractedRebuilds) {
  auto stored = store_.Put(testing::BootstrapZip());
  ASSERT_TRUE(stored.ok());
  fs::create_directories(dir_.path() + "/code/.tmp-crashed/sub");
  ASSERT_TRUE(store_.Init().ok());
  EXPECT_FALSE(fs::exists(dir_.path() + "/code/.tmp-crashed"));

  fs::remove_all(stored->code_dir);
  auto dir = store_.EnsureExtracted(stored->sha256_hex);
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(ModeOf(*dir + "/bootstrap") & 0777, 0755u);
  EXPECT_EQ(store_.EnsureExtracted(std::string(64, 'a')).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace thaw::lambda
