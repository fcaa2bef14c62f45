#include "cli/run_process.h"

#include <stdlib.h>

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "cli/client_fakes.h"

namespace thaw::cli {
namespace {

TEST_F(TempDirTest, RunProcessCapturesOutputCwdAndEnv) {
  StatusOr<ProcessResult> env = RunProcess({"/usr/bin/env"}, {"ONLY=1"}, "");
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  EXPECT_EQ(env->exit_code, 0);
  EXPECT_EQ(env->output, "ONLY=1\n");

  StatusOr<ProcessResult> pwd = RunProcess({"/bin/pwd"}, {}, dir_);
  ASSERT_TRUE(pwd.ok());
  EXPECT_EQ(pwd->output, std::filesystem::canonical(dir_).string() + "\n");

  StatusOr<ProcessResult> ls = RunProcess({"/bin/ls", dir_ + "/missing"}, {}, "");
  ASSERT_TRUE(ls.ok());
  EXPECT_NE(ls->exit_code, 0);
  EXPECT_NE(ls->output.find("missing"), std::string::npos);  // stderr is captured too

  EXPECT_FALSE(RunProcess({dir_ + "/no-such-binary"}, {}, "").ok());
}

TEST(ProcessTest, MergeEnvironmentOverrides) {
  ::setenv("THAW_TEST_MERGE", "old", 1);
  std::vector<std::string> env = MergeEnvironment({"THAW_TEST_MERGE=new", "THAW_TEST_ADDED=1"});
  int merged = 0;
  for (const std::string& var : env) {
    if (var.rfind("THAW_TEST_MERGE=", 0) == 0) {
      ++merged;
      EXPECT_EQ(var, "THAW_TEST_MERGE=new");
    }
  }
  EXPECT_EQ(merged, 1);
  EXPECT_NE(std::find(env.begin(), env.end(), "THAW_TEST_ADDED=1"), env.end());
  ::unsetenv("THAW_TEST_MERGE");
}

}  // namespace
}  // namespace thaw::cli
