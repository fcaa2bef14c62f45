#include "base/lambda_error.h"

#include <gtest/gtest.h>

namespace thaw {
namespace {

TEST(LambdaErrorTest, EveryNameParsesBackToItsEnum) {
  for (int i = 0; i <= static_cast<int>(LambdaError::kExtensionLaunchError); ++i) {
    auto e = static_cast<LambdaError>(i);
    auto back = ParseLambdaError(Name(e));
    ASSERT_TRUE(back.has_value()) << Name(e);
    EXPECT_EQ(*back, e);
  }
  EXPECT_FALSE(ParseLambdaError("Runtime.Whatever").has_value());
  EXPECT_FALSE(ParseLambdaError("").has_value());
}

TEST(LambdaErrorTest, NamesAreLambdasSpelling) {
  EXPECT_STREQ(Name(LambdaError::kRuntimeExitError), "Runtime.ExitError");
  EXPECT_STREQ(Name(LambdaError::kSandboxTimedout), "Sandbox.Timedout");
  EXPECT_STREQ(Name(LambdaError::kFunctionResponseSizeTooLarge), "Function.ResponseSizeTooLarge");
}

TEST(LambdaErrorTest, FromRuntimeKeepsCategoryTypesOnly) {
  EXPECT_EQ(FromRuntime("Runtime.HandlerNotFound"), "Runtime.HandlerNotFound");
  EXPECT_EQ(FromRuntime("Function.MyError"), "Function.MyError");
  EXPECT_EQ(FromRuntime("errorString"), "Runtime.Unknown");
  EXPECT_EQ(FromRuntime(""), "Runtime.Unknown");
  EXPECT_EQ(FromRuntime("Runtime."), "Runtime.Unknown");
  EXPECT_EQ(FromRuntime("Runtime.lower"), "Runtime.Unknown");
  EXPECT_EQ(FromRuntime("Runtime.Bad Type"), "Runtime.Unknown");
  EXPECT_EQ(FromRuntime("Function.x"), "Function.Unknown");
  EXPECT_EQ(FromRuntime("Extension.Crash"), "Runtime.Unknown");
}

TEST(LambdaErrorTest, FromExtensionKeepsExtensionTypesOnly) {
  EXPECT_EQ(FromExtension("Extension.Boom"), "Extension.Boom");
  EXPECT_EQ(FromExtension("Runtime.Boom"), "Extension.InitError");
  EXPECT_EQ(FromExtension("Extension."), "Extension.InitError");
}

}  // namespace
}  // namespace thaw
