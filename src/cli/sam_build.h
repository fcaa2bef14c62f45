// Building a SAM function's Python or Node.js code the way `sam build` does, without containers:
// the CodeUri directory is copied to a staging directory, its requirements.txt is pip-installed
// into it (Python) or its package.json gets `npm ci` / `npm install --omit=dev` (Node.js), and the
// result is zipped. Zips are cached by the content of the source, so an unchanged function is not
// rebuilt. (Go builds are cli/go_build.h: go's own build cache keeps them fast.) Blocks while pip
// or npm runs; thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"

namespace thaw::cli {

enum class CodeLanguage { kPython, kNode };

struct CodeBuild {
  std::string name;      // the function's logical id: its cache slot
  std::string code_dir;  // CodeUri, resolved
  CodeLanguage language = CodeLanguage::kPython;
  std::string runtime;    // python3.12, nodejs20.x: part of the cache key
  std::string arch;       // x86_64 or arm64: part of the cache key
  std::string cache_dir;  // e.g. <template dir>/.thaw/build; "" builds without a cache
};

struct BuiltCode {
  std::string zip;
  bool from_cache = false;
};

// A hex SHA-256 over every file under `dir` (relative path, executable bit, bytes) except the
// directories named in `skip`, and over `extra`: equal trees give equal keys.
StatusOr<std::string> ContentKey(const std::string& dir, const std::vector<std::string>& skip,
                                 const std::string& extra);

// The directories a build neither copies nor hashes: tool caches and, for Node.js, the
// node_modules that `npm` makes anew.
std::vector<std::string> SkippedDirs(CodeLanguage language);

// Builds (or takes from the cache) the zip of `build`. FailedPrecondition carrying the tool's
// output when pip or npm fails; NotFound when the tool is missing.
StatusOr<BuiltCode> BuildCode(const CodeBuild& build);

}  // namespace thaw::cli
