#include "lambda/code_store.h"

#include <sys/stat.h>
#include <zip.h>

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

// RemoveAllButKeepsWhatIsNamed and every test that stores "the same zip" twice rely on this:
// they flaked when a 2 s DOS-time step fell between two builds of one zip.
TEST(MakeZipTest, StampsAFixedTime) {
  std::string zip = testing::BootstrapZip();
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(zip.data(), zip.size(), 0, &error);
  ASSERT_NE(source, nullptr);
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
  ASSERT_NE(archive, nullptr);
  zip_stat_t st;
  ASSERT_EQ(zip_stat_index(archive, 0, 0, &st), 0);
  zip_discard(archive);
  zip_error_fini(&error);
  ASSERT_TRUE(st.valid & ZIP_STAT_MTIME);
  EXPECT_EQ(st.mtime, testing::kZipEntryTime);  // through local DOS time and back
}

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
  EXPECT_EQ(entries, 3);  // <hex>/, <hex>.zip and <hex>.ok, no temporaries
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

// Every entry of the escape tests below points into `outside`, a temp dir, so a regression
// cannot touch the host. Nothing may appear there and the zip must be refused as AWS refuses
// a bad zip.
class SymlinkEscapeTest : public CodeStoreTest {
 protected:
  static int CountEntries(const std::string& dir) {
    int n = 0;
    for ([[maybe_unused]] const auto& e : fs::recursive_directory_iterator(dir)) ++n;
    return n;
  }
  void ExpectRefused(const std::vector<testing::ZipEntry>& entries, const std::string& what) {
    auto stored = store_.Put(MakeZip(entries));
    ASSERT_FALSE(stored.ok()) << what;
    EXPECT_EQ(stored.status().code(), StatusCode::kInvalidArgument) << what;
    EXPECT_TRUE(stored.status().message().starts_with(
        "Could not unzip uploaded file. Please check your file, then try to upload again."))
        << what << ": " << stored.status().message();
    EXPECT_EQ(CountEntries(outside_.path()), 0) << what;
    // Nothing half-extracted is kept either.
    int kept = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_.path() + "/code")) ++kept;
    EXPECT_EQ(kept, 0) << what;
  }
  TempDir outside_;
};

TEST_F(SymlinkEscapeTest, RefusesEntriesBeneathASymlinkEntry) {
  const std::string out = outside_.path();
  // The extraction root is STATE/code/.tmp-X: three levels up is the test temp dir, which
  // holds both the state dir and `outside`.
  const std::string up = "../../../" + fs::path(out).filename().string();
  constexpr uint32_t kLink = 0120777;
  constexpr uint32_t kFile = 0100644;
  ExpectRefused({{"a", out, kLink}, {"a/x", "pwned", kLink}}, "absolute link, link beneath");
  ExpectRefused({{"a", out, kLink}, {"a/x", "pwned", kFile}}, "absolute link, file beneath");
  ExpectRefused({{"a", up, kLink}, {"a/x", "pwned", kLink}}, "relative link, link beneath");
  ExpectRefused({{"a", up, kLink}, {"a/sub/", "", 040755}}, "relative link, dir beneath");
  ExpectRefused({{"d/e/f", out, kLink}, {"d/e/f/g/h", "pwned", kLink}}, "deep paths");
  ExpectRefused({{"l1", out, kLink}, {"l2", "l1", kLink}, {"l2/x", "pwned", kLink}},
                "a chain of links");
  ExpectRefused({{"a/x", "pwned", kLink}, {"a", out, kLink}}, "beneath, listed first");
  ExpectRefused({{"./a", out, kLink}, {"a/./x", "pwned", kLink}}, "names with ./");
}

TEST_F(SymlinkEscapeTest, RefusesASymlinkSharingItsPathWithAnotherEntry) {
  const std::string out = outside_.path();
  ExpectRefused({{"a", out, 0120777}, {"a/", "", 040755}, {"a/x", "pwned", 0100644}},
                "link, then a directory of the same name");
  // libzip will not write two entries of one name; "./a" is the same path spelled differently.
  ExpectRefused({{"a", out, 0120777}, {"./a", "pwned", 0100644}},
                "link, then a file of the same name");
  ExpectRefused({{"a", "pwned", 0100644}, {"./a", out, 0120777}},
                "file, then a link of the same name");
  ExpectRefused({{"a", out, 0120777}, {"./a", "elsewhere", 0120777}}, "the same link twice");
}

