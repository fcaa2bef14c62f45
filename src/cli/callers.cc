#include "cli/callers.h"

#include <unistd.h>

#include "base/log.h"
#include "sys/process_info.h"

namespace thaw::cli {

Callers::Callers(const invoker::Invoker& invoker, std::string listen_host,
                 bool functions_may_manage)
    : invoker_(invoker),
      listen_host_(std::move(listen_host)),
      functions_may_manage_(functions_may_manage),
      own_uid_(static_cast<uint32_t>(geteuid())) {}

auth::Caller Callers::FunctionCaller(const invoker::Environment* env) const {
  auth::Caller caller;
  caller.kind = auth::Caller::Kind::kFunction;
  caller.may_manage = functions_may_manage_;
  if (env == nullptr) return caller;  // a sandbox process of no known environment
  const lambda::FunctionConfig& config = env->config();
  caller.function = config.name;
  caller.account = config.account;
  caller.role = auth::RoleName(config.role);
  auto tag = config.tags.find(auth::kControlPlaneTag);
  if (tag != config.tags.end() && tag->second == auth::kControlPlaneAllow) caller.may_manage = true;
  return caller;
}

auth::Caller Callers::Remember(uint64_t inode, auth::Caller caller) const {
  constexpr size_t kMaxKnown = 4096;
  if (inode == 0) return caller;
  if (known_.size() >= kMaxKnown) known_.clear();
  known_.emplace(inode, caller);
  return caller;
}

auth::Caller Callers::Identify(const http::Request& request) const {
  auto peer =
      finder_.Find(request.peer_address, request.peer_port, listen_host_, request.local_port);
  if (!peer.ok()) {
    // No socket of this host: the caller is on another machine, not in a function.
    if (peer.status().code() == StatusCode::kNotFound) return auth::Caller::Operator();
    THAW_LOG(kWarn, "front-door") << "cannot identify the caller at " << request.peer_address << ":"
                                  << request.peer_port << ": " << peer.status().ToString();
    return FunctionCaller(nullptr);  // fail closed: the data plane only
  }
  if (peer->inode != 0) {
    auto known = known_.find(peer->inode);
    if (known != known_.end()) return known->second;
  }
  if (peer->uid == kSandboxUid) {
    const invoker::Environment* env = nullptr;
    if (peer->inode != 0) {
      auto holder = sys::FindSocketHolder(peer->inode, kSandboxUid);
      if (holder.ok()) env = invoker_.SandboxedEnvironmentOf(holder->pgrp, holder->group_parent);
    }
    // An unmatched process (the environment not started yet) is not remembered: it may match
    // on its next request.
    return env ? Remember(peer->inode, FunctionCaller(env)) : FunctionCaller(nullptr);
  }
  if (peer->uid == own_uid_ && invoker_.HasUnsandboxedEnvironments()) {
    // A closed client's socket has no inode left: it cannot be told apart, so it is refused.
    if (peer->inode == 0) return FunctionCaller(nullptr);
    if (const invoker::Environment* env = invoker_.UnsandboxedEnvironmentHolding(peer->inode)) {
      return Remember(peer->inode, FunctionCaller(env));
    }
  }
  // Operators are not remembered: a socket of the server's user found in no environment now
  // may belong to one whose process the server has not seen yet.
  return auth::Caller::Operator();
}

}  // namespace thaw::cli
