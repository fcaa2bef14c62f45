// ParseGoPanic: reads a Go panic out of a process's stderr ("panic: m" then the goroutine trace)
// into Lambda's error JSON, with aws-lambda-go's stackTrace frames {"path","line","label"}.
// Pure; thread-compatible.
#pragma once

#include <optional>
#include <string>

namespace thaw::host {

// The error JSON, or nullopt when stderr holds no Go panic.
std::optional<std::string> ParseGoPanic(const std::string& stderr_text);

}  // namespace thaw::host
