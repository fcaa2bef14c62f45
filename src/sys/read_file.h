// Reading a whole file or descriptor into a string. Stateless, thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace thaw::sys {

// Reads fd to its end (retrying EINTR); `what` names it in the error.
StatusOr<std::string> ReadFd(int fd, std::string_view what);

// Opens path (O_CLOEXEC) and reads all of it.
StatusOr<std::string> ReadFile(const std::string& path);

}  // namespace thaw::sys
