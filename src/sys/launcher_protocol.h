// The messages between the server and thaw-launcher, the small single-threaded process that
// forks every function process (so the large multi-threaded server never forks).
// Transport: one SOCK_SEQPACKET socketpair; one message per packet; file descriptors travel
// as SCM_RIGHTS. Encode/Decode are pure and thread-safe. A failed spawn keeps its step, errno
// and text from the process that failed (the shell, or the launcher's child) to the server.
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
  kSpawnFailed = 102,  // launcher -> server: a SpawnFailure (exec never happened)
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
  // A managed runtime's tree (sys/runtime_tree.h), shown read-only at /var/runtime ("" = none).
  std::string runtime_dir;
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

// Limits of a spawn request, checked on both sides of the wire. Strings reach execve and mount
// as C strings, so none may hold a NUL.
inline constexpr size_t kMaxSpawnBytes = (1u << 18) - 64;  // the launcher's and shell's buffers
inline constexpr size_t kMaxPathBytes = 4096;              // PATH_MAX
inline constexpr size_t kMaxArgBytes = 128 * 1024;         // MAX_ARG_STRLEN
inline constexpr size_t kMaxNameBytes = 255;               // NAME_MAX
inline constexpr uint32_t kMaxArgs = 64;
inline constexpr uint32_t kMaxEnv = 4096;
inline constexpr uint32_t kMaxExtensions = 64;
inline constexpr int64_t kMinMemoryMb = 128, kMaxMemoryMb = 10240;
inline constexpr int64_t kMinTmpMb = 512, kMaxTmpMb = 10240;

namespace protocol_detail {
inline bool StringOk(const std::string& s, size_t max, bool allow_empty) {
  return s.size() <= max && (allow_empty || !s.empty()) && s.find('\0') == std::string::npos;
}
// An extension is run as /opt/extensions/NAME: one plain path component.
inline bool ExtensionNameOk(const std::string& s) {
  return StringOk(s, kMaxNameBytes, false) && s != "." && s != ".." &&
         s.find('/') == std::string::npos;
}
}  // namespace protocol_detail

// Why `s` cannot be sent ("" if it can). The decoder enforces the same rules.
inline std::string SpawnProblem(const SpawnSpec& s) {
  using protocol_detail::StringOk;
  if (!StringOk(s.path, kMaxPathBytes, false)) return "bad path";
  if (!StringOk(s.cwd, kMaxPathBytes, false)) return "bad cwd";
  if (s.argv.empty() || s.argv.size() > kMaxArgs) return "bad argument count";
  for (const auto& a : s.argv) {
    if (!StringOk(a, kMaxArgBytes, true)) return "bad argument";
  }
  if (s.env.size() > kMaxEnv) return "too many environment variables";
  for (const auto& e : s.env) {
    if (!StringOk(e, kMaxArgBytes, false) || e.find('=') == std::string::npos || e.front() == '=') {
      return "bad environment variable";
    }
  }
  const SandboxSpec& b = s.sandbox;
  if (b.memory_mb < kMinMemoryMb || b.memory_mb > kMaxMemoryMb) return "memory out of range";
  if (b.tmp_mb < kMinTmpMb || b.tmp_mb > kMaxTmpMb) return "/tmp size out of range";
  if (!StringOk(b.code_dir, kMaxPathBytes, !b.enabled)) return "bad code_dir";
  if (!StringOk(b.tmp_image, kMaxPathBytes, !b.enabled)) return "bad tmp_image";
  if (!StringOk(b.opt_dir, kMaxPathBytes, true)) return "bad opt_dir";
  if (!StringOk(b.runtime_dir, kMaxPathBytes, true)) return "bad runtime_dir";
  if (b.extensions.size() > kMaxExtensions) return "too many extensions";
  for (const auto& e : b.extensions) {
    if (!protocol_detail::ExtensionNameOk(e)) return "bad extension name";
  }
  return "";
}

