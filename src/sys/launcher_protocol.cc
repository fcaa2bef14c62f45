#include "sys/launcher_protocol.h"

#include <algorithm>
#include <cstring>

namespace thaw::sys {

const char* SpawnStepName(SpawnStep step) {
  switch (step) {
    case SpawnStep::kNone:
      return "none";
    case SpawnStep::kRequest:
      return "request";
    case SpawnStep::kShell:
      return "shell";
    case SpawnStep::kRootFs:
      return "root file system";
    case SpawnStep::kTmp:
      return "tmp";
    case SpawnStep::kNetwork:
      return "network";
    case SpawnStep::kTask:
      return "task file system";
    case SpawnStep::kFork:
      return "fork";
    case SpawnStep::kSession:
      return "setsid";
    case SpawnStep::kFds:
      return "fds";
    case SpawnStep::kRlimit:
      return "setrlimit";
    case SpawnStep::kBoundingSet:
      return "capability bounding set";
    case SpawnStep::kGroups:
      return "setgroups";
    case SpawnStep::kGid:
      return "setresgid";
    case SpawnStep::kUid:
      return "setresuid";
    case SpawnStep::kAmbientCaps:
      return "ambient capabilities";
    case SpawnStep::kNoNewPrivs:
      return "no_new_privs";
    case SpawnStep::kSeccomp:
      return "seccomp";
    case SpawnStep::kDeathSignal:
      return "parent death signal";
    case SpawnStep::kWorkingDir:
      return "chdir";
    case SpawnStep::kExec:
      return "execve";
  }
  return "unknown";
}

std::string EncodeSpawnFailure(const SpawnFailure& failure) {
  size_t text_len = std::min(failure.text.size(), kMaxFailureText);
  FixedMsg m{static_cast<uint32_t>(LauncherMsg::kSpawnFailed),
             static_cast<uint32_t>(failure.step),
             failure.id,
             failure.err,
             static_cast<int64_t>(text_len),
             0};
  std::string out(reinterpret_cast<const char*>(&m), sizeof m);
  out.append(failure.text, 0, text_len);
  return out;
}

std::optional<SpawnFailure> DecodeSpawnFailure(const char* data, size_t len) {
  FixedMsg m{};
  if (len < sizeof m || len > kMaxReplyBytes) return std::nullopt;
  std::memcpy(&m, data, sizeof m);
  if (m.type != static_cast<uint32_t>(LauncherMsg::kSpawnFailed)) return std::nullopt;
  if (m.extra > static_cast<uint32_t>(kLastSpawnStep)) return std::nullopt;
  if (m.a < 0 || m.a > 4095 || m.c != 0) return std::nullopt;
  if (m.b < 0 || static_cast<uint64_t>(m.b) != len - sizeof m) return std::nullopt;
  SpawnFailure failure;
  failure.id = m.id;
  failure.step = static_cast<SpawnStep>(m.extra);
  failure.err = static_cast<int>(m.a);
  failure.text.assign(data + sizeof m, len - sizeof m);
  return failure;
}

}  // namespace thaw::sys
