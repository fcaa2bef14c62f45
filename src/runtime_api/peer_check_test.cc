#include "runtime_api/peer_check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "sys/unique_fd.h"

namespace thaw::runtime_api {
namespace {

// A loopback listener and connections to it, as a Runtime API endpoint would see them.
class PeerCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    listener_ = sys::UniqueFd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(listener_.get(), 16), 0);
    socklen_t len = sizeof addr;
    getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    addr_ = addr;
  }
  void TearDown() override {
    for (pid_t p : children_) {
      kill(p, SIGKILL);
      waitpid(p, nullptr, 0);
    }
  }
  // Connects from this process; returns what the server side would know of it.
  http::ConnectionInfo ConnectFromHere() {
    clients_.emplace_back(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    EXPECT_EQ(
        connect(clients_.back().get(), reinterpret_cast<const sockaddr*>(&addr_), sizeof addr_), 0);
    sockaddr_in local{};
    socklen_t len = sizeof local;
    getsockname(clients_.back().get(), reinterpret_cast<sockaddr*>(&local), &len);
    http::ConnectionInfo info;
    info.peer_address = "127.0.0.1";
    info.peer_port = ntohs(local.sin_port);
    info.local_address = "127.0.0.1";
    info.local_port = ntohs(addr_.sin_port);
    return info;
  }
  pid_t Stranger() {
    pid_t p = fork();
    if (p == 0) {
      pause();
      _exit(0);
    }
    children_.push_back(p);
    return p;
  }

  boost::asio::io_context io_;
  sys::UniqueFd listener_;
  sockaddr_in addr_{};
  std::vector<sys::UniqueFd> clients_;
  std::vector<pid_t> children_;
  std::vector<pid_t> members_;
  PeerCheck check_{io_, [this] { return members_; }};
};

TEST_F(PeerCheckTest, AcceptsASocketHeldByAMember) {
  members_ = {Stranger(), getpid()};
  std::optional<bool> result;
  check_.Check(ConnectFromHere(), [&](bool ok) { result = ok; });
  io_.poll();
  EXPECT_EQ(result, std::optional<bool>(true));
}

TEST_F(PeerCheckTest, RefusesASocketNoMemberHolds) {
  // Another environment's process knows the port: its socket is held by us, not the members.
  members_ = {Stranger(), Stranger()};
  std::optional<bool> result;
  check_.Check(ConnectFromHere(), [&](bool ok) { result = ok; });
  io_.poll();
  EXPECT_EQ(result, std::optional<bool>(false));
  // Only the environment's processes were looked at (each at most once), and its member list
  // read at most twice (once more in case a process had just started).
  EXPECT_LE(check_.fd_scans(), 2);
  EXPECT_LE(check_.member_reads(), 2);
}

TEST_F(PeerCheckTest, RemembersWhoHeldTheLastSocket) {
  for (int i = 0; i < 5; ++i) members_.push_back(Stranger());
  members_.push_back(getpid());
  std::optional<bool> first, second;
  check_.Check(ConnectFromHere(), [&](bool ok) { first = ok; });
  io_.poll();
  int scans = check_.fd_scans(), reads = check_.member_reads();
  check_.Check(ConnectFromHere(), [&](bool ok) { second = ok; });
  io_.poll();
  EXPECT_EQ(first, std::optional<bool>(true));
  EXPECT_EQ(second, std::optional<bool>(true));
  EXPECT_EQ(check_.fd_scans() - scans, 1);  // straight to the holder
  EXPECT_EQ(check_.member_reads(), reads);  // no new member list
}

TEST_F(PeerCheckTest, WaitsForTheProcessesWithoutBlocking) {
  // The runtime connected before the spawn's answer gave its pid.
  std::optional<bool> result;
  check_.Check(ConnectFromHere(), [&](bool ok) { result = ok; });
  io_.poll();
  EXPECT_FALSE(result.has_value());
  members_ = {getpid()};
  check_.ProcessesKnown();
  EXPECT_EQ(result, std::optional<bool>(true));
}

TEST_F(PeerCheckTest, WaitingCheckFailsWhenTheProcessesGo) {
  std::optional<bool> result;
  check_.Check(ConnectFromHere(), [&](bool ok) { result = ok; });
  EXPECT_FALSE(result.has_value());
  check_.ProcessesGone();
  EXPECT_EQ(result, std::optional<bool>(false));
}

TEST_F(PeerCheckTest, WaitingCheckGivesUpAfterAWhile) {
  std::optional<bool> result;
  check_.Check(ConnectFromHere(), [&](bool ok) { result = ok; });
  io_.run_for(std::chrono::milliseconds(PeerCheck::kWaitMs + 500));
  EXPECT_EQ(result, std::optional<bool>(false));
}

}  // namespace
}  // namespace thaw::runtime_api
