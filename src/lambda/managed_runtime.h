// Managed runtimes (Runtime: python3.x, nodejs*): the ids thaw runs from a runtime tree of its own
// (sys/runtime_tree.h) instead of the zip's bootstrap, and what the host's interpreter really
// is, so that INIT_START and `thaw doctor` can say which version runs. Probing runs the
// interpreter once (a blocking 50-400 ms): HostManagedRuntime caches it, and the server calls it
// first on its control thread, once it answers (not on the event loop). Thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace thaw::lambda {

struct ManagedRuntime {
  std::string family;   // "python" or "nodejs"
  std::string dir;      // host path of its tree: bootstrap, bin/python3 or bin/node, the client
  std::string version;  // the interpreter's own, e.g. "3.11.2", "22.23.5"; "" when unusable
  std::string problem;  // why it cannot run functions; "" when it can
  bool ok() const { return problem.empty(); }
};

// "python" for the python3.x ids, "nodejs" for the nodejs ids; "" for the runtimes thaw runs as
// custom ones (provided*, go1.x, and the languages it has no runtime tree for).
std::string ManagedFamily(std::string_view runtime);

// Checks the tree at `dir`: an executable bootstrap, and a bin/python3 that imports
// awslambdaric and boto3 from it and prints its version.
ManagedRuntime ProbePython(const std::string& dir);

// Checks the tree at `dir`: an executable bootstrap, and a bin/node that loads the runtime
// client from it and prints its version.
ManagedRuntime ProbeNode(const std::string& dir);

// "Python", "Node.js": for messages.
std::string ManagedLanguage(std::string_view family);

// The host's runtime of `family` (sys::RuntimesRoot()/family), probed on first use and kept;
// nullptr for "" or a family thaw has no runtime for.
const ManagedRuntime* HostManagedRuntime(std::string_view family);

// Every managed runtime thaw knows, probed (for `thaw doctor`).
std::vector<const ManagedRuntime*> HostManagedRuntimes();

// The ids of `family` in the Lambda API's Runtime enum ("python3.8", ...), for doctor.
std::vector<std::string> ManagedRuntimeIds(std::string_view family);

// For CreateFunction and UpdateFunctionConfiguration: an InvalidArgument (served as
// InvalidParameterValueException) when `runtime` is managed and its runtime cannot run here.
Status CheckRuntimeAvailable(const std::string& runtime, const ManagedRuntime* host);

// INIT_START's "Runtime Version" for a managed runtime: the family and the major.minor that
// really runs ("python:3.11.v1" when python3.12 is asked of a host with 3.11; "nodejs:22.v1").
std::string ManagedRuntimeVersion(const ManagedRuntime& host);

// "" when `runtime` ("python3.12", "nodejs22.x") asks for the version `host` runs; else a plain
// sentence saying which version really runs it.
std::string VersionNote(const std::string& runtime, const ManagedRuntime& host);

}  // namespace thaw::lambda
