#include "sys/process_info.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>

#include "base/codec.h"
#include "sys/peer_socket.h"
#include "sys/unique_fd.h"

namespace thaw::sys {

StatusOr<int64_t> PeakRssKib(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/status";
  std::ifstream in(path);
  if (!in) return Status::NotFound("no process " + std::to_string(pid));
  std::string line;
  // "VmHWM:	    1536 kB"
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      std::istringstream fields(line.substr(6));
      int64_t kib = 0;
      fields >> kib;
      return kib;
    }
  }
  return Status::NotFound("no VmHWM for process " + std::to_string(pid));
}

namespace {
// "VmHWM:	    1536 kB" somewhere in /proc/PID/status.
std::optional<int64_t> ParseVmHwm(std::string_view text) {
  size_t at = text.find("VmHWM:");
  if (at == std::string_view::npos) return std::nullopt;
  size_t i = at + 6;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  size_t end = i;
  while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
  return ParseInt(text.substr(i, end - i));
}
}  // namespace

PeakRssReader::PeakRssReader(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/status";
  fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
}

PeakRssReader::PeakRssReader(PeakRssReader&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

PeakRssReader& PeakRssReader::operator=(PeakRssReader&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

PeakRssReader::~PeakRssReader() {
  if (fd_ >= 0) close(fd_);
}

StatusOr<int64_t> PeakRssReader::Read() const {
  if (fd_ < 0) return Status::NotFound("process status not open");
  char buf[4096];
  ssize_t n = pread(fd_, buf, sizeof buf, 0);
  if (n <= 0) return Status::NotFound("process is gone");
  auto kib = ParseVmHwm(std::string_view(buf, static_cast<size_t>(n)));
  if (!kib) return Status::NotFound("no VmHWM");
  return *kib;
}

StatusOr<int64_t> CpuTimeNanos(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // "1234 (comm with spaces) S ppid ..." — fields after the last ')' start at field 3.
  size_t close = text.rfind(')');
  if (close == std::string::npos) return Status::NotFound("no process " + std::to_string(pid));
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  int64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = ParseInt(field).value_or(0);
    if (i == 15) stime = ParseInt(field).value_or(0);
  }
  static const int64_t kTicks = sysconf(_SC_CLK_TCK);
  return (utime + stime) * (1000000000 / kTicks);
}

std::vector<pid_t> ProcessGroupMembers(pid_t pgid) {
  std::vector<pid_t> out;
  struct Proc {
    pid_t pid;
    int64_t ppid;
    int64_t pgrp;
  };
  std::vector<Proc> others;
  DIR* dir = opendir("/proc");
  if (!dir) return out;
  while (dirent* e = readdir(dir)) {
    auto pid = ParseInt(e->d_name);
    if (!pid) continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(text.substr(close + 2));
    std::string state, ppid, pgrp;
    fields >> state >> ppid >> pgrp;
    int64_t group = ParseInt(pgrp).value_or(-1);
    if (group == pgid) {
      out.push_back(static_cast<pid_t>(*pid));
    } else {
      others.push_back({static_cast<pid_t>(*pid), ParseInt(ppid).value_or(-1), group});
    }
  }
  closedir(dir);
  std::vector<int64_t> leaders;
  for (const Proc& p : others) {
    if (p.ppid == pgid && p.pgrp == p.pid) leaders.push_back(p.pid);
  }
  for (const Proc& p : others) {
    if (std::find(leaders.begin(), leaders.end(), p.pgrp) != leaders.end()) out.push_back(p.pid);
  }
  return out;
}

std::vector<pid_t> ProcessTree(pid_t root, size_t limit) {
  std::vector<pid_t> out;
  if (kill(root, 0) != 0 && errno == ESRCH) return out;
  out.push_back(root);
  // Breadth first; a child is listed under the thread that forked it.
  for (size_t next = 0; next < out.size() && out.size() < limit; ++next) {
    std::string task_path = "/proc/" + std::to_string(out[next]) + "/task";
    DIR* tasks = opendir(task_path.c_str());
    if (!tasks) continue;
    while (dirent* t = readdir(tasks)) {
      if (t->d_name[0] == '.') continue;
      std::string path = task_path + "/" + t->d_name + "/children";
      UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd.valid()) continue;
      std::string text;
      char buf[4096];
      ssize_t n;
      while ((n = read(fd.get(), buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
      std::string_view rest = text;
      while (!rest.empty() && out.size() < limit) {
        size_t space = rest.find(' ');
        if (auto pid = ParseInt(rest.substr(0, space)); pid && *pid > 0) {
          out.push_back(static_cast<pid_t>(*pid));
        }
        if (space == std::string_view::npos) break;
        rest.remove_prefix(space + 1);
      }
    }
    closedir(tasks);
  }
  return out;
}

StatusOr<UniqueFd> SendSocketInodeQuery(const std::string& peer_address, uint16_t peer_port,
                                        uint16_t local_port) {
  UniqueFd fd(socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_SOCK_DIAG));
  if (!fd.valid()) return ErrnoStatus("socket", "NETLINK_SOCK_DIAG", errno);
  struct {
    nlmsghdr nlh;
    inet_diag_req_v2 req;
  } msg{};
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST;
  msg.req.sdiag_family = AF_INET;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = ~0u;
  // The peer's socket: its source is the peer address, its destination is our listener.
  msg.req.id.idiag_sport = htons(peer_port);
  msg.req.id.idiag_dport = htons(local_port);
  if (inet_pton(AF_INET, peer_address.c_str(), &msg.req.id.idiag_src[0]) != 1) {
    return Status::InvalidArgument("not an IPv4 address: " + peer_address);
  }
  inet_pton(AF_INET, "127.0.0.1", &msg.req.id.idiag_dst[0]);
  msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd.get(), &msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) <
      0) {
    return ErrnoStatus("sendto", "sock_diag", errno);
  }
  return fd;
}

