#include "cli/sam_build.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "cli/client_fakes.h"

namespace thaw::cli {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

TEST_F(TempDirTest, ContentKeyFollowsContentNamesAndModes) {
  fs::path src = fs::path(dir_) / "src";
  Write(src / "app.py", "print(1)\n");
  Write(src / "lib" / "util.py", "x = 1\n");
  StatusOr<std::string> first = ContentKey(src.string(), {}, "python3.12 x86_64");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->size(), 64u);
  EXPECT_EQ(*ContentKey(src.string(), {}, "python3.12 x86_64"), *first);
  EXPECT_NE(*ContentKey(src.string(), {}, "python3.12 arm64"), *first);

  Write(src / "lib" / "util.py", "x = 2\n");
  StatusOr<std::string> edited = ContentKey(src.string(), {}, "python3.12 x86_64");
  EXPECT_NE(*edited, *first);
  ::chmod((src / "lib" / "util.py").c_str(), 0755);
  EXPECT_NE(*ContentKey(src.string(), {}, "python3.12 x86_64"), *edited);
  ::chmod((src / "lib" / "util.py").c_str(), 0644);
  EXPECT_EQ(*ContentKey(src.string(), {}, "python3.12 x86_64"), *edited);

  // A file moved to another name is another tree.
  fs::rename(src / "lib" / "util.py", src / "lib" / "other.py");
  EXPECT_NE(*ContentKey(src.string(), {}, "python3.12 x86_64"), *edited);

  // Skipped directories, at any depth, are not seen.
  StatusOr<std::string> base = ContentKey(src.string(), {"node_modules"}, "");
  Write(src / "node_modules" / "a" / "index.js", "1");
  Write(src / "lib" / "node_modules" / "b.js", "1");
  EXPECT_EQ(*ContentKey(src.string(), {"node_modules"}, ""), *base);
  EXPECT_NE(*ContentKey(src.string(), {}, ""), *base);

  EXPECT_EQ(ContentKey((src / "missing").string(), {}, "").status().code(), StatusCode::kNotFound);
}

TEST(SamBuildTest, NodeSkipsNodeModulesPythonDoesNot) {
  std::vector<std::string> node = SkippedDirs(CodeLanguage::kNode);
  std::vector<std::string> python = SkippedDirs(CodeLanguage::kPython);
  EXPECT_NE(std::find(node.begin(), node.end(), "node_modules"), node.end());
  EXPECT_EQ(std::find(python.begin(), python.end(), "node_modules"), python.end());
  for (const auto* list : {&node, &python}) {
    EXPECT_NE(std::find(list->begin(), list->end(), ".thaw"), list->end());
  }
}

TEST_F(TempDirTest, BuildCodeWithoutDependenciesZipsTheTreeAndCaches) {
  fs::path src = fs::path(dir_) / "fn";
  Write(src / "app.py", "def handler(e, c):\n    return 1\n");
  Write(src / "__pycache__" / "app.cpython-311.pyc", "junk");
  Write(src / ".thaw" / "stack.json", "{}");
  CodeBuild build;
  build.name = "Fn";
  build.code_dir = src.string();
  build.language = CodeLanguage::kPython;
  build.runtime = "python3.12";
  build.arch = "x86_64";
  build.cache_dir = dir_ + "/cache";

  StatusOr<BuiltCode> first = BuildCode(build);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->from_cache);
  EXPECT_NE(first->zip.find("app.py"), std::string::npos);
  EXPECT_EQ(first->zip.find("__pycache__"), std::string::npos);
  EXPECT_EQ(first->zip.find("stack.json"), std::string::npos);

  StatusOr<BuiltCode> again = BuildCode(build);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->from_cache);
  EXPECT_EQ(again->zip, first->zip);

  Write(src / "app.py", "def handler(e, c):\n    return 2\n");
  StatusOr<BuiltCode> changed = BuildCode(build);
  ASSERT_TRUE(changed.ok());
  EXPECT_FALSE(changed->from_cache);
  EXPECT_NE(changed->zip, first->zip);
  // Only the newest zip stays in the function's slot.
  int zips = 0;
  for (const auto& entry : fs::directory_iterator(build.cache_dir + "/Fn")) {
    zips += entry.path().extension() == ".zip";
  }
  EXPECT_EQ(zips, 1);

  // Without a cache directory every build is fresh and nothing is written.
  build.cache_dir.clear();
  StatusOr<BuiltCode> uncached = BuildCode(build);
  ASSERT_TRUE(uncached.ok());
  EXPECT_FALSE(uncached->from_cache);
  EXPECT_EQ(uncached->zip, changed->zip);
}

}  // namespace
}  // namespace thaw::cli
