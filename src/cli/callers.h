// Callers: who sent a front-door request, found from its connection and never from the key it
// was signed with. The client's socket is looked up with NETLINK_SOCK_DIAG: a socket owned by
// the sandbox user (uid 993) is a sandboxed function's, matched to its environment through the
// process holding it; a socket of the server's own user is checked against the environments
// that run as that user (no sandbox); anything else is the operator. Loop thread only.
#pragma once

#include <string>
#include <unordered_map>

#include "auth/access.h"
#include "http/message.h"
#include "invoker/invoker.h"
#include "sys/peer_socket.h"

namespace thaw::cli {

// Lambda's sbx_user1051, the uid sandboxed functions run as (thaw-launcher's kSandboxUid).
inline constexpr uint32_t kSandboxUid = 993;

class Callers {
 public:
  // `invoker` must outlive this object. `listen_host` is the front door's --listen host.
  Callers(const invoker::Invoker& invoker, std::string listen_host, bool functions_may_manage);
  auth::Caller Identify(const http::Request& request) const;

 private:
  auth::Caller FunctionCaller(const invoker::Environment* env) const;
  auth::Caller Remember(uint64_t inode, auth::Caller caller) const;

  const invoker::Invoker& invoker_;
  mutable sys::PeerSocketFinder finder_;
  // Who holds a socket, by inode, found once per connection: finding a sandbox's process scans
  // /proc (about a millisecond), the socket lookup alone costs microseconds. Bounded.
  mutable std::unordered_map<uint64_t, auth::Caller> known_;
  std::string listen_host_;
  bool functions_may_manage_;
  uint32_t own_uid_;
};

}  // namespace thaw::cli
