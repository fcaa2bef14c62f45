#include "launcher/spawn_paths.h"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace thaw::launcher {
namespace {

namespace fs = std::filesystem;

class SpawnPathsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/spawn_paths_XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    char resolved[PATH_MAX];
    ASSERT_NE(realpath(templ, resolved), nullptr);
    base_ = resolved;
    state_ = base_ + "/state";
    fs::create_directories(state_ + "/code/abc");
    fs::create_directories(state_ + "/code/opt-1");
    fs::create_directories(state_ + "/sandbox/tmp");
    fs::create_directories(state_ + "/sandbox/root");
    fs::create_directories(base_ + "/outside");
    fs::create_directories(base_ + "/runtimes/python");
    roots_.code = state_ + "/code";
    roots_.tmp_dir = state_ + "/sandbox/tmp";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(base_, ec);
  }

  sys::SpawnSpec Spec() const {
    sys::SpawnSpec s;
    s.path = "/var/task/bootstrap";
    s.cwd = "/var/task";
    s.argv = {s.path};
    s.sandbox.enabled = true;
    s.sandbox.code_dir = state_ + "/code/abc";
    s.sandbox.opt_dir = state_ + "/code/opt-1";
    s.sandbox.tmp_image = state_ + "/sandbox/tmp/env-1.img";
    return s;
  }

  std::string base_, state_;
  SpawnRoots roots_;
};

TEST_F(SpawnPathsTest, AcceptsTheServersOwnPaths) {
  sys::SpawnSpec s = Spec();
  ASSERT_TRUE(CheckSandboxPaths(roots_, s).ok());
  EXPECT_EQ(s.sandbox.code_dir, state_ + "/code/abc");
  s.sandbox.opt_dir.clear();  // no layers
  s.path = "/opt/bootstrap";
  EXPECT_TRUE(CheckSandboxPaths(roots_, s).ok());
  s.path = "/var/runtime/thaw-host";
  EXPECT_TRUE(CheckSandboxPaths(roots_, s).ok());
}

TEST_F(SpawnPathsTest, RefusesCodeOutsideTheStateDir) {
  for (std::string bad :
       {base_ + "/outside", std::string("/etc"), std::string("/"), state_ + "/code",
        state_ + "/sandbox/root", state_, state_ + "/code/../../outside", state_ + "/code/abc/",
        state_ + "/code/./abc", std::string("code/abc"), std::string("")}) {
    sys::SpawnSpec s = Spec();
    s.sandbox.code_dir = bad;
    EXPECT_FALSE(CheckSandboxPaths(roots_, s).ok()) << "code_dir " << bad;
    s = Spec();
    s.sandbox.opt_dir = bad;
    if (!bad.empty()) {  // "" is "no layers"
      EXPECT_FALSE(CheckSandboxPaths(roots_, s).ok()) << "opt_dir " << bad;
    }
  }
}

// A managed runtime's tree is mounted at /var/runtime only from below the runtimes root.
TEST_F(SpawnPathsTest, RuntimeDirMustLieBelowTheRuntimesRoot) {
  sys::SpawnSpec s = Spec();
  s.path = "/var/runtime/bootstrap";
  s.sandbox.runtime_dir = base_ + "/runtimes/python";
  EXPECT_FALSE(CheckSandboxPaths(roots_, s).ok()) << "no runtimes root: no tree";
  roots_.runtimes = base_ + "/runtimes";
  ASSERT_TRUE(CheckSandboxPaths(roots_, s).ok());
  EXPECT_EQ(s.sandbox.runtime_dir, base_ + "/runtimes/python");
  for (std::string bad : {base_ + "/runtimes", base_ + "/outside", std::string("/etc"),
                          base_ + "/runtimes/../outside", base_ + "/runtimes/none"}) {
    s = Spec();
    s.sandbox.runtime_dir = bad;
    EXPECT_FALSE(CheckSandboxPaths(roots_, s).ok()) << "runtime_dir " << bad;
  }
}

