#include "cli/test_host.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>
#include <utility>

#include "cli/lambda_calls.h"
#include "cli/run_process.h"

namespace thaw::cli {

namespace {

constexpr char kPrefix[] = "thaw-lat-";
constexpr int kStopGraceMs = 1000;

// Runs ip with args; FailedPrecondition with its output when it fails.
Status Ip(const std::string& ip, std::vector<std::string> args) {
  args.insert(args.begin(), ip);
  THAW_ASSIGN_OR_RETURN(ProcessResult result, RunProcess(args, MergeEnvironment({}), "/"));
  if (result.exit_code == 0) return Status::Ok();
  std::string command;
  for (const std::string& a : args) command += (command.empty() ? "" : " ") + a;
  std::string output = result.output;
  while (!output.empty() && output.back() == '\n') output.pop_back();
  return Status::FailedPrecondition(command + ": exit " + std::to_string(result.exit_code) +
                                    (output.empty() ? "" : ": " + output));
}

bool PidAlive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

std::string Tail(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  std::string all = text.str();
  while (!all.empty() && all.back() == '\n') all.pop_back();
  return all.size() > 500 ? "..." + all.substr(all.size() - 500) : all;
}

}  // namespace

TestHostNames NamesForPid(pid_t pid) {
  TestHostNames n;
  std::string id = std::to_string(pid);
  n.netns = kPrefix + id;
  n.host_link = "thl" + id + "h";  // at most 3 + 7 + 1 characters: under IFNAMSIZ
  n.ns_link = "thl" + id + "n";
  // A /30 per pid inside 10.213.0.0/16: 16,384 of them.
  auto slot = static_cast<uint32_t>(pid) % 16384;
  uint32_t third = slot / 64;
  uint32_t fourth = (slot % 64) * 4;
  std::string base = "10.213." + std::to_string(third) + ".";
  n.host_address = base + std::to_string(fourth + 1) + "/30";
  n.ns_ip = base + std::to_string(fourth + 2);
  n.ns_address = n.ns_ip + "/30";
  return n;
}

std::vector<std::string> StaleNamespaces(const std::vector<std::string>& names,
                                         bool (*alive)(pid_t)) {
  std::vector<std::string> stale;
  for (const std::string& name : names) {
    std::string_view view(name);
    if (!view.starts_with(kPrefix)) continue;
    view.remove_prefix(std::strlen(kPrefix));
    pid_t pid = 0;
    auto [end, ec] = std::from_chars(view.data(), view.data() + view.size(), pid);
    if (ec != std::errc() || end != view.data() + view.size() || pid <= 0) continue;
    if (!alive(pid)) stale.push_back(name);
  }
  return stale;
}

StatusOr<std::string> FindIpBinary() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (::access(path, X_OK) == 0) return std::string(path);
  }
  return Status::NotFound("iproute2's ip is not installed (apt-get install iproute2)");
}

void RemoveStaleTestHosts(const std::string& ip_binary) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    names.push_back(entry.path().filename().string());
  }
  for (const std::string& name : StaleNamespaces(names, PidAlive)) {
    (void)Ip(ip_binary, {"netns", "del", name});
    std::string pid = name.substr(std::strlen(kPrefix));
    (void)Ip(ip_binary, {"link", "del", "thl" + pid + "h"});
  }
}

TestHost::TestHost(TestHostOptions options) : options_(std::move(options)) {
  names_ = NamesForPid(::getpid());
  url_ = "http://" + names_.ns_ip + ":" + std::to_string(options_.port) + "/";
  log_path_ = "/tmp/thaw-latency-host-" + std::to_string(::getpid()) + ".log";
}

StatusOr<std::unique_ptr<TestHost>> TestHost::Start(const TestHostOptions& options) {
  if (::geteuid() != 0) {
    return Status::PermissionDenied(
        "the test host needs root (ip netns add, a veth pair); run as root or use --via invoke");
  }
  std::unique_ptr<TestHost> host(new TestHost(options));
  THAW_RETURN_IF_ERROR(host->Create());
  THAW_RETURN_IF_ERROR(host->Launch());
  THAW_RETURN_IF_ERROR(host->WaitReady());
  return host;
}

