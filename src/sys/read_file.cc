#include "sys/read_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "sys/unique_fd.h"

namespace thaw::sys {

StatusOr<std::string> ReadFd(int fd, std::string_view what) {
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("read", what, errno);
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

StatusOr<std::string> ReadFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus("open", path, errno);
  return ReadFd(fd.get(), path);
}

}  // namespace thaw::sys