StatusOr<std::optional<uint64_t>> ReadSocketInodeReply(int netlink_fd) {
  alignas(nlmsghdr) char buf[8192];
  ssize_t n = recv(netlink_fd, buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      return std::optional<uint64_t>();
    }
    return ErrnoStatus("recv", "sock_diag", errno);
  }
  auto* h = reinterpret_cast<nlmsghdr*>(buf);
  for (; NLMSG_OK(h, static_cast<unsigned>(n)); h = NLMSG_NEXT(h, n)) {
    if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE) break;
    if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY) continue;
    auto* diag = static_cast<inet_diag_msg*>(NLMSG_DATA(h));
    return std::optional<uint64_t>(diag->idiag_inode);
  }
  return Status::NotFound("no such socket");
}

StatusOr<uint64_t> LoopbackSocketInode(const std::string& peer_address, uint16_t peer_port,
                                       uint16_t local_port) {
  THAW_ASSIGN_OR_RETURN(UniqueFd fd, SendSocketInodeQuery(peer_address, peer_port, local_port));
  for (int tries = 0; tries < 100; ++tries) {
    THAW_ASSIGN_OR_RETURN(std::optional<uint64_t> inode, ReadSocketInodeReply(fd.get()));
    if (inode) return *inode;
    pollfd p{fd.get(), POLLIN, 0};
    poll(&p, 1, 1);
  }
  return Status::DeadlineExceeded("no sock_diag answer");
}

bool ProcessHoldsSocket(pid_t pid, uint64_t inode) {
  std::string dir_path = "/proc/" + std::to_string(pid) + "/fd";
  DIR* dir = opendir(dir_path.c_str());
  if (!dir) return false;
  std::string want = "socket:[" + std::to_string(inode) + "]";
  bool found = false;
  char target[64];
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    ssize_t len = readlinkat(dirfd(dir), e->d_name, target, sizeof target - 1);
    if (len <= 0) continue;
    if (std::string_view(target, static_cast<size_t>(len)) == want) {
      found = true;
      break;
    }
  }
  closedir(dir);
  return found;
}

namespace {

struct Address {
  int family = AF_INET;
  uint32_t words[4] = {0, 0, 0, 0};  // network order, as inet_diag_sockid holds them
};

std::optional<Address> ParseAddress(std::string_view text) {
  std::string s(text);
  if (s.size() > 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  if (s.starts_with("::ffff:") && s.find('.') != std::string::npos) s = s.substr(7);
  Address a;
  if (inet_pton(AF_INET, s.c_str(), &a.words[0]) == 1) return a;
  a.family = AF_INET6;
  if (inet_pton(AF_INET6, s.c_str(), &a.words[0]) == 1) return a;
  return std::nullopt;
}

bool IsWildcard(const Address& a) {
  return a.words[0] == 0 && a.words[1] == 0 && a.words[2] == 0 && a.words[3] == 0;
}

// One sock_diag request; `visit` sees each answer and returns true to stop.
// One sock_diag request on `fd`; `visit` sees every answer carrying `seq` (answers to earlier
// requests, if any were left, are skipped).
template <typename Visit>
Status SockDiag(int fd, uint32_t seq, const Address& peer, uint16_t peer_port, const Address* local,
                uint16_t local_port, Visit visit) {
  struct {
    nlmsghdr nlh;
    inet_diag_req_v2 req;
  } msg{};
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | (local ? 0 : NLM_F_DUMP);
  msg.nlh.nlmsg_seq = seq;
  msg.req.sdiag_family = static_cast<uint8_t>(peer.family);
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = ~0u;
  if (local) {
    msg.req.id.idiag_sport = htons(peer_port);
    msg.req.id.idiag_dport = htons(local_port);
    std::memcpy(msg.req.id.idiag_src, peer.words, sizeof peer.words);
    std::memcpy(msg.req.id.idiag_dst, local->words, sizeof local->words);
  }
  msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, &msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    return ErrnoStatus("sendto", "sock_diag", errno);
  }
  alignas(nlmsghdr) char buf[32768];
  while (true) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) return ErrnoStatus("recv", "sock_diag", errno);
    if (n == 0) return Status::Internal("sock_diag: empty answer");
    bool ours = false;
    auto* h = reinterpret_cast<nlmsghdr*>(buf);
    for (; NLMSG_OK(h, static_cast<unsigned>(n)); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != seq) continue;
      ours = true;
      if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE) return Status::Ok();
      if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) visit(*static_cast<inet_diag_msg*>(NLMSG_DATA(h)));
    }
    if (ours && local) return Status::Ok();  // an exact lookup answers in one datagram
  }
}

}  // namespace

