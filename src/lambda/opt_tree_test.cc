#include "lambda/opt_tree.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "lambda/test_helpers.h"

namespace thaw::lambda {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

void Write(const fs::path& path, const std::string& text, fs::perms perms = fs::perms(0644)) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
  fs::permissions(path, perms);
}

std::string Read(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(OptTreeTest, LaterLayersOverrideEarlierOnes) {
  TempDir dir;
  fs::path a = fs::path(dir.path()) / "a", b = fs::path(dir.path()) / "b";
  Write(a / "same.txt", "from a");
  Write(a / "lib/only-a.so", "a");
  Write(a / "thing/inside", "a dir in a");  // becomes a file in b
  Write(b / "same.txt", "from b");
  Write(b / "lib/only-b.so", "b");
  Write(b / "thing", "a file in b");
  fs::create_symlink("same.txt", b / "link");

  auto tree = EnsureOptTree(dir.path(), "a+b", {a.string(), b.string()});
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  fs::path opt = *tree;
  EXPECT_EQ(Read(opt / "same.txt"), "from b");
  EXPECT_EQ(Read(opt / "lib/only-a.so"), "a");
  EXPECT_EQ(Read(opt / "lib/only-b.so"), "b");
  EXPECT_EQ(Read(opt / "thing"), "a file in b");
  EXPECT_TRUE(fs::is_symlink(opt / "link"));
  EXPECT_EQ(fs::read_symlink(opt / "link"), "same.txt");
  // Hard links: the layer's own file, no copy.
  struct stat from {
  }, to{};
  ASSERT_EQ(stat((b / "same.txt").c_str(), &from), 0);
  ASSERT_EQ(stat((opt / "same.txt").c_str(), &to), 0);
  EXPECT_EQ(from.st_ino, to.st_ino);

  // The reverse order is another tree, where a wins.
  auto reverse = EnsureOptTree(dir.path(), "b+a", {b.string(), a.string()});
  ASSERT_TRUE(reverse.ok());
  EXPECT_NE(*reverse, *tree);
  EXPECT_EQ(Read(fs::path(*reverse) / "same.txt"), "from a");
  EXPECT_EQ(Read(fs::path(*reverse) / "thing/inside"), "a dir in a");
  // The same key finds the existing tree.
  auto again = EnsureOptTree(dir.path(), "a+b", {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *tree);
}

TEST(OptTreeTest, ListsExecutableExtensionsSorted) {
  TempDir dir;
  fs::path opt = dir.path();
  auto none = ListExtensions(opt.string());
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  Write(opt / "extensions/zeta", "#!/bin/sh\n", fs::perms(0755));
  Write(opt / "extensions/alpha", "#!/bin/sh\n", fs::perms(0755));
  Write(opt / "extensions/readme.txt", "not executable");
  fs::create_directories(opt / "extensions/subdir");
  auto names = ListExtensions(opt.string());
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"alpha", "zeta"}));
  for (int i = 0; i < 10; ++i) {
    Write(opt / "extensions" / ("x" + std::to_string(i)), "", fs::perms(0755));
  }
  EXPECT_FALSE(ListExtensions(opt.string()).ok());  // 12 > Lambda's 10
}

}  // namespace
}  // namespace thaw::lambda
