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
  kHello = 100,        // launcher -> server, once at start: extra = LauncherFeature bits
  kSpawned = 101,      // launcher -> server: id, pid
  kSpawnFailed = 102,  // launcher -> server: id, errno (exec never happened)
  kExited = 103,       // launcher -> server: pid, wait status, peak memory (KiB), OOM kills
};

// What the launcher can enforce on this host (kHello's extra).
enum LauncherFeature : uint32_t {
  kFeatureNamespaces = 1u << 0,  // pid, mount, ipc, uts namespaces and the read-only root
  kFeatureMemory = 1u << 1,      // memory limit from a cgroup
  kFeatureCpu = 1u << 2,
  kFeaturePids = 1u << 3,
  kFeatureFreezeV2 = 1u << 4,  // cgroup v2 cgroup.freeze
  kFeatureFreezeV1 = 1u << 5,  // cgroup v1 freezer
  kFeatureTmpLimit = 1u << 6,  // /tmp is a size-limited ext4 image
  kFeatureSeccomp = 1u << 7,
  kFeatureUnprivileged = 1u << 8,  // functions run as an unprivileged uid without capabilities
};

// How a process is sandboxed. Ignored (plain process group) when !enabled.
struct SandboxSpec {
  bool enabled = false;
  std::string code_dir;   // host path shown at /var/task
  std::string tmp_image;  // host path of the environment's /tmp image (kept across resets)
  int64_t tmp_mb = 512;
  int64_t memory_mb = 128;
  // A network namespace of its own, with only loopback. The shell listens on 127.0.0.1:9001
  // there and the launcher hands that socket to the server with the kSpawned reply.
  bool isolated_network = false;
  // Layers: the host directory shown read-only at /opt ("" = an empty /opt), and the external
  // extensions to start from /opt/extensions before the bootstrap, in this order.
  std::string opt_dir;
  std::vector<std::string> extensions;
};

// A sandbox's exit status normally is the bootstrap's wait status. When an external extension
// exits while the environment is not shutting down, the shell ends the sandbox and reports this
// instead: a flag, the extension's index in SandboxSpec::extensions, and its wait status.
inline constexpr int64_t kExtensionExitFlag = int64_t{1} << 24;
inline int64_t EncodeExtensionExit(size_t index, int wait_status) {
  return kExtensionExitFlag | static_cast<int64_t>((index & 0xff) << 16) | (wait_status & 0xffff);
}
inline bool IsExtensionExit(int64_t status) { return (status & kExtensionExitFlag) != 0; }
inline size_t ExtensionExitIndex(int64_t status) {
  return static_cast<size_t>((status >> 16) & 0xff);
}
inline int ExtensionExitStatus(int64_t status) { return static_cast<int>(status & 0xffff); }

// The Runtime API's address inside an isolated network namespace (Lambda's own).
inline constexpr uint16_t kIsolatedRuntimeApiPort = 9001;

struct SpawnSpec {
  uint64_t id = 0;  // chosen by the server, echoed back
  std::string path;
  std::string cwd;
  std::vector<std::string> argv;
  std::vector<std::string> env;
  SandboxSpec sandbox;
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
  out.push_back(s.sandbox.enabled ? '\1' : '\0');
  put64(static_cast<uint64_t>(s.sandbox.tmp_mb));
  put64(static_cast<uint64_t>(s.sandbox.memory_mb));
  str(s.sandbox.code_dir);
  str(s.sandbox.tmp_image);
  out.push_back(s.sandbox.isolated_network ? '\1' : '\0');
  str(s.sandbox.opt_dir);
  put32(static_cast<uint32_t>(s.sandbox.extensions.size()));
  for (const auto& e : s.sandbox.extensions) str(e);
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
  if (pos >= len) return std::nullopt;
  s.sandbox.enabled = data[pos++] != 0;
  uint64_t tmp_mb = 0, memory_mb = 0;
  if (!get64(tmp_mb) || !get64(memory_mb)) return std::nullopt;
  s.sandbox.tmp_mb = static_cast<int64_t>(tmp_mb);
  s.sandbox.memory_mb = static_cast<int64_t>(memory_mb);
  if (!str(s.sandbox.code_dir) || !str(s.sandbox.tmp_image)) return std::nullopt;
  if (pos >= len) return std::nullopt;
  s.sandbox.isolated_network = data[pos++] != 0;
  uint32_t extc = 0;
  if (!str(s.sandbox.opt_dir) || !get32(extc) || extc > 64) return std::nullopt;
  s.sandbox.extensions.resize(extc);
  for (auto& e : s.sandbox.extensions) {
    if (!str(e)) return std::nullopt;
  }
  return s;
}

// Kill and the replies are fixed-size records.
struct FixedMsg {
  uint32_t type;
  uint32_t extra;  // kExited: peak memory in KiB (the cgroup's, else wait4's ru_maxrss)
  uint64_t id;
  int64_t a;
  int64_t b;
  int64_t c = 0;  // kExited: OOM kills in the process's cgroup
};
static_assert(sizeof(FixedMsg) == 40, "launcher wire record must stay 40 bytes");

}  // namespace thaw::sys
