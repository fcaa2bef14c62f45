#include "cli/client_util.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include "base/codec.h"
#include "profile/table.h"

extern char** environ;

namespace thaw::cli {

using nlohmann::json;

namespace {

constexpr size_t kMaxErrorBodyChars = 300;
constexpr size_t kMaxProcessOutput = 4 << 20;
constexpr int kMaxListPages = 10'000;
// Zip entry times are pinned so that rebuilding the same binary gives the same CodeSha256.
constexpr time_t kZipEntryTime = 1'577'836'800;  // 2020-01-01T00:00:00Z

// An owned file descriptor, closed on destruction.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// A private directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  static StatusOr<std::unique_ptr<TempDir>> Create() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/thaw-deploy-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) return ErrnoStatus("mkdtemp", pattern, errno);
    return std::unique_ptr<TempDir>(new TempDir(std::move(pattern)));
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

StatusOr<std::string> ReadFd(int fd, const std::string& what) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus("read", what, errno);
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

struct ZipDiscard {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};
struct ZipSourceFree {
  void operator()(zip_source_t* source) const { zip_source_free(source); }
};

Status ZipError(std::string_view what, zip_error_t* error) {
  return Status::IoError("zip " + std::string(what) + ": " + zip_error_strerror(error));
}

// Copies the bytes an archive wrote into an in-memory source.
StatusOr<std::string> ReadZipSource(zip_source_t* source) {
  if (zip_source_open(source) < 0) return ZipError("open buffer", zip_source_error(source));
  std::string out;
  Status status;
  if (zip_source_seek(source, 0, SEEK_END) < 0) {
    status = ZipError("seek", zip_source_error(source));
  } else {
    zip_int64_t size = zip_source_tell(source);
    if (size < 0 || zip_source_seek(source, 0, SEEK_SET) < 0) {
      status = ZipError("tell", zip_source_error(source));
    } else {
      out.resize(static_cast<size_t>(size));
      zip_int64_t n = zip_source_read(source, out.data(), static_cast<zip_uint64_t>(size));
      if (n != size) status = ZipError("read buffer", zip_source_error(source));
    }
  }
  zip_source_close(source);
  if (!status.ok()) return status;
  return out;
}

bool IsExecutableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Polls GetFunctionConfiguration until the function is neither Pending nor mid-update.
Status WaitUntilSettled(http::Client& client, const DeploySpec& spec) {
  std::string target = FunctionTarget(spec.name, "/configuration");
  for (int i = 0; i < spec.max_polls; ++i) {
    THAW_ASSIGN_OR_RETURN(json config, CallJson(client, "GET", target));
    std::string state = JsonString(config, "State");
    std::string update = JsonString(config, "LastUpdateStatus");
    if (state == "Failed") {
      return Status::FailedPrecondition("function " + spec.name +
                                        " failed: " + JsonString(config, "StateReason"));
    }
    if (update == "Failed") {
      return Status::FailedPrecondition("update of " + spec.name +
                                        " failed: " + JsonString(config, "LastUpdateStatusReason"));
    }
    if (state != "Pending" && update != "InProgress") return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(spec.poll_interval_ms));
  }
  return Status::FailedPrecondition("function " + spec.name +
                                    " is still being created or updated; check `thaw get " +
                                    spec.name + "` and try again");
}

json EnvironmentJson(const EnvVars& vars) {
  json variables = json::object();
  for (const auto& [key, value] : vars) variables[key] = value;
  return {{"Variables", variables}};
}

bool HasConfiguration(const DeploySpec& spec) {
  return spec.memory_mb || spec.timeout_s || spec.environment || spec.runtime_given ||
         spec.mechanism;
}

// Runtime go1.x selects its mechanism and no tag means runtime-api; the others need the tag.
bool NeedsMechanismTag(const DeploySpec& spec) {
  return spec.mechanism && *spec.mechanism != "go1.x" && *spec.mechanism != "runtime-api";
}

}  // namespace

