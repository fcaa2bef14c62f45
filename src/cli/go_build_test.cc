#include "cli/go_build.h"

#include <sys/stat.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "cli/client_fakes.h"

namespace thaw::cli {
namespace {

TEST_F(TempDirTest, FindGoToolchainSearchesPath) {
  ASSERT_EQ(::mkdir((dir_ + "/a").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((dir_ + "/b").c_str(), 0755), 0);
  WriteFile("a/go", "not executable", 0644);
  WriteFile("b/go", "#!/bin/true\n", 0755);
  StatusOr<std::string> go = FindGoToolchain("::" + dir_ + "/a:" + dir_ + "/b");
  ASSERT_TRUE(go.ok());
  EXPECT_EQ(*go, dir_ + "/b/go");

  StatusOr<std::string> fallback = FindGoToolchain(dir_ + "/a");
  if (fallback.ok()) {
    EXPECT_EQ(*fallback, "/usr/local/go/bin/go");
  } else {
    EXPECT_EQ(fallback.status().message(), "Go toolchain not found; install golang-go");
  }
}

TEST(ProcessTest, GoArch) {
  EXPECT_EQ(GoArch("x86_64"), "amd64");
  EXPECT_EQ(GoArch("arm64"), "arm64");
  EXPECT_EQ(GoArch("amd64"), std::nullopt);
}

bool HaveGo() {
  const char* path = std::getenv("PATH");
  return FindGoToolchain(path ? path : "").ok();
}

TEST_F(TempDirTest, GoBuildFailureCarriesCompilerOutput) {
  if (!HaveGo()) GTEST_SKIP() << "no Go toolchain";
  WriteFile("go.mod", "module broken\n\ngo 1.19\n");
  WriteFile("main.go", "package main\n\nfunc main() { undefinedThing() }\n");
  StatusOr<std::string> zip = BuildGoBootstrapZip(dir_, "x86_64");
  ASSERT_EQ(zip.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(zip.status().message().find("undefinedThing"), std::string::npos)
      << zip.status().message();
  EXPECT_EQ(BuildGoBootstrapZip(dir_, "sparc").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(TempDirTest, GoBuildProducesStaticLinuxBootstrap) {
  if (!HaveGo()) GTEST_SKIP() << "no Go toolchain";
  WriteFile("go.mod", "module hello\n\ngo 1.19\n");
  WriteFile("main.go", "package main\n\nimport \"os\"\n\nfunc main() { os.Exit(0) }\n");
  for (const char* arch : {"x86_64", "arm64"}) {
    StatusOr<std::string> zip = BuildGoBootstrapZip(dir_, arch);
    ASSERT_TRUE(zip.ok()) << zip.status().ToString();
    std::vector<ZipFileInfo> files = ReadZip(*zip);
    ASSERT_EQ(files.size(), 1u);
    EXPECT_EQ(files[0].name, "bootstrap");
    EXPECT_EQ((files[0].attributes >> 16) & 07777, 0755u);
    ASSERT_GT(files[0].data.size(), 20u);
    EXPECT_EQ(files[0].data.substr(0, 4),
              "\x7f"
              "ELF");
    // e_machine: 62 = x86-64, 183 = AArch64 (little-endian at offset 18).
    auto machine = static_cast<unsigned char>(files[0].data[18]);
    EXPECT_EQ(machine, std::string(arch) == "x86_64" ? 62 : 183) << arch;
  }
}

}  // namespace
}  // namespace thaw::cli