TEST_F(SymlinkEscapeTest, LeafSymlinksToAnywhereStayAllowed) {
  auto stored = store_.Put(MakeZip({{"bootstrap", "#!/bin/sh\n", 0100755},
                                    {"abs", outside_.path(), 0120777},
                                    {"up", "../../../..", 0120777},
                                    {"lib/so", "../bootstrap", 0120777},
                                    {"dup.txt", "one", 0100644},
                                    {"./dup.txt", "two", 0100644}}));
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(fs::read_symlink(stored->code_dir + "/abs").string(), outside_.path());
  EXPECT_EQ(fs::read_symlink(stored->code_dir + "/up").string(), "../../../..");
  EXPECT_EQ(fs::read_symlink(stored->code_dir + "/lib/so").string(), "../bootstrap");
  EXPECT_EQ(ReadFile(stored->code_dir + "/dup.txt"), "two");
  EXPECT_EQ(CountEntries(outside_.path()), 0);
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

TEST_F(CodeStoreTest, TreeWithoutMarkerIsExtractedAgain) {
  std::string zip = MakeZip({{"bootstrap", "#!/bin/sh\necho whole\n", 0100755},
                             {"lib/data.txt", std::string(10000, 'd'), 0100644}});
  auto stored = store_.Put(zip);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_TRUE(fs::exists(store_.DonePath(stored->sha256_hex)));
  // A crash cut the tree short: a file truncated, another missing, and no marker.
  fs::resize_file(stored->code_dir + "/bootstrap", 3);
  fs::remove(stored->code_dir + "/lib/data.txt");
  fs::remove(store_.DonePath(stored->sha256_hex));
  auto dir = store_.EnsureExtracted(stored->sha256_hex);
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  EXPECT_EQ(ReadFile(*dir + "/bootstrap"), "#!/bin/sh\necho whole\n");
  EXPECT_EQ(ReadFile(*dir + "/lib/data.txt"), std::string(10000, 'd'));
  EXPECT_TRUE(fs::exists(store_.DonePath(stored->sha256_hex)));

  // Put of the same bytes does not trust an unmarked tree either.
  fs::resize_file(stored->code_dir + "/bootstrap", 0);
  fs::remove(store_.DonePath(stored->sha256_hex));
  ASSERT_TRUE(store_.Put(zip).ok());
  EXPECT_EQ(ReadFile(stored->code_dir + "/bootstrap"), "#!/bin/sh\necho whole\n");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_.path() + "/code")) ++entries;
  EXPECT_EQ(entries, 3);  // the old tree went with its replacement's rename
}

TEST_F(CodeStoreTest, CheckValidatesAndStoresNothing) {
  EXPECT_TRUE(store_.Check(testing::BootstrapZip()).ok());
  TempDir outside;
  Status bad = store_.Check(MakeZip({{"a", outside.path(), 0120777}, {"a/x", "y", 0120777}}));
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_.Check("not a zip").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(fs::is_empty(dir_.path() + "/code"));
  EXPECT_TRUE(fs::is_empty(outside.path()));
}

TEST_F(CodeStoreTest, RemoveAllButKeepsWhatIsNamed) {
  auto a = store_.Put(testing::BootstrapZip("#!/bin/sh\necho a\n"));
  auto b = store_.Put(testing::BootstrapZip("#!/bin/sh\necho b\n"));
  ASSERT_TRUE(a.ok() && b.ok());
  std::string opt_a = "opt-" + std::string(64, 'a');
  std::string opt_b = "opt-" + std::string(64, 'b');
  fs::create_directories(store_.root() + "/" + opt_a + "/extensions");
  fs::create_directories(store_.root() + "/" + opt_b);
  fs::create_directories(store_.root() + "/not-ours");
  auto removed = store_.RemoveAllBut({a->sha256_hex, opt_a});
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 4);  // b's tree, zip and marker, and opt_b
  EXPECT_TRUE(fs::exists(store_.ZipPath(a->sha256_hex)));
  EXPECT_TRUE(fs::exists(a->code_dir + "/bootstrap"));
  EXPECT_TRUE(fs::exists(store_.DonePath(a->sha256_hex)));
  EXPECT_FALSE(fs::exists(store_.ZipPath(b->sha256_hex)));
  EXPECT_FALSE(fs::exists(b->code_dir));
  EXPECT_FALSE(fs::exists(store_.DonePath(b->sha256_hex)));
  EXPECT_TRUE(fs::exists(store_.root() + "/" + opt_a + "/extensions"));
  EXPECT_FALSE(fs::exists(store_.root() + "/" + opt_b));
  EXPECT_TRUE(fs::exists(store_.root() + "/not-ours"));
  // The removed zip can be stored again.
  ASSERT_TRUE(store_.Put(testing::BootstrapZip("#!/bin/sh\necho b\n")).ok());
  EXPECT_TRUE(fs::exists(b->code_dir + "/bootstrap"));
}

}  // namespace
}  // namespace thaw::lambda
