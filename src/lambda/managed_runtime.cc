#include "lambda/managed_runtime.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "lambda/function_request.h"
#include "sys/read_file.h"
#include "sys/runtime_tree.h"
#include "sys/unique_fd.h"

namespace thaw::lambda {

namespace {

// Imports what the bootstrap needs, as the bootstrap would find it, and says the version.
constexpr const char* kPythonProbe =
    "import sys, awslambdaric, boto3; print('%d.%d.%d' % sys.version_info[:3])";
// Loads the client's native addon (built by setup-node-runtime.sh): the client itself starts
// polling as soon as it is imported. The addon reads AWS_LAMBDA_RUNTIME_API when loaded (and
// aborts without it) but connects only at the first next().
constexpr const char* kNodeProbe =
    "for (const f of process.argv.slice(1)) require(f); console.log(process.versions.node)";
// aws-lambda-ric 3 (nodejs18.x .. 22.x) and 4 (nodejs24.x).
constexpr const char* kNodeClient = "node_modules/aws-lambda-ric/dist/rapid-client.node";
constexpr const char* kNodeClient4 = "node_modules/aws-lambda-ric-4/rapid-client.node";

// Runs argv with env and returns its stdout, or why it failed (exit status included).
StatusOr<std::string> Output(const std::vector<std::string>& argv,
                             const std::vector<std::string>& env) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoStatus("pipe2", argv[0], errno);
  sys::UniqueFd read_end(fds[0]), write_end(fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDERR_FILENO);
  // The server probes after it listens: a probe must not keep its sockets (asio's are not
  // close-on-exec), or a restart after kill -9 finds the port taken until the probe ends.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  std::vector<char*> args, envp;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const std::string& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return ErrnoStatus("exec", argv[0], rc);
  write_end.Reset();
  StatusOr<std::string> out = sys::ReadFd(read_end.get(), argv[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!out.ok()) return out.status();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string text = *out;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    if (size_t nl = text.rfind('\n'); nl != std::string::npos) text = text.substr(nl + 1);
    return Status::FailedPrecondition(argv[0] + " failed: " + text);
  }
  return out;
}

bool IsExecutableFile(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

constexpr std::string_view kFamilies[] = {"python", "nodejs"};

// Strips trailing newlines and checks that what is left looks like a version ("22.23.5").
std::string VersionOf(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (!text.empty() && text[0] == 'v') text.erase(0, 1);  // node --version: "v22.23.5"
  if (text.empty() || text.find_first_not_of("0123456789.") != std::string::npos) return "";
  return text;
}

}  // namespace

std::string ManagedFamily(std::string_view runtime) {
  if (runtime.starts_with("python3.")) return "python";
  // Every nodejs id of the enum ("nodejs", "nodejs4.3-edge", "nodejs22.x"): one Node runs them.
  if (runtime.starts_with("nodejs")) return "nodejs";
  return "";
}

ManagedRuntime ProbePython(const std::string& dir) {
  ManagedRuntime r;
  r.family = "python";
  r.dir = dir;
  const std::string fix = " (run scripts/setup-python-runtime.sh as root)";
  if (!IsExecutableFile(dir + "/bootstrap")) {
    r.problem = "no runtime tree at " + dir + fix;
    return r;
  }
  StatusOr<std::string> out =
      Output({dir + "/bin/python3", "-c", kPythonProbe}, {"PYTHONPATH=" + dir, "LANG=C.UTF-8"});
  if (!out.ok()) {
    r.problem = out.status().message() + fix;
    return r;
  }
  r.version = VersionOf(*out);
  if (r.version.empty()) r.problem = dir + "/bin/python3 printed no version";
  return r;
}

ManagedRuntime ProbeNode(const std::string& dir) {
  ManagedRuntime r;
  r.family = "nodejs";
  r.dir = dir;
  const std::string fix = " (run scripts/setup-node-runtime.sh as root)";
  if (!IsExecutableFile(dir + "/bootstrap")) {
    r.problem = "no runtime tree at " + dir + fix;
    return r;
  }
  // A tree with a node but a broken client is refused too.
  StatusOr<std::string> out = Output(
      {dir + "/bin/node", "-e", kNodeProbe, dir + "/" + kNodeClient, dir + "/" + kNodeClient4},
      {"LANG=C.UTF-8", "AWS_LAMBDA_RUNTIME_API=127.0.0.1:9"});
  if (!out.ok()) {
    r.problem = out.status().message() + fix;
    return r;
  }
  r.version = VersionOf(*out);
  if (r.version.empty()) r.problem = dir + "/bin/node printed no version";
  return r;
}

const ManagedRuntime* HostManagedRuntime(std::string_view family) {
  // Probed once for the process's life: a runtime installed later needs a restart. Custom
  // runtimes ("") never wait for a probe.
  if (family == "python") {
    static const ManagedRuntime python = ProbePython(sys::RuntimesRoot() + "/python");
    return &python;
  }
  if (family == "nodejs") {
    static const ManagedRuntime node = ProbeNode(sys::RuntimesRoot() + "/nodejs");
    return &node;
  }
  return nullptr;
}

std::vector<const ManagedRuntime*> HostManagedRuntimes() {
  std::vector<const ManagedRuntime*> out;
  for (std::string_view f : kFamilies) out.push_back(HostManagedRuntime(f));
  return out;
}

std::vector<std::string> ManagedRuntimeIds(std::string_view family) {
  std::vector<std::string> out;
  if (family == "python") {
    for (int minor = 0; minor < 30; ++minor) {
      std::string id = "python3." + std::to_string(minor);
      if (IsKnownRuntime(id)) out.push_back(id);
    }
  } else if (family == "nodejs") {
    // Oldest first: the enum's early names, then nodejs10.x onwards.
    for (const char* id : {"nodejs", "nodejs4.3", "nodejs4.3-edge", "nodejs6.10", "nodejs8.10"}) {
      if (IsKnownRuntime(id)) out.push_back(id);
    }
    for (int major = 10; major < 60; ++major) {
      std::string id = "nodejs" + std::to_string(major) + ".x";
      if (IsKnownRuntime(id)) out.push_back(id);
    }
  }
  return out;
}

Status CheckRuntimeAvailable(const std::string& runtime, const ManagedRuntime* host) {
  if (ManagedFamily(runtime).empty()) return Status::Ok();
  if (host == nullptr) {
    return Status::InvalidArgument("The runtime parameter of " + runtime +
                                   " is not supported by this thaw server.");
  }
  if (host->ok()) return Status::Ok();
  return Status::InvalidArgument("The runtime parameter of " + runtime +
                                 " is not available on this host: " + host->problem + ".");
}

namespace {
// The part of the version AWS's runtime names carry: major.minor for Python ("3.11"), the major
// for Node.js ("22").
std::string NamedVersion(const ManagedRuntime& host) {
  std::string v = host.version;
  size_t dot = v.find('.');
  if (dot == std::string::npos) return v;
  if (host.family == "nodejs") return v.substr(0, dot);
  if (size_t second = v.find('.', dot + 1); second != std::string::npos) v.resize(second);
  return v;
}
}  // namespace

std::string ManagedLanguage(std::string_view family) {
  if (family == "python") return "Python";
  if (family == "nodejs") return "Node.js";
  return std::string(family);
}

std::string ManagedRuntimeVersion(const ManagedRuntime& host) {
  return host.family + ":" + NamedVersion(host) + ".v1";
}

std::string VersionNote(const std::string& runtime, const ManagedRuntime& host) {
  if (host.version.empty()) return "";
  std::string running = NamedVersion(host);
  // python3.11, nodejs22.x
  std::string id = host.family + running + (host.family == "nodejs" ? ".x" : "");
  if (runtime == id) return "";
  return runtime + " runs on the host's " + ManagedLanguage(host.family) + " " + host.version +
         " (INIT_START says " + host.family + ":" + running + ")";
}

}  // namespace thaw::lambda
