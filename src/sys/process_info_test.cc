#include "sys/process_info.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include <gtest/gtest.h>

#include "sys/peer_socket.h"
#include "sys/unique_fd.h"

namespace thaw::sys {
namespace {

TEST(ProcessInfoTest, PeakRssGrowsWithTouchedMemory) {
  auto before = PeakRssKib(getpid());
  ASSERT_TRUE(before.ok());
  std::vector<char> block(64 << 20, 1);
  for (size_t i = 0; i < block.size(); i += 4096) block[i] = static_cast<char>(i);
  auto after = PeakRssKib(getpid());
  ASSERT_TRUE(after.ok());
  EXPECT_GE(*after, *before + int64_t{60} * 1024);
  EXPECT_FALSE(PeakRssKib(999999999).ok());
}

TEST(ProcessInfoTest, PeakRssReaderMatchesOneShotRead) {
  PeakRssReader reader(getpid());
  ASSERT_TRUE(reader.valid());
  auto a = reader.Read();
  ASSERT_TRUE(a.ok());
  auto b = PeakRssKib(getpid());
  ASSERT_TRUE(b.ok());
  EXPECT_NEAR(static_cast<double>(*a), static_cast<double>(*b), 1024);
  EXPECT_FALSE(PeakRssReader(999999999).valid());
}

TEST(ProcessInfoTest, OwnGroupContainsSelf) {
  auto members = ProcessGroupMembers(getpgrp());
  EXPECT_NE(std::find(members.begin(), members.end(), getpid()), members.end());
}

TEST(ProcessInfoTest, GroupIncludesTheLeadersChildrenInGroupsOfTheirOwn) {
  // As a sandbox's extensions: children of the group leader that made their own group.
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    setpgid(0, 0);
    pause();
    _exit(0);
  }
  setpgid(child, child);  // no race with the child's own call
  auto members = ProcessGroupMembers(getpid());
  bool found = std::find(members.begin(), members.end(), child) != members.end();
  auto strangers = ProcessGroupMembers(child + 1000000);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_TRUE(found);
  EXPECT_TRUE(strangers.empty());
}

TEST(ProcessInfoTest, ProcessTreeHasDescendantsInAnyGroupAndNoStrangers) {
  // A child in a group of its own, and its child (what a daemonizing extension makes).
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    setpgid(0, 0);
    pid_t grandchild = fork();
    if (grandchild == 0) {
      pause();
      _exit(0);
    }
    (void)!write(ready[1], &grandchild, sizeof grandchild);
    pause();
    _exit(0);
  }
  pid_t grandchild = 0;
  ASSERT_EQ(read(ready[0], &grandchild, sizeof grandchild),
            static_cast<ssize_t>(sizeof grandchild));
  close(ready[0]);
  close(ready[1]);
  auto tree = ProcessTree(getpid());
  auto has = [&](pid_t p) { return std::find(tree.begin(), tree.end(), p) != tree.end(); };
  bool self = has(getpid()), found_child = has(child), found_grandchild = has(grandchild);
  bool parent = has(getppid());
  auto child_tree = ProcessTree(child);
  kill(grandchild, SIGKILL);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_TRUE(self);
  EXPECT_TRUE(found_child);
  EXPECT_TRUE(found_grandchild);
  EXPECT_FALSE(parent);
  EXPECT_EQ(child_tree, (std::vector<pid_t>{child, grandchild}));
  EXPECT_TRUE(ProcessTree(999999999).empty());
}

