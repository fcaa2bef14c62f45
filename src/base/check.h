// CHECK and DCHECK: invariants of our own code, not of input. A failed CHECK prints the
// condition, file, line and any streamed context to stderr and aborts, so a sanitizer or a core
// dump shows where. CHECK is always on; DCHECK only in debug and sanitizer builds (NDEBUG off),
// and its condition is not evaluated otherwise. docs/design.md gives the policy: bad input is a
// Status, a broken invariant is a CHECK. Thread-safe.
#pragma once

#include <sstream>
#include <string>

namespace thaw {

// Prints "CHECK failed: <condition> at file:line: <context>" and aborts.
class CheckFailure {
 public:
  CheckFailure(const char* condition, const char* file, int line);
  [[noreturn]] ~CheckFailure();
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;
  template <typename T>
  CheckFailure& operator<<(const T& v) {
    stream_ << v;
    return *this;
  }

 private:
  std::string where_;
  std::ostringstream stream_;
};

struct CheckVoidify {
  void operator&(const CheckFailure&) {}
};

}  // namespace thaw

// NOLINTBEGIN(bugprone-macro-parentheses)
#define THAW_CHECK(condition) \
  (condition) ? (void)0       \
              : ::thaw::CheckVoidify() & ::thaw::CheckFailure(#condition, __FILE__, __LINE__)

#ifdef NDEBUG
// Not evaluated, but still compiled, so it cannot rot.
#define THAW_DCHECK(condition) \
  true ? (void)0 : ::thaw::CheckVoidify() & ::thaw::CheckFailure(#condition, __FILE__, __LINE__)
#else
#define THAW_DCHECK(condition) THAW_CHECK(condition)
#endif
// NOLINTEND(bugprone-macro-parentheses)
