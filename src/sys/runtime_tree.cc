#include "sys/runtime_tree.h"

#include <cstdlib>

namespace thaw::sys {

std::string RuntimesRoot() {
  const char* dir = std::getenv("THAW_RUNTIMES_DIR");
  if (dir != nullptr && *dir != '\0') return dir;
  return kDefaultRuntimesRoot;
}

}  // namespace thaw::sys
