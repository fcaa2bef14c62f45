// PeerCheck: decides whether a connection to one environment's Runtime API comes from one of
// that environment's processes (the peer socket, found with sock_diag, must be open in one of
// them), without blocking the loop: the sock_diag answer is awaited on the loop, and a check
// that arrives before the environment's processes are known waits for them. The cost is
// O(the environment's processes): the member list comes from the environment (its cgroup or
// its process tree), is kept between checks, and the process that held the last accepted
// socket is looked at first. Loop thread only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "http/server.h"

namespace boost::asio {
class io_context;
}

namespace thaw::runtime_api {

class PeerCheck {
 public:
  // `members` lists the host pids of the environment's processes; empty while none are known
  // (the spawn's answer has not come yet). Called on the loop thread.
  using MembersFn = std::function<std::vector<pid_t>()>;
  // How long a check may wait for the sock_diag answer or for the processes to be known.
  static constexpr int64_t kWaitMs = 2000;

  PeerCheck(boost::asio::io_context& io, MembersFn members);
  PeerCheck(const PeerCheck&) = delete;
  PeerCheck& operator=(const PeerCheck&) = delete;
  ~PeerCheck();  // drops unfinished checks (their connections are closed)

  // Calls `done` once, now or later on the loop, with whether the peer is one of ours.
  void Check(const http::ConnectionInfo& info, std::function<void(bool)> done);
  // The environment's processes are known now (spawned): finish the checks waiting for them.
  void ProcessesKnown();
  // The environment's processes are gone (reset, stopped): forget them; waiting checks fail.
  void ProcessesGone();

  // Counters for tests: member list reads, and /proc/PID/fd scans.
  int member_reads() const { return member_reads_; }
  int fd_scans() const { return fd_scans_; }

 private:
  struct State;
  struct Waiting {
    uint64_t inode = 0;
    std::function<void(bool)> done;
  };
  void Match(uint64_t inode, std::function<void(bool)> done);
  // Forgets the processes and finishes every waiting check: matched again when `known`, else
  // failed.
  void FinishWaiting(bool known);
  // The environment process holding socket `inode`, or 0.
  pid_t Holder(uint64_t inode);

  boost::asio::io_context& io_;
  MembersFn members_;
  std::shared_ptr<State> state_;  // shared with pending asynchronous waits
  std::vector<pid_t> known_members_;
  pid_t last_holder_ = 0;
  int member_reads_ = 0;
  int fd_scans_ = 0;
};

}  // namespace thaw::runtime_api
