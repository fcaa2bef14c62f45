#include "sys/fd_passing.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "sys/unique_fd.h"

namespace thaw::sys {
namespace {

TEST(FdPassingTest, AFdTravelsWithItsMessage) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  UniqueFd a(pair[0]), b(pair[1]);
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);

  ASSERT_EQ(SendWithFd(a.get(), "hello", 5, write_end.get()), 5);
  write_end.Reset();  // the copy in flight keeps the pipe open
  char buf[16] = {};
  int fd = -1;
  ASSERT_EQ(ReceiveWithFd(b.get(), buf, sizeof buf, &fd), 5);
  EXPECT_STREQ(buf, "hello");
  ASSERT_GE(fd, 0);
  UniqueFd got(fd);
  EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  ASSERT_EQ(write(fd, "x", 1), 1);
  char c = 0;
  ASSERT_EQ(read(read_end.get(), &c, 1), 1);
  EXPECT_EQ(c, 'x');
}

TEST(FdPassingTest, WithoutAFdAndWhenNothingWaits) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  UniqueFd a(pair[0]), b(pair[1]);
  char buf[4];
  int fd = 7;
  EXPECT_EQ(ReceiveWithFd(b.get(), buf, sizeof buf, &fd, MSG_DONTWAIT), -1);
  EXPECT_EQ(errno, EAGAIN);
  EXPECT_EQ(fd, -1);
  ASSERT_EQ(SendWithFd(a.get(), "ab", 2, -1), 2);
  EXPECT_EQ(ReceiveWithFd(b.get(), buf, sizeof buf, &fd), 2);
  EXPECT_EQ(fd, -1);
  a.Reset();
  EXPECT_EQ(ReceiveWithFd(b.get(), buf, sizeof buf, &fd), 0);  // the peer is gone
}

}  // namespace
}  // namespace thaw::sys
