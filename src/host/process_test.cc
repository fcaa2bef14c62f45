#include "host/process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <gtest/gtest.h>

namespace thaw::host {
namespace {

// Binds 127.0.0.1:port, with SO_REUSEADDR if `reuse`; returns the socket or an invalid fd.
sys::UniqueFd BindLoopback(int port, bool reuse) {
  sys::UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int one = 1;
  if (reuse) setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return {};
  return fd;
}

// What makes two go1.x functions started at once on one network namespace get different ports:
// while reserved, a plain bind (what another process's port-0 pick checks) is refused, and the
// function's own SO_REUSEADDR listener is not.
TEST(ReservePortTest, HeldAgainstOthersButOpenToAReusingListener) {
  StatusOr<PortReservation> r = ReservePort();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_GT(r->port, 0);

  errno = 0;
  EXPECT_FALSE(BindLoopback(r->port, /*reuse=*/false).valid());
  EXPECT_EQ(errno, EADDRINUSE);

  sys::UniqueFd listener = BindLoopback(r->port, /*reuse=*/true);
  ASSERT_TRUE(listener.valid()) << strerror(errno);
  EXPECT_EQ(listen(listener.get(), 1), 0) << strerror(errno);
}

TEST(ReservePortTest, PickFreePortReleasesItsPort) {
  StatusOr<int> port = PickFreePort();
  ASSERT_TRUE(port.ok()) << port.status().ToString();
  EXPECT_TRUE(BindLoopback(*port, /*reuse=*/false).valid()) << strerror(errno);
}

}  // namespace
}  // namespace thaw::host
