#include "host/go_panic.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

namespace thaw::host {

namespace {

// aws-lambda-go's formatFrame (lambda/panic.go): the path keeps as many trailing components as
// the function name has '/' plus 2 (GOPATH stripped), and the label drops the package:
// "thaw.dev/examples/mech/logic.Handle" at /src/go/mech/logic/logic.go becomes
// {"mech/logic/logic.go", "Handle"}.
void FormatFrame(std::string function, std::string* path, std::string* label) {
  size_t i = path->size();
  size_t parts = static_cast<size_t>(std::count(function.begin(), function.end(), '/')) + 2;
  bool short_path = false;
  for (size_t n = 0; n < parts; ++n) {
    size_t slash = i == 0 ? std::string::npos : path->rfind('/', i - 1);
    if (slash == std::string::npos) {
      short_path = true;
      break;
    }
    i = slash;
  }
  if (!short_path) path->erase(0, i + 1);
  if (size_t slash = function.rfind('/'); slash != std::string::npos) function.erase(0, slash + 1);
  if (size_t dot = function.find('.'); dot != std::string::npos) function.erase(0, dot + 1);
  *label = std::move(function);
}

}  // namespace

std::optional<std::string> ParseGoPanic(const std::string& stderr_text) {
  size_t start = stderr_text.rfind("panic: ");
  while (start != std::string::npos && start != 0 && stderr_text[start - 1] != '\n') {
    start = start == 0 ? std::string::npos : stderr_text.rfind("panic: ", start - 1);
  }
  if (start == std::string::npos) return std::nullopt;
  std::istringstream in(stderr_text.substr(start));
  std::string line;
  std::getline(in, line);
  std::string message = line.substr(7);
  // Go appends " [recovered]" and "goroutine N [running]:" comes after a blank line.
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  nlohmann::ordered_json frames = nlohmann::ordered_json::array();
  bool in_trace = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (l.rfind("goroutine ", 0) == 0) {
      if (in_trace) break;  // only the panicking goroutine
      in_trace = true;
      continue;
    }
    if (!in_trace || l.empty() || l[0] == '\t' || i + 1 >= lines.size()) continue;
    const std::string& where = lines[i + 1];
    if (where.empty() || where[0] != '\t') continue;
    // "\t/path/file.go:52 +0x1d"
    std::string loc = where.substr(
        1, where.find(' ') == std::string::npos ? std::string::npos : where.find(' ') - 1);
    size_t colon = loc.rfind(':');
    if (colon == std::string::npos) continue;
    // The runtime's own frames say nothing about the function.
    if (l.rfind("panic(", 0) == 0 || l.rfind("runtime.", 0) == 0) continue;
    std::string function = l.substr(0, l.rfind('('));
    std::string path = loc.substr(0, colon);
    std::string label;
    FormatFrame(function, &path, &label);
    nlohmann::ordered_json f;
    f["path"] = path;
    f["line"] = std::atoi(loc.c_str() + colon + 1);
    f["label"] = label;
    frames.push_back(f);
  }
  nlohmann::ordered_json j;
  j["errorMessage"] = message;
  j["errorType"] = "panic";
  j["stackTrace"] = frames;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace thaw::host
