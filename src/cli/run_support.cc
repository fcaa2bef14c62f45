#include "cli/run_support.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "cli/aws_errors.h"
#include "cli/lambda_calls.h"

namespace thaw::cli {

std::string DefaultExamplesDir(std::string_view probe) {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    std::filesystem::path dir = self.parent_path() / "examples" / "go";
    if (probe.empty() ? std::filesystem::is_directory(dir, ec)
                      : std::filesystem::exists(dir / std::string(probe), ec)) {
      return dir.string();
    }
  }
  return (std::filesystem::current_path(ec) / "build" / "examples" / "go").string();
}

Status FunctionCleanup::Run() {
  Status first;
  if (keep_) return first;
  for (const std::string& name : names_) {
    StatusOr<http::Response> answer = Send(client_, "DELETE", FunctionTarget(name));
    Status s = answer.ok() ? ResponseStatus(*answer) : answer.status();
    if (!s.ok() && s.code() != StatusCode::kNotFound && first.ok()) first = s;
  }
  names_.clear();
  return first;
}

Progress::Progress() : on_(::isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() {
  if (on_) std::cerr << "\r\033[K" << std::flush;
}

void Progress::Show(const std::string& text) {
  if (on_) std::cerr << "\r\033[K" << text << std::flush;
}

}  // namespace thaw::cli