StatusOr<PeerSocket> PeerSocketFinder::Find(const std::string& peer_address, uint16_t peer_port,
                                            const std::string& local_address, uint16_t local_port) {
  std::optional<Address> peer = ParseAddress(peer_address);
  if (!peer) return Status::InvalidArgument("not an IP address: " + peer_address);
  if (!fd_.valid()) {
    fd_ = UniqueFd(socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
    if (!fd_.valid()) return ErrnoStatus("socket", "NETLINK_SOCK_DIAG", errno);
  }
  std::optional<PeerSocket> found;
  auto take = [&found](const inet_diag_msg& d) { found = PeerSocket{d.idiag_inode, d.idiag_uid}; };
  auto run = [&](const Address* local, auto visit) {
    Status s = SockDiag(fd_.get(), ++seq_, *peer, peer_port, local, local_port, visit);
    if (!s.ok()) fd_ = UniqueFd();  // start afresh next time
    return s;
  };
  // Exact lookups: the listener's own address, else the peer's (a local connection's source is
  // usually its destination), else loopback.
  std::vector<Address> locals;
  if (std::optional<Address> own = ParseAddress(local_address);
      own && !IsWildcard(*own) && own->family == peer->family) {
    locals.push_back(*own);
  } else {
    locals.push_back(*peer);
    if (std::optional<Address> lo = ParseAddress(peer->family == AF_INET ? "127.0.0.1" : "::1")) {
      locals.push_back(*lo);
    }
  }
  for (const Address& local : locals) {
    THAW_RETURN_IF_ERROR(run(&local, take));
    if (found) return *found;
  }
  // Any destination address: list every TCP socket and match the peer's end.
  THAW_RETURN_IF_ERROR(run(nullptr, [&](const inet_diag_msg& d) {
    if (!found && ntohs(d.id.idiag_sport) == peer_port && ntohs(d.id.idiag_dport) == local_port &&
        std::memcmp(d.id.idiag_src, peer->words, peer->family == AF_INET ? 4 : 16) == 0) {
      take(d);
    }
  }));
  if (found) return *found;
  return Status::NotFound("no local socket from " + peer_address + ":" + std::to_string(peer_port));
}

StatusOr<PeerSocket> FindPeerSocket(const std::string& peer_address, uint16_t peer_port,
                                    const std::string& local_address, uint16_t local_port) {
  PeerSocketFinder finder;
  return finder.Find(peer_address, peer_port, local_address, local_port);
}

namespace {
struct StatFields {
  int64_t ppid = -1;
  int64_t pgrp = -1;
};
std::optional<StatFields> ReadStat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = text.rfind(')');
  if (close == std::string::npos || close + 2 > text.size()) return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::string state, ppid, pgrp;
  fields >> state >> ppid >> pgrp;
  return StatFields{ParseInt(ppid).value_or(-1), ParseInt(pgrp).value_or(-1)};
}
}  // namespace

StatusOr<SocketHolder> FindSocketHolder(uint64_t inode, uint32_t uid) {
  DIR* dir = opendir("/proc");
  if (!dir) return ErrnoStatus("opendir", "/proc", errno);
  pid_t holder = -1;
  while (dirent* e = readdir(dir)) {
    auto pid = ParseInt(e->d_name);
    if (!pid) continue;
    struct stat st {};
    if (fstatat(dirfd(dir), e->d_name, &st, 0) != 0 || st.st_uid != uid) continue;
    if (ProcessHoldsSocket(static_cast<pid_t>(*pid), inode)) {
      holder = static_cast<pid_t>(*pid);
      break;
    }
  }
  closedir(dir);
  if (holder < 0) return Status::NotFound("no process holds socket " + std::to_string(inode));
  SocketHolder out;
  out.pid = holder;
  std::optional<StatFields> own = ReadStat(holder);
  if (!own) return Status::NotFound("process " + std::to_string(holder) + " is gone");
  out.pgrp = static_cast<pid_t>(own->pgrp);
  if (std::optional<StatFields> leader = ReadStat(out.pgrp)) {
    out.group_parent = static_cast<pid_t>(leader->ppid);
  }
  return out;
}

}  // namespace thaw::sys
