#include "sys/temp_dir.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <utility>

#include <gtest/gtest.h>

namespace thaw::sys {
namespace {

bool Exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

TEST(TempDirTest, PrivateDirectoryRemovedWithItsContents) {
  std::string path;
  {
    StatusOr<TempDir> dir = TempDir::Create("temp_dir_test-");
    ASSERT_TRUE(dir.ok()) << dir.status().ToString();
    path = dir->path();
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    EXPECT_NE(path.find("/temp_dir_test-"), std::string::npos);
    std::filesystem::create_directory(path + "/sub");
    std::ofstream(path + "/sub/file") << "x";
  }
  EXPECT_FALSE(Exists(path));
}

TEST(TempDirTest, RemovesLinksNotWhatTheyPointAt) {
  StatusOr<TempDir> outside = TempDir::Create("temp_dir_test-");
  ASSERT_TRUE(outside.ok());
  std::ofstream(outside->path() + "/kept") << "x";
  {
    StatusOr<TempDir> dir = TempDir::Create("temp_dir_test-");
    ASSERT_TRUE(dir.ok());
    std::filesystem::create_directory_symlink(outside->path(), dir->path() + "/link");
  }
  EXPECT_TRUE(Exists(outside->path() + "/kept"));
}

TEST(TempDirTest, MoveHandsOverTheDirectory) {
  StatusOr<TempDir> made = TempDir::Create("temp_dir_test-");
  ASSERT_TRUE(made.ok());
  std::string path = made->path();
  TempDir moved = std::move(*made);
  EXPECT_EQ(moved.path(), path);
  EXPECT_TRUE(made->path().empty());  // NOLINT(bugprone-use-after-move): checking moved-from state
  { TempDir gone = std::move(moved); }
  EXPECT_FALSE(Exists(path));
}

TEST(TempDirTest, HonoursTmpdir) {
  StatusOr<TempDir> base = TempDir::Create("temp_dir_test-");
  ASSERT_TRUE(base.ok());
  const char* old = std::getenv("TMPDIR");
  std::string saved = old != nullptr ? old : "";
  ::setenv("TMPDIR", base->path().c_str(), 1);
  StatusOr<TempDir> inside = TempDir::Create("x-");
  if (old != nullptr) {
    ::setenv("TMPDIR", saved.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
  ASSERT_TRUE(inside.ok());
  EXPECT_EQ(inside->path().rfind(base->path() + "/x-", 0), 0u) << inside->path();
}

}  // namespace
}  // namespace thaw::sys
