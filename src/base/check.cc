#include "base/check.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace thaw {

CheckFailure::CheckFailure(const char* condition, const char* file, int line)
    : where_(std::string("CHECK failed: ") + condition + " at " + file + ":" +
             std::to_string(line)) {}

CheckFailure::~CheckFailure() {
  std::string context = stream_.str();
  std::string text = where_ + (context.empty() ? "" : ": " + context) + "\n";
  // One write, so lines from other threads do not interleave with it.
  (void)!write(STDERR_FILENO, text.data(), text.size());
  std::abort();
}

}  // namespace thaw
