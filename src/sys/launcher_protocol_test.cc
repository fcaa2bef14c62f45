#include "sys/launcher_protocol.h"

#include <cerrno>
#include <cstddef>
#include <cstring>

#include <gtest/gtest.h>

namespace thaw::sys {
namespace {

TEST(LauncherProtocolTest, SpawnRoundTrip) {
  SpawnSpec s;
  s.id = 77;
  s.path = "/var/task/bootstrap";
  s.cwd = "/var/task";
  s.argv = {"/var/task/bootstrap", "arg with space"};
  s.env = {"A=1", "EMPTY="};
  s.sandbox.enabled = true;
  s.sandbox.code_dir = "/state/code/abc";
  s.sandbox.tmp_image = "/state/sandbox/tmp/env.img";
  s.sandbox.tmp_mb = 10240;
  s.sandbox.memory_mb = 1769;
  std::string wire = EncodeSpawn(s);
  auto back = DecodeSpawn(wire.data(), wire.size());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->id, 77u);
  EXPECT_EQ(back->path, s.path);
  EXPECT_EQ(back->cwd, s.cwd);
  EXPECT_EQ(back->argv, s.argv);
  EXPECT_EQ(back->env, s.env);
  EXPECT_TRUE(back->sandbox.enabled);
  EXPECT_EQ(back->sandbox.code_dir, s.sandbox.code_dir);
  EXPECT_EQ(back->sandbox.tmp_image, s.sandbox.tmp_image);
  EXPECT_EQ(back->sandbox.tmp_mb, 10240);
  EXPECT_EQ(back->sandbox.memory_mb, 1769);
  EXPECT_FALSE(back->sandbox.isolated_network);
  s.sandbox.isolated_network = true;
  wire = EncodeSpawn(s);
  back = DecodeSpawn(wire.data(), wire.size());
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->sandbox.isolated_network);
  EXPECT_EQ(back->sandbox.opt_dir, "");
  EXPECT_TRUE(back->sandbox.extensions.empty());
  s.sandbox.opt_dir = "/state/code/opt-1";
  s.sandbox.extensions = {"alpha", "zeta"};
  wire = EncodeSpawn(s);
  back = DecodeSpawn(wire.data(), wire.size());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->sandbox.opt_dir, "/state/code/opt-1");
  EXPECT_EQ(back->sandbox.extensions, s.sandbox.extensions);
  EXPECT_EQ(back->sandbox.runtime_dir, "");
  s.sandbox.runtime_dir = "/usr/local/lib/thaw/runtimes/python";
  wire = EncodeSpawn(s);
  back = DecodeSpawn(wire.data(), wire.size());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->sandbox.runtime_dir, s.sandbox.runtime_dir);
  s.sandbox.runtime_dir = std::string("/a\0b", 4);
  EXPECT_EQ(SpawnProblem(s), "bad runtime_dir");
}

TEST(LauncherProtocolTest, ExtensionExitEncoding) {
  int64_t v = EncodeExtensionExit(3, 1 << 8);  // exit status 1
  EXPECT_TRUE(IsExtensionExit(v));
  EXPECT_EQ(ExtensionExitIndex(v), 3u);
  EXPECT_EQ(ExtensionExitStatus(v), 1 << 8);
  EXPECT_FALSE(IsExtensionExit(1 << 8));
  EXPECT_FALSE(IsExtensionExit(9));  // killed by SIGKILL
}

TEST(LauncherProtocolTest, TruncatedMessagesAreRejected) {
  SpawnSpec s;
  s.path = "/bin/true";
  s.cwd = "/";
  s.argv = {"true"};
  s.sandbox.extensions = {"ext"};
  std::string wire = EncodeSpawn(s);
  for (size_t n = 0; n < wire.size(); ++n) {
    EXPECT_FALSE(DecodeSpawn(wire.data(), n).has_value()) << "length " << n;
  }
}

SpawnSpec Sandboxed() {
  SpawnSpec s;
  s.id = 9;
  s.path = "/var/task/bootstrap";
  s.cwd = "/var/task";
  s.argv = {s.path};
  s.env = {"A=1"};
  s.sandbox.enabled = true;
  s.sandbox.code_dir = "/state/code/abc";
  s.sandbox.tmp_image = "/state/sandbox/tmp/env.img";
  s.sandbox.opt_dir = "/state/code/opt-1";
  s.sandbox.extensions = {"ext"};
  return s;
}

