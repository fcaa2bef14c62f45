// PeerSocketFinder: FindPeerSocket (sys/process_info.h) over one NETLINK_SOCK_DIAG socket kept
// open, for the front door, which looks up every request's client: opening and closing a netlink
// socket costs about as much as ten lookups. Implemented in process_info.cc. Thread-compatible.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "sys/process_info.h"
#include "sys/unique_fd.h"

namespace thaw::sys {

class PeerSocketFinder {
 public:
  StatusOr<PeerSocket> Find(const std::string& peer_address, uint16_t peer_port,
                            const std::string& local_address, uint16_t local_port);

 private:
  UniqueFd fd_;
  uint32_t seq_ = 0;
};

}  // namespace thaw::sys