Status TestHost::Create() {
  const std::string& ip = options_.ip_binary;
  THAW_RETURN_IF_ERROR(Ip(ip, {"netns", "add", names_.netns}));
  netns_made_ = true;
  THAW_RETURN_IF_ERROR(
      Ip(ip, {"link", "add", names_.host_link, "type", "veth", "peer", "name", names_.ns_link}));
  link_made_ = true;
  THAW_RETURN_IF_ERROR(Ip(ip, {"link", "set", names_.ns_link, "netns", names_.netns}));
  THAW_RETURN_IF_ERROR(Ip(ip, {"addr", "add", names_.host_address, "dev", names_.host_link}));
  THAW_RETURN_IF_ERROR(Ip(ip, {"link", "set", names_.host_link, "up"}));
  THAW_RETURN_IF_ERROR(Ip(ip, {"netns", "exec", names_.netns, ip, "addr", "add", names_.ns_address,
                               "dev", names_.ns_link}));
  THAW_RETURN_IF_ERROR(
      Ip(ip, {"netns", "exec", names_.netns, ip, "link", "set", names_.ns_link, "up"}));
  return Ip(ip, {"netns", "exec", names_.netns, ip, "link", "set", "lo", "up"});
}

Status TestHost::Launch() {
  std::vector<std::string> argv = {options_.ip_binary,
                                   "netns",
                                   "exec",
                                   names_.netns,
                                   options_.host_binary,
                                   "-listen",
                                   names_.ns_ip + ":" + std::to_string(options_.port),
                                   "-offset-ns",
                                   std::to_string(options_.offset_ns),
                                   "-drift-ppm",
                                   std::to_string(options_.drift_ppm),
                                   "-epoch-ns",
                                   std::to_string(options_.epoch_ns)};
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log < 0) return Status::IoError("open " + log_path_ + ": " + std::strerror(errno));
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(log);
    return Status::Internal(std::string("fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    // The server dies with the driver, even one killed with SIGKILL; a process group of its
    // own lets the destructor signal everything `ip netns exec` started.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::setpgid(0, 0);
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, STDIN_FILENO);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(log);
  pid_ = pid;
  return Status::Ok();
}

Status TestHost::WaitReady() {
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.ready_timeout_ms);
  Status last;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Status::FailedPrecondition("latency-host exited at start: " + Tail(log_path_));
    }
    StatusOr<std::unique_ptr<http::Client>> client = Connect(url_);
    if (client.ok()) {
      StatusOr<http::Response> answer = Send(**client, "GET", "/", "", {}, 1000);
      if (answer.ok() && answer->status == 200) return Status::Ok();
      last = answer.ok() ? Status::Internal("HTTP " + std::to_string(answer->status))
                         : answer.status();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::DeadlineExceeded("latency-host at " + url_ + " did not answer from the host " +
                                  "namespace: " + last.message() + "; its log: " + Tail(log_path_));
}

void TestHost::TearDown() {
  if (pid_ > 0) {
    ::kill(-pid_, SIGTERM);
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kStopGraceMs);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
  }
  // Deleting the namespace destroys the link inside it, and with it its peer.
  if (netns_made_) (void)Ip(options_.ip_binary, {"netns", "del", names_.netns});
  if (link_made_) {
    std::error_code ec;
    if (std::filesystem::exists("/sys/class/net/" + names_.host_link, ec)) {
      (void)Ip(options_.ip_binary, {"link", "del", names_.host_link});
    }
  }
  netns_made_ = link_made_ = false;
  std::error_code ec;
  std::filesystem::remove(log_path_, ec);
}

TestHost::~TestHost() { TearDown(); }

}  // namespace thaw::cli