TEST(ProcessInfoTest, FindsTheOwnerOfALoopbackConnection) {
  UniqueFd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener.get(), 1), 0);
  socklen_t len = sizeof addr;
  getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  uint16_t server_port = ntohs(addr.sin_port);

  UniqueFd client(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  sockaddr_in local{};
  len = sizeof local;
  getsockname(client.get(), reinterpret_cast<sockaddr*>(&local), &len);

  auto inode = LoopbackSocketInode("127.0.0.1", ntohs(local.sin_port), server_port);
  ASSERT_TRUE(inode.ok()) << inode.status().ToString();
  EXPECT_TRUE(ProcessHoldsSocket(getpid(), *inode));
  EXPECT_FALSE(ProcessHoldsSocket(getppid(), *inode));
  EXPECT_FALSE(LoopbackSocketInode("127.0.0.1", 1, server_port).ok());

  // The two halves: the query never waits; the answer is read when it is there.
  auto query = SendSocketInodeQuery("127.0.0.1", ntohs(local.sin_port), server_port);
  ASSERT_TRUE(query.ok()) << query.status().ToString();
  std::optional<uint64_t> answer;
  for (int i = 0; i < 100 && !answer; ++i) {
    auto reply = ReadSocketInodeReply(query->get());
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    answer = *reply;
    if (!answer) usleep(1000);
  }
  EXPECT_EQ(answer, std::optional<uint64_t>(*inode));

  // The front door's lookup: the same socket whatever it knows of its own address, with the
  // socket's owner, and this process as its holder.
  uint16_t peer_port = ntohs(local.sin_port);
  for (const char* own : {"127.0.0.1", "0.0.0.0", "", "::"}) {
    auto peer = FindPeerSocket("127.0.0.1", peer_port, own, server_port);
    ASSERT_TRUE(peer.ok()) << own << ": " << peer.status().ToString();
    EXPECT_EQ(peer->inode, *inode) << own;
    EXPECT_EQ(peer->uid, getuid()) << own;
  }
  auto mapped = FindPeerSocket("::ffff:127.0.0.1", peer_port, "::", server_port);
  ASSERT_TRUE(mapped.ok()) << mapped.status().ToString();
  EXPECT_EQ(mapped->inode, *inode);
  EXPECT_EQ(FindPeerSocket("127.0.0.1", 1, "", server_port).status().code(), StatusCode::kNotFound);
  // One finder, many lookups (its netlink socket is kept).
  PeerSocketFinder finder;
  for (int i = 0; i < 3; ++i) {
    auto again = finder.Find("127.0.0.1", peer_port, "0.0.0.0", server_port);
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(again->inode, *inode);
    EXPECT_FALSE(finder.Find("127.0.0.1", 1, "", server_port).ok());
  }
  auto holder = FindSocketHolder(*inode, getuid());
  ASSERT_TRUE(holder.ok()) << holder.status().ToString();
  EXPECT_EQ(holder->pid, getpid());
  EXPECT_EQ(holder->pgrp, getpgrp());
  EXPECT_FALSE(FindSocketHolder(*inode, getuid() + 12345).ok());
}

// A connection between two loopback addresses that are neither the listener's known address
// nor 127.0.0.1: found by listing every socket.
TEST(ProcessInfoTest, FindsAPeerBetweenOtherLoopbackAddresses) {
  UniqueFd listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.2", &addr.sin_addr);
  ASSERT_EQ(bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener.get(), 1), 0);
  socklen_t len = sizeof addr;
  getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  UniqueFd client(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in from{};
  from.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.3", &from.sin_addr);
  ASSERT_EQ(bind(client.get(), reinterpret_cast<sockaddr*>(&from), sizeof from), 0);
  ASSERT_EQ(connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  len = sizeof from;
  getsockname(client.get(), reinterpret_cast<sockaddr*>(&from), &len);
  struct stat st {};
  ASSERT_EQ(fstat(client.get(), &st), 0);
  PeerSocketFinder finder;
  auto peer = finder.Find("127.0.0.3", ntohs(from.sin_port), "", ntohs(addr.sin_port));
  ASSERT_TRUE(peer.ok()) << peer.status().ToString();
  EXPECT_EQ(peer->inode, st.st_ino);
  auto exact = finder.Find("127.0.0.3", ntohs(from.sin_port), "127.0.0.2", ntohs(addr.sin_port));
  ASSERT_TRUE(exact.ok()) << exact.status().ToString();
  EXPECT_EQ(exact->inode, st.st_ino);
}

}  // namespace
}  // namespace thaw::sys
