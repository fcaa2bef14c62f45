// Where thaw's managed runtime trees live on the host (scripts/setup-python-runtime.sh installs
// them): $THAW_RUNTIMES_DIR, else /usr/local/lib/thaw/runtimes. The server runs a tree's
// bootstrap and the launcher mounts it at /var/runtime, accepting no tree outside this root.
// Reads the environment only; thread-safe.
#pragma once

#include <string>

namespace thaw::sys {

inline constexpr const char* kDefaultRuntimesRoot = "/usr/local/lib/thaw/runtimes";

// $THAW_RUNTIMES_DIR when set and not empty, else kDefaultRuntimesRoot.
std::string RuntimesRoot();

}  // namespace thaw::sys
