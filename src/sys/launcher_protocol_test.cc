#include "sys/launcher_protocol.h"

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

}  // namespace
}  // namespace thaw::sys
