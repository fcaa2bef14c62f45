// Reads facts about running processes and sockets from /proc and sock_diag netlink.
// Stateless and thread-safe; every call is a few short kernel reads that do not wait (except
// LoopbackSocketInode, which may wait up to 100 ms for the kernel's answer).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "sys/unique_fd.h"

namespace thaw::sys {

// Peak resident set size (VmHWM) of one process, in KiB.
StatusOr<int64_t> PeakRssKib(pid_t pid);

// Reads one process's VmHWM repeatedly through a descriptor kept open, so each sample is one
// pread(2) instead of open/read/close. Thread-compatible.
class PeakRssReader {
 public:
  PeakRssReader() = default;
  explicit PeakRssReader(pid_t pid);
  bool valid() const { return fd_ >= 0; }
  StatusOr<int64_t> Read() const;  // KiB
  PeakRssReader(PeakRssReader&& other) noexcept;
  PeakRssReader& operator=(PeakRssReader&& other) noexcept;
  PeakRssReader(const PeakRssReader&) = delete;
  PeakRssReader& operator=(const PeakRssReader&) = delete;
  ~PeakRssReader();

 private:
  int fd_ = -1;
};

// User+system CPU time of one process (its threads included, children excluded), in ns.
StatusOr<int64_t> CpuTimeNanos(pid_t pid);

// The processes whose process group is `pgid` (scans /proc), plus the leader's children that
// made groups of their own and those groups' members (a sandbox's external extensions run in
// groups of their own, so the SIGTERM for the runtime does not reach them).
// Costs a read of every process's /proc/PID/stat: not for a hot path.
std::vector<pid_t> ProcessGroupMembers(pid_t pgid);

// `root` and its descendants (from /proc/PID/task/TID/children), at most `limit` of them. Costs
// reads of those processes only. Empty when `root` is gone.
std::vector<pid_t> ProcessTree(pid_t root, size_t limit = 4096);

// The two halves of a sock_diag lookup, so a caller can wait for the answer without blocking:
// the first sends the query on a new non-blocking netlink socket, the second reads the answer
// from it, nullopt while there is none yet (wait for the socket to be readable).
StatusOr<UniqueFd> SendSocketInodeQuery(const std::string& peer_address, uint16_t peer_port,
                                        uint16_t local_port);
StatusOr<std::optional<uint64_t>> ReadSocketInodeReply(int netlink_fd);

// The inode of the TCP socket connected from peer_address:peer_port to 127.0.0.1:local_port,
// looked up through NETLINK_SOCK_DIAG (IPv4 loopback only).
StatusOr<uint64_t> LoopbackSocketInode(const std::string& peer_address, uint16_t peer_port,
                                       uint16_t local_port);

// True when one of `pid`'s open descriptors is the socket with this inode.
bool ProcessHoldsSocket(pid_t pid, uint64_t inode);

}  // namespace thaw::sys
