// What the measuring commands (compare, latency, stress) need around a run: the example zips'
// directory, the functions a run created (deleted at its end), and a one-line progress display.
// Main thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "http/client.h"

namespace thaw::cli {

// examples/go beside the thaw binary (a build directory) when it holds `probe` (a file name;
// "" for any), else ./build/examples/go.
std::string DefaultExamplesDir(std::string_view probe = "");

// Deletes the functions it was given unless `keep`, at the latest when destroyed.
class FunctionCleanup {
 public:
  // `client` must outlive this object.
  FunctionCleanup(http::Client& client, bool keep) : client_(client), keep_(keep) {}
  ~FunctionCleanup() { (void)Run(); }
  FunctionCleanup(const FunctionCleanup&) = delete;
  FunctionCleanup& operator=(const FunctionCleanup&) = delete;

  void Add(const std::string& name) { names_.push_back(name); }
  // Deletes them all; the first failure is returned, the others still tried.
  Status Run();

 private:
  http::Client& client_;
  bool keep_;
  std::vector<std::string> names_;
};

// The current step on one line of stderr, on a terminal only; cleared when destroyed.
class Progress {
 public:
  Progress();
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  void Show(const std::string& text);

 private:
  bool on_;
};

}  // namespace thaw::cli