std::string OneLine(std::string_view text, size_t limit) {
  std::string out;
  for (char c : text) {
    if (out.size() >= limit) {
      out += "...";
      break;
    }
    out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  }
  size_t begin = out.find_first_not_of(' ');
  if (begin == std::string::npos) return "";
  size_t end = out.find_last_not_of(' ');
  return out.substr(begin, end - begin + 1);
}

// ---- Errors and exit codes -------------------------------------------------------------------

AwsError ParseAwsError(const http::Response& response) {
  AwsError error;
  error.status = response.status;
  auto CodeOf = [](std::string_view text) {
    text = text.substr(0, text.find(':'));
    if (size_t hash = text.rfind('#'); hash != std::string_view::npos) text = text.substr(hash + 1);
    return OneLine(text, 100);
  };
  if (auto header = response.headers.Get("x-amzn-ErrorType")) error.type = CodeOf(*header);
  json body = json::parse(response.body, nullptr, false);
  if (body.is_object()) {
    for (const char* key : {"__type", "code", "Code"}) {
      if (!error.type.empty()) break;
      error.type = CodeOf(JsonString(body, key));
    }
    for (const char* key : {"Message", "message", "errorMessage"}) {
      if (!error.message.empty()) break;
      error.message = OneLine(JsonString(body, key), kMaxErrorBodyChars);
    }
  } else {
    error.message = OneLine(response.body, kMaxErrorBodyChars);
  }
  return error;
}

std::string FormatAwsError(const AwsError& error) {
  std::string out = error.type;
  if (!error.message.empty()) out += (out.empty() ? "" : ": ") + error.message;
  if (out.empty()) out = "empty error response";
  return out + " (HTTP " + std::to_string(error.status) + ")";
}

Status ResponseStatus(const http::Response& response) {
  if (response.status >= 200 && response.status < 300) return Status::Ok();
  std::string message = FormatAwsError(ParseAwsError(response));
  switch (response.status) {
    case 400:
      return Status::InvalidArgument(std::move(message));
    case 403:
      return Status::PermissionDenied(std::move(message));
    case 404:
      return Status::NotFound(std::move(message));
    case 409:
      return Status::FailedPrecondition(std::move(message));
    case 413:
    case 429:
      return Status::ResourceExhausted(std::move(message));
    default:
      return Status::Internal(std::move(message));
  }
}

int ExitCodeFor(const Status& status) {
  if (status.ok()) return kExitOk;
  return status.code() == StatusCode::kUnavailable ? kExitUnavailable : kExitFailure;
}

void ReportError(CommandContext& ctx, std::string_view command, const Status& status,
                 std::optional<int> exit_code) {
  std::cerr << "thaw " << command << ": " << status.message() << "\n";
  ctx.exit_code = exit_code.value_or(ExitCodeFor(status));
}

// ---- REST calls ------------------------------------------------------------------------------

auth::Credentials LocalCredentials() {
  const char* key = std::getenv("AWS_ACCESS_KEY_ID");
  const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  if (key && *key && secret && *secret) {
    const char* token = std::getenv("AWS_SESSION_TOKEN");
    return {key, secret, token ? token : ""};
  }
  return {kLocalAccessKeyId, kLocalSecretAccessKey, ""};
}

StatusOr<std::unique_ptr<http::Client>> Connect(const std::string& endpoint) {
  http::ClientOptions options;
  options.credentials = LocalCredentials();
  auto client = http::Client::Create(endpoint, std::move(options));
  if (!client.ok()) {
    return Status::InvalidArgument("bad --endpoint (or THAW_ENDPOINT): " +
                                   client.status().message());
  }
  return std::move(client).value();
}

std::string FunctionTarget(std::string_view name, std::string_view suffix,
                           std::string_view qualifier) {
  std::string target = std::string(kFunctionsPath) + "/" + http::PercentEncode(name);
  target += suffix;
  if (!qualifier.empty()) target += "?Qualifier=" + http::PercentEncode(qualifier);
  return target;
}

