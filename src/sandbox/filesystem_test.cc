#include "sandbox/filesystem.h"

#include <gtest/gtest.h>

namespace thaw::sandbox {
namespace {

// This project's CI hosts: v1 hierarchies, v2 without controllers at /sys/fs/cgroup/unified.
constexpr char kHybridMounts[] =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
    "37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup "
    "rw,xattr,release_agent=/lib/systemd/systemd-cgroups-agent,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
    "50 23 0:50 / /mnt/other rw - cgroup cgroup rw,blkio\n";

TEST(FilesystemTest, ShowsTheHierarchiesTheSandboxIsLimitedIn) {
  const char* cgroup =
      "9:name=systemd:/user.slice\n"
      "8:pids:/srv/thaw/i42/s7\n"
      "6:freezer:/srv/thaw/i42/s7\n"
      "5:devices:/\n"
      "4:memory:/srv/thaw/i42/s7\n"
      "1:cpu,cpuacct:/srv/thaw/i42/s7\n"
      "0::/srv/thaw/i42/s7\n";
  std::vector<CgroupMount> mounts = ParseOwnCgroupMounts(cgroup, kHybridMounts);
  std::vector<std::string> points;
  for (const CgroupMount& m : mounts) points.push_back(m.point);
  EXPECT_EQ(points, (std::vector<std::string>{"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/memory",
                                              "/sys/fs/cgroup/freezer", "/sys/fs/cgroup/pids",
                                              "/sys/fs/cgroup/unified"}));
  ASSERT_EQ(mounts.size(), 5u);
  EXPECT_EQ(mounts[0].type, "cgroup");
  EXPECT_EQ(mounts[0].options, "cpu,cpuacct");
  EXPECT_EQ(mounts[4].type, "cgroup2");
  EXPECT_EQ(mounts[4].options, "nsdelegate");
}

TEST(FilesystemTest, DropsReleaseAgentAndShowsNothingOutsideASandbox) {
  const char* in_systemd = "9:name=systemd:/x/thaw/i1/s2\n";
  std::vector<CgroupMount> mounts = ParseOwnCgroupMounts(in_systemd, kHybridMounts);
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].options, "xattr,name=systemd");
  EXPECT_TRUE(ParseOwnCgroupMounts("4:memory:/\n0::/\n", kHybridMounts).empty());
}

TEST(FilesystemTest, PureV2IsTheDirectoryItself) {
  const char* mountinfo =
      "30 23 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 "
      "rw,nsdelegate,memory_recursiveprot\n";
  std::vector<CgroupMount> mounts = ParseOwnCgroupMounts("0::/thaw/i9/s1\n", mountinfo);
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].point, "/sys/fs/cgroup");
  EXPECT_EQ(mounts[0].options, "nsdelegate,memory_recursiveprot");
}

}  // namespace
}  // namespace thaw::sandbox
