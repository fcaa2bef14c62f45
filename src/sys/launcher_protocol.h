// The messages between the server and thaw-launcher, the small single-threaded process that
// forks every function process (so the large multi-threaded server never forks).
// Transport: one SOCK_SEQPACKET socketpair; one message per packet; file descriptors travel
// as SCM_RIGHTS. Encode/Decode are pure and thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace thaw::sys {

enum class LauncherMsg : uint32_t {
  kSpawn = 1,          // server -> launcher: fork+exec; one fd attached (stdout/stderr target)
  kKill = 2,           // server -> launcher: kill(-pgid, signal)
  kShutdown = 3,       // server -> launcher: SIGKILL every process group it started, then exit
  kSpawned = 101,      // launcher -> server: id, pid
  kSpawnFailed = 102,  // launcher -> server: id, errno (exec never happened)
  kExited = 103,       // launcher -> server: pid, wait status, peak RSS (KiB) from wait4
};

struct SpawnSpec {
  uint64_t id = 0;  // chosen by the server, echoed back
  std::string path;
  std::string cwd;
  std::vector<std::string> argv;
  std::vector<std::string> env;
};

struct LauncherReply {
  LauncherMsg type;
  uint64_t id = 0;
  int64_t a = 0;  // pid (kSpawned, kExited) or errno (kSpawnFailed)
  int64_t b = 0;  // wait status (kExited)
};

// Wire: u32 type, then fields. Strings are NUL-terminated, preceded by u32 counts.
inline std::string EncodeSpawn(const SpawnSpec& s) {
  std::string out;
  auto put32 = [&](uint32_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
  auto put64 = [&](uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
  auto str = [&](const std::string& v) { out.append(v.c_str(), v.size() + 1); };
  put32(static_cast<uint32_t>(LauncherMsg::kSpawn));
  put64(s.id);
  put32(static_cast<uint32_t>(s.argv.size()));
  put32(static_cast<uint32_t>(s.env.size()));
  str(s.path);
  str(s.cwd);
  for (const auto& a : s.argv) str(a);
  for (const auto& e : s.env) str(e);
  return out;
}

inline std::optional<SpawnSpec> DecodeSpawn(const char* data, size_t len) {
  size_t pos = 0;
  auto get32 = [&](uint32_t& v) {
    if (len - pos < sizeof v) return false;
    std::memcpy(&v, data + pos, sizeof v);
    pos += sizeof v;
    return true;
  };
  auto get64 = [&](uint64_t& v) {
    if (len - pos < sizeof v) return false;
    std::memcpy(&v, data + pos, sizeof v);
    pos += sizeof v;
    return true;
  };
  auto str = [&](std::string& v) {
    const void* end = std::memchr(data + pos, '\0', len - pos);
    if (!end) return false;
    size_t n = static_cast<size_t>(static_cast<const char*>(end) - (data + pos));
    v.assign(data + pos, n);
    pos += n + 1;
    return true;
  };
  uint32_t type = 0, argc = 0, envc = 0;
  SpawnSpec s;
  if (!get32(type) || type != static_cast<uint32_t>(LauncherMsg::kSpawn)) return std::nullopt;
  if (!get64(s.id) || !get32(argc) || !get32(envc)) return std::nullopt;
  if (argc > 4096 || envc > 4096) return std::nullopt;
  if (!str(s.path) || !str(s.cwd)) return std::nullopt;
  s.argv.resize(argc);
  for (auto& a : s.argv) {
    if (!str(a)) return std::nullopt;
  }
  s.env.resize(envc);
  for (auto& e : s.env) {
    if (!str(e)) return std::nullopt;
  }
  return s;
}

// Kill and the replies are fixed-size records.
struct FixedMsg {
  uint32_t type;
  uint32_t extra;  // kExited: the process's ru_maxrss in KiB
  uint64_t id;
  int64_t a;
  int64_t b;
};
static_assert(sizeof(FixedMsg) == 32, "launcher wire record must stay 32 bytes");

}  // namespace thaw::sys