StatusOr<http::Response> Send(http::Client& client, const std::string& method,
                              const std::string& target, const std::string& body,
                              const http::Headers& headers, int64_t timeout_ms) {
  return client.Do(method, target, headers, body, timeout_ms);
}

StatusOr<json> CallJson(http::Client& client, const std::string& method, const std::string& target,
                        const json* body) {
  http::Headers headers;
  std::string text;
  if (body != nullptr) {
    headers.Set("Content-Type", "application/json");
    text = DumpJson(*body);
  }
  THAW_ASSIGN_OR_RETURN(http::Response response, Send(client, method, target, text, headers));
  THAW_RETURN_IF_ERROR(ResponseStatus(response));
  if (response.body.empty()) return json();
  json parsed = json::parse(response.body, nullptr, false);
  if (parsed.is_discarded()) {
    return Status::Internal(method + " " + target + " answered with non-JSON: " +
                            OneLine(response.body, kMaxErrorBodyChars));
  }
  return parsed;
}

// ---- JSON ------------------------------------------------------------------------------------

std::string JsonString(const json& object, std::string_view key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return "";
  return it->get_ref<const std::string&>();
}

int64_t JsonInt(const json& object, std::string_view key, int64_t fallback) {
  if (!object.is_object()) return fallback;
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return fallback;
  return it->get<int64_t>();
}

std::string DumpJson(const json& value, int indent) {
  return value.dump(indent, ' ', false, json::error_handler_t::replace);
}

// ---- Arguments -------------------------------------------------------------------------------

StatusOr<EnvVars> ParseEnvFlags(const std::vector<std::string>& flags) {
  EnvVars vars;
  for (const std::string& flag : flags) {
    size_t eq = flag.find('=');
    if (eq == std::string::npos) {
      return Status::InvalidArgument("--env '" + flag + "' is not KEY=VALUE");
    }
    std::string key = flag.substr(0, eq);
    // Lambda's rule for variable names: [a-zA-Z]([a-zA-Z0-9_])+
    auto Letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
    bool valid = key.size() >= 2 && Letter(key[0]);
    for (char c : key) valid = valid && (Letter(c) || (c >= '0' && c <= '9') || c == '_');
    if (!valid) {
      return Status::InvalidArgument("--env '" + flag +
                                     "': Lambda needs a key of 2 or more letters, digits and '_' "
                                     "that starts with a letter");
    }
    vars.emplace_back(std::move(key), flag.substr(eq + 1));
  }
  return vars;
}

bool IsValidFunctionName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

std::string DefaultFunctionName(const std::string& dir) {
  std::error_code ec;
  std::filesystem::path path = std::filesystem::absolute(dir, ec);
  if (ec) path = dir;
  path = path.lexically_normal();
  if (!path.has_filename()) path = path.parent_path();  // "a/b/" normalizes to "a/b/"
  return path.filename().string();
}

StatusOr<std::string> ReadFileOrStdin(const std::string& path) {
  if (path == "-") return ReadFd(STDIN_FILENO, "standard input");
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus("open", path, errno);
  return ReadFd(fd.get(), path);
}

// ---- Building the deployment package ---------------------------------------------------------

