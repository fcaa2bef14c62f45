// Passing one file descriptor with a message over a Unix socket (SCM_RIGHTS): the server to
// the launcher (a function's output pipe), the launcher to a shell (the same), and a shell in a
// network namespace back to the launcher and on to the server (its Runtime API listener).
// Plain system calls, safe in a forked child; EINTR is retried. Thread-compatible.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace thaw::sys {

// Sends `size` bytes as one message with `fd` attached (nothing attached when fd < 0).
// MSG_NOSIGNAL is always set; add MSG_DONTWAIT and the like in `flags`. Returns what sendmsg
// returns: the bytes sent, or -1 with errno set.
ssize_t SendWithFd(int socket, const void* data, size_t size, int fd, int flags = 0);

// Receives one message of at most `size` bytes, and the descriptor sent with it into *fd (-1
// when none came; it is close-on-exec). Returns what recvmsg returns.
ssize_t ReceiveWithFd(int socket, void* data, size_t size, int* fd, int flags = 0);

}  // namespace thaw::sys