// A string with a NUL goes through whole (it used to end the field early and the rest of it was
// read as the following fields), and the decoder refuses it: execve would cut it short.
TEST(LauncherProtocolTest, NulInAStringCannotForgeLaterFields) {
  SpawnSpec s = Sandboxed();
  std::string forged("X=1");
  forged.push_back('\0');
  forged += "/etc";
  s.env = {forged};
  EXPECT_NE(SpawnProblem(s), "");
  std::string wire = EncodeSpawn(s);
  EXPECT_FALSE(DecodeSpawn(wire.data(), wire.size()).has_value());
  // The whole string is framed by its length: cutting it at the NUL leaves nothing valid.
  EXPECT_EQ(PeekSpawnId(wire.data(), wire.size()), 9u);
}

TEST(LauncherProtocolTest, TrailingBytesAreRejected) {
  std::string wire = EncodeSpawn(Sandboxed());
  ASSERT_TRUE(DecodeSpawn(wire.data(), wire.size()).has_value());
  for (std::string tail : {std::string(1, '\0'), std::string("x"), std::string(8, '\1')}) {
    std::string longer = wire + tail;
    EXPECT_FALSE(DecodeSpawn(longer.data(), longer.size()).has_value()) << tail.size();
  }
}

// The path's length follows the type and the id.
constexpr size_t kPathLengthAt = 12;

void Put32(std::string& wire, size_t at, uint32_t v) { std::memcpy(wire.data() + at, &v, 4); }
void Put64(std::string& wire, size_t at, uint64_t v) { std::memcpy(wire.data() + at, &v, 8); }

TEST(LauncherProtocolTest, BadLengthsAreRejected) {
  std::string wire = EncodeSpawn(Sandboxed());
  for (uint32_t bad : {0u, 5u, 1000u, 0xffffffffu}) {
    std::string w = wire;
    Put32(w, kPathLengthAt, bad);
    EXPECT_FALSE(DecodeSpawn(w.data(), w.size()).has_value()) << bad;
  }
  // A count larger than the bytes that follow could ever hold.
  SpawnSpec s = Sandboxed();
  size_t argc_at = kPathLengthAt + 4 + s.path.size() + 4 + s.cwd.size();
  for (uint32_t bad : {0u, 2u, 65u, 1u << 30}) {
    std::string w = wire;
    Put32(w, argc_at, bad);
    EXPECT_FALSE(DecodeSpawn(w.data(), w.size()).has_value()) << bad;
  }
}

TEST(LauncherProtocolTest, OutOfRangeFieldsAreRejected) {
  SpawnSpec s = Sandboxed();
  std::string wire = EncodeSpawn(s);
  size_t env_end = kPathLengthAt + 4 + s.path.size() + 4 + s.cwd.size() + 4 + 4 + s.argv[0].size() +
                   4 + 4 + s.env[0].size();
  size_t enabled_at = env_end, tmp_at = env_end + 1, memory_at = env_end + 9;
  size_t net_at = memory_at + 8 + 4 + s.sandbox.code_dir.size() + 4 + s.sandbox.tmp_image.size();
  {
    std::string w = wire;  // the offsets are right: a valid value decodes
    Put64(w, memory_at, 2048);
    auto back = DecodeSpawn(w.data(), w.size());
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->sandbox.memory_mb, 2048);
  }
  for (uint64_t bad : {uint64_t{0}, uint64_t{127}, uint64_t{10241}, ~uint64_t{0}}) {
    std::string w = wire;
    Put64(w, memory_at, bad);
    EXPECT_FALSE(DecodeSpawn(w.data(), w.size()).has_value()) << "memory " << bad;
    w = wire;
    Put64(w, tmp_at, bad);
    EXPECT_FALSE(DecodeSpawn(w.data(), w.size()).has_value()) << "tmp " << bad;
  }
  for (size_t at : {enabled_at, net_at}) {
    for (char bad : {'\2', '\x7f', '\xff'}) {
      std::string w = wire;
      w[at] = bad;
      EXPECT_FALSE(DecodeSpawn(w.data(), w.size()).has_value()) << "bool at " << at;
    }
  }
}

