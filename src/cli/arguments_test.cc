#include "cli/arguments.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "cli/client_fakes.h"

namespace thaw::cli {
namespace {

TEST(ArgumentsTest, ParseEnvFlags) {
  StatusOr<EnvVars> vars = ParseEnvFlags({"AB=1", "b_2=x=y", "EMPTY="});
  ASSERT_TRUE(vars.ok());
  EXPECT_EQ(*vars, (EnvVars{{"AB", "1"}, {"b_2", "x=y"}, {"EMPTY", ""}}));
  EXPECT_TRUE(ParseEnvFlags({}).ok());
  for (const char* bad : {"NOVALUE", "=v", "A=v", "1A=v", "_AB=v", "A-B=v", "A B=v"}) {
    StatusOr<EnvVars> r = ParseEnvFlags({bad});
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find(bad), std::string::npos) << r.status().message();
  }
}

TEST(ArgumentsTest, FunctionNames) {
  EXPECT_TRUE(IsValidFunctionName("hello-world_2"));
  EXPECT_FALSE(IsValidFunctionName(""));
  EXPECT_FALSE(IsValidFunctionName("my.fn"));
  EXPECT_FALSE(IsValidFunctionName(std::string(65, 'a')));
  EXPECT_TRUE(IsValidFunctionName(std::string(64, 'a')));

  EXPECT_EQ(DefaultFunctionName("/srv/functions/echo"), "echo");
  EXPECT_EQ(DefaultFunctionName("/srv/functions/echo/"), "echo");
  EXPECT_EQ(DefaultFunctionName("/srv/functions/echo/./"), "echo");
  EXPECT_EQ(DefaultFunctionName("."), std::filesystem::current_path().filename().string());
}

TEST_F(TempDirTest, ReadFileOrStdin) {
  WriteFile("payload.json", R"({"x":1})");
  StatusOr<std::string> text = ReadFileOrStdin(dir_ + "/payload.json");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, R"({"x":1})");
  EXPECT_EQ(ReadFileOrStdin(dir_ + "/missing").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace thaw::cli
