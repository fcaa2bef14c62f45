#include <gtest/gtest.h>

namespace boost {
void assertion_failed(char const* expr, char const* function, char const* file, long line);
void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file,
                          long line);
}  // namespace boost

namespace {

constexpr char kBeastParser[] = "/usr/include/boost/beast/http/impl/basic_parser.ipp";

TEST(BoostAssertTest, BeastsWrongChunkAssertionIsIgnored) {
  boost::assertion_failed("n >= 5", "parse_chunk_header", kBeastParser, 702);
  boost::assertion_failed_msg("n >= 5", "", "parse_chunk_header", kBeastParser, 702);
  SUCCEED();
}

TEST(BoostAssertTest, AnyOtherAssertionAborts) {
  EXPECT_DEATH(boost::assertion_failed("n >= 3", "parse_chunk_header", kBeastParser, 713),
               "Assertion `n >= 3' failed");
  EXPECT_DEATH(boost::assertion_failed("n >= 5", "f", "/usr/include/boost/other.hpp", 1),
               "Assertion `n >= 5' failed");
  EXPECT_DEATH(boost::assertion_failed_msg("x", "why", "f", "a.cc", 2),
               "Assertion `x' failed: why");
}

}  // namespace
