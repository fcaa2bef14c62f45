// Minimal leveled logging for thaw's own diagnostics (not function logs) to stderr.
// Thread-safe: each line is written with one write(2).
#pragma once

#include <sstream>
#include <string_view>

namespace thaw {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);

class LogLine {
 public:
  LogLine(LogLevel level, std::string_view component);
  ~LogLine();
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;
  template <typename T>
  LogLine& operator<<(const T& v) {
    stream_ << v;
    return *this;
  }

 private:
  std::ostringstream stream_;
};

// Turns a streamed LogLine into void so THAW_LOG can be one expression (glog's trick), which
// keeps `if (x) THAW_LOG(...) << ...;` free of dangling-else surprises.
struct LogVoidify {
  void operator&(const LogLine&) {}
};

}  // namespace thaw

// Unparenthesized on purpose: callers stream into the LogLine with <<.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define THAW_LOG(level, component)             \
  !::thaw::LogEnabled(::thaw::LogLevel::level) \
      ? (void)0                                \
      : ::thaw::LogVoidify() & ::thaw::LogLine(::thaw::LogLevel::level, component)
// NOLINTEND(bugprone-macro-parentheses)
