#include "profile/table.h"

#include <gtest/gtest.h>

namespace thaw::profile {
namespace {

TEST(TableTest, FirstColumnLeftTheRestRight) {
  EXPECT_EQ(FormatColumns({{"name", "p50"}, {"x", "1234"}}), "name   p50\nx     1234\n");
}

TEST(TableTest, ChosenColumnsLeftAndRaggedRows) {
  EXPECT_EQ(FormatColumns({{"1", "a", "zz"}, {"123", "bbb"}}, {1}), "  1  a    zz\n123  bbb\n");
}

TEST(TableTest, AllLeftWithoutTrailingSpaces) {
  EXPECT_EQ(FormatLeftAligned({{"a", "bb", ""}, {"ccc", "d", "e"}}), "a    bb\nccc  d   e\n");
}

}  // namespace
}  // namespace thaw::profile
