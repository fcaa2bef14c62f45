// thaw-launcher: the small single-threaded process that forks every function process for the
// server (see launcher/launcher.h). This file only wires: flags, the process's own settings,
// then one Launcher on fd 3 until the server goes.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "launcher/launcher.h"

int main(int argc, char** argv) {
  thaw::launcher::LauncherOptions options;
  options.trace = getenv("THAW_LAUNCHER_TRACE") != nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--state-dir" && i + 1 < argc) {
      options.state_dir = argv[++i];
    } else if (arg == "--no-sandbox") {
      options.sandbox = false;
    } else if (arg == "--pool" && i + 1 < argc) {
      options.pool = static_cast<size_t>(atol(argv[++i]));
    } else {
      fprintf(stderr, "thaw-launcher: unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (thaw::Status s = thaw::launcher::PrepareProcess(); !s.ok()) {
    fprintf(stderr, "thaw-launcher: %s\n", s.ToString().c_str());
    return 1;
  }
  auto launcher = thaw::launcher::Launcher::Create(options);
  if (!launcher.ok()) {
    fprintf(stderr, "thaw-launcher: %s\n", launcher.status().ToString().c_str());
    return 1;
  }
  (*launcher)->Run();
  return 0;
}