TEST(LauncherProtocolTest, SpawnProblems) {
  EXPECT_EQ(SpawnProblem(Sandboxed()), "");
  SpawnSpec s = Sandboxed();
  s.argv.clear();
  EXPECT_NE(SpawnProblem(s), "");
  s = Sandboxed();
  s.env = {"NOEQUALS"};
  EXPECT_NE(SpawnProblem(s), "");
  s = Sandboxed();
  s.sandbox.extensions = {"../../bin/sh"};
  EXPECT_NE(SpawnProblem(s), "");
  s = Sandboxed();
  s.sandbox.code_dir.clear();
  EXPECT_NE(SpawnProblem(s), "");
  s.sandbox.enabled = false;  // an unsandboxed spawn mounts nothing
  s.sandbox.tmp_image.clear();
  EXPECT_EQ(SpawnProblem(s), "");
  s.sandbox.memory_mb = 64;
  EXPECT_NE(SpawnProblem(s), "");
  s = Sandboxed();
  s.path = std::string(kMaxPathBytes + 1, 'a');
  EXPECT_NE(SpawnProblem(s), "");
  // Every one of these is refused by the decoder as well.
  s.sandbox.memory_mb = 64;
  std::string wire = EncodeSpawn(s);
  EXPECT_FALSE(DecodeSpawn(wire.data(), wire.size()).has_value());
}

TEST(LauncherProtocolTest, SpawnFailureRoundTrip) {
  SpawnFailure f{42, SpawnStep::kTmp, EINVAL, "mount /dev/loop3 on /root/tmp: Invalid argument"};
  std::string wire = EncodeSpawnFailure(f);
  EXPECT_EQ(wire.size(), sizeof(FixedMsg) + f.text.size());
  auto back = DecodeSpawnFailure(wire.data(), wire.size());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->id, 42u);
  EXPECT_EQ(back->step, SpawnStep::kTmp);
  EXPECT_EQ(back->err, EINVAL);
  EXPECT_EQ(back->text, f.text);
  // An empty text, and a long one cut to the limit.
  f.text.clear();
  wire = EncodeSpawnFailure(f);
  ASSERT_TRUE(DecodeSpawnFailure(wire.data(), wire.size()).has_value());
  f.text = std::string(1000, 'x');
  wire = EncodeSpawnFailure(f);
  EXPECT_EQ(wire.size(), kMaxReplyBytes);
  back = DecodeSpawnFailure(wire.data(), wire.size());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->text, std::string(kMaxFailureText, 'x'));
  EXPECT_STREQ(SpawnStepName(SpawnStep::kUid), "setresuid");
}

TEST(LauncherProtocolTest, MalformedSpawnFailuresAreRejected) {
  std::string wire = EncodeSpawnFailure({7, SpawnStep::kExec, ENOENT, "execve /var/task/x"});
  for (size_t n = 0; n < sizeof(FixedMsg); ++n) {
    EXPECT_FALSE(DecodeSpawnFailure(wire.data(), n).has_value()) << "length " << n;
  }
  // The text's length must be exactly what follows the record.
  EXPECT_FALSE(DecodeSpawnFailure(wire.data(), wire.size() - 1).has_value());
  std::string longer = wire + "x";
  EXPECT_FALSE(DecodeSpawnFailure(longer.data(), longer.size()).has_value());
  auto with = [&](size_t at, uint64_t v, size_t width) {
    std::string w = wire;
    std::memcpy(w.data() + at, &v, width);
    return DecodeSpawnFailure(w.data(), w.size()).has_value();
  };
  EXPECT_FALSE(with(offsetof(FixedMsg, type), uint32_t{101}, 4));  // kSpawned
  EXPECT_FALSE(with(offsetof(FixedMsg, extra), static_cast<uint32_t>(kLastSpawnStep) + 1, 4));
  EXPECT_FALSE(with(offsetof(FixedMsg, a), static_cast<uint64_t>(-1), 8));  // errno < 0
  EXPECT_FALSE(with(offsetof(FixedMsg, a), 4096, 8));
  EXPECT_FALSE(with(offsetof(FixedMsg, b), static_cast<uint64_t>(-1), 8));
  EXPECT_FALSE(with(offsetof(FixedMsg, c), 1, 8));
  EXPECT_TRUE(with(offsetof(FixedMsg, a), 4095, 8));
  // Longer than any reply.
  std::string huge = EncodeSpawnFailure({7, SpawnStep::kExec, ENOENT, ""});
  huge.append(kMaxFailureText + 1, 'x');
  uint64_t len = kMaxFailureText + 1;
  std::memcpy(huge.data() + offsetof(FixedMsg, b), &len, sizeof len);
  EXPECT_FALSE(DecodeSpawnFailure(huge.data(), huge.size()).has_value());
}

}  // namespace
}  // namespace thaw::sys