StatusOr<std::string> BuildZip(const std::vector<ZipEntry>& entries) {
  if (entries.empty()) return Status::InvalidArgument("a zip needs at least one entry");
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* raw_buffer = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (raw_buffer == nullptr) {
    Status status = ZipError("create buffer", &error);
    zip_error_fini(&error);
    return status;
  }
  zip_t* raw_archive = zip_open_from_source(raw_buffer, ZIP_TRUNCATE, &error);
  if (raw_archive == nullptr) {
    zip_source_free(raw_buffer);
    Status status = ZipError("open", &error);
    zip_error_fini(&error);
    return status;
  }
  zip_error_fini(&error);
  // The archive took our reference; keep one more to read the bytes after zip_close.
  zip_source_keep(raw_buffer);
  std::unique_ptr<zip_source_t, ZipSourceFree> buffer(raw_buffer);
  std::unique_ptr<zip_t, ZipDiscard> archive(raw_archive);

  for (const ZipEntry& entry : entries) {
    // The data must stay alive until zip_close: it is read from `entries` then.
    zip_source_t* source =
        zip_source_buffer(archive.get(), entry.data.data(), entry.data.size(), 0);
    if (source == nullptr) return ZipError("add " + entry.name, zip_get_error(archive.get()));
    zip_int64_t index = zip_file_add(archive.get(), entry.name.c_str(), source,
                                     ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
    if (index < 0) {
      zip_source_free(source);
      return ZipError("add " + entry.name, zip_get_error(archive.get()));
    }
    auto i = static_cast<zip_uint64_t>(index);
    zip_uint32_t attributes = (static_cast<zip_uint32_t>(S_IFREG) | (entry.unix_mode & 07777))
                              << 16;
    if (zip_file_set_external_attributes(archive.get(), i, 0, ZIP_OPSYS_UNIX, attributes) < 0 ||
        zip_file_set_mtime(archive.get(), i, kZipEntryTime, 0) < 0 ||
        zip_set_file_compression(archive.get(), i, ZIP_CM_DEFLATE, 1) <
            0) {  // fast: 10x less time, ~5% bigger
      return ZipError("set attributes of " + entry.name, zip_get_error(archive.get()));
    }
  }
  if (zip_close(archive.get()) < 0) return ZipError("close", zip_get_error(archive.get()));
  (void)archive.release();  // zip_close freed it
  return ReadZipSource(buffer.get());
}

StatusOr<std::string> FindGoToolchain(std::string_view path_env) {
  while (!path_env.empty()) {
    size_t colon = path_env.find(':');
    std::string_view dir = path_env.substr(0, colon);
    path_env = colon == std::string_view::npos ? std::string_view() : path_env.substr(colon + 1);
    if (dir.empty()) continue;
    std::string candidate = std::string(dir) + "/go";
    if (IsExecutableFile(candidate)) {
      std::error_code ec;
      std::filesystem::path absolute = std::filesystem::absolute(candidate, ec);
      return ec ? candidate : absolute.string();
    }
  }
  if (IsExecutableFile("/usr/local/go/bin/go")) return std::string("/usr/local/go/bin/go");
  return Status::NotFound("Go toolchain not found; install golang-go");
}

std::optional<std::string> GoArch(std::string_view lambda_arch) {
  if (lambda_arch == "x86_64") return "amd64";
  if (lambda_arch == "arm64") return "arm64";
  return std::nullopt;
}

StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                   const std::vector<std::string>& env, const std::string& cwd) {
  if (argv.empty()) return Status::InvalidArgument("RunProcess: empty argv");
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) < 0) return ErrnoStatus("pipe2", argv[0], errno);
  Fd read_end(pipe_fds[0]);
  Fd write_end(pipe_fds[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 clears O_CLOEXEC on the child's copies; the originals close at exec.
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDERR_FILENO);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (const std::string& var : env) envp.push_back(const_cast<char*>(var.c_str()));
  envp.push_back(nullptr);

  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return ErrnoStatus("posix_spawn", argv[0], rc);
  write_end.Reset();  // so that reading sees EOF when the child exits

  ProcessResult result;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(read_end.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    // Keep draining past the cap so the child never blocks on a full pipe.
    if (result.output.size() < kMaxProcessOutput) result.output.append(buf, static_cast<size_t>(n));
  }
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0) {
    if (errno != EINTR) return ErrnoStatus("waitpid", argv[0], errno);
  }
  if (WIFEXITED(wait_status)) {
    result.exit_code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    result.exit_code = 128 + WTERMSIG(wait_status);
  }
  return result;
}