TEST_F(SpawnPathsTest, RefusesSymlinksOutOfTheStateDir) {
  fs::create_directory_symlink(base_ + "/outside", state_ + "/code/link");
  sys::SpawnSpec s = Spec();
  s.sandbox.code_dir = state_ + "/code/link";
  EXPECT_FALSE(CheckSandboxPaths(roots_, s).ok());
  // A link that stays inside resolves to its target, which is what gets mounted.
  fs::create_directory_symlink(state_ + "/code/abc", state_ + "/code/alias");
  s.sandbox.code_dir = state_ + "/code/alias";
  ASSERT_TRUE(CheckSandboxPaths(roots_, s).ok());
  EXPECT_EQ(s.sandbox.code_dir, state_ + "/code/abc");
}

TEST_F(SpawnPathsTest, TmpImageMustBeAnEntryOfTheTmpDir) {
  for (std::string bad :
       {base_ + "/outside/x.img", state_ + "/code/abc/x.img", state_ + "/sandbox/x.img",
        state_ + "/sandbox/tmp/../x.img", state_ + "/sandbox/tmp/sub/x.img",
        state_ + "/sandbox/tmp/", std::string("/etc/passwd"), std::string("x.img")}) {
    sys::SpawnSpec s = Spec();
    s.sandbox.tmp_image = bad;
    EXPECT_FALSE(CheckSandboxPaths(roots_, s).ok()) << bad;
  }
  // An existing symlink in the tmp dir is not followed.
  fs::create_symlink("/etc/passwd", state_ + "/sandbox/tmp/evil.img");
  sys::SpawnSpec s = Spec();
  s.sandbox.tmp_image = state_ + "/sandbox/tmp/evil.img";
  EXPECT_FALSE(CheckSandboxPaths(roots_, s).ok());
  // A tmp dir reached through a symlinked directory does not count as the tmp dir.
  fs::create_directory_symlink(state_ + "/code/abc", state_ + "/sandbox/tmp/dir");
  s.sandbox.tmp_image = state_ + "/sandbox/tmp/dir/x.img";
  EXPECT_FALSE(CheckSandboxPaths(roots_, s).ok());
}

TEST_F(SpawnPathsTest, SandboxPathsStayInTheFunctionsTrees) {
  for (std::string bad : {"/bin/sh", "/var/task/../../bin/sh", "var/task/bootstrap", "/var/taskx",
                          "/optx/bootstrap", "/var/task//bootstrap", "/"}) {
    sys::SpawnSpec s = Spec();
    s.path = bad;
    EXPECT_FALSE(CheckSandboxPaths(roots_, s).ok()) << bad;
    s = Spec();
    s.cwd = bad;
    EXPECT_FALSE(CheckSandboxPaths(roots_, s).ok()) << "cwd " << bad;
  }
}

TEST_F(SpawnPathsTest, ReachableByOthers) {
  chmod(base_.c_str(), 0755);
  chmod(state_.c_str(), 0755);
  chmod((state_ + "/code").c_str(), 0755);
  EXPECT_TRUE(ReachableByOthers(state_ + "/code"));
  chmod(state_.c_str(), 0700);  // a parent others cannot search
  EXPECT_FALSE(ReachableByOthers(state_ + "/code"));
  chmod(state_.c_str(), 0711);  // search is enough
  EXPECT_TRUE(ReachableByOthers(state_ + "/code"));
  EXPECT_FALSE(ReachableByOthers(state_ + "/missing"));
}

TEST(IsNormalAbsoluteTest, Components) {
  EXPECT_TRUE(IsNormalAbsolute("/a/b"));
  EXPECT_FALSE(IsNormalAbsolute("/a/../b"));
  EXPECT_FALSE(IsNormalAbsolute("/a/./b"));
  EXPECT_FALSE(IsNormalAbsolute("/a//b"));
  EXPECT_FALSE(IsNormalAbsolute("/a/"));
  EXPECT_FALSE(IsNormalAbsolute("a/b"));
  EXPECT_FALSE(IsNormalAbsolute("/"));
  EXPECT_FALSE(IsNormalAbsolute(std::string_view("/a\0b", 4)));
}

}  // namespace
}  // namespace thaw::launcher
