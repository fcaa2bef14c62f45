#include "runtime_api/peer_check.h"

#include <algorithm>
#include <list>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/log.h"
#include "sys/process_info.h"

namespace thaw::runtime_api {

namespace asio = boost::asio;

namespace {

// A check waiting for the sock_diag answer.
struct NetlinkWait {
  NetlinkWait(asio::io_context& io, int fd) : socket(io, fd), timer(io) {}
  asio::posix::stream_descriptor socket;
  asio::steady_timer timer;
};

// A check waiting for the environment's processes to be known.
struct ProcessWait {
  explicit ProcessWait(asio::io_context& io) : timer(io) {}
  uint64_t inode = 0;
  std::function<void(bool)> done;
  asio::steady_timer timer;
};

}  // namespace

struct PeerCheck::State {
  PeerCheck* owner = nullptr;  // null once the PeerCheck is gone
  std::list<std::shared_ptr<ProcessWait>> waiting;
};

PeerCheck::PeerCheck(asio::io_context& io, MembersFn members)
    : io_(io), members_(std::move(members)), state_(std::make_shared<State>()) {
  state_->owner = this;
}

PeerCheck::~PeerCheck() {
  state_->owner = nullptr;
  for (auto& w : state_->waiting) w->timer.cancel();
  state_->waiting.clear();
}

void PeerCheck::Check(const http::ConnectionInfo& info, std::function<void(bool)> done) {
  auto refuse = [&](const Status& s) {
    THAW_LOG(kWarn, "env") << "runtime API peer lookup failed: " << s.ToString();
    done(false);
  };
  auto query = sys::SendSocketInodeQuery(info.peer_address, info.peer_port, info.local_port);
  if (!query.ok()) return refuse(query.status());
  auto inode = sys::ReadSocketInodeReply(query->get());
  if (!inode.ok()) return refuse(inode.status());
  if (*inode) return Match(**inode, std::move(done));
  // The kernel answers within the query as a rule; if not, wait for it on the loop.
  auto wait = std::make_shared<NetlinkWait>(io_, query->Release());
  wait->timer.expires_after(std::chrono::milliseconds(kWaitMs));
  wait->timer.async_wait([wait](boost::system::error_code ec) {
    if (!ec) wait->socket.cancel();
  });
  std::weak_ptr<State> weak = state_;
  wait->socket.async_wait(
      asio::posix::stream_descriptor::wait_read,
      [wait, weak, done = std::move(done)](boost::system::error_code ec) mutable {
        wait->timer.cancel();
        auto state = weak.lock();
        if (!state || !state->owner) return;
        if (ec) {
          THAW_LOG(kWarn, "env") << "runtime API peer lookup: no sock_diag answer";
          return done(false);
        }
        auto reply = sys::ReadSocketInodeReply(wait->socket.native_handle());
        if (!reply.ok() || !*reply) return done(false);
        state->owner->Match(**reply, std::move(done));
      });
}

void PeerCheck::Match(uint64_t inode, std::function<void(bool)> done) {
  if (known_members_.empty()) {
    known_members_ = members_();
    ++member_reads_;
  }
  if (known_members_.empty()) {
    // Connected before the spawn's answer told us the pid: wait for it, without blocking.
    auto wait = std::make_shared<ProcessWait>(io_);
    wait->inode = inode;
    wait->done = std::move(done);
    state_->waiting.push_back(wait);
    std::weak_ptr<State> weak = state_;
    wait->timer.expires_after(std::chrono::milliseconds(kWaitMs));
    wait->timer.async_wait([weak, wait](boost::system::error_code ec) {
      auto state = weak.lock();
      if (ec || !state) return;
      auto it = std::find(state->waiting.begin(), state->waiting.end(), wait);
      if (it == state->waiting.end()) return;
      state->waiting.erase(it);
      wait->done(false);
    });
    return;
  }
  done(Holder(inode) != 0);
}

pid_t PeerCheck::Holder(uint64_t inode) {
  std::vector<pid_t> scanned;
  auto scan = [&](pid_t pid) {
    if (std::find(scanned.begin(), scanned.end(), pid) != scanned.end()) return false;
    scanned.push_back(pid);
    ++fd_scans_;
    return sys::ProcessHoldsSocket(pid, inode);
  };
  // The process that opened the last connection most likely opened this one.
  if (last_holder_ > 0 &&
      std::find(known_members_.begin(), known_members_.end(), last_holder_) !=
          known_members_.end() &&
      scan(last_holder_)) {
    return last_holder_;
  }
  for (int pass = 0; pass < 2; ++pass) {
    for (pid_t pid : known_members_) {
      if (scan(pid)) {
        last_holder_ = pid;
        return pid;
      }
    }
    // A process started since the list was read: read it again, once.
    if (pass == 0) {
      known_members_ = members_();
      ++member_reads_;
    }
  }
  return 0;
}

void PeerCheck::ProcessesKnown() { FinishWaiting(true); }

void PeerCheck::ProcessesGone() { FinishWaiting(false); }

void PeerCheck::FinishWaiting(bool known) {
  known_members_.clear();
  last_holder_ = 0;
  auto waiting = std::move(state_->waiting);
  state_->waiting.clear();
  for (auto& w : waiting) {
    w->timer.cancel();
    if (known) {
      Match(w->inode, std::move(w->done));
    } else {
      w->done(false);
    }
  }
}

}  // namespace thaw::runtime_api