std::vector<std::string> MergeEnvironment(const std::vector<std::string>& overrides) {
  std::map<std::string, size_t> position;
  std::vector<std::string> out;
  auto Put = [&](const std::string& var) {
    std::string key = var.substr(0, var.find('='));
    auto [it, inserted] = position.emplace(key, out.size());
    if (inserted) {
      out.push_back(var);
    } else {
      out[it->second] = var;
    }
  };
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) Put(*e);
  for (const std::string& var : overrides) Put(var);
  return out;
}

StatusOr<std::string> BuildGoBootstrapZip(const std::string& package_dir, std::string_view arch) {
  MechanismBuild native;
  native.runtime = kDefaultRuntime;
  native.handler = "bootstrap";
  return BuildGoZip(package_dir, arch, native);
}

StatusOr<MechanismBuild> MechanismBuildFor(const std::string& mechanism) {
  MechanismBuild b;
  b.runtime = kDefaultRuntime;
  if (mechanism == "runtime-api") {
    b.handler = "bootstrap";
  } else if (mechanism == "go1.x") {
    b.runtime = "go1.x";
    b.handler = "handler";
    b.norpc = false;
  } else if (mechanism == "spawn" || mechanism == "http-sidecar") {
    b.handler = "handler";
  } else if (mechanism == "shim") {
    b.handler = "handler.so";
    b.c_shared = true;
  } else {
    return Status::InvalidArgument("unknown mechanism '" + mechanism +
                                   "'; use runtime-api, go1.x, spawn, http-sidecar or shim");
  }
  return b;
}

StatusOr<std::string> BuildGoZip(const std::string& package_dir, std::string_view arch,
                                 const MechanismBuild& build) {
  std::optional<std::string> go_arch = GoArch(arch);
  if (!go_arch) {
    return Status::InvalidArgument("unknown architecture '" + std::string(arch) +
                                   "'; use x86_64 or arm64");
  }
  const char* path_env = std::getenv("PATH");
  THAW_ASSIGN_OR_RETURN(std::string go, FindGoToolchain(path_env ? path_env : ""));
  THAW_ASSIGN_OR_RETURN(std::unique_ptr<TempDir> temp, TempDir::Create());
  std::string output = temp->path() + "/" + build.handler;

  std::vector<std::string> overrides = {build.c_shared ? "CGO_ENABLED=1" : "CGO_ENABLED=0",
                                        "GOOS=linux", "GOARCH=" + *go_arch};
  // Without HOME, go has no default build or module cache; give it private ones.
  if (std::getenv("HOME") == nullptr) {
    if (!std::getenv("GOCACHE") && !std::getenv("XDG_CACHE_HOME")) {
      overrides.push_back("GOCACHE=" + temp->path() + "/gocache");
    }
    if (!std::getenv("GOPATH") && !std::getenv("GOMODCACHE")) {
      overrides.push_back("GOPATH=" + temp->path() + "/gopath");
    }
  }
  // -s drops the symbol table only; Go's stack traces come from pclntab and stay intact.
  std::vector<std::string> argv = {go, "build"};
  if (build.norpc) argv.insert(argv.end(), {"-tags", "lambda.norpc"});
  if (build.c_shared) argv.push_back("-buildmode=c-shared");
  argv.insert(argv.end(), {"-trimpath", "-ldflags=-s", "-o", output, "."});
  THAW_ASSIGN_OR_RETURN(ProcessResult built,
                        RunProcess(argv, MergeEnvironment(overrides), package_dir));
  if (built.exit_code != 0) {
    std::string text = built.output;
    while (!text.empty() && text.back() == '\n') text.pop_back();
    return Status::FailedPrecondition("go build in " + package_dir + " failed (exit " +
                                      std::to_string(built.exit_code) + "):\n" + text);
  }
  THAW_ASSIGN_OR_RETURN(std::string binary, ReadFileOrStdin(output));
  return BuildZip({ZipEntry{build.handler, std::move(binary), build.c_shared ? 0644u : 0755u}});
}

