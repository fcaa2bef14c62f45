#include "cli/run_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <map>

#include "sys/unique_fd.h"

extern char** environ;

namespace thaw::cli {

namespace {

constexpr size_t kMaxProcessOutput = 4 << 20;

bool IsExecutableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::optional<std::string> FindOnPath(std::string_view name, std::string_view path_env) {
  while (!path_env.empty()) {
    size_t colon = path_env.find(':');
    std::string_view dir = path_env.substr(0, colon);
    path_env = colon == std::string_view::npos ? std::string_view() : path_env.substr(colon + 1);
    if (dir.empty()) continue;
    std::string candidate = std::string(dir) + "/" + std::string(name);
    if (IsExecutableFile(candidate)) {
      std::error_code ec;
      std::filesystem::path absolute = std::filesystem::absolute(candidate, ec);
      return ec ? candidate : absolute.string();
    }
  }
  return std::nullopt;
}

StatusOr<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                   const std::vector<std::string>& env, const std::string& cwd) {
  if (argv.empty()) return Status::InvalidArgument("RunProcess: empty argv");
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) < 0) return ErrnoStatus("pipe2", argv[0], errno);
  sys::UniqueFd read_end(pipe_fds[0]);
  sys::UniqueFd write_end(pipe_fds[1]);

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

}  // namespace thaw::cli
