// The latency experiment's stand-in for an EC2 host (docs/latency.md): a network namespace of its
// own (`ip netns add`), joined to the host namespace (where functions run by default) by a veth
// pair with a /30 of 10.213.0.0/16, and latency-host listening inside it (`ip netns exec`).
// TestHost owns all of it: its destructor kills the server and deletes the namespace and the
// link, also after an error. Needs root and iproute2. Thread-compatible; the process that starts
// one must not be multi-threaded while it does (it forks).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace thaw::cli {

// Names and addresses of one test host, derived from the driver's pid so that two runs at once
// do not collide: namespace thaw-lat-PID, links thlPIDh (host side) and thlPIDn (inside).
struct TestHostNames {
  std::string netns;
  std::string host_link;
  std::string ns_link;
  std::string host_address;  // 10.213.X.Y/30 on host_link
  std::string ns_address;    // the next address, on ns_link; latency-host listens there
  std::string ns_ip;         // ns_address without the prefix length
};
TestHostNames NamesForPid(pid_t pid);

// Namespaces in `names` (the entries of /run/netns) named thaw-lat-PID whose PID is not alive
// by `alive`: left over by a run that was killed with SIGKILL.
std::vector<std::string> StaleNamespaces(const std::vector<std::string>& names,
                                         bool (*alive)(pid_t));

struct TestHostOptions {
  std::string ip_binary;    // iproute2's ip (absolute)
  std::string host_binary;  // latency-host (absolute)
  int port = 8080;
  int64_t offset_ns = 0;
  double drift_ppm = 0;
  int64_t epoch_ns = 0;
  int ready_timeout_ms = 5000;
};

class TestHost {
 public:
  // Creates the namespace and the link, starts latency-host and waits until it answers from the
  // host namespace. PermissionDenied without root; FailedPrecondition when a step fails (with
  // the command's output); DeadlineExceeded when the server does not answer. Whatever was made
  // before a failure is removed again.
  static StatusOr<std::unique_ptr<TestHost>> Start(const TestHostOptions& options);
  ~TestHost();
  TestHost(const TestHost&) = delete;
  TestHost& operator=(const TestHost&) = delete;

  // http://10.213.X.Y:PORT/
  const std::string& url() const { return url_; }
  const TestHostNames& names() const { return names_; }

 private:
  explicit TestHost(TestHostOptions options);
  Status Create();
  Status Launch();
  Status WaitReady();
  void TearDown();

  TestHostOptions options_;
  TestHostNames names_;
  std::string url_;
  std::string log_path_;
  bool netns_made_ = false;
  bool link_made_ = false;
  pid_t pid_ = -1;
};

// /usr/sbin/ip, /sbin/ip, /usr/bin/ip or /bin/ip, the first that is executable; NotFound
// ("install iproute2") otherwise.
StatusOr<std::string> FindIpBinary();

// Removes StaleNamespaces of /run/netns with `ip netns del` (and their host links). Best effort.
void RemoveStaleTestHosts(const std::string& ip_binary);

}  // namespace thaw::cli