// Wire: u32 type, u64 id, then the fields in the order below. A string is a u32 length and its
// bytes; a list is a u32 count and its strings; a bool is one byte, 0 or 1; numbers are native
// endian (both ends are on one host). Callers check SpawnProblem first.
inline std::string EncodeSpawn(const SpawnSpec& s) {
  std::string out;
  auto put32 = [&](uint32_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
  auto put64 = [&](uint64_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
  auto str = [&](const std::string& v) {
    put32(static_cast<uint32_t>(v.size()));
    out.append(v);
  };
  auto list = [&](const std::vector<std::string>& v) {
    put32(static_cast<uint32_t>(v.size()));
    for (const auto& item : v) str(item);
  };
  put32(static_cast<uint32_t>(LauncherMsg::kSpawn));
  put64(s.id);
  str(s.path);
  str(s.cwd);
  list(s.argv);
  list(s.env);
  out.push_back(s.sandbox.enabled ? '\1' : '\0');
  put64(static_cast<uint64_t>(s.sandbox.tmp_mb));
  put64(static_cast<uint64_t>(s.sandbox.memory_mb));
  str(s.sandbox.code_dir);
  str(s.sandbox.tmp_image);
  out.push_back(s.sandbox.isolated_network ? '\1' : '\0');
  str(s.sandbox.opt_dir);
  list(s.sandbox.extensions);
  str(s.sandbox.runtime_dir);
  return out;
}

// The id of a spawn request, readable even when the rest is malformed (so the failure can be
// answered), or 0.
inline uint64_t PeekSpawnId(const char* data, size_t len) {
  uint64_t id = 0;
  if (len >= sizeof(uint32_t) + sizeof id) std::memcpy(&id, data + sizeof(uint32_t), sizeof id);
  return id;
}

// The request, or nullopt if the message is not exactly one well-formed spawn request within
// the limits above: truncated, with bytes left over, or with any field out of range.
inline std::optional<SpawnSpec> DecodeSpawn(const char* data, size_t len) {
  if (len > kMaxSpawnBytes) return std::nullopt;
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
  auto flag = [&](bool& v) {
    if (len - pos < 1 || static_cast<unsigned char>(data[pos]) > 1) return false;
    v = data[pos++] == 1;
    return true;
  };
  auto str = [&](std::string& v) {
    uint32_t n = 0;
    if (!get32(n) || n > len - pos) return false;
    v.assign(data + pos, n);
    pos += n;
    return true;
  };
  auto list = [&](std::vector<std::string>& v, uint32_t max) {
    uint32_t n = 0;
    // Each item takes at least its 4-byte length: a count beyond that is a lie.
    if (!get32(n) || n > max || n > (len - pos) / sizeof(uint32_t)) return false;
    v.resize(n);
    for (auto& item : v) {
      if (!str(item)) return false;
    }
    return true;
  };
  uint32_t type = 0;
  uint64_t tmp_mb = 0, memory_mb = 0;
  SpawnSpec s;
  if (!get32(type) || type != static_cast<uint32_t>(LauncherMsg::kSpawn)) return std::nullopt;
  if (!get64(s.id) || !str(s.path) || !str(s.cwd)) return std::nullopt;
  if (!list(s.argv, kMaxArgs) || !list(s.env, kMaxEnv)) return std::nullopt;
  if (!flag(s.sandbox.enabled) || !get64(tmp_mb) || !get64(memory_mb)) return std::nullopt;
  if (tmp_mb > uint64_t{kMaxTmpMb} || memory_mb > uint64_t{kMaxMemoryMb}) return std::nullopt;
  s.sandbox.tmp_mb = static_cast<int64_t>(tmp_mb);
  s.sandbox.memory_mb = static_cast<int64_t>(memory_mb);
  if (!str(s.sandbox.code_dir) || !str(s.sandbox.tmp_image)) return std::nullopt;
  if (!flag(s.sandbox.isolated_network) || !str(s.sandbox.opt_dir)) return std::nullopt;
  if (!list(s.sandbox.extensions, kMaxExtensions)) return std::nullopt;
  if (!str(s.sandbox.runtime_dir)) return std::nullopt;
  if (pos != len) return std::nullopt;  // trailing bytes
  if (!SpawnProblem(s).empty()) return std::nullopt;
  return s;
}

// Kill and the replies are fixed-size records (kSpawnFailed: one, then its text).
struct FixedMsg {
  uint32_t type;
  uint32_t extra;  // kExited: peak memory in KiB (the cgroup's, else wait4's ru_maxrss)
  uint64_t id;
  int64_t a;
  int64_t b;
  int64_t c = 0;  // kExited: OOM kills in the process's cgroup
};
static_assert(sizeof(FixedMsg) == 40, "launcher wire record must stay 40 bytes");

// The step at which a spawn failed. Only kExec is the function's own doing (a missing or
// unusable bootstrap: Runtime.InvalidEntrypoint); every other step is the sandbox's, since thaw
// made the directories and the root the function runs in (Sandbox.Failure).
// Numbers are on the wire: append only.
enum class SpawnStep : uint32_t {
  kNone = 0,
  kRequest = 1,  // malformed, or a host path outside the state directory's trees
  kShell = 2,    // no shell could be made or reached (clone3, pipes, a shell that died)
  kRootFs = 3,   // the shell's read-only root
  kTmp = 4,      // /tmp: the image made, attached or mounted
  kNetwork = 5,  // the isolated network namespace's loopback and Runtime API socket
  kTask = 6,     // /var/task, /opt, /proc and the pivot into the new root
  kFork = 7,     // fork of the bootstrap or pipe for its exec status
  kSession = 8,  // setsid
  kFds = 9,      // stdin, stdout, stderr, and every other fd closed
  kRlimit = 10,  // RLIMIT_NOFILE
  kBoundingSet = 11,
  kGroups = 12,  // setgroups
  kGid = 13,     // setresgid
  kUid = 14,     // setresuid
  kAmbientCaps = 15,
  kNoNewPrivs = 16,
  kSeccomp = 17,
  kDeathSignal = 18,  // PR_SET_PDEATHSIG
  kWorkingDir = 19,   // chdir to the spec's cwd
  kExec = 20,         // execve itself
};
inline constexpr SpawnStep kLastSpawnStep = SpawnStep::kExec;

// "tmp", "setresuid", "execve": short, for messages.
const char* SpawnStepName(SpawnStep step);

struct SpawnFailure {
  uint64_t id = 0;
  SpawnStep step = SpawnStep::kNone;
  int err = 0;       // errno of the failed call
  std::string text;  // what failed, e.g. "mount /dev/loop3 on /.../tmp"; cut to kMaxFailureText
};
inline constexpr size_t kMaxFailureText = 240;
inline constexpr size_t kMaxReplyBytes = sizeof(FixedMsg) + kMaxFailureText;

// Wire: a FixedMsg {kSpawnFailed, extra = step, id, a = errno, b = text length}, then the text.
std::string EncodeSpawnFailure(const SpawnFailure& failure);
// nullopt unless exactly one such record: known step, errno in 0..4095, no trailing bytes.
std::optional<SpawnFailure> DecodeSpawnFailure(const char* data, size_t len);

}  // namespace thaw::sys
