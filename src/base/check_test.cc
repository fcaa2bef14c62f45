#include "base/check.h"

#include <gtest/gtest.h>

namespace thaw {
namespace {

TEST(CheckDeathTest, FailedCheckAbortsWithConditionAndContext) {
  int x = 3;
  EXPECT_DEATH(THAW_CHECK(x == 4) << "x is " << x,
               "CHECK failed: x == 4 at .*check_test.cc:[0-9]+: x is 3");
}

TEST(CheckDeathTest, PassingCheckDoesNothingAndEvaluatesOnce) {
  int calls = 0;
  THAW_CHECK(++calls == 1) << "never streamed";
  EXPECT_EQ(calls, 1);
}

TEST(CheckDeathTest, DcheckFollowsNdebug) {
  int calls = 0;
  THAW_DCHECK(++calls > 0);
#ifdef NDEBUG
  EXPECT_EQ(calls, 0) << "DCHECK's condition must not run in a release build";
#else
  EXPECT_EQ(calls, 1);
  EXPECT_DEATH(THAW_DCHECK(calls == 0), "CHECK failed: calls == 0");
#endif
}

}  // namespace
}  // namespace thaw