// ---- Deploy ----------------------------------------------------------------------------------

StatusOr<std::optional<json>> FindFunction(http::Client& client, const std::string& name) {
  THAW_ASSIGN_OR_RETURN(http::Response response, Send(client, "GET", FunctionTarget(name)));
  if (response.status == 404) {
    AwsError error = ParseAwsError(response);
    if (error.type.empty() || error.type == "ResourceNotFoundException") {
      return std::optional<json>();
    }
  }
  THAW_RETURN_IF_ERROR(ResponseStatus(response));
  json body = json::parse(response.body, nullptr, false);
  if (!body.is_object() || !body.contains("Configuration")) {
    return Status::Internal("GetFunction " + name + " answered without a Configuration");
  }
  return std::optional<json>(std::move(body["Configuration"]));
}

std::string ResolveArchitecture(const std::optional<std::string>& requested,
                                const std::optional<json>& existing) {
  if (requested) return *requested;
  if (existing && existing->is_object()) {
    auto it = existing->find("Architectures");
    if (it != existing->end() && it->is_array() && !it->empty() && (*it)[0].is_string()) {
      return (*it)[0].get<std::string>();
    }
  }
  return "x86_64";
}

StatusOr<DeployResult> DeployFunction(http::Client& client, const DeploySpec& spec,
                                      const std::optional<json>& existing, std::ostream* progress) {
  auto Say = [&](const std::string& line) {
    if (progress != nullptr) *progress << line << "\n";
  };
  DeployResult result;
  json code_answer;
  std::string zip_base64 = Base64Encode(spec.zip);
  if (!existing) {
    json body = {{"FunctionName", spec.name}, {"Runtime", spec.runtime},
                 {"Role", kLocalRole},        {"Handler", spec.handler},
                 {"PackageType", "Zip"},      {"Code", {{"ZipFile", zip_base64}}}};
    if (NeedsMechanismTag(spec)) body["Tags"] = {{"thaw:mechanism", *spec.mechanism}};
    if (spec.memory_mb) body["MemorySize"] = *spec.memory_mb;
    if (spec.timeout_s) body["Timeout"] = *spec.timeout_s;
    if (spec.environment) body["Environment"] = EnvironmentJson(*spec.environment);
    if (spec.architecture) body["Architectures"] = json::array({*spec.architecture});
    Say("creating function " + spec.name);
    THAW_ASSIGN_OR_RETURN(code_answer, CallJson(client, "POST", kFunctionsPath, &body));
    result.created = true;
  } else {
    // A previous deploy may still be settling; AWS refuses updates until it has.
    THAW_RETURN_IF_ERROR(WaitUntilSettled(client, spec));
    json body = {{"ZipFile", zip_base64}};
    if (spec.architecture) body["Architectures"] = json::array({*spec.architecture});
    const std::string tags_target =
        "/2017-03-31/tags/" + http::PercentEncode(JsonString(*existing, "FunctionArn"));
    if (spec.mechanism) {
      // Untagged first: Runtime go1.x refuses any other thaw:mechanism tag.
      THAW_RETURN_IF_ERROR(
          CallJson(client, "DELETE", tags_target + "?tagKeys=thaw%3Amechanism").status());
    }
    Say("updating code of " + spec.name);
    THAW_ASSIGN_OR_RETURN(code_answer,
                          CallJson(client, "PUT", FunctionTarget(spec.name, "/code"), &body));
    if (HasConfiguration(spec)) {
      THAW_RETURN_IF_ERROR(WaitUntilSettled(client, spec));
      json config = json::object();
      if (spec.memory_mb) config["MemorySize"] = *spec.memory_mb;
      if (spec.timeout_s) config["Timeout"] = *spec.timeout_s;
      if (spec.environment) config["Environment"] = EnvironmentJson(*spec.environment);
      if (spec.runtime_given) config["Runtime"] = spec.runtime;
      if (spec.mechanism) {
        config["Handler"] = spec.handler;
        config["Runtime"] = spec.runtime;
      }
      Say("updating configuration of " + spec.name);
      THAW_RETURN_IF_ERROR(
          CallJson(client, "PUT", FunctionTarget(spec.name, "/configuration"), &config).status());
    }
    if (NeedsMechanismTag(spec)) {
      json tags = {{"Tags", {{"thaw:mechanism", *spec.mechanism}}}};
      Say("tagging " + spec.name + " thaw:mechanism=" + *spec.mechanism);
      THAW_RETURN_IF_ERROR(CallJson(client, "POST", tags_target, &tags).status());
    }
  }
  result.code_sha256 = JsonString(code_answer, "CodeSha256");
  result.code_size = JsonInt(code_answer, "CodeSize", static_cast<int64_t>(spec.zip.size()));
  // Return only once the function can be invoked (and published).
  THAW_RETURN_IF_ERROR(WaitUntilSettled(client, spec));
  if (spec.publish) {
    json empty = json::object();
    THAW_ASSIGN_OR_RETURN(json version,
                          CallJson(client, "POST", FunctionTarget(spec.name, "/versions"), &empty));
    result.version = JsonString(version, "Version");
    if (result.version.empty())
      return Status::Internal("PublishVersion answered without a Version");
  }
  return result;
}

