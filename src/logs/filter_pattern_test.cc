#include "logs/filter_pattern.h"

#include <gtest/gtest.h>

namespace thaw::logs {
namespace {

using Terms = std::vector<std::string>;

TEST(FilterPatternTest, EmptyAndBlankMatchEverything) {
  EXPECT_TRUE(ParseFilterPattern("")->empty());
  EXPECT_TRUE(ParseFilterPattern("  \t ")->empty());
  EXPECT_TRUE(ParseFilterPattern("\"\"")->empty());
}

TEST(FilterPatternTest, TermsAndQuotedPhrases) {
  auto p = ParseFilterPattern("ERROR \"connection reset\"  db");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->all, (Terms{"ERROR", "connection reset", "db"}));
  EXPECT_TRUE(p->any.empty());
  EXPECT_TRUE(p->none.empty());
}

TEST(FilterPatternTest, OptionalAndExcludedTerms) {
  auto p = ParseFilterPattern("?WARN ?\"out of memory\" -retry ? -");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->any, (Terms{"WARN", "out of memory"}));
  EXPECT_EQ(p->none, (Terms{"retry"}));
  EXPECT_EQ(p->all, (Terms{"?", "-"}));  // lone markers are plain terms
}

TEST(FilterPatternTest, RejectsUnsupportedAndMalformedPatterns) {
  EXPECT_EQ(ParseFilterPattern("{ $.level = \"ERROR\" }").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseFilterPattern("[ip, user]").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseFilterPattern("%ERR.R%").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseFilterPattern("\"unterminated").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace thaw::logs
