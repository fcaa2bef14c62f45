// Boost's assertion handler (BOOST_ENABLE_ASSERT_DEBUG_HANDLER, which scripts/fuzz.sh sets for
// the fuzzers' build): BOOST_ASSERT ends here instead of in assert(). It aborts as assert() would,
// except for one assertion of Boost 1.81's Beast that is wrong: basic_parser::parse_chunk_header
// asserts n >= 5 where a streamed final chunk can leave 3 bytes, and the code after it answers
// need_more correctly (Beast PR #2861, fixed in Boost 1.86). Builds without the define never call
// it. Thread-safe.
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace boost {

namespace {

bool KnownWrong(std::string_view expr, std::string_view file) {
  return expr == "n >= 5" && file.ends_with("boost/beast/http/impl/basic_parser.ipp");
}

}  // namespace

void assertion_failed(char const* expr, char const* function, char const* file, long line) {
  if (KnownWrong(expr, file)) return;
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed.\n", file, line, function, expr);
  std::abort();
}

void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file,
                          long line) {
  if (KnownWrong(expr, file)) return;
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed: %s\n", file, line, function, expr, msg);
  std::abort();
}

}  // namespace boost