std::string FormatDeploySummary(const std::string& name, const DeployResult& result) {
  return "deployed " + name + (result.created ? " (created)" : " (updated)") +
         ": CodeSha256=" + result.code_sha256 + " CodeSize=" + std::to_string(result.code_size) +
         " Version=" + result.version;
}

// ---- Listing and printing --------------------------------------------------------------------

StatusOr<std::vector<json>> ListAllFunctions(http::Client& client) {
  std::vector<json> functions;
  std::string marker;
  for (int page = 0; page < kMaxListPages; ++page) {
    std::string target = std::string(kFunctionsPath) + "/?MaxItems=50";
    if (!marker.empty()) target += "&Marker=" + http::PercentEncode(marker);
    THAW_ASSIGN_OR_RETURN(json answer, CallJson(client, "GET", target));
    if (!answer.is_object()) return Status::Internal("ListFunctions answered with a non-object");
    auto it = answer.find("Functions");
    if (it != answer.end() && it->is_array()) {
      for (const json& function : *it) functions.push_back(function);
    }
    std::string next = JsonString(answer, "NextMarker");
    if (next.empty()) return functions;
    if (next == marker) return Status::Internal("ListFunctions repeated NextMarker " + next);
    marker = std::move(next);
  }
  return Status::Internal("ListFunctions did not finish after " + std::to_string(kMaxListPages) +
                          " pages");
}

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  return profile::FormatLeftAligned(rows);
}

std::string FormatFunctionTable(const std::vector<json>& functions) {
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "RUNTIME", "MEMORY", "TIMEOUT", "LAST MODIFIED"}};
  for (const json& f : functions) {
    auto Number = [&](std::string_view key, std::string_view unit) {
      int64_t v = JsonInt(f, key, -1);
      return v < 0 ? std::string("-") : std::to_string(v) + " " + std::string(unit);
    };
    std::string runtime = JsonString(f, "Runtime");
    std::string modified = JsonString(f, "LastModified");
    rows.push_back({JsonString(f, "FunctionName"), runtime.empty() ? "-" : runtime,
                    Number("MemorySize", "MB"), Number("Timeout", "s"),
                    modified.empty() ? "-" : modified});
  }
  std::sort(rows.begin() + 1, rows.end());
  return FormatTable(rows);
}

void PrintLine(std::ostream& out, std::string_view text) {
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  if (!text.empty() && text.back() != '\n') out.put('\n');
  out.flush();
}

}  // namespace thaw::cli
